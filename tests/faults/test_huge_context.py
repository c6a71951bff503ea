"""Case 9: a huge build context. The kit sizes the context before sending it: above the
cap it refuses (in a second, not after sending 2 GB), ``.dockerignore`` is respected, and
``--force`` overrides the cap after a warning with the size."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def test_two_gigabyte_file_is_refused_before_sending(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
) -> None:
    with (seed_context / "dataset.bin").open("wb") as sparse:
        sparse.truncate(2 * 1024**3)  # 2 GiB, sparse: costs no disk
    tag = tag_for("huge-context")

    started = time.monotonic()
    cell = learner.run(f"%docker_build -t {tag} .")
    elapsed = time.monotonic() - started

    assert type(cell.error).__name__ == "ContextTooLarge", cell.shown
    learner.assert_short(cell.shown, max_lines=2)
    assert "holds 2.1 GB in 3 files, above the 1.0 GB limit" in cell.shown
    assert "Exclude files with a .dockerignore, or build with --force" in cell.shown
    assert elapsed < 5, f"took {elapsed:.1f} s: was the context sent?"
    assert "Step 1" not in cell.shown
    assert not engine.images.list(name=tag)

    (seed_context / ".dockerignore").write_text("dataset.bin\n", encoding="utf-8")
    ignored = learner.run(f"%docker_build -q -t {tag} .")
    assert ignored.error is None, ignored.shown
    assert "large build context" not in ignored.shown
    learner.next_cell_runs()


def test_force_sends_a_context_above_the_cap_after_warning_with_its_size(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
) -> None:
    learner.run("%config Layerlab.context_max_mb = 1.0")
    learner.run("%config Layerlab.context_warn_mb = 0.5")
    (seed_context / "weights.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    tag = tag_for("forced-context")

    refused = learner.run(f"%docker_build -q -t {tag} .")
    assert type(refused.error).__name__ == "ContextTooLarge", refused.shown
    assert "above the 1.0 MB limit" in refused.shown

    from layerlab import api

    said: list[str] = []
    forced = api.build(
        seed_context,
        tags=[tag],
        force=True,
        notify=said.append,
        listeners=[lambda event, _result: said.append(type(event).__name__)],
    )

    assert said[0] == (
        "sending a large build context: 3.1 MB in 3 files (add a .dockerignore to leave files out)"
    ), "warned before sending"
    assert engine.images.get(tag).id == forced.image_id
