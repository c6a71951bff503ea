"""Notebook 01's exercise check (a plain Python cell) judged against wrong answers and the
right one, on the real engine, in both languages."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from layerlab import api
from tests.conftest import unique_tag

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_notebooks.py"
BASE = 'FROM python:3.13-alpine\nRUN echo built > /built.txt\nCMD ["python","app.py"]\n'
LABEL = 'LABEL org.opencontainers.image.title="Python hello world"\n'


def check_cell(language: str) -> str:
    spec = importlib.util.spec_from_file_location("make_notebooks", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_notebooks", module)  # its dataclasses look themselves up
    spec.loader.exec_module(module)
    return str(module.CHECK_EN if language == "en" else module.CHECK_FR)


def run_check(language: str, image: str) -> str:
    """Run the cell as the notebook does (in the lab folder), with the image name swapped."""
    code = check_cell(language).replace("python-hello-world:labelled", image)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "check-cell", "exec"), {})  # noqa: S102 - the notebook's own cell
    return printed.getvalue()


def build(workdir: Path, dockerfile: str, tag: str) -> None:
    (workdir / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    api.build(workdir, tags=[tag], builder="classic", listeners=[])


def test_missing_image_is_a_friendly_cross(engine: Any, workdir: Path) -> None:
    (workdir / "Dockerfile").write_text(BASE, encoding="utf-8")
    said = run_check("en", unique_tag("lab01-missing") + ":labelled")
    assert said.startswith("✗ There is no image")
    assert "Traceback" not in said


def test_image_without_a_label_is_not_accepted(engine: Any, workdir: Path) -> None:
    tag = unique_tag("lab01-nolabel") + ":labelled"
    build(workdir, BASE, tag)
    said = run_check("en", tag)
    assert said.startswith("✗ The image has no label of yours")
    assert "✓" not in said


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
