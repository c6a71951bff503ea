"""Case 2: the daemon dies in the middle of a build (a private dockerd, SIGKILLed during a
long RUN), on both builders. The learner reads that the connection was lost; the
Dockerfile and the images built before survive; nothing the kit started keeps running:
classic, the build container it named (gone once the engine is back); BuildKit, the CLI
process the kit ran (its command line names the build's folder) — BuildKit makes no
container to look for."""

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


@pytest.fixture
def bridged_engine(
    engine: Any,  # the shared engine answers (the learner's next cell uses it)
    second_engine_factory: Callable[..., Any],
    tiny_rootfs: bytes,
    use_host: Callable[[str | None], None],
) -> Any:
    """A private engine with a bridge in its own network namespace (BuildKit's RUN needs
    one), holding the tiny base; the kit points at it."""
    second = second_engine_factory(bridge=True)
    second.load_tiny_base(tiny_rootfs)
    use_host(second.host)
    return second


def wait_gone(marker: str, within_s: float = 5.0) -> list[int]:
    deadline = time.monotonic() + within_s
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return processes_with(marker)


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_daemon_killed_during_run_says_connection_lost_and_loses_nothing(
    learner: Any,
    workdir: Path,
    bridged_engine: Any,
    use_host: Callable[[str | None], None],
    builder: str,
) -> None:
    from layerlab import api
    from layerlab.build import StepOutput
    from layerlab.errors import BuildFailed

    second_engine = bridged_engine
    (workdir / "Dockerfile").write_text(
        "FROM layerlab-fault-base:1\nRUN echo kept\n", encoding="utf-8"
    )
    kept = api.build(workdir, tags=["kept:1"], builder=builder)
    marker = f"started-long-step-{uuid.uuid4().hex[:8]}"
    dockerfile = f"FROM layerlab-fault-base:1\nRUN echo {marker} && sleep 30\n"
    (workdir / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    kit_processes: list[int] = []

    def kill_daemon_once_running(event: Any, _result: Any) -> None:
        if isinstance(event, StepOutput) and any(marker in line for line in event.lines):
            # what the kit runs for this build (BuildKit: the docker CLI), seen while it runs
            kit_processes.extend(processes_with(str(workdir)))
            second_engine.kill()

    with pytest.raises(BuildFailed) as caught:
        api.build(workdir, tags=["doomed:1"], builder=builder, listeners=[kill_daemon_once_running])

    assert caught.value.result.status == "failed"
    assert (workdir / "Dockerfile").read_text(encoding="utf-8") == dockerfile
    if builder == "buildkit":
        assert kit_processes, "the docker CLI was not seen while the build ran"
        assert not wait_gone(str(workdir)), "the docker CLI outlived the build"

    # The next cell, with the engine still dead: one line, no traceback.
    again = learner.run(f"%docker_build --builder {builder} -t doomed:1 .")
    assert type(again.error).__name__ == "EngineUnavailable", again.shown
    learner.assert_short(again.shown, max_lines=1)

    # The learner restarts Docker and builds again: the image built before the crash is
    # still there, and the crashed build's container does not linger.
    second_engine.restart()
    (workdir / "Dockerfile").write_text(
        "FROM layerlab-fault-base:1\nRUN echo kept\n", encoding="utf-8"
    )
    rebuilt = learner.run(f"%docker_build -q --builder {builder} -t kept:1 .")
    assert rebuilt.error is None, rebuilt.shown
    assert rebuilt.value.image_id == kept.image_id, "the cache of the earlier build survived"
    with_engine = second_engine.client()
    try:
        assert not with_engine.images.list(name="doomed")
        if builder == "classic":
            crashed = learner.running_in_ids(caught.value.result.log)
            assert crashed, caught.value.result.log
            leftovers = learner.wait_containers_gone(with_engine, crashed, within_s=5)
            assert not leftovers, f"the crashed build's container is still there: {leftovers}"
        assert not [
            c["Id"] for c in with_engine.api.containers(all=True) if marker in str(c["Command"])
        ]
    finally:
        with_engine.close()

    use_host(None)
    learner.next_cell_runs()

    # What the learner read when the engine died: the engine's fault, not their RUN's.
    shown = learner.rendered(caught.value)
    assert "the connection to the Docker Engine was lost during the build" in shown
    assert "Check that the engine is running, then build again" in shown
    assert "step 2 failed" not in shown, "the learner's RUN did not fail: the engine died"
    learner.assert_short(shown)
