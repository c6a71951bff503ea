"""The BuildKit builder on the real engine, through ``layerlab.api.build``.

Every build here goes through the docker CLI that detection found (on the test machine:
``/usr/bin/docker`` 20.10 with its built-in BuildKit; the 28.x client first on PATH has
no buildx). BuildKit's cache is shared with every other build on the engine, so tests
that need a cache miss put this run's unique marker into the file or command.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from layerlab import api
from layerlab.build import BuildEvent, BuildResult, StepOutput
from layerlab.builders import buildkit
from layerlab.config import settings
from layerlab.errors import BuildFailed
from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag
from tests.processes import processes_with

pytestmark = pytest.mark.integration

_HEADER = re.compile(r"^#(\d+) \[(?:(\S+) )?(\d+)/\d+\] ")
_CACHED = re.compile(r"^#(\d+) CACHED$")


@pytest.fixture(scope="module")
def cli() -> buildkit.BuildKitCli:
    """The CLI detection picked; a machine without one fails here, loudly."""
    found = buildkit.find_buildkit_cli()
    if found is None:
        pytest.fail(buildkit.no_buildkit_message(), pytrace=False)
    return found


def bk_build(context: Path, tag: str, **options: Any) -> BuildResult:
    options.setdefault("builder", "buildkit")
    return api.build(context, tags=[tag], **options)


def cached_lines_per_step(log: str) -> set[tuple[str, int]]:
    """(stage, number) of each step the CLI itself printed ``#N CACHED`` for."""
    vertex_step: dict[str, tuple[str, int]] = {}
    cached: set[tuple[str, int]] = set()
    for line in log.splitlines():
        header = _HEADER.match(line)
        if header:
            vertex_step.setdefault(header[1], (header[2] or "", int(header[3])))
        hit = _CACHED.match(line)
        if hit and hit[1] in vertex_step:
            cached.add(vertex_step[hit[1]])
    return cached


def assert_cached_flags_match_the_cli(result: BuildResult) -> None:
    """The per-step cached flags are exactly the CLI's CACHED lines (FROM is the base)."""
    from_cli = {
        key
        for key in cached_lines_per_step(result.log)
        if not any(
            s.stage == key[0] and s.number == key[1] and s.status == "base" for s in result.steps
        )
    }
    flagged = {(s.stage, s.number) for s in result.steps if s.cached}
    assert flagged == from_cli


def build_records_in_use(engine: Any, marker: str) -> list[str]:
    """The engine's build-cache records still in use by a step mentioning ``marker``."""
    records = engine.api.df().get("BuildCache") or []
    return [
        str(r.get("Description"))
        for r in records
        if r.get("InUse") and marker in str(r.get("Description"))
    ]


