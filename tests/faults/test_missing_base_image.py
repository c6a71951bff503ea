"""Case 6: ``FROM`` an image that is not on the engine, with no registry reachable: the
learner reads that it is missing and how to get it (pull online, load a bundle)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


def test_missing_base_image_says_not_on_engine_and_how_to_get_it(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
) -> None:
    missing = tag_for("no-such-base")
    dockerfile = f"FROM {missing}\nRUN echo never\n"
    (seed_context / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    tag = tag_for("on-missing-base")

    cell = learner.run(f"%docker_build -t {tag} .")

    assert type(cell.error).__name__ == "BuildFailed", cell.shown
    message = learner.rendered(cell.error)
    learner.assert_short(message)
    assert (
        f"the base image {missing} is not on this engine and could not be pulled" in (message)
        or (
            f"the base image docker.io/library/{missing}:latest is not on this engine "
            "and could not be pulled"
        )
        in message
    )
    assert "Offline: load it from a bundle (layerlab images load BUNDLE)" in message
    assert "Traceback" not in cell.shown
    assert (seed_context / "Dockerfile").read_text(encoding="utf-8") == dockerfile
    assert not engine.images.list(name=tag)
    learner.next_cell_runs()
