"""Checks for French text shown to learners: no English words, French typography, the
glossary's terms (docs/glossary.md).

Used by tests/unit/test_catalogs.py on every French message of the kit, and meant for the
French notebooks' outputs too (``english_words(text)``, ``typography_problems(text)``,
``avoided_terms(text)`` on each output's text).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parent.parent / "docs" / "glossary.md"
NBSP = "\u00a0"
NNBSP = "\u202f"

#: Common English words that are not French words (nor the kit's code words): one of them
#: in a French message means a sentence or a word was left untranslated.
_ENGLISH = """
    the of and with from to is are was were has have had not this that these those it its
    for at by be been or but if then when which what who your you yours there here all
    any some only more less than into onto out off over under about again
    build builds built building builder builders cached caching step steps layer layers
    container containers registry tag tagged tags push pushed pull pulled
    run running ran exited removed saved loaded warning error failed failure
    log logs linear scale file files folder line lines missing found new used unused
    nothing none yet already still every each other another first last later
    before after size waiting free space reclaimed would could should will can cannot
    does did done show list name names repository created status state time bytes
    engine well next ago up seconds hours days weeks months years hour day week
    month year less than instead please see keep start started stop stopped
"""
ENGLISH_WORDS = frozenset(_ENGLISH.split())

_DOCKER_WORDS = (
    r"(?:image|container|system|run|pull|push|tag|ps|logs|stop|rm|rmi|build|history|images"
    r"|prune|ls|load|save|cleanup|-[\w-]+)"
)
_INSTRUCTIONS = (
    "FROM|RUN|CMD|COPY|ADD|ENV|ARG|LABEL|EXPOSE|ENTRYPOINT|VOLUME|USER|WORKDIR|ONBUILD"
    "|STOPSIGNAL|HEALTHCHECK|SHELL|MAINTAINER"
)
# what is code, not prose, in a message: magics and docker commands with their flags,
# flags, dotted / slashed / KEY=VALUE names, Dockerfile instructions, ids, text in double quotes
# or backticks, and proper names
_CODE = re.compile(
    rf"%%?[\w-]+(?: {_DOCKER_WORDS})*"  # %docker run -d, %%dockerfile
    rf"|\b(?:docker|layerlab)(?: {_DOCKER_WORDS})+"  # docker image prune, layerlab images load
    r"|(?<!\w)--?[\w-]+"  # --builder, -p
    r"|\S*[./=<>:_](?=\S)\S*"  # result.log, 127.0.0.1:5000, KEY=VALUE, <name>, allowed_ports
    r"|\bHEALTHCHECK NONE\b|\bCMD ou NONE\b"  # HEALTHCHECK's own keywords
    r"|\bAS [\w-]+"  # a stage name: FROM … AS build
    rf"|\b(?:{_INSTRUCTIONS})\b"
    r"|\b[0-9a-f]{12,64}\b"  # image and layer ids
    r"|\"[^\"]*\"|`[^`]*`"
    r"|Docker Engine|Docker Hub|BuildKit|JupyterHub|Podman|layerlab"
)
_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:'[A-Za-zÀ-ÿ]+)?")


def prose(text: str) -> str:
    """``text`` without its code: what a French reader reads as French."""
    return _CODE.sub(" ", text)


def english_words(text: str) -> list[str]:
    """The English words in ``text`` (outside code)."""
    return [word for word in _WORD.findall(prose(text)) if word.lower() in ENGLISH_WORDS]


def _around(text: str, match: re.Match[str]) -> str:
    return "…" + text[max(0, match.start() - 15) : match.end()]


def typography_problems(text: str) -> list[str]:
    """Where ``text`` breaks French typography (docs/glossary.md)."""
    problems = [
        f"no U+00A0 before ':' in {_around(text, match)}"
        for match in re.finditer(r"(.)(:)(?=\s|$)", text)
        if match.group(1) != NBSP
    ]
    problems += [
        f"no U+202F before {match.group(2)!r} in {_around(text, match)}"
        for match in re.finditer(r"(.)([;!?])(?=\s|$|\))", text)
        if match.group(1) != NNBSP
    ]
    if re.search(f"«(?!{NNBSP})|(?<!{NNBSP})»", text):
        problems.append(f"no U+202F inside « » in {text!r}")
    if re.search(r"\b\d+(?:[.,]\d+)? ?(?:B|kB|MB|GB)\b", text):
        problems.append(f"English units (o, ko, Mo, Go in French) in {text!r}")
    if re.search(r"\b\d+\.\d+ ?s\b", text):
        problems.append(f"a decimal point in a duration (0,1 s in French) in {text!r}")
    return problems


@cache
def glossary() -> list[tuple[str, list[str], list[str]]]:
    """The glossary's rows: (English term, French words, words to avoid in French)."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("English", "") or set(cells[0]) <= {"-"}:
            continue
        rows.append((cells[0], _words(cells[1]), _words(cells[2])))
    return rows


def _words(cell: str) -> list[str]:
    return [word.strip() for word in cell.split(";") if word.strip()]


def avoided_terms(text: str) -> list[str]:
    """The glossary's "avoid" words found in ``text`` (outside code)."""
    shown = prose(text).lower()
    found = [
        word
        for _english, _french, avoid in glossary()
        for word in avoid
        if re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", shown)
    ]
    return list(dict.fromkeys(found))
