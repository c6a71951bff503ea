"""The benchmark's smoke mode runs in the test command, and it can fail.

``python -m benchmarks.run --smoke`` exits 1 when a row yields no number, when a fairness
check (same labels, same image, same builder on both sides) fails, or when a row is more
than 3x off its target. The integration test runs it on the real engine; the unit tests
below feed the verdict rows that must fail it, so the gate is known to close.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from benchmarks import run
from benchmarks.stats import SMOKE_TOLERANCE, Row, failures, quartiles, table
from tests.conftest import TEST_LABEL, TEST_RUN

ROOT = Path(__file__).resolve().parents[1]
ROW_NUMBERS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15")


@pytest.mark.integration
def test_benchmark_smoke_mode_passes_on_the_real_engine_and_cleans_up(
    docker_client: Any,
) -> None:
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
    left = docker_client.images.list(filters={"label": f"org.layerlab.bench={run_id}"})
    assert left == [], f"benchmark images left behind: {left}"
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert done.returncode == 0, "\n".join(failed) or done.stdout[-2000:] + done.stderr[-3000:]
    numbers = {line.split("|")[0].strip() for line in done.stdout.splitlines() if " | " in line}
    assert set(ROW_NUMBERS) <= numbers, done.stdout
    assert "engine: Docker Engine" in done.stdout
    assert "result: ok" in done.stdout


# ---------------------------------------------------------------- the verdict (no engine)
def good_row(number: str = "1", **changes: Any) -> Row:
    row = Row(number, "a figure", "the CLI", "time", 1.5, kit=[1.0, 1.1, 1.2], ref=[1.0] * 3)
    row.add_check("same labels", ok=True)
    for name, value in changes.items():
        setattr(row, name, value)
    return row


def test_a_good_row_passes_the_smoke_verdict() -> None:
    assert failures([good_row()], smoke=True) == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"kit": [], "ref": []}, "no number"),
        ({"unavailable": "n/a (BuildKit builder: none)"}, "no number"),
        ({"kit": [1.0, 1.0], "ref": [1.0]}, "no number"),
        ({"ref": [0.0, 0.0, 0.0]}, "no number"),
    ],
)
def test_a_row_without_a_number_fails_the_smoke_run(changes: dict[str, Any], reason: str) -> None:
    found = failures([good_row(), good_row("2", **changes)], smoke=True)
    assert len(found) == 1
    assert found[0].startswith("row 2")
    assert reason in found[0]
    assert "n/a" in table([good_row("2", **changes)])


def test_a_failed_fairness_check_fails_the_run_in_any_mode() -> None:
    row = good_row()
    row.add_check("same image", ok=False, detail="kit sha256:a, ref sha256:b")
    for smoke in (True, False):
        (found,) = failures([row], smoke=smoke)
        assert "fairness check FAILED: same image" in found
    assert "UNFAIR" in table([row])


def test_a_row_more_than_three_times_off_its_target_fails_the_smoke_run() -> None:
    limit = 1.5
    far = good_row(kit=[limit * SMOKE_TOLERANCE * 1.1] * 3)
    near = good_row(kit=[limit * SMOKE_TOLERANCE * 0.9] * 3)
    (found,) = failures([far], smoke=True)
    assert "more than 3x off" in found
    assert failures([near], smoke=True) == []  # off target, but not by a factor of 3
    assert failures([far], smoke=False) == []  # a full run reports it in the table instead
    assert not near.meets()


def test_added_milliseconds_rows_are_judged_on_the_difference() -> None:
    row = Row("5", "load", "empty cell", "added_ms", 50.0, kit=[0.3] * 3, ref=[0.1] * 3)
    (found,) = failures([row], smoke=True)  # +200 ms against 50 ms: 4x off
    assert "more than 3x off" in found


def test_a_row_meets_its_target_only_when_the_upper_quartile_does() -> None:
    # median 1.0x, but a quarter of the pairs above 1.5x
    row = good_row(kit=[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0], ref=[1.0] * 8)
    assert quartiles(row.scores())[1] <= row.limit < quartiles(row.scores())[2]
    assert not row.meets()
    assert row.cells()[6] == "NO"


def test_pairs_alternate_which_side_goes_first() -> None:
    order: list[str] = []
    row = good_row(kit=[], ref=[])

    def side(name: str) -> run.Timer:
        def timer() -> float:
            order.append(name)
            return 1.0

        return timer

    sizes = run.SMOKE_SIZES
    run.measure_pairs(row, side("kit"), side("ref"), sizes, pairs=4, warmup=False)
    assert order == ["kit", "ref", "ref", "kit", "kit", "ref", "ref", "kit"]
    assert len(row.kit) == len(row.ref) == 4


def test_layer_files_rows_are_included_when_their_module_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchmarks import layer_files

    ((numbers, _make),) = run._extra_figures(None)  # type: ignore[arg-type]
    assert numbers == set(layer_files.ROW_NUMBERS) == {"12", "13", "14", "15"}
    monkeypatch.setitem(sys.modules, run.LAYER_FILES_MODULE, None)  # the module absent
    assert run._extra_figures(None) == []  # type: ignore[arg-type]
    module = types.ModuleType(run.LAYER_FILES_MODULE)
    module.ROW_NUMBERS = ("12",)  # type: ignore[attr-defined]
    module.rows = lambda _bench: [good_row("12")]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, run.LAYER_FILES_MODULE, module)
    ((numbers, make),) = run._extra_figures(None)  # type: ignore[arg-type]
    assert numbers == {"12"}
    assert [row.number for row in make()] == ["12"]


@pytest.mark.parametrize(
    ("output", "builder", "ok"),
    [
        ("#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n", "buildkit", True),
        # BuildKit may number the .dockerignore vertex first
        (
            "#1 [internal] load .dockerignore\n#2 [internal] load build definition from D\n",
            "buildkit",
            True,
        ),
        ("Sending build context to Docker daemon\nStep 1/4 : FROM python\n", "classic", True),
        ("Step 1/4 : FROM python\n", "buildkit", False),
        ("#1 [internal] load build definition from Dockerfile\n", "classic", False),
        ("", "classic", False),
    ],
)
def test_the_builder_check_reads_the_cli_output(output: str, builder: str, ok: bool) -> None:
    row = good_row()
    run.builder_check(row, builder, output, builder)
    assert row.checks[-1].ok is ok
