"""Every step of a real build maps to the line the learner wrote, on both builders.

The Dockerfile has what makes the engines number steps differently: two stages (one
named, one not), ENV/ARG/LABEL/CMD/EXPOSE (no BuildKit step), WORKDIR (a BuildKit step),
a second FROM of the same image (BuildKit does not print it again), variables BuildKit
expands in its own text, and more than nine steps in a stage (BuildKit pads ``[ 1/11]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from layerlab import api
from layerlab.step_lines import VERTEX_KEYWORDS
from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

RUNS = "\n".join(f"RUN echo step-{i} > /s{i}" for i in range(8))
DOCKERFILE = f"""ARG BASE={BASE_IMAGE}
FROM $BASE AS builder
ENV MODE=dev
ARG GREETING=hi
LABEL course=layerlab
WORKDIR /app
RUN echo "$MODE $GREETING {TEST_RUN}" > /mode
{RUNS}
COPY app.py /app/
CMD ["python"]

FROM {BASE_IMAGE}
EXPOSE 80
COPY --from=builder /mode /mode
RUN cat /mode
"""


@pytest.mark.usefixtures("docker_client")  # its teardown removes the run's test images
@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_every_step_is_the_learners_line(tmp_path: Path, builder: str) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (tmp_path / "app.py").write_text("print('hi')\n", encoding="utf-8")
    result = api.build(
        tmp_path,
        tags=[unique_tag(f"lines-{builder}")],
        builder=builder,
        labels={TEST_LABEL: TEST_RUN},
        notify=lambda _message: None,
    )
    lines = DOCKERFILE.splitlines()
    written = {number: text for number, text in enumerate(lines, 1) if text and text[0].isupper()}
    assert all(step.line is not None for step in result.steps), [
        (s.stage, s.number, s.engine_text) for s in result.steps
    ]
    for step in result.steps:
        assert step.line is not None
        assert step.instruction == lines[step.line - 1]
        assert step.engine_text.split()[0] == step.instruction.split()[0]
    seen = sorted(step.line for step in result.steps if step.line is not None)
    if builder == "classic":
        # every instruction is a step (the ARG before FROM too), the kit's LABELs hidden
        assert seen == sorted(written)
        return
    # BuildKit: FROMs and the instructions that make a vertex; both FROMs name one image,
    # and the engine prints that vertex once, under either stage (seen both ways here)
    froms = {number for number, text in written.items() if text.startswith("FROM ")}
    vertices = sorted(
        number for number, text in written.items() if text.split()[0] in VERTEX_KEYWORDS
    )
    assert [line for line in seen if line not in froms] == vertices
    assert len(froms & set(seen)) == 1, seen
    run = next(s for s in result.steps if s.engine_text.endswith(f'{TEST_RUN}" > /mode'))
    assert run.engine_text == f'RUN echo "dev hi {TEST_RUN}" > /mode'  # BuildKit expanded it
    assert run.instruction == f'RUN echo "$MODE $GREETING {TEST_RUN}" > /mode'
    assert {(s.stage, s.total) for s in result.steps} == {("builder", 12), ("stage-1", 3)}
