"""One scenario table, run through BOTH builders against the real engine.

Each row changes one thing since the learner's previous build (in order: a row's state
stays for the rows after it) and expects

* where the engine itself first rebuilt, read from its own output (``result.log``, the
  engine's stream: classic ``Step N/M`` + `` ---> Using cache``, BuildKit ``#N [n/m]`` +
  ``#N CACHED``/``DONE``); the builders differ here (ENV and ARG make no BuildKit step);
* the kit's steps having exactly the engine's statuses, its first miss being the engine's;
* the same cause from the kit on both builders (``CacheReport.cause``), in words too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from layerlab import api, session
from layerlab.cache import CacheReport
from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag

if TYPE_CHECKING:
    from collections.abc import Iterator

    from layerlab.build import BuildResult

pytestmark = pytest.mark.integration

OTHER_BASE = "python:3.13-slim"
#: a tag the test moves from one image to another: "the base image changed"
BASE_TAG = unique_tag("scenario-base")

# the WORKDIR (a step on both builders) makes every later cache key this run's own
DOCKERFILE = f"""FROM {BASE_TAG}
WORKDIR /w-{TEST_RUN}
ENV MODE=dev
ARG GREETING=hi
RUN echo "$MODE $GREETING {TEST_RUN}" > /mode
COPY app.py /app/
RUN cat /app/app.py > /copy
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    #: (old, new) replacements in the Dockerfile, kept for the later rows
    edit: tuple[str, str] | None = None
    app: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    base: str | None = None
    #: another learner builds this app.py first (same lines up to the COPY)
    other_learner_app: str | None = None
    #: the engine's first rebuilt step: (keyword, a word of its text) per builder
    classic: tuple[str, str] | None = None
    buildkit: tuple[str, str] | None = None
    cause: tuple[str, ...] = ()
    words: str = ""


APP_V1 = f"print('v1 {TEST_RUN}')\n"
APP_V2 = f"print('v2 {TEST_RUN}')\n"
APP_V3 = f"print('v3 {TEST_RUN}')\n"
ONE = {"GREETING": "one"}

SCENARIOS = (
    Scenario("nothing changed", cause=("all_cached",), words="nothing they depend on changed"),
    Scenario(
        "ENV changed",
        edit=("MODE=dev", "MODE=prod"),
        classic=("ENV", "MODE=prod"),
        buildkit=("RUN", "/mode"),
        cause=("variable_changed", "ENV MODE"),
        words="ENV MODE ('dev' → 'prod')",
    ),
    Scenario(
        "ARG default changed",
        edit=("GREETING=hi", "GREETING=hello"),
        classic=("ARG", "GREETING=hello"),
        buildkit=("RUN", "/mode"),
        cause=("variable_changed", "ARG GREETING"),
        words="ARG GREETING ('hi' → 'hello')",
    ),
    Scenario(
        "build arg changed",
        build_args=ONE,
        classic=("RUN", "/mode"),
        buildkit=("RUN", "/mode"),
        cause=("build_args_changed", "GREETING"),
        words="GREETING ('hello' → 'one')",
    ),
    Scenario(
        "base changed",
        build_args=ONE,
        base=OTHER_BASE,
        classic=("WORKDIR", TEST_RUN),
        buildkit=("WORKDIR", TEST_RUN),
        cause=("base_changed",),
        words=f"the base image {BASE_TAG}",
    ),
    Scenario(
        "file changed",
        build_args=ONE,
        app=APP_V2,
        classic=("COPY", "app.py"),
        buildkit=("COPY", "app.py"),
        cause=("files_changed", "app.py"),
        words="app.py",
    ),
    Scenario(
        "file changed then restored",
        build_args=ONE,
        app=APP_V1,
        cause=("files_reused", "app.py"),
        words="app.py changed since your last build, but the engine already held a layer",
    ),
    Scenario(
        "file changed to what another learner built",
        build_args=ONE,
        app=APP_V3,
        other_learner_app=APP_V3,
        classic=("RUN", "/copy"),
        buildkit=("RUN", "/copy"),
        cause=("files_reused", "app.py"),
        words="app.py changed since your last build, but the engine already held a layer",
    ),
    Scenario(
        "instruction edited",
        build_args=ONE,
        edit=("> /copy\n", "> /copy2\n"),
        classic=("RUN", "/copy2"),
        buildkit=("RUN", "/copy2"),
        cause=("instruction_changed",),
        words="RUN cat /app/app.py > /copy",
    ),
    Scenario(
        "--no-cache",
        build_args=ONE,
        no_cache=True,
        classic=("WORKDIR", TEST_RUN),
        # Engine 20.10's BuildKit still reports the WORKDIR CACHED under --no-cache
        buildkit=("RUN", "/mode"),
        cause=("no_cache",),
        words="--no-cache",
    ),
)

_CLASSIC_STEP = re.compile(r"^Step \d+/\d+ : (.*)$")
_BUILDKIT_STEP = re.compile(r"^#(\d+) \[[^\]]*\d+/\d+\] (.*)$")
_BUILDKIT_END = re.compile(r"^#(\d+) (CACHED|DONE .*)$")


