"""pytest plugin: the French labs' outputs, as nbval runs them, read as French.

Loaded with ``-p tests.french_outputs`` (see pyproject's addopts). After each nbval cell of a
lab under ``notebooks/fr/`` has run, what the kernel showed (streams and ``text/plain``
results) is checked with ``tests/french.py``: an English word, a French typography slip or
a term the glossary avoids fails the cell. Left out: the tools' own lines (indented under a
build step by four spaces, as the kit prints them) and cells tagged ``english-output``
(what an app or a tool says in its own words, e.g. ``%docker logs`` of the Flask app).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from pathlib import PurePath
from typing import Any

import pytest

from tests.french import avoided_terms, english_words, typography_problems

TAG = "english-output"


def _texts(outputs: Iterable[Mapping[str, Any]]) -> list[str]:
    texts = []
    for output in outputs:
        if output.get("output_type") == "stream":
            texts.append(str(output.get("text", "")))
        elif output.get("output_type") in ("execute_result", "display_data"):
            plain = (output.get("data") or {}).get("text/plain")
            if plain:
                texts.append("".join(plain) if isinstance(plain, list) else str(plain))
    return texts


def problems_in(outputs: Iterable[Mapping[str, Any]]) -> list[str]:
    """What is not French in a cell's outputs (the tools' indented lines left out)."""
    found = []
    for text in _texts(outputs):
        kit = "\n".join(line for line in text.splitlines() if not line.startswith("    "))
        if words := english_words(kit):
            found.append(f"English {words}")
        found += typography_problems(kit)
        if terms := avoided_terms(kit):
            found.append(f"terms the glossary avoids {terms}")
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield
    outputs = getattr(item, "test_outputs", None)
    cell = getattr(item, "cell", None)
    if outputs is None or cell is None or "fr" not in PurePath(str(item.path)).parts[-2:-1]:
        return result
    if TAG in (cell.get("metadata") or {}).get("tags", []):
        return result
    problems = problems_in(outputs)
    if problems:
        raise AssertionError(
            "French lab output that is not French (tag the cell english-output if a tool "
            "says it):\n" + "\n".join(problems)
        )
    return result
