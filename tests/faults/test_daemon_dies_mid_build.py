"""Case 2: the daemon dies in the middle of a build (a private dockerd, SIGKILLed during a
long RUN). The learner reads that the connection was lost; the Dockerfile and the images
built before survive; nothing the kit started keeps running."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.integration


def test_daemon_killed_during_run_says_connection_lost_and_loses_nothing(
    engine: Any,
    learner: Any,
    workdir: Path,
    second_engine: Any,
    use_host: Callable[[str | None], None],
) -> None:
    from layerlab import api
    from layerlab.build import StepOutput
    from layerlab.errors import BuildFailed

    use_host(second_engine.host)
    (workdir / "Dockerfile").write_text(
        "FROM layerlab-fault-base:1\nRUN echo kept\n", encoding="utf-8"
    )
    # classic: the private engine runs with --bridge=none, which BuildKit's RUN cannot use
    kept = api.build(workdir, tags=["kept:1"], builder="classic")
    dockerfile = "FROM layerlab-fault-base:1\nRUN echo started-long-step && sleep 30\n"
    (workdir / "Dockerfile").write_text(dockerfile, encoding="utf-8")

    def kill_daemon_once_running(event: Any, _result: Any) -> None:
        if isinstance(event, StepOutput) and "started-long-step" in event.line:
            second_engine.kill()

    with pytest.raises(BuildFailed) as caught:
        api.build(
            workdir, tags=["doomed:1"], builder="classic", listeners=[kill_daemon_once_running]
        )

    assert caught.value.result.status == "failed"
    assert (workdir / "Dockerfile").read_text(encoding="utf-8") == dockerfile

    # The next cell, with the engine still dead: one line, no traceback.
    again = learner.run("%docker_build --builder classic -t doomed:1 .")
    assert type(again.error).__name__ == "EngineUnavailable", again.shown
    learner.assert_short(again.shown, max_lines=1)

    # The learner restarts Docker and builds again: the image built before the crash is
    # still there, and the crashed build's container does not linger.
    second_engine.restart()
    (workdir / "Dockerfile").write_text(
        "FROM layerlab-fault-base:1\nRUN echo kept\n", encoding="utf-8"
    )
    rebuilt = learner.run("%docker_build -q --builder classic -t kept:1 .")
    assert rebuilt.error is None, rebuilt.shown
    assert rebuilt.value.image_id == kept.image_id, "the cache of the earlier build survived"
    with_engine = second_engine.client()
    try:
        assert not with_engine.images.list(name="doomed")
        crashed = learner.running_in_ids(caught.value.result.log)
        assert crashed, caught.value.result.log
        leftovers = learner.wait_containers_gone(with_engine, crashed, within_s=5)
        assert not leftovers, f"the crashed build's container is still on the engine: {leftovers}"
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
