"""The English and French labs stay in step: same cells, same code, same tags, same grading.

The labs are jupytext MyST sources, ``notebooks/en/NN-slug.md`` and ``notebooks/fr/NN-slug.md``,
paired by their number. In each pair the cells come in the same order and of the same kinds,
with the same metadata (tags, nbgrader ids and points); markdown is free to differ (it is
written in each language). Code must match exactly, except what is marked translatable:

- comments (``# …``), written for the learner in the learner's language;
- the language setting (``%config Layerlab.language = "en"``) names the notebook's language;
- in cells tagged ``localized``, the strings written for the learner: arguments of
  ``print(…)``, messages of ``raise`` and ``assert``, docstrings. Their text may differ; the
  values an f-string shows (``{…}``) may not. Any other string is data and must match.

Cell magics (``%%dockerfile``, ``%%writefile``) are compared verbatim: a Dockerfile or an
``app.py`` that differed between languages would teach two different labs.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path
from typing import Any

import jupytext
import pytest
from IPython.core.inputtransformer2 import TransformerManager

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LANGUAGES = ("en", "fr")
LOCALIZED = "localized"
_NUMBER = re.compile(r"^(\d\d)-[\w-]+\.md$")
_LANGUAGE_SETTING = re.compile(r"""(Layerlab\.language\s*=\s*)(["'])(\w+)\2""")
_FIELD = re.compile(r"(?<!\{)\{([^{}]+)\}")
#: token kinds that carry no behaviour
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING}
#: tokens after which a string stands alone as a statement (a docstring)
_STATEMENT_START = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
#: the text a translatable string becomes before the comparison
TEXT = "<text>"


def numbered(language: str) -> dict[str, Path]:
    """The lab sources of one language, keyed by their number (``"01"``)."""
    found: dict[str, Path] = {}
    for path in sorted((NOTEBOOKS / language).glob("*.md")):
        match = _NUMBER.match(path.name)
        assert match, f"{path} should be named NN-slug.md, like 01-…"
        assert match.group(1) not in found, f"two labs numbered {match.group(1)}"
        found[match.group(1)] = path
    return found


def pairs() -> list[tuple[Path, Path]]:
    english, french = numbered("en"), numbered("fr")
    return [(english[number], french[number]) for number in sorted(english.keys() & french.keys())]


def read(path: Path) -> Any:
    return jupytext.read(path)


def tags(cell: Any) -> list[str]:
    return sorted(cell.metadata.get("tags", []))


def language_settings(source: str) -> list[str]:
    return [match.group(3) for match in _LANGUAGE_SETTING.finditer(source)]


def _translatable(token: tokenize.TokenInfo) -> tuple[int, str]:
    prefix = re.match(r"[A-Za-z]*", token.string)
    fields = _FIELD.findall(token.string) if prefix and "f" in prefix.group(0).lower() else []
    return tokenize.STRING, TEXT + "".join(f"{{{field}}}" for field in fields)


