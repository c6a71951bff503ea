"""Notebook 01's exercise check (its autograded cell, read from the lab's source) judged
against wrong answers and the right one, on the real engine, in both languages."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from layerlab import api
from tests.conftest import unique_tag

pytestmark = pytest.mark.integration

LABS = Path(__file__).resolve().parents[2] / "notebooks"
BASE = 'FROM python:3.13-alpine\nRUN echo built > /built.txt\nCMD ["python","app.py"]\n'
LABEL = 'LABEL org.opencontainers.image.title="Python hello world"\n'


def check_cell(language: str) -> str:
    """The lab's autograded check cell (nbgrader grade id ``01-label-check``)."""
    import jupytext

    (source,) = (LABS / language).glob("01-*.md")
    for cell in jupytext.read(source).cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "01-label-check":
            return str(cell.source)
    pytest.fail(f"{source.name} has no cell with grade id 01-label-check", pytrace=False)


def run_check(language: str, image: str) -> str:
    """Run the cell as the notebook does (in the lab folder), with the image name swapped.

    The cell prints its verdict, then asserts (nbgrader's grade): a wrong answer raises.
    """
    code = check_cell(language).replace("python-hello-world:labelled", image)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            exec(compile(code, "check-cell", "exec"), {})  # noqa: S102 - the lab's own cell
        except AssertionError:
            print("<graded: wrong>")
        else:
            print("<graded: right>")
    return printed.getvalue()


def build(workdir: Path, dockerfile: str, tag: str) -> None:
    (workdir / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    api.build(workdir, tags=[tag], builder="classic", listeners=[])


def test_missing_image_is_a_friendly_cross(engine: Any, workdir: Path) -> None:
    (workdir / "Dockerfile").write_text(BASE, encoding="utf-8")
    said = run_check("en", unique_tag("lab01-missing") + ":labelled")
    assert said.startswith("✗ There is no image")
    assert "Traceback" not in said
    assert said.endswith("<graded: wrong>\n")


def test_image_without_a_label_is_not_accepted(engine: Any, workdir: Path) -> None:
    tag = unique_tag("lab01-nolabel") + ":labelled"
    build(workdir, BASE, tag)
    said = run_check("en", tag)
    assert said.startswith("✗ The image has no label of yours")
    assert "✓" not in said
    assert said.endswith("<graded: wrong>\n")


def test_label_above_the_work_is_flagged(engine: Any, workdir: Path) -> None:
    tag = unique_tag("lab01-early") + ":labelled"
    early = BASE.replace("RUN echo", LABEL + "RUN echo")
    build(workdir, early, tag)
    said = run_check("en", tag)
    assert "✓ The image carries your label org.opencontainers.image.title" in said
    assert "! LABEL sits above a RUN or COPY" in said
    french = run_check("fr", tag)
    assert "✓" in french
    assert "!" in french
    assert "LABEL" in french


def test_the_right_answer_passes(engine: Any, workdir: Path) -> None:
    tag = unique_tag("lab01-right") + ":labelled"
    build(workdir, BASE + LABEL, tag)
    said = run_check("en", tag)
    assert "✓ The image carries your label" in said
    assert "✓ LABEL comes after RUN and COPY" in said
    assert "✗" not in said
    assert "!" not in said.replace("!'", "")
    assert said.endswith("<graded: right>\n")