def wait_until(condition: Any, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


# ---------------------------------------------------------------- the seed lab
def test_seed_build_rebuild_and_edit_with_buildkit(
    engine: Any, ip: Any, seed_context: Path, cli: buildkit.BuildKitCli
) -> None:
    tag = unique_tag("bk-seed")
    first = bk_build(seed_context, tag)
    assert first.builder == "buildkit"
    assert first.succeeded
    assert [(s.number, s.keyword, s.stage) for s in first.steps] == [
        (1, "FROM", ""),
        (2, "RUN", ""),
        (3, "COPY", ""),
    ]  # no step for CMD
    assert first.steps[0].status == "base"
    assert first.steps[1].total == first.steps[2].total == 3
    assert all(isinstance(s.duration_s, float) for s in first.steps)
    image = engine.images.get(f"{tag}:latest")
    assert image.id == first.image_id  # from --iidfile
    assert image.labels[TEST_LABEL] == TEST_RUN
    assert image.attrs["Config"]["Cmd"] == ["python", "app.py"]
    assert_cached_flags_match_the_cli(first)

    again = bk_build(seed_context, tag)
    assert [(s.keyword, s.status) for s in again.steps] == [
        ("FROM", "base"),
        ("RUN", "cached"),
        ("COPY", "cached"),
    ]
    assert again.image_id == first.image_id
    assert "2 of 2 steps from the cache (buildkit builder)" in again.summary()
    assert_cached_flags_match_the_cli(again)

    # A change nobody on this engine has built before: only COPY misses the cache.
    app = seed_context / "app.py"
    app.write_text(
        app.read_text(encoding="utf-8") + f"# {TEST_RUN}-{uuid.uuid4().hex}\n", encoding="utf-8"
    )
    edited = bk_build(seed_context, tag)
    assert [(s.keyword, s.status) for s in edited.steps] == [
        ("FROM", "base"),
        ("RUN", "cached"),
        ("COPY", "built"),
    ]
    assert edited.image_id != first.image_id
    assert engine.images.get(f"{tag}:latest").id == edited.image_id
    assert_cached_flags_match_the_cli(edited)


def test_auto_picks_buildkit_here_and_says_so(
    engine: Any,
    ip: Any,
    seed_context: Path,
    cli: buildkit.BuildKitCli,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings().builder = "auto"
    result = ip.run_line_magic("docker_build", f"-t {unique_tag('bk-auto')} .")
    assert result.builder == "buildkit"
    assert "(buildkit builder)" in capsys.readouterr().out
    explicit = ip.run_line_magic("docker_build", f"--builder auto -t {unique_tag('bk-auto')} .")
    assert explicit.builder == "buildkit"
    assert explicit.image_id == result.image_id


# ---------------------------------------------------------------- failures
def test_failing_run_raises_build_failed_naming_the_step_and_its_last_lines(
    engine: Any, ip: Any, workdir: Path, cli: buildkit.BuildKitCli
) -> None:
    marker = f"{TEST_RUN}-{uuid.uuid4().hex[:8]}"
    (workdir / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\n"
        f"RUN echo first-line && echo 'no such package {marker}' >&2 && exit 3\n"
        "COPY Dockerfile /Dockerfile\n",
        encoding="utf-8",
    )
    with pytest.raises(BuildFailed) as caught:
        bk_build(workdir, unique_tag("bk-fails"))
    message = str(caught.value)
    assert message.splitlines()[0] == (
        f"step 2 failed: RUN echo first-line && echo 'no such package {marker}' >&2 && exit 3"
    )
    assert "  | first-line" in message
    assert f"  | no such package {marker}" in message
    assert "exit code: 3" in message
    result = caught.value.result
    assert result.builder == "buildkit"
    assert result.status == "failed"
    assert [(s.number, s.status) for s in result.steps] == [(1, "base"), (2, "failed")]
    assert result.image_id is None


def test_multi_stage_build_keeps_stages_apart(
    engine: Any, ip: Any, workdir: Path, cli: buildkit.BuildKitCli
) -> None:
    marker = f"{TEST_RUN}-{uuid.uuid4().hex[:8]}"
    (workdir / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE} AS builder\n"
        f"RUN echo built-{marker} > /artifact.txt && cat /artifact.txt\n"
        f"FROM {BASE_IMAGE}\n"
        "COPY --from=builder /artifact.txt /artifact.txt\n"
        'CMD ["cat", "/artifact.txt"]\n',
        encoding="utf-8",
    )
    tag = unique_tag("bk-multi")
    result = bk_build(workdir, tag)
    keyed = [(s.stage, s.number, s.keyword, s.status) for s in result.steps]
    # BuildKit shows the shared FROM once, under whichever stage it named it for
    assert [k for k in keyed if k[2] != "FROM"] == [
        ("builder", 2, "RUN", "built"),
        ("stage-1", 2, "COPY", "built"),
    ]
    run = next(s for s in result.steps if s.keyword == "RUN")
    assert f"built-{marker}" in list(run.tail)
    assert_cached_flags_match_the_cli(result)
    assert engine.images.get(f"{tag}:latest").id == result.image_id

    again = bk_build(workdir, tag)
    assert [s.status for s in again.steps if s.keyword != "FROM"] == ["cached", "cached"]
    assert_cached_flags_match_the_cli(again)


# ---------------------------------------------------------------- stopping a build
def long_build(workdir: Path, marker: str) -> None:
    # a unique sleep length: the build container's process is findable by its command line
    seconds = f"{97 + int(uuid.uuid4().int % 1000) / 10_000:.4f}"
    (workdir / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN echo started-{marker} && sleep {seconds} # {marker}\n",
        encoding="utf-8",
    )


def assert_nothing_left_running(engine: Any, marker: str) -> None:
    assert wait_until(lambda: not processes_with(marker), 15), processes_with(marker)
    assert wait_until(lambda: not build_records_in_use(engine, marker), 15), build_records_in_use(
        engine, marker
    )


def test_keyboard_interrupt_stops_the_build_on_the_engine(
    engine: Any, ip: Any, workdir: Path, cli: buildkit.BuildKitCli
) -> None:
    marker = f"stopme-{TEST_RUN}-{uuid.uuid4().hex[:8]}"
    long_build(workdir, marker)
    seen_running: list[bool] = []

    def interrupt_once_running(event: BuildEvent, result: BuildResult) -> None:
        if isinstance(event, StepOutput) and f"started-{marker}" in event.lines:
            seen_running.append(wait_until(lambda: bool(processes_with(marker)), 10))
            seen_running.append(bool(build_records_in_use(engine, marker)))
            raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(BuildFailed) as caught:
        bk_build(workdir, unique_tag("bk-interrupt"), listeners=[interrupt_once_running])
    assert seen_running == [True, True]  # the build really was running on the engine
    assert time.monotonic() - started < 60
    assert caught.value.result.status == "interrupted"
    assert "interrupted at step 2" in str(caught.value)
    assert_nothing_left_running(engine, marker)


def test_timeout_stops_the_build_on_the_engine(
    engine: Any, ip: Any, workdir: Path, cli: buildkit.BuildKitCli
) -> None:
    marker = f"timeout-{TEST_RUN}-{uuid.uuid4().hex[:8]}"
    long_build(workdir, marker)
    settings().build_timeout_s = 6
    started = time.monotonic()
    with pytest.raises(BuildFailed) as caught:
        bk_build(workdir, unique_tag("bk-timeout"))
    assert 6 <= time.monotonic() - started < 40
    assert caught.value.result.status == "interrupted"
    assert "ran past its 6s limit" in str(caught.value)
    assert_nothing_left_running(engine, marker)
