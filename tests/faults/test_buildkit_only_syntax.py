"""Case 5: BuildKit-only syntax on the classic builder. The kit names the line and the
construct before sending anything; what only the engine knows is still one or two lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

CASES = [
    (
        "run-mount",
        "RUN --mount=type=cache,target=/root/.cache pip install flask",
        "line 2: RUN --mount needs BuildKit",
    ),
    ("copy-chmod", "COPY --chmod=644 app.py /app.py", "line 2: COPY --chmod needs BuildKit"),
]


@pytest.mark.parametrize(("line", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_buildkit_only_construct_is_named_before_building(  # noqa: PLR0917 - pytest passes fixtures positionally
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
    line: str,
    expected: str,
) -> None:
    dockerfile = f"FROM python:3.13-alpine\n{line}\n"
    (seed_context / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    tag = tag_for("buildkit-only")

    cell = learner.run(f"%docker_build --builder classic -t {tag} .")

    assert type(cell.error).__name__ == "DockerfileError", cell.shown
    learner.assert_short(cell.shown, max_lines=1)
    assert expected in cell.shown
    assert "the classic builder cannot build it. Use %docker_build --builder buildkit" in (
        cell.shown
    )
    assert "Step 1" not in cell.shown, "refused before the engine saw it"
    assert (seed_context / "Dockerfile").read_text(encoding="utf-8") == dockerfile
    assert not engine.images.list(name=tag)
    learner.next_cell_runs()


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_flag_too_new_for_engine_20_10_is_refused_before_building(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
    builder: str,
) -> None:
    # COPY --link needs Dockerfile syntax 1.4: Engine 20.10 refuses it with both builders
    # ("Unknown flag: link"), so "use BuildKit" would be the wrong advice.
    dockerfile = "FROM python:3.13-alpine\nCOPY --link app.py /app.py\n"
    (seed_context / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    tag = tag_for("link")

    cell = learner.run(f"%docker_build -q --builder {builder} -t {tag} .")

    assert type(cell.error).__name__ == "DockerfileError", cell.shown
    learner.assert_short(cell.shown, max_lines=1)
    assert "line 2: COPY has no option --link" in cell.shown
    assert not engine.images.list(name=tag)
    learner.next_cell_runs()
