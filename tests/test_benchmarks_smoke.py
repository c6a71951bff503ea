"""The benchmark's smoke mode runs in the test command so the benchmark cannot rot.

No timing is asserted here: the numbers belong in benchmarks/README.md, not in a
pass/fail. What is checked: the command works end to end on the real engine, prints
every row of the table, and leaves none of its images behind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_LABEL, TEST_RUN

ROOT = Path(__file__).resolve().parents[1]
ROWS = (
    "cached rebuild, seed lab, classic",
    "cold build (--no-cache, local RUN), classic",
    "cached rebuild, seed lab, buildkit",
    "cold build (--no-cache, local RUN), buildkit",
    "%load_ext layerlab in a fresh IPython",
    "build printing 100 lines, kernel-side handling",
    "layer stack of a 5-layer image",
)


@pytest.mark.integration
def test_benchmark_smoke_mode_prints_every_row_and_cleans_up(docker_client: Any) -> None:
    run_id = f"smoke-{TEST_RUN}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--smoke",
            "--run-id",
            run_id,
            # the test label too: if the run dies half-way, the test teardown still cleans up
            "--label",
            f"{TEST_LABEL}={TEST_RUN}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    table_rows = [line for line in done.stdout.splitlines() if " | " in line]
    for row in ROWS:
        assert any(row in line for line in table_rows), f"row missing: {row}\n{done.stdout}"
    assert "engine: Docker Engine" in done.stdout
    left = docker_client.images.list(filters={"label": f"org.layerlab.bench={run_id}"})
    assert left == [], f"benchmark images left behind: {left}"
