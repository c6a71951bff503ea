"""Which Dockerfile line a builder's step runs: the learner's own text and line number.

The engines number steps differently, so each has its rule, checked against real builds
on Engine 20.10 (``tests/integration/test_step_lines.py``):

* classic: ``Step N/M`` counts every instruction of the Dockerfile in order, the ARGs
  before the first FROM included; the kit's build labels come after them as extra
  ``LABEL`` steps (hidden by the stream parser), so step N is instruction N.
* BuildKit: ``[stage N/M]`` counts per stage: the FROM (1) then only the instructions that
  make a vertex (RUN, COPY, ADD, WORKDIR); ENV, ARG, LABEL, CMD, EXPOSE … make none. The
  stage is its ``AS`` name (lower case), ``stage-K`` for the K-th (0-based) unnamed stage
  of a multi-stage file, and no prefix when the file has one stage. Two FROMs of one
  image are one vertex, printed once under either stage, and ``--target`` builds only
  the stages it needs (keeping the prefixes): the numbers within a stage never shift.

A step whose keyword does not match the line found (an ONBUILD trigger of the base, a
rule this module does not know) keeps the engine's text and no line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from layerlab.instructions import sections

if TYPE_CHECKING:
    from layerlab.build import StepStarted
    from layerlab.dockerfile import Dockerfile, Instruction

#: the instructions for which BuildKit (Engine 20.10's frontend) makes a vertex
VERTEX_KEYWORDS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})


def _stage_name(from_instruction: Instruction) -> str:
    words = from_instruction.arguments.split()
    if len(words) >= 3 and words[-2].upper() == "AS":
        return words[-1].lower()
    return ""


class StepLines:
    """Finds the Dockerfile instruction of each ``StepStarted`` of one build."""

    def __init__(self, parsed: Dockerfile, builder: str) -> None:
        self.parsed = parsed
        self.builder = builder
        _preamble, stages = sections(parsed)
        self._stages: list[tuple[str, list[Instruction]]] = [
            (
                _stage_name(stage[0]),
                [stage[0], *(i for i in stage[1:] if i.keyword in VERTEX_KEYWORDS)],
            )
            for stage in stages
        ]

    def find(self, event: StepStarted) -> Instruction | None:
        """The instruction ``event`` runs, or None when the kit cannot tell."""
        if self.builder == "buildkit":
            found = self._buildkit(event.stage, event.number)
        else:
            found = self._classic(event.number, event.total)
        if found is None:
            return None
        keyword = event.instruction.split(maxsplit=1)[0].upper() if event.instruction else ""
        return found if found.keyword == keyword else None

    def _classic(self, number: int, total: int | None) -> Instruction | None:
        instructions = self.parsed.instructions
        if total is not None and total != len(instructions):
            return None
        return instructions[number - 1] if 1 <= number <= len(instructions) else None

    def _buildkit(self, stage: str, number: int) -> Instruction | None:
        index: int | None = None
        if not stage:
            index = 0 if len(self._stages) == 1 else None
        else:
            names = [name for name, _vertices in self._stages]
            if stage.lower() in names:
                index = names.index(stage.lower())
            elif re.fullmatch(r"stage-\d+", stage):
                index = int(stage.split("-")[1])
        if index is None or not 0 <= index < len(self._stages):
            return None
        vertices = self._stages[index][1]
        return vertices[number - 1] if 1 <= number <= len(vertices) else None
