"""Case 7: a RUN that fails, on both builders. The learner sees the failing step and its
last output lines; the image the tag named before still has the tag; nothing of the RUN
lingers: no build container (classic names its own, `` ---> Running in <id>``; BuildKit
makes no Docker container, so any container whose command names the RUN counts) and no
process of it, on this machine (BuildKit runs the RUN with runc inside the engine: the
failing RUN starts a background process that names a marker, and it must be gone too)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.processes import processes_with

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def leftovers(engine: Any, marker: str, within_s: float = 10.0) -> tuple[list[int], list[str]]:
    """Processes on this machine and containers on the engine that still name ``marker``."""
    deadline = time.monotonic() + within_s
    while True:
        processes = processes_with(marker)
        containers = [
            c["Id"][:12]
            for c in engine.api.containers(all=True)
            if marker in str(c.get("Command", ""))
        ]
        if (not processes and not containers) or time.monotonic() > deadline:
            return processes, containers
        time.sleep(0.2)


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_failing_run_shows_the_step_and_its_last_lines_and_keeps_the_old_image(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
    builder: str,
) -> None:
    tag = tag_for(f"failing-run-{builder}")
    (seed_context / "Dockerfile").write_text(
        "FROM python:3.13-alpine\nRUN echo good-build\n", encoding="utf-8"
    )
    good = learner.run(f"%docker_build -q --builder {builder} -t {tag} .")
    assert good.error is None, good.shown
    marker = f"left-behind-{uuid.uuid4().hex[:8]}"
    broken = (
        "FROM python:3.13-alpine\n"
        f"RUN (sh -c 'sleep 120; echo {marker}' &); "
        "for i in $(seq 1 30); do echo output-line-$i; done; "
        "echo 'pip: no such package flaskk' >&2; sleep 1; exit 3\n"
    )
    (seed_context / "Dockerfile").write_text(broken, encoding="utf-8")
    # the leftover check sees the RUN's processes while it runs (so it can fail)
    seen: list[int] = []
    running = threading.Event()
    running.set()

    def watch() -> None:
        while running.is_set() and not seen:
            seen.extend(processes_with(marker))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        cell = learner.run(f"%docker_build -q --builder {builder} -t {tag} .")
    finally:
        running.clear()
        watcher.join()
    assert seen, "the RUN's background process was never seen while the RUN ran"

    assert type(cell.error).__name__ == "BuildFailed", cell.shown
    message = learner.rendered(cell.error)
    lines = message.splitlines()
    assert lines[0].startswith("BuildFailed: step 2 failed: RUN (sh -c 'sleep 120;")
    assert "  | output-line-30" in lines
    # stderr's line is among the last ones shown (BuildKit may order it before stdout)
    assert "  | pip: no such package flaskk" in lines or "pip: no such package flaskk" in (
        cell.error.result.log
    )
    assert "  | output-line-20" not in lines, "only the last lines, not the whole log"
    # classic: "The command '/bin/sh -c …' returned a non-zero code: 3";
    # BuildKit: "executor failed running [/bin/sh -c …]: exit code: 3"
    assert re.search(r"(returned a non-zero code|exit code): 3$", lines[-1]), lines[-1]
    assert len(lines) <= 10
    assert "Traceback" not in cell.shown
    result = cell.error.result
    assert "output-line-1\n" in result.log, "the full output stays in result.log"
    assert engine.images.get(tag).id == good.value.image_id, "the tag still names the old image"
    assert (seed_context / "Dockerfile").read_text(encoding="utf-8") == broken
    if builder == "classic":
        named = learner.running_in_ids(result.log)
        assert named, result.log
        left = learner.wait_containers_gone(engine, named, 5)
        assert not left, f"build container left behind: {left}"
    processes, containers = leftovers(engine, marker)
    assert not processes, f"the failed RUN's processes still run: {processes}"
    assert not containers, f"containers of the failed RUN left behind: {containers}"
    learner.next_cell_runs()
