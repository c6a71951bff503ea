"""Case 7: a RUN that fails. The learner sees the failing step and its last output
lines; the image the tag named before still has the tag; no build container lingers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def test_failing_run_shows_the_step_and_its_last_lines_and_keeps_the_old_image(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
) -> None:
    tag = tag_for("failing-run")
    (seed_context / "Dockerfile").write_text(
        "FROM python:3.13-alpine\nRUN echo good-build\n", encoding="utf-8"
    )
    good = learner.run(f"%docker_build -q -t {tag} .")
    assert good.error is None, good.shown
    broken = (
        "FROM python:3.13-alpine\n"
        "RUN for i in $(seq 1 30); do echo output-line-$i; done; "
        "echo 'pip: no such package flaskk' >&2; exit 3\n"
    )
    (seed_context / "Dockerfile").write_text(broken, encoding="utf-8")

    cell = learner.run(f"%docker_build -q -t {tag} .")

    assert type(cell.error).__name__ == "BuildFailed", cell.shown
    message = learner.rendered(cell.error)
    lines = message.splitlines()
    assert lines[0].startswith("BuildFailed: step 2 failed: RUN for i in $(seq 1 30)")
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
    left = learner.wait_containers_gone(engine, learner.running_in_ids(result.log), 5)
    assert not left, f"build container left behind: {left}"
    learner.next_cell_runs()
