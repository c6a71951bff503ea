"""nbgrader for real: a course made from a lab's source, released, then autograded twice.

``scripts/learner-notebooks --course`` lays the labs out as an nbgrader course; ``nbgrader
generate_assignment`` must release lab 04 (English, the quickest lab) without its answers,
and ``nbgrader autograde`` must run the submitted notebook against the real engine and
give full marks to a right submission, and not to a wrong one. The lab labels what it
builds (``org.layerlab.lab=04``) and removes it in its last cell; the test checks that it
did, and removes what a failed run left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat as nbformat_untyped
import pytest

pytestmark = pytest.mark.integration

nbformat: Any = nbformat_untyped  # nbformat ships without type hints

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "04-en"
NOTEBOOK = "04-dockerignore.ipynb"
LAB_LABEL = {"org.layerlab.lab": "04"}
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # the kernels nbgrader starts import layerlab from this checkout, like the test does;
    # nbgrader runs the virtualenv's `alembic` for its gradebook: put its bin/ first on PATH
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def nbgrader(*args: str, course: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "nbgrader", *args], cwd=course)


def answers(book: Any) -> dict[str, str]:
    """The instructor's answers, by grade id: the solution regions, markers removed."""
    found = {}
    for cell in book.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            found[meta["grade_id"]] = "\n".join(
                line for line in cell.source.splitlines() if line.strip() not in (BEGIN, END)
            )
    return found


def submit(course: Path, student: str, book: Any) -> None:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(book, folder / NOTEBOOK)


def score(course: Path, student: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        graded = gradebook.find_submission_notebook(
            NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student
        )
        return float(graded.score), float(graded.max_score)


def lab_leftovers(client: Any) -> list[str]:
    filters = {"label": [f"{key}={value}" for key, value in LAB_LABEL.items()]}
    return [str(image.tags or image.short_id) for image in client.images.list(filters=filters)] + [
        container.name for container in client.containers.list(all=True, filters=filters)
    ]


@pytest.fixture
def course(tmp_path: Path, docker_client: Any) -> Any:
    course = tmp_path / "course"
    run(
        [sys.executable, str(ROOT / "scripts" / "learner_notebooks.py"), "--course", str(course)],
        ROOT,
    )
    yield course
    from layerlab.engine_ops import remove_leftovers

    remove_leftovers(LAB_LABEL)


def test_nbgrader_releases_lab_04_without_answers_and_grades_it(
    course: Path, docker_client: Any
) -> None:
    source = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    right = answers(source)
    assert len(right) == 2, f"lab 04 should have two exercises, found {sorted(right)}"

    nbgrader("generate_assignment", ASSIGNMENT, "--force", course=course)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for cell in released.cells:
        assert "SOLUTION" not in cell.source, cell.source
        assert not cell.get("outputs"), "the released notebook carries outputs"
    stubs = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in released.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    assert stubs.keys() == right.keys()
    for grade_id, stub in stubs.items():
        # a valid .dockerignore (the cell is %%writefile) with the answer gone
        assert stub.startswith("%%writefile .dockerignore\n"), stub
        assert stub != right[grade_id]
        assert "# …" in stub

    def answered(chosen: set[str]) -> Any:
        book = nbformat.from_dict(released)
        for cell in book.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in chosen:
                cell.source = right[grade_id]
        return book

    # (a) both answers right; (b) the first right, the second left as released
    submit(course, "right", answered(set(right)))
    submit(course, "wrong", answered({"04-ignore-data"}))
    for student in ("right", "wrong"):
        nbgrader(
            "autograde", ASSIGNMENT, "--create", "--force", f"--student={student}", course=course
        )
        assert lab_leftovers(docker_client) == [], "the lab's clean-up cell left something"

    got, full = score(course, "right")
    assert full == 2
    assert got == full, f"a right submission got {got}/{full}"
    got, full = score(course, "wrong")
    assert got == 1, f"a submission with one right answer of two got {got}/{full}"

    graded = nbformat.read(course / "autograded" / "wrong" / ASSIGNMENT / NOTEBOOK, as_version=4)
    failed = [
        cell
        for cell in graded.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
        and any(output.get("output_type") == "error" for output in cell.get("outputs", []))
    ]
    assert [cell.metadata["nbgrader"]["grade_id"] for cell in failed] == ["04-ignore-docs-check"]
    # the failing check told the learner why, in the kit's words, before it raised
    printed = "".join(o.get("text", "") for o in failed[0].outputs if o["output_type"] == "stream")
    assert "✗" in printed, printed
    shutil.rmtree(course / "autograded", ignore_errors=True)
