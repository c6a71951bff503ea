"""The files-per-layer widget renders its view-model: filters, layer choice, diff, fallbacks."""

from __future__ import annotations

import io
import tarfile

from layerlab.layer_contents import Change, ImageFiles, LayerContents, analyse, diff, read_layer
from layerlab.layer_views import FilesViewModel, files_html, files_text
from layerlab.tar_stream import ByteSource, members
from layerlab.widgets.layer_files import LayerFilesView


def layer(diff_id: str, *files: tuple[str, int]) -> LayerContents:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, size in files:
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(b"z" * size))
    data = out.getvalue()
    return read_layer(members(ByteSource([data])), diff_id, len(data))


def sample() -> tuple[ImageFiles, ImageFiles]:
    v1 = analyse(
        "app:v1",
        "1",
        [
            layer("sha256:a", ("app/big.bin", 5000), ("app/main.py", 10)),
            layer("sha256:b", ("app/.wh.big.bin", 0), ("app/new.txt", 3)),
        ],
        ["COPY . /app", "RUN rm app/big.bin"],
    )
    v2 = analyse("app:v2", "2", [layer("sha256:c", ("app/main.py", 12))])
    return v1, v2


def test_filters_and_layer_choice_drive_the_drawing() -> None:
    v1, v2 = sample()
    view = LayerFilesView(v1, diff(v1, v2))
    assert "big.bin" in view.drawing.value
    assert "new.txt" in view.drawing.value
    view.filter.value = Change.DELETED.value
    assert "big.bin" in view.drawing.value
    assert "new.txt" not in view.drawing.value
    assert "main.py" not in view.drawing.value
    view.filter.value = "all"
    view.layer_pick.value = 0
    assert "main.py" in view.drawing.value
    assert "new.txt" not in view.drawing.value
    view.layer_pick.value = -1
    view.wasted_only.value = True
    assert "big.bin" in view.drawing.value
    assert "main.py" not in view.drawing.value
    assert "app/main.py" in view.diff_drawing.value  # modified between v1 and v2
    bundle = view._repr_mimebundle_()
    assert "app:v1" in bundle["text/plain"]
    assert "app:v1" in bundle["text/html"]


def test_text_and_html_fallbacks_mark_wasted_files() -> None:
    v1, _ = sample()
    text = files_text(v1)
    assert "- " in text
    assert "/app/big.bin  ⚠" in text
    html = files_html(FilesViewModel(v1, show=frozenset({Change.ADDED})))
    assert "new.txt" in html
    assert "#fff1e5" in html  # the wasted file's background