def engine_statuses(builder: str, log: str) -> list[tuple[str, str]]:
    """(the engine's text, cached|built) of each step it ran, FROM and the kit's label
    steps left out, read from the engine's own output only."""
    steps: list[tuple[str, str]] = []
    if builder == "classic":
        for line in log.splitlines():
            match = _CLASSIC_STEP.match(line)
            if match:
                steps.append((match[1], "built"))
            elif line == " ---> Using cache" and steps:
                steps[-1] = (steps[-1][0], "cached")
        return [s for s in steps if not s[0].startswith(("FROM ", "LABEL org.layerlab"))]
    names: dict[str, str] = {}
    order: list[str] = []
    ends: dict[str, str] = {}
    for line in log.splitlines():
        match = _BUILDKIT_STEP.match(line)
        if match and match[1] not in names:
            names[match[1]] = match[2]
            order.append(match[1])
        end = _BUILDKIT_END.match(line)
        if end and end[1] in names:
            ends[end[1]] = "cached" if end[2] == "CACHED" else "built"
    return [(names[v], ends[v]) for v in order if not names[v].startswith("FROM ")]


@pytest.fixture
def base_tag(docker_client: Any) -> Iterator[str]:
    repository, tag = BASE_TAG.split(":") if ":" in BASE_TAG else (BASE_TAG, "latest")
    docker_client.api.tag(BASE_IMAGE, repository, tag)
    yield BASE_TAG
    docker_client.api.remove_image(f"{repository}:{tag}")  # the tag only: the image stays


def _build(context: Path, builder: str, scenario: Scenario | None, tag: str) -> BuildResult:
    return api.build(
        context,
        tags=[tag],
        builder=builder,
        build_args=dict(scenario.build_args) if scenario else {},
        no_cache=scenario.no_cache if scenario else False,
        labels={TEST_LABEL: TEST_RUN},
        notify=lambda _message: None,
    )


def _apply(
    scenario: Scenario,
    builder: str,
    *,
    tmp_path: Path,
    dockerfile: str,
    base_tag: str,
    docker_client: Any,
) -> str:
    """Make the row's change in the learner's folder; return the Dockerfile now."""
    context = tmp_path / "learner"
    if scenario.edit:
        dockerfile = dockerfile.replace(*scenario.edit)
        (context / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    if scenario.app:
        (context / "app.py").write_text(scenario.app, encoding="utf-8")
    if scenario.base:
        repository, tag_part = base_tag.split(":") if ":" in base_tag else (base_tag, "latest")
        docker_client.api.tag(scenario.base, repository, tag_part)
    if scenario.other_learner_app:
        other = tmp_path / "other"
        other.mkdir()
        head = dockerfile.split("COPY app.py /app/\n")[0]
        (other / "Dockerfile").write_text(
            f"{head}COPY app.py /app/\nRUN echo other-learner\n", encoding="utf-8"
        )
        (other / "app.py").write_text(scenario.other_learner_app, encoding="utf-8")
        _build(other, builder, scenario, unique_tag(f"scenario-other-{builder}"))
    return dockerfile


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_scenario_table_gives_the_engines_outcome_and_the_same_cause(
    builder: str, tmp_path: Path, base_tag: str, docker_client: Any
) -> None:
    session.current().clear()
    context = tmp_path / "learner"
    context.mkdir()
    dockerfile = DOCKERFILE
    (context / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    (context / "app.py").write_text(APP_V1, encoding="utf-8")
    tag = unique_tag(f"scenario-{builder}")
    first = _build(context, builder, None, tag)
    assert isinstance(first.cache_report, CacheReport)
    assert first.cache_report.cause == ("first_build",) or first.cache_report.all_cached

    table: list[str] = []
    for scenario in SCENARIOS:
        dockerfile = _apply(
            scenario,
            builder,
            tmp_path=tmp_path,
            dockerfile=dockerfile,
            base_tag=base_tag,
            docker_client=docker_client,
        )

        result = _build(context, builder, scenario, tag)
        report = result.cache_report
        assert isinstance(report, CacheReport)
        engine = engine_statuses(builder, result.log)
        kit = [(s.engine_text, s.status) for s in result.steps if s.status != "base"]
        # the kit's steps are the engine's, with the engine's statuses
        assert kit == engine, scenario.name
        rebuilt = next((text for text, status in engine if status == "built"), None)
        expected = scenario.classic if builder == "classic" else scenario.buildkit
        if expected is None:
            assert rebuilt is None, (scenario.name, engine)
            assert report.all_cached, scenario.name
        else:
            assert rebuilt is not None, (scenario.name, engine)
            keyword, word = expected
            assert rebuilt.split()[0] == keyword, (scenario.name, engine)
            assert word in rebuilt, (scenario.name, rebuilt)
            miss = next(s for s in result.steps if s.engine_text == rebuilt)
            assert (report.first_miss_stage, report.first_miss_step) == (miss.stage, miss.number)
            # the report names the learner's own line, not the engine's expansion
            assert report.instruction == miss.instruction
            assert miss.line is not None
            assert dockerfile.splitlines()[miss.line - 1] == miss.instruction
        assert report.cause == scenario.cause, (scenario.name, str(report))
        assert scenario.words in str(report), (scenario.name, str(report))
        table.append(f"{scenario.name} | {builder} | {engine} | {report.cause}")
    print("\n".join(table))
