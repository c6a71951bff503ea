"""Case 12: the engine's disk is full. Produced for real: a private dockerd whose data
root is a 48 MB tmpfs. The learner reads that the engine has no space left and which
cleanup to run; the images already on the engine survive."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.processes import processes_with

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.integration

NO_SPACE = (
    "the engine has no space left on its disk. Free some with %docker_cleanup "
    "(your images and containers) or %docker image prune, then build again"
)


@pytest.fixture
def small_engine(
    second_engine_factory: Any, tiny_rootfs: bytes, use_host: Callable[[str | None], None]
) -> Any:
    # a bridge in the engine's own network namespace: BuildKit's RUN needs one
    engine = second_engine_factory(data_mb=48, bridge=True)
    engine.load_tiny_base(tiny_rootfs)
    use_host(engine.host)
    return engine


def gone(marker: str, within_s: float = 10.0) -> list[int]:
    """Processes on this machine still naming ``marker`` after ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    return processes_with(marker)


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_run_filling_the_disk_says_no_space_and_points_at_cleanup(
    learner: Any,
    workdir: Path,
    small_engine: Any,
    use_host: Callable[[str | None], None],
    builder: str,
) -> None:
    (workdir / "Dockerfile").write_text(
        "FROM layerlab-fault-base:1\nRUN echo kept\n", encoding="utf-8"
    )
    kept = learner.run(f"%docker_build -q --builder {builder} -t kept:1 .")
    assert kept.error is None, kept.shown
    marker = f"filling-{uuid.uuid4().hex[:8]}"
    (workdir / "Dockerfile").write_text(
        f"FROM layerlab-fault-base:1\nRUN echo {marker} && dd if=/dev/zero of=/fill bs=1M "
        "count=200; sleep 1; exit 1\n",
        encoding="utf-8",
    )

    cell = learner.run(f"%docker_build -q --builder {builder} -t full:1 .")

    assert type(cell.error).__name__ == "BuildFailed", cell.shown
    message = learner.rendered(cell.error)
    learner.assert_short(message, max_lines=1)
    assert message == f"BuildFailed: {NO_SPACE}"
    assert "No space left on device" in cell.error.result.log
    client = small_engine.client()
    try:
        assert client.images.get("kept:1").id == kept.value.image_id
        if builder == "classic":
            named = learner.running_in_ids(cell.error.result.log)
            assert named, cell.error.result.log
            left = learner.wait_containers_gone(client, named, within_s=5)
            assert not left, f"build container left behind: {left}"
        assert not [c["Id"] for c in client.api.containers(all=True) if marker in c["Command"]]
    finally:
        client.close()
    # the RUN itself (BuildKit runs it with runc, no container): no process of it is left
    assert not gone(marker), "the RUN that filled the disk still runs"
    use_host(None)
    learner.next_cell_runs()


def test_context_larger_than_the_free_space_says_no_space(
    engine: Any,
    learner: Any,
    workdir: Path,
    small_engine: Any,
    use_host: Callable[[str | None], None],
) -> None:
    (workdir / "Dockerfile").write_text(
        "FROM layerlab-fault-base:1\nCOPY big.bin /big.bin\n", encoding="utf-8"
    )
    with (workdir / "big.bin").open("wb") as big:
        big.truncate(80 * 1024 * 1024)  # sparse here, 80 MB of zeros in the engine's tmpfs

    cell = learner.run("%docker_build -q --builder classic --force -t big:1 .")

    assert type(cell.error).__name__ == "BuildFailed", cell.shown
    message = learner.rendered(cell.error)
    learner.assert_short(message, max_lines=1)
    assert message == f"BuildFailed: {NO_SPACE}"
    assert "no space left on device" in (cell.error.result.error or "")
    use_host(None)
    learner.next_cell_runs()