def _alone(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    """Whether the string at ``index`` is a statement of its own (a docstring)."""
    before = tokens[index - 1].type if index else tokenize.NEWLINE
    return before in _STATEMENT_START and tokens[index + 1].type in (
        tokenize.NEWLINE,
        tokenize.ENDMARKER,
    )


def _translatable_positions(tokens: list[tokenize.TokenInfo]) -> set[int]:
    """Indexes of the string tokens that are text for the learner: arguments of ``print(…)``,
    the message of a ``raise`` or an ``assert``, and docstrings (a string alone as a statement)."""
    found: set[int] = set()
    depth = 0
    prints: list[int] = []  # depth at which each open print( started
    statement: str | None = None  # "raise", or "assert-message" after the assert's comma
    previous: tokenize.TokenInfo | None = None
    for index, token in enumerate(tokens):
        if token.type == tokenize.NEWLINE:
            statement = None
        elif token.type == tokenize.NAME and token.string in ("raise", "assert") and depth == 0:
            statement = token.string
        elif token.type == tokenize.OP and token.string in "([{":
            if previous and previous.string == "print" and token.string == "(":
                prints.append(depth)
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
            if prints and prints[-1] == depth:
                prints.pop()
        elif token.type == tokenize.OP and token.string == "," and depth == 0:
            statement = "assert-message" if statement == "assert" else statement
        elif token.type == tokenize.STRING and (
            prints or statement in ("raise", "assert-message") or _alone(tokens, index)
        ):
            found.add(index)
        previous = token
    return found


def normalized(source: str, *, localized: bool) -> list[tuple[int, str]] | str:
    """What must match between languages: exact text for cell magics, else the tokens of the
    cell (as IPython runs it) without comments, and, if ``localized``, without the text of
    the strings written for the learner (see ``_translatable_positions``)."""
    if source.lstrip().startswith("%%"):
        return "\n".join(line.rstrip() for line in source.strip().splitlines())
    source = _LANGUAGE_SETTING.sub(r"\1\2LANGUAGE\2", source)
    # %magic lines → the plain Python IPython runs (IPython is untyped here)
    python = TransformerManager().transform_cell(source)  # type: ignore[no-untyped-call]
    every = [
        token
        for token in tokenize.generate_tokens(io.StringIO(python).readline)
        if token.type not in _SKIPPED
    ]
    translatable = _translatable_positions(every) if localized else set()
    tokens: list[tuple[int, str]] = []
    for index, token in enumerate(every):
        if index in translatable:
            kind, text = _translatable(token)
            # a translation may split or join a message: adjacent strings count as one
            if tokens and tokens[-1][1].startswith(TEXT):
                tokens[-1] = (kind, tokens[-1][1] + text.removeprefix(TEXT))
            else:
                tokens.append((kind, text))
            continue
        tokens.append((token.type, token.string))
    return tokens


def differences(english: Any, french: Any) -> list[str]:
    """How two notebooks (``jupytext.read``) fail to be the same lab; empty when in step."""
    found: list[str] = []
    en_kinds = [cell.cell_type for cell in english.cells]
    fr_kinds = [cell.cell_type for cell in french.cells]
    if en_kinds != fr_kinds:
        return [f"the cells differ: en has {en_kinds}, fr has {fr_kinds}"]
    for index, (en_cell, fr_cell) in enumerate(zip(english.cells, french.cells, strict=True)):
        where = f"cell {index}"
        if en_cell.metadata != fr_cell.metadata:
            found.append(f"{where}: metadata differ: {en_cell.metadata} / {fr_cell.metadata}")
        if en_cell.cell_type != "code":
            continue
        localized = LOCALIZED in tags(en_cell)
        if normalized(en_cell.source, localized=localized) != normalized(
            fr_cell.source, localized=localized
        ):
            found.append(
                f"{where}: code differs\n--- en\n{en_cell.source}\n--- fr\n{fr_cell.source}"
            )
    en_prose = [cell.source for cell in english.cells if cell.cell_type == "markdown"]
    fr_prose = [cell.source for cell in french.cells if cell.cell_type == "markdown"]
    if en_prose and en_prose == fr_prose:
        found.append("the French prose is the English prose")
    return found


def test_every_lab_exists_in_both_languages() -> None:
    english, french = numbered("en"), numbered("fr")
    assert english, "no lab sources found in notebooks/en"
    assert english.keys() == french.keys(), (
        f"only in English: {sorted(english.keys() - french.keys())}, "
        f"only in French: {sorted(french.keys() - english.keys())}"
    )


@pytest.mark.parametrize(("english", "french"), pairs(), ids=lambda path: path.name)
def test_english_and_french_are_the_same_lab(english: Path, french: Path) -> None:
    found = differences(read(english), read(french))
    assert not found, f"{english.name} / {french.name}:\n" + "\n".join(found)


@pytest.mark.parametrize(("english", "french"), pairs(), ids=lambda path: path.name)
def test_each_lab_sets_its_own_language(english: Path, french: Path) -> None:
    for path, language in ((english, "en"), (french, "fr")):
        code = "\n".join(c.source for c in read(path).cells if c.cell_type == "code")
        assert language_settings(code) == [language], (
            f"{path.name} should set %config Layerlab.language = {language!r} once"
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_sources_are_myst_without_outputs(language: str) -> None:
    """The sources are the labs: MyST text (no outputs can hide in it), no notebook beside."""
    folder = NOTEBOOKS / language
    assert not sorted(folder.glob("*.ipynb")), (
        f"a generated notebook sits among the sources: {folder}"
    )
    for path in numbered(language).values():
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\njupytext:"), f"{path.name} has no jupytext header"
        assert "format_name: myst" in text.split("\n---\n", 1)[0], f"{path.name} is not MyST"
        assert read(path).metadata["kernelspec"]["name"] == "python3", path.name


@pytest.mark.parametrize(("english", "french"), pairs(), ids=lambda path: path.name)
def test_each_exercise_is_graded_by_nbgrader(english: Path, french: Path) -> None:
    """Each answer is an nbgrader solution region, and an autograded check follows it."""
    cells = read(english).cells
    graded = [cell.metadata["nbgrader"] for cell in cells if "nbgrader" in cell.metadata]
    ids = [meta["grade_id"] for meta in graded]
    assert len(ids) == len(set(ids)), f"{english.name}: grade ids repeat: {ids}"
    for index, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            assert "### BEGIN SOLUTION" in cell.source, f"{english.name} cell {index}"
            assert "### END SOLUTION" in cell.source, f"{english.name} cell {index}"
            after = [c.metadata.get("nbgrader", {}) for c in cells[index + 1 :]]
            checks = [m for m in after if m.get("grade") or m.get("solution")]
            assert checks, f"{english.name} cell {index}: no check follows the answer"
            assert checks[0].get("grade"), f"{english.name} cell {index}: the check is not graded"
            assert checks[0].get("locked"), f"{english.name} cell {index}: the check is not locked"
            assert checks[0]["points"] > 0, (
                f"{english.name} cell {index}: the check gives no points"
            )
        elif "BEGIN SOLUTION" in cell.source:
            pytest.fail(f"{english.name} cell {index}: an answer outside a solution cell")


# ---------------------------------------------------------------- the comparison itself
def _lab(*cells: tuple[str, str]) -> Any:
    nbformat: Any = pytest.importorskip("nbformat")
    new = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    return nbformat.v4.new_notebook(cells=[new[kind](source) for kind, source in cells])


def test_a_cell_added_in_one_language_only_is_caught() -> None:
    english = read(pairs()[0][0])
    french = read(pairs()[0][1])
    assert differences(english, french) == []
    nbformat: Any = pytest.importorskip("nbformat")
    for cell in (nbformat.v4.new_markdown_cell("Une remarque."), nbformat.v4.new_code_cell("1")):
        longer = read(pairs()[0][1])
        longer.cells.insert(3, cell)
        assert differences(english, longer), f"a {cell.cell_type} cell added in French only"


def test_changed_metadata_is_caught() -> None:
    english, french = read(pairs()[0][0]), read(pairs()[0][1])
    graded = next(cell for cell in french.cells if "nbgrader" in cell.metadata)
    graded.metadata["nbgrader"]["grade_id"] += "-fr"
    assert differences(english, french)


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


def test_only_printed_text_is_translatable() -> None:
    # a string that is not printed is data: translating it changes the lab
    data = 'names = ["lab03-app"]\nprint("found", names)\n'
    assert normalized(data, localized=True) != normalized(
        data.replace("lab03-app", "labo03-app"), localized=True
    )
    assert normalized(data, localized=True) == normalized(
        data.replace('"found"', '"trouvé"'), localized=True
    )
    raised = 'def f():\n    """Doc."""\n    raise RuntimeError(f"no {url}")\n'
    assert normalized(raised, localized=True) == normalized(
        raised.replace("Doc.", "La doc.").replace("no {url}", "rien à {url}"), localized=True
    )
    # an f-string's text is translatable, the values it shows are not
    shown = 'print(f"{count} layers of {name}")\n'
    assert normalized(shown, localized=True) == normalized(
        'print(f"{count} couches de {name}")\n', localized=True
    )
    assert normalized(shown, localized=True) != normalized(
        'print(f"{total} couches de {name}")\n', localized=True
    )


def test_markdown_and_code_kinds_must_match() -> None:
    english = _lab(("markdown", "Hello"), ("code", "x = 1"))
    french = _lab(("markdown", "Bonjour"), ("code", "x = 1"))
    assert differences(english, french) == []
    swapped = _lab(("code", "x = 1"), ("markdown", "Bonjour"))
    assert differences(english, swapped)
