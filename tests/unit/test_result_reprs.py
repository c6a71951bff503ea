"""Learner-facing results read as sentences in Jupyter and IPython, not as field dumps."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.lib import pretty as ipython_pretty

from layerlab import i18n
from layerlab.build import BuildResult, BuildStep
from layerlab.cache import CacheReport


def pretty(value: object) -> str:
    """What IPython and Jupyter's text/plain show for ``value``."""
    shown: Any = ipython_pretty.pretty  # IPython ships no type hints for it
    return str(shown(value))


@pytest.fixture(autouse=True)
def english() -> Any:
    i18n.set_language("en")
    yield
    i18n.set_language("auto")


def _report() -> CacheReport:
    return CacheReport(
        first_miss_step=4,
        reason="files_changed",
        instruction="COPY app.py /app.py",
        changed_files=("app.py",),
        cached_steps=2,
        cacheable_steps=3,
    )


def test_cache_report_shows_its_sentences_everywhere() -> None:
    report = _report()
    text = pretty(report)
    assert "CacheReport(" not in text
    assert text == str(report)
    assert text.startswith("Cache: step 4 (COPY app.py /app.py)")
    markdown = report._repr_markdown_()
    assert markdown.startswith("**Cache: step 4")
    assert "data-reason='files_changed'" in report._repr_html_()


def test_build_result_shows_its_summary_and_cache_report() -> None:
    result = BuildResult(
        builder="classic",
        tags=["app:latest"],
        status="succeeded",
        context=".",
        dockerfile="Dockerfile",
    )
    result.image_id = "sha256:" + "a" * 64
    step = BuildStep(number=1, instruction="RUN true", total=1)
    step.status = "cached"
    result.steps.append(step)
    result.cache_report = _report()
    text = pretty(result)
    assert "<BuildResult" not in text
    assert text.startswith("Built app:latest (aaaaaaaaaaaa)")
    assert "\n" not in text  # one line under the build view, which shows the rest
    assert repr(result).startswith("<BuildResult succeeded app:latest")  # debugging form kept
    i18n.set_language("fr")
    assert pretty(result).startswith("L'image app:latest")
