"""``python -m benchmarks.layer_files --smoke`` works end to end on the real engine: every
row (12-15) gets a number, every fairness check holds (same image on both sides, dive's
wasted bytes equal the kit's, the base layers reused, hadolint ran on one side only), and
its image is left behind nowhere. No timing is asserted here: the 3x-off-target gate is
``tests/test_benchmarks_smoke.py``'s (``benchmarks.run --smoke`` includes these rows)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.layer_files import ROW_NUMBERS
from tests.conftest import TEST_LABEL, TEST_RUN

ROOT = Path(__file__).resolve().parents[1]


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
        timeout=300,
        check=False,
    )
    assert not docker_client.images.list(filters={"label": f"org.layerlab.bench={run_id}"})
    assert "result: " in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    table = {line.split("|")[0].strip(): line for line in done.stdout.splitlines() if " | " in line}
    for number in ROW_NUMBERS:
        assert number in table, f"missing row {number}:\n{done.stdout}"
        assert "n/a" not in table[number], table[number]
    checks = [line for line in done.stdout.splitlines() if " fairness " in line]
    assert len(checks) >= 2 * len(ROW_NUMBERS), done.stdout
    assert all(" fairness ok: " in line for line in checks), done.stdout
    assert "no number" not in done.stdout
