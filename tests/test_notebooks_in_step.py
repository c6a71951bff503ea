"""The English and French labs stay in step: same cells, same code, same tags.

Notebooks pair up by their number (``notebooks/en/01-…`` with ``notebooks/fr/01-…``).
In each pair the cells come in the same order and of the same kinds; markdown is free to
differ (it is written in each language). Code must match exactly, with three allowances
that change no behaviour:

- comments may differ (they are written for the learner, in the learner's language);
- the language setting (``%config Layerlab.language = "en"``) names the notebook's own
  language;
- in cells tagged ``localized`` (checks that print a verdict), string literals may differ.

Cell magics (``%%dockerfile``, ``%%writefile``) are compared verbatim: a Dockerfile or an
``app.py`` that differed between languages would teach two different labs.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path
from typing import Any

import pytest
from IPython.core.inputtransformer2 import TransformerManager

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LANGUAGES = ("en", "fr")
LOCALIZED = "localized"
_NUMBER = re.compile(r"^(\d+)-")
_LANGUAGE_SETTING = re.compile(r"""(Layerlab\.language\s*=\s*)(["'])(\w+)\2""")
#: token kinds that carry no behaviour
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING}
_STRING_KINDS = {tokenize.STRING} | (
    {tokenize.FSTRING_MIDDLE} if hasattr(tokenize, "FSTRING_MIDDLE") else set()
)


def numbered(language: str) -> dict[str, Path]:
    """The notebooks of one language, keyed by their number (``"01"``)."""
    found: dict[str, Path] = {}
    for path in sorted((NOTEBOOKS / language).glob("*.ipynb")):
        match = _NUMBER.match(path.name)
        assert match, f"{path} should start with its number, like 01-…"
        assert match.group(1) not in found, f"two notebooks numbered {match.group(1)}"
        found[match.group(1)] = path
    return found


def pairs() -> list[tuple[Path, Path]]:
    english, french = numbered("en"), numbered("fr")
    return [(english[number], french[number]) for number in sorted(english.keys() & french.keys())]


def cells(path: Path) -> list[dict[str, Any]]:
    """The cells of a notebook, each with its source as one string."""
    book = json.loads(path.read_text(encoding="utf-8"))
    assert book.get("nbformat") == 4, f"{path.name} is not an nbformat 4 notebook"
    found: list[dict[str, Any]] = book["cells"]
    for cell in found:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return found


def code_cells(path: Path) -> list[dict[str, Any]]:
    return [cell for cell in cells(path) if cell["cell_type"] == "code"]


def tags(cell: dict[str, Any]) -> list[str]:
    return sorted(cell.get("metadata", {}).get("tags", []))


def language_settings(source: str) -> list[str]:
    return [match.group(3) for match in _LANGUAGE_SETTING.finditer(source)]


def normalized(source: str, *, localized: bool) -> list[tuple[int, str]] | str:
    """What must match between languages: exact text for cell magics, else the tokens
    of the cell (as IPython runs it) without comments, and without strings if localized."""
    if source.lstrip().startswith("%%"):
        return "\n".join(line.rstrip() for line in source.strip().splitlines())
    source = _LANGUAGE_SETTING.sub(r"\1\2LANGUAGE\2", source)
    # %magic lines → the plain Python IPython runs (IPython is untyped here)
    python = TransformerManager().transform_cell(source)  # type: ignore[no-untyped-call]
    tokens: list[tuple[int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(python).readline):
        if token.type in _SKIPPED:
            continue
        if localized and token.type in _STRING_KINDS:
            # a translation may split or join a message: adjacent strings count as one
            if not tokens or tokens[-1] != (tokenize.STRING, "<text>"):
                tokens.append((tokenize.STRING, "<text>"))
            continue
        tokens.append((token.type, token.string))
    return tokens


def test_every_lab_exists_in_both_languages() -> None:
    english, french = numbered("en"), numbered("fr")
    assert english, "no notebooks found in notebooks/en"
    assert english.keys() == french.keys(), (
        f"only in English: {sorted(english.keys() - french.keys())}, "
        f"only in French: {sorted(french.keys() - english.keys())}"
    )


@pytest.mark.parametrize(("english", "french"), pairs(), ids=lambda path: path.name)
def test_english_and_french_have_the_same_code(english: Path, french: Path) -> None:
    en_cells, fr_cells = cells(english), cells(french)
    assert [c["cell_type"] for c in en_cells] == [c["cell_type"] for c in fr_cells], (
        "the two notebooks should have the same cells, in the same order"
    )
    for index, (en_cell, fr_cell) in enumerate(zip(en_cells, fr_cells, strict=True)):
        where = f"cell {index} ({english.name} / {french.name})"
        if en_cell["cell_type"] != "code":
            continue
        assert tags(en_cell) == tags(fr_cell), f"{where}: tags differ"
        localized = LOCALIZED in tags(en_cell)
        en_source, fr_source = en_cell["source"], fr_cell["source"]
        assert normalized(en_source, localized=localized) == normalized(
            fr_source, localized=localized
        ), f"{where}: code differs\n--- en\n{en_source}\n--- fr\n{fr_source}"
    en_prose = [c["source"] for c in en_cells if c["cell_type"] == "markdown"]
    fr_prose = [c["source"] for c in fr_cells if c["cell_type"] == "markdown"]
    assert not en_prose or en_prose != fr_prose, "the French prose is the English prose"


@pytest.mark.parametrize(("english", "french"), pairs(), ids=lambda path: path.name)
def test_each_notebook_sets_its_own_language(english: Path, french: Path) -> None:
    for path, language in ((english, "en"), (french, "fr")):
        sources = "\n".join(cell["source"] for cell in code_cells(path))
        assert language_settings(sources) == [language], (
            f"{path.name} should set %config Layerlab.language = {language!r} once"
        )


@pytest.mark.parametrize(("english", "french"), pairs(), ids=lambda path: path.name)
def test_notebooks_are_committed_with_outputs(english: Path, french: Path) -> None:
    """nbval compares a fresh run with the stored outputs: a notebook saved without them
    would pass while checking nothing."""
    for path in (english, french):
        code = code_cells(path)
        assert code, f"{path.name} has no code"
        assert all(cell.get("execution_count") for cell in code), (
            f"{path.name} was saved without running every cell: "
            "run scripts/make_notebooks.py --execute"
        )


def test_the_comparison_catches_a_changed_dockerfile_and_a_changed_check() -> None:
    dockerfile = "%%dockerfile\nFROM python:3.13-alpine\nRUN pip install flask\n"
    assert normalized(dockerfile, localized=False) != normalized(
        dockerfile.replace("flask", "django"), localized=False
    )
    check = 'if x > 1:\n    print("yes")  # en\n'
    translated = 'if x > 1:\n    print("oui")  # fr\n'
    assert normalized(check, localized=True) == normalized(translated, localized=True)
    assert normalized(check, localized=False) != normalized(translated, localized=False)
    assert normalized(check, localized=True) != normalized(
        translated.replace("> 1", ">= 1"), localized=True
    )
    split = 'if x > 1:\n    print("o"\n          "ui")\n'
    assert normalized(check, localized=True) == normalized(split, localized=True)
    setting = '%load_ext layerlab\n%config Layerlab.language = "{}"\n'
    assert normalized(setting.format("en"), localized=False) == normalized(
        setting.format("fr"), localized=False
    )
