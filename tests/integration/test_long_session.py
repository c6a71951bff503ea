"""A kernel that builds all day stays bounded: 300 real builds through ``api.build`` (a tiny
``FROM scratch`` image, from the cache after the first) in one process keep the open file
count, the build log files on disk and the Python memory flat, and the session at its
``Layerlab.history_size``. Real builds, not fault-injected events: a cached build of this
image takes a fraction of a second, so 300 of them are affordable, and only a real build
opens what a real kernel opens (the engine connection, the log, BuildKit's CLI pipes).
"""

from __future__ import annotations

import gc
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from layerlab import api, check, engine_ops, session
from layerlab.config import settings
from tests.conftest import TEST_RUN, unique_tag

pytestmark = pytest.mark.integration

BUILDS = 300
WARM_UP = 30
HISTORY = 5


def open_descriptors() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


def log_files() -> int:
    return len(list(Path(tempfile.gettempdir()).glob("layerlab-build-*.log")))


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_300_builds_keep_files_and_memory_flat(
    engine: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch, builder: str
) -> None:
    (workdir / "Dockerfile").write_text(
        f'FROM scratch\nLABEL org.layerlab.test-long="{TEST_RUN}-{builder}"\n', encoding="utf-8"
    )
    tag = unique_tag(f"long-{builder}")
    settings().history_size = HISTORY
    kernel = session.Session()
    monkeypatch.setattr(session, "_current", kernel)
    image_ids = set()
    started = time.monotonic()
    for number in range(BUILDS):
        result = api.build(workdir, tags=[tag], builder=builder, notify=lambda _: None)
        image_ids.add(result.image_id)
        del result
        if number == WARM_UP - 1:
            gc.collect()
            fds, logs = open_descriptors(), log_files()
            tracemalloc.start()
            memory = tracemalloc.get_traced_memory()[0]
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - memory
    tracemalloc.stop()
    elapsed = time.monotonic() - started
    print(f"{builder}: {BUILDS} builds in {elapsed:.0f} s; +{grown} B traced after {WARM_UP}")

    assert len(image_ids) == 1  # every build after the first came from the cache
    assert len(kernel) == HISTORY
    assert all(not build.log_store.is_open for build in kernel.history)
    assert open_descriptors() <= fds, "open files grew with the builds"
    assert log_files() <= logs, "build logs pile up on disk"
    assert len(kernel.made) == 2  # one name, one image: the record does not grow
    # 270 builds after the warm-up: a leak of even 1 kB per build would show as 270 kB
    assert grown < 256_000, f"memory grew by {grown} B over {BUILDS - WARM_UP} builds"
    engine_ops.rmi(tag)
    assert check.nothing_left()
