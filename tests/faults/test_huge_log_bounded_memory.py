"""Case 8: a build that prints 1,000,000 lines. Kernel-side memory stays bounded (the
log goes to a file, views keep a few lines), the view keeps up, the full log is there.

Bound: the log itself is ~7 MB of text; everything the kit keeps in memory is a fixed
number of lines (step tail 20, log tail 200, view 12 per step), so the peak of Python
allocations must not grow with the line count. Keeping the lines would cost > 90 MB
(1e6 str objects of ~56 bytes plus a list and event objects); 50 MB leaves room for the
docker client's read buffers and tracemalloc's bookkeeping (measured: ~33 MB peak, classic).
BuildKit is not measured here: the engine clips a step's log at 1 MiB (~36k lines of seq).
"""

from __future__ import annotations

import io
import time
import tracemalloc
import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

LINES = 1_000_000
PEAK_BOUND_MB = 50


def test_million_line_build_keeps_memory_bounded_and_the_full_log(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
) -> None:
    from layerlab import api
    from layerlab.views import TextProgress

    builder = "classic"
    marker = uuid.uuid4().hex[:8]
    (seed_context / "Dockerfile").write_text(
        f"FROM python:3.13-alpine\nRUN echo {marker} && seq 1 {LINES}\n", encoding="utf-8"
    )
    screen = io.StringIO()
    view = TextProgress(screen)
    gaps: list[float] = []
    last = [time.monotonic()]

    def responsiveness(_event: Any, _result: Any) -> None:
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        started = time.monotonic()
        result = api.build(
            seed_context,
            tags=[tag_for(f"million-{builder}")],
            builder=builder,
            no_cache=True,
            listeners=[view, responsiveness],
        )
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    growth_mb = (peak - baseline) / 1e6
    print(
        f"{builder}: {LINES} lines in {elapsed:.1f} s, peak growth {growth_mb:.1f} MB, "
        f"longest pause between events {max(gaps):.2f} s, view {len(screen.getvalue())} B"
    )
    assert growth_mb < PEAK_BOUND_MB, f"peak memory grew by {growth_mb:.1f} MB"
    run_step = result.steps[-1]
    assert run_step.output_lines >= LINES
    assert len(run_step.tail) <= 20
    assert len(screen.getvalue()) < 10_000, "the view shows a few lines, not a million"
    assert "more lines (full log: result.log)" in screen.getvalue()
    assert result.log_path.is_file()
    with result.log_path.open(encoding="utf-8") as log:
        numbers = sum(
            1
            for line in log
            if line.strip().lstrip("#0123456789. ").isdigit() or line.strip().isdigit()
        )
    assert numbers >= LINES, f"the full log holds {numbers} of {LINES} lines"
    assert max(gaps) < 5, "the view went quiet for seconds in the middle of the output"
    learner.next_cell_runs()
