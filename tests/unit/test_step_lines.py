"""Which Dockerfile line a step runs (``layerlab.step_lines``), on recorded engine text:
the numbering rules themselves are checked on the real engine in
``tests/integration/test_step_lines.py``."""

from __future__ import annotations

from layerlab.build import BuildRecorder, BuildResult, StepStarted
from layerlab.builders.buildkit import parse_vertex_name
from layerlab.dockerfile import parse
from layerlab.step_lines import StepLines

DOCKERFILE = """FROM python:3.13-alpine AS Builder
ENV MODE=dev
WORKDIR /app
RUN echo $MODE > /mode
CMD ["python"]

FROM python:3.13-alpine
COPY --from=builder /mode /mode
"""


def test_buildkit_steps_count_from_and_vertex_instructions_per_stage() -> None:
    lines = StepLines(parse(DOCKERFILE), "buildkit")
    run = lines.find(StepStarted(3, 3, "RUN echo dev > /mode", stage="builder"))
    assert run is not None
    assert (run.line, run.text) == (4, "RUN echo $MODE > /mode")
    copy = lines.find(StepStarted(2, 2, "COPY --from=builder /mode /mode", stage="stage-1"))
    assert copy is not None
    assert copy.line == 8
    # a keyword that does not match (an ONBUILD trigger, an unknown rule): no line
    assert lines.find(StepStarted(2, 3, "RUN something else", stage="builder")) is None
    assert lines.find(StepStarted(1, 3, "FROM x", stage="nowhere")) is None


def test_padded_buildkit_step_names_parse() -> None:
    step = parse_vertex_name("[ 1/11] FROM docker.io/library/python:3.13-alpine")
    assert step is not None
    assert (step.number, step.total, step.stage) == (1, 11, "")
    staged = parse_vertex_name("[builder  2/12] RUN true")
    assert staged is not None
    assert (staged.number, staged.stage) == (2, "builder")


def test_classic_step_n_is_instruction_n_and_label_steps_do_not_count() -> None:
    lines = StepLines(parse(DOCKERFILE), "classic")
    env = lines.find(StepStarted(2, 7, "ENV MODE=dev"))
    assert env is not None
    assert env.line == 2
    assert lines.find(StepStarted(2, 9, "ENV MODE=dev")) is None  # another Dockerfile


def test_the_recorder_keeps_the_learners_text_and_the_engines() -> None:
    result = BuildResult(builder="buildkit", tags=[], context=".", dockerfile="Dockerfile")
    result.parsed_dockerfile = parse(DOCKERFILE)
    recorder = BuildRecorder(result)
    recorder.handle(StepStarted(3, 3, "RUN echo dev > /mode", stage="builder"))
    step = result.steps[0]
    assert (step.instruction, step.line, step.engine_text) == (
        "RUN echo $MODE > /mode",
        4,
        "RUN echo dev > /mode",
    )
