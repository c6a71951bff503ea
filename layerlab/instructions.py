"""What a Dockerfile's instructions mean for a build: stages, ARG scope, ``$VAR``
expansion, the base image a ``FROM`` names, and the context paths a ``COPY``/``ADD`` copies.

The parser itself lives in ``layerlab.dockerfile``; these helpers read its output.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from layerlab.dockerfile import Dockerfile, Instruction

#: ``$NAME`` / ``${NAME…}``: group 1 or 2 is the name
VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")
_REMOTE = re.compile(r"^(?:https?://|git@|git://)", re.IGNORECASE)


class ScopedStep(Protocol):
    """What ``args_in_scope`` needs to know of a step (a ``cache.StepPrint``)."""

    @property
    def number(self) -> int: ...
    @property
    def stage(self) -> str: ...
    @property
    def stage_key(self) -> str: ...
    @property
    def instruction(self) -> str: ...
    @property
    def keyword(self) -> str: ...


def stage_aliases(parsed: Dockerfile | None) -> set[str]:
    aliases: set[str] = set()
    for instruction in parsed.by_keyword("FROM") if parsed else []:
        words = instruction.arguments.split()
        if len(words) >= 3 and words[-2].upper() == "AS":
            aliases.add(words[-1].lower())
    return aliases


def arg_pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for word in instruction.arguments.split():
        name, sep, value = word.partition("=")
        pairs.append((name, value.strip("\"'") if sep else None))
    return pairs


def sections(parsed: Dockerfile) -> tuple[list[Instruction], list[list[Instruction]]]:
    """The instructions before the first FROM, and those of each stage (FROM first)."""
    preamble: list[Instruction] = []
    stages: list[list[Instruction]] = []
    for instruction in parsed.instructions:
        if instruction.keyword == "FROM":
            stages.append([instruction])
        elif stages:
            stages[-1].append(instruction)
        else:
            preamble.append(instruction)
    return preamble, stages


def arg_values(parsed: Dockerfile, build_args: Mapping[str, str]) -> dict[str, str]:
    """Every ARG's value for this build (build arg, else default): to expand ``$VAR``."""
    values: dict[str, str] = {}
    for instruction in parsed.by_keyword("ARG"):
        for name, default in arg_pairs(instruction):
            if name in build_args:
                values[name] = build_args[name]
            elif default is not None:
                values.setdefault(name, default)
    return values


def expand(text: str, variables: Mapping[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced by their values (unknown names left as written)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return variables.get(name, match.group(0))

    return VARIABLE.sub(value, text)


def from_reference(instruction: str, variables: Mapping[str, str]) -> str:
    words = [w for w in instruction.split()[1:] if not w.startswith("--")]
    return expand(words[0], variables) if words else ""


def _normalize(text: str) -> str:
    return " ".join(text.split())


def _step_scope(parsed: Dockerfile, step: ScopedStep) -> tuple[list[Instruction], bool]:
    """The instructions of the step's stage that come before it, and the global ARGs.

    Returns (instructions before the step, True when the stage was found).
    """
    _preamble, stages = sections(parsed)
    index: int | None = None
    if step.stage_key.startswith("#"):
        index = int(step.stage_key[1:]) - 1
    else:
        aliases = [
            s[0].arguments.split()[-1].lower() if len(s[0].arguments.split()) >= 3 else ""
            for s in stages
        ]
        if step.stage.lower() in aliases:
            index = aliases.index(step.stage.lower())
        elif re.fullmatch(r"stage-\d+", step.stage):
            index = int(step.stage.split("-")[1])
    if index is None or not 0 <= index < len(stages):
        # Stage not identified: every ARG of the Dockerfile may be in scope.
        return [i for i in parsed.instructions if i.keyword != "FROM"], False
    stage = stages[index]
    # Classic steps are numbered over the whole Dockerfile, one per instruction.
    numbered = step.number - 1
    if (
        step.stage_key.startswith("#")
        and 0 <= numbered < len(parsed.instructions)
        and (parsed.instructions[numbered].keyword == step.keyword)
    ):
        absolute = parsed.instructions[numbered]
        if absolute in stage:
            return stage[: stage.index(absolute)], True
    wanted = _normalize(step.instruction)
    for position, instruction in enumerate(stage):
        if _normalize(instruction.text) == wanted:
            return stage[:position], True
    return stage, True


def args_in_scope(parsed: Dockerfile, step: ScopedStep) -> dict[str, str | None]:
    """ARG name -> default for the ARGs the step sees (redeclared globals inherit theirs)."""
    preamble, _stages = sections(parsed)
    global_defaults: dict[str, str | None] = {}
    for instruction in preamble:
        if instruction.keyword == "ARG":
            global_defaults.update(arg_pairs(instruction))
    before, _found = _step_scope(parsed, step)
    scope: dict[str, str | None] = {}
    for instruction in before:
        if instruction.keyword == "ARG":
            for name, default in arg_pairs(instruction):
                scope[name] = default if default is not None else global_defaults.get(name)
    return scope


def copy_sources(instruction: str, variables: Mapping[str, str] | None = None) -> list[str]:
    """The context paths/patterns a COPY/ADD instruction copies ([] when none: --from,
    URLs, heredocs)."""
    keyword, _, rest = instruction.strip().partition(" ")
    if keyword.upper() not in ("COPY", "ADD"):
        return []
    rest = rest.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        if flag.startswith("--from"):
            return []  # copies from another stage or image, not from the context
        rest = rest.strip()
    words: list[str]
    if rest.startswith("[") and rest.endswith("]"):
        try:
            loaded = json.loads(rest)
        except ValueError:
            loaded = None
        words = [str(w) for w in loaded] if isinstance(loaded, list) else rest.split()
    else:
        words = rest.split()
    sources = words[:-1]
    expanded = [expand(s, variables or {}) for s in sources]
    return [s for s in expanded if not _REMOTE.match(s) and not s.startswith("<<")]
