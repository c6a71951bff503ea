"""Case 3: Ctrl-C (a kernel interrupt) during a long build. The build stops on the
engine side (its build container goes away), the partial result says "interrupted", the
next cell runs. Also under nbval's cell timeout, which interrupts the kernel the same way."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.processes import processes_with

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def containers_running(engine: Any, marker: str) -> list[str]:
    """Containers (any state) whose command mentions ``marker``."""
    return [
        c["Id"][:12] for c in engine.api.containers(all=True) if marker in str(c.get("Command", ""))
    ]


def wait_processes_gone(marker: str, within_s: float) -> list[int]:
    deadline = time.monotonic() + within_s
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    return processes_with(marker)


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_ctrl_c_stops_the_build_on_the_engine_and_the_next_cell_runs(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
    builder: str,
) -> None:
    from layerlab import api, session
    from layerlab.build import StepOutput
    from layerlab.errors import BuildFailed

    marker = f"long-step-{uuid.uuid4().hex[:8]}"
    dockerfile = f"FROM python:3.13-alpine\nRUN echo {marker} && sleep 60\n"
    (seed_context / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    tag = tag_for("interrupted")
    fired: list[float] = []

    def press_ctrl_c_once_running(event: Any, _result: Any) -> None:
        if (
            isinstance(event, StepOutput)
            and any(marker in line for line in event.lines)
            and not fired
        ):
            fired.append(time.monotonic())
            # as the kernel does on "Interrupt": SIGINT to the process, from elsewhere
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    started = time.monotonic()
    with pytest.raises(BuildFailed) as caught:
        api.build(seed_context, tags=[tag], builder=builder, listeners=[press_ctrl_c_once_running])

    assert fired, "the long step never started"
    assert time.monotonic() - started < 30, "the build did not stop at the interrupt"
    shown = learner.rendered(caught.value)
    learner.assert_short(shown, max_lines=1)
    assert (
        "BuildFailed: build interrupted at step 2; the engine stopped it. Nothing was "
        "tagged" in shown
    )
    result = caught.value.result
    assert result.status == "interrupted"
    assert session.current().history[-1] is result
    assert result.builder == builder
    assert result.steps[-1].instruction.startswith("RUN echo")
    assert not wait_processes_gone(marker, within_s=10), "the RUN still runs on the engine"
    if builder == "classic":
        build_containers = learner.running_in_ids(result.log)
        assert build_containers, result.log
        left = learner.wait_containers_gone(engine, build_containers, within_s=5)
        assert not left, f"the build container is still on the engine: {left}"
    assert not containers_running(engine, marker)
    assert not engine.images.list(name=tag)
    assert (seed_context / "Dockerfile").read_text(encoding="utf-8") == dockerfile
    learner.next_cell_runs()


def notebook(cells: list[str]) -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{index}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source,
            }
            for index, source in enumerate(cells)
        ],
    }


def test_nbval_cell_timeout_interrupts_the_build_and_the_next_cell_runs(
    engine: Any,
    tmp_path: Path,
    tag_for: Any,
) -> None:
    from layerlab.engine import SESSION_ID  # noqa: F401 - the kit is importable here

    marker = f"nbval-step-{uuid.uuid4().hex[:8]}"
    tag = tag_for("nbval-timeout")
    labels = {"org.layerlab.test": tag.rsplit("-", 1)[-1]}
    (tmp_path / "lab.ipynb").write_text(
        json.dumps(
            notebook(
                [
                    (
                        f"%load_ext layerlab\n%config Layerlab.view = 'text'\n"
                        f"%config Layerlab.extra_labels = {labels!r}"
                    ),
                    f"%%dockerfile\nFROM python:3.13-alpine\nRUN echo {marker} && sleep 60",
                    f"%docker_build -t {tag} .",
                    "print('the next cell ran')",
                ]
            )
        ),
        encoding="utf-8",
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\nxfail_strict = false\n", encoding="utf-8")

    started = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "--nbval-cell-timeout=10",
            "-p",
            "no:cacheprovider",
            "-rA",
            "lab.ipynb",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started

    report = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    assert "Timeout of 10 seconds exceeded" not in report or "BuildFailed" in report, report
    assert "BuildFailed: build interrupted at step 2; the engine stopped it" in report, report
    assert "1 failed, 2 passed, 1 xpassed" in report, report
    assert elapsed < 60, f"nbval took {elapsed:.0f} s"
    time.sleep(0.5)
    assert not containers_running(engine, marker), "the build container outlived the kernel"
    assert not wait_processes_gone(marker, within_s=5), "the RUN still runs on the engine"
    assert not engine.images.list(name=tag)
