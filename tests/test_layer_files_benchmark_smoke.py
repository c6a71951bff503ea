"""``python -m benchmarks.layer_files --smoke`` works end to end on the real engine, prints
every row, and leaves its image behind nowhere. No timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_LABEL, TEST_RUN

ROOT = Path(__file__).resolve().parents[1]
ROWS = ("1. layer files of", "2. image on", "3. %%dockerfile cell", "ratio vs docker save")


@pytest.mark.integration
def test_layer_files_benchmark_smoke(docker_client: Any) -> None:
    run_id = f"lf-smoke-{TEST_RUN}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.layer_files",
            "--smoke",
            "--run-id",
            run_id,
            "--label",
            f"{TEST_LABEL}={TEST_RUN}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for row in ROWS:
        assert row in done.stdout, f"missing row {row!r}:\n{done.stdout}"
    assert not docker_client.images.list(filters={"label": f"org.layerlab.bench={run_id}"})
