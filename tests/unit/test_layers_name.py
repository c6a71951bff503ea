"""`layerlab.layers` works as a function however it was imported (no daemon needed)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest


def test_layers_is_callable_after_the_module_was_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = importlib.import_module("layerlab.image_layers")
    calls: list[str] = []
    sentinel: Any = object()

    def fake_layers(image: str, **_: Any) -> Any:
        calls.append(image)
        return sentinel

    monkeypatch.setattr(module, "layers", fake_layers)
    from layerlab import layers

    first: Any = layers("python-hello-world")
    import layerlab

    second: Any = layerlab.layers("other")
    assert first is sentinel
    assert second is sentinel
    assert calls == ["python-hello-world", "other"]


def test_clean_created_by_strips_the_shell_and_nop() -> None:
    from layerlab.image_layers import clean_created_by

    nop = '/bin/sh -c #(nop)  CMD ["python" "app.py"]'
    assert clean_created_by(nop) == 'CMD ["python" "app.py"]'
    assert clean_created_by("/bin/sh -c pip install flask") == "RUN pip install flask"
    assert clean_created_by("RUN /bin/sh -c pip install flask # buildkit") == (
        "RUN pip install flask"
    )
    assert clean_created_by("|1 GREETING=hi /bin/sh -c echo $GREETING") == "RUN echo $GREETING"
