"""Case 1: no engine. DOCKER_HOST points nowhere, or the socket is there but its daemon
is dead. The learner gets one line saying where the kit looked and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("unix:///tmp/layerlab-no-engine-here/docker.sock", "No such file or directory"),
        ("tcp://127.0.0.1:1", "Connection refused"),
    ],
    ids=["missing-socket", "closed-port"],
)
def test_docker_host_pointing_nowhere_says_where_in_one_line(  # noqa: PLR0917 - pytest passes fixtures positionally
    engine: Any,
    learner: Any,
    seed_context: Path,
    use_host: Callable[[str | None], None],
    host: str,
    reason: str,
) -> None:
    before = (seed_context / "Dockerfile").read_bytes()
    use_host(host)

    cell = learner.run("%docker_build -t layerlab-never-built .")

    assert type(cell.error).__name__ == "EngineUnavailable"
    learner.assert_short(cell.shown, max_lines=1)
    assert f"cannot reach a Docker Engine at DOCKER_HOST={host} ({reason})" in cell.shown
    assert "point DOCKER_HOST at a running engine" in cell.shown
    assert (seed_context / "Dockerfile").read_bytes() == before
    listing = learner.run("%docker_images")
    assert type(listing.error).__name__ == "EngineUnavailable"
    learner.assert_short(listing.shown, max_lines=1)

    use_host(None)
    learner.next_cell_runs()


def test_socket_present_but_daemon_stopped_says_connection_refused(
    engine: Any,
    learner: Any,
    seed_context: Path,
    second_engine: Any,
    use_host: Callable[[str | None], None],
) -> None:
    second_engine.kill()
    assert second_engine.socket.is_socket(), "a killed dockerd leaves its socket file behind"
    use_host(second_engine.host)

    cell = learner.run("%docker_build .")

    assert type(cell.error).__name__ == "EngineUnavailable"
    learner.assert_short(cell.shown, max_lines=1)
    assert f"DOCKER_HOST={second_engine.host} (Connection refused)" in cell.shown
    use_host(None)
    learner.next_cell_runs()


def test_engine_stopping_between_cells_gives_one_line_not_a_traceback(
    engine: Any,
    learner: Any,
    second_engine: Any,
    use_host: Callable[[str | None], None],
) -> None:
    # The kit caches its client: the first cell connects, then the engine goes away.
    use_host(second_engine.host)
    first = learner.run("%docker_images")
    assert first.error is None, first.shown
    second_engine.kill()

    cell = learner.run("%docker_images")

    assert type(cell.error).__name__ == "EngineUnavailable", cell.shown
    learner.assert_short(cell.shown, max_lines=1)
    assert "Connection refused" in cell.shown
    use_host(None)
    learner.next_cell_runs()
