"""A real build through ``api.build`` with both builders: the build's log file is closed
once the build is over (read back on demand), the session remembers the result, and
the context the engine received is the one listing the kit made (``.dockerignore``
respected) — the same files the cache explainer hashed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from layerlab import api, session
from layerlab.build import BuildResult
from tests.conftest import BASE_IMAGE, TEST_RUN, unique_tag

pytestmark = pytest.mark.integration


def open_paths() -> set[str]:
    """The files this process has open right now."""
    found: set[str] = set()
    for entry in Path("/proc/self/fd").iterdir():
        try:
            found.add(str(entry.readlink()))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_real_build_closes_its_log_and_sends_the_listed_context(
    engine: Any, workdir: Path, builder: str
) -> None:
    (workdir / "app.py").write_text(f"print('{TEST_RUN} {builder}')\n", encoding="utf-8")
    (workdir / "notes.txt").write_text("draft\n", encoding="utf-8")
    (workdir / ".dockerignore").write_text("notes.txt\n", encoding="utf-8")
    (workdir / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nCOPY . /ctx/\nRUN ls -a /ctx && echo {TEST_RUN}-{builder}\n",
        encoding="utf-8",
    )
    tag = unique_tag(f"session-{builder}")

    result = api.build(workdir, tags=[tag], builder=builder, notify=lambda _: None)

    assert isinstance(result, BuildResult)
    assert result.succeeded
    assert session.current().history[-1] is result
    assert not result.log_store.is_open
    assert str(result.log_path) not in open_paths(), "the build log is still open"
    log = result.log
    assert f"{TEST_RUN}-{builder}" in log
    assert "app.py" in log
    assert "notes.txt" not in log  # .dockerignore applied to what the engine received
    files = engine.containers.run(
        result.image_id, ["ls", "-a", "/ctx"], remove=True, labels={"org.layerlab.test": TEST_RUN}
    ).decode()
    assert sorted(files.split()) == sorted([".", "..", ".dockerignore", "Dockerfile", "app.py"])
