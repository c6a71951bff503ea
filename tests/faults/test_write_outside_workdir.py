"""Case 10: ``%%dockerfile`` with a path outside the working folder is refused by
default, so a notebook cannot overwrite files elsewhere; a setting allows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

CELL = "FROM python:3.13-alpine\nRUN echo hi\n"


def outside_paths(workdir: Path) -> dict[str, tuple[str, Path]]:
    elsewhere = workdir.parent / f"{workdir.name}-elsewhere"
    elsewhere.mkdir()
    (workdir / "sub").mkdir()
    (workdir / "sub" / "link").symlink_to(elsewhere, target_is_directory=True)
    return {
        "dotdot": ("../../somewhere/Dockerfile", (workdir / "../../somewhere/Dockerfile")),
        "absolute": (str(elsewhere / "Dockerfile"), elsewhere / "Dockerfile"),
        "symlink": ("sub/link/Dockerfile", elsewhere / "Dockerfile"),
    }


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_path_outside_the_working_folder_is_refused(
    learner: Any,
    workdir: Path,
    kind: str,
) -> None:
    shown_path, real = outside_paths(workdir)[kind]
    existing = real.parent.exists() and real.exists()

    cell = learner.run(f"%%dockerfile {shown_path}\n{CELL}")

    assert type(cell.error).__name__ == "DockerfileError"
    learner.assert_short(cell.shown, max_lines=1)
    assert f"refusing to write {shown_path}: it is outside the working folder" in cell.shown
    assert "%config Layerlab.allow_write_outside = True" in cell.shown
    assert real.exists() == existing, "nothing was written outside"
    learner.next_cell_runs_offline()


def test_setting_allows_writing_outside(learner: Any, workdir: Path) -> None:
    shown_path, real = outside_paths(workdir)["absolute"]
    learner.run("%config Layerlab.allow_write_outside = True")

    cell = learner.run(f"%%dockerfile {shown_path}\n{CELL}")

    assert cell.error is None, cell.shown
    assert real.read_text(encoding="utf-8") == CELL
