"""BuildKit progress → build events, on streams recorded from real builds on this engine
(tests/data/buildkit/plain_*.txt) and on rawjson streams written by hand from the
documented format (tests/data/buildkit/rawjson_*.jsonl). See tests/data/buildkit/README.md.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Literal

import pytest

from layerlab.build import (
    BuildError,
    BuildEvent,
    BuildRecorder,
    BuildResult,
    BuildStarted,
    EngineLines,
    ImageBuilt,
    LogLine,
    StepCached,
    StepFailed,
    StepFinished,
    StepOutput,
    StepStarted,
    coalesce,
)
from layerlab.builders import buildkit
from layerlab.builders.base import BuildRequest, explain_failure
from layerlab.builders.buildkit import (
    BuildKitCli,
    PlainProgressParser,
    RawJsonProgressParser,
    StepRef,
    parse_lines,
    parse_vertex_name,
)

DATA = Path(__file__).parent.parent / "data" / "buildkit"
#: how the 20.10 CLI reports a Dockerfile its frontend rejects (then the instruction)
FRONTEND_ERROR = (
    "failed to solve with frontend dockerfile.v0: failed to create LLB definition: "
    "dockerfile parse error line 2: unknown instruction: "
)


def lines_of(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").splitlines()


def events_of(name: str) -> list[BuildEvent]:
    mode: Literal["rawjson", "plain"] = "rawjson" if name.endswith(".jsonl") else "plain"
    return parse_lines(lines_of(name), mode)


def replay(name: str, image_id: str | None = None) -> BuildResult:
    """Recorded stream → parser → recorder, as api.build does (the iidfile gives the id)."""
    result = BuildResult(
        builder="buildkit", tags=["t:latest"], context=".", dockerfile="Dockerfile"
    )
    recorder = BuildRecorder(result)
    for event in events_of(name):
        recorder.handle(event)
    if image_id:
        recorder.handle(ImageBuilt(image_id))
    failed = result.error is not None or result.image_id is None
    recorder.finish("failed" if failed else "succeeded")
    return result


def statuses(result: BuildResult) -> list[tuple[str, int, str]]:
    return [(step.stage, step.number, step.status) for step in result.steps]


# ---------------------------------------------------------------- vertex names
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("[2/3] RUN pip install flask", StepRef(2, 3, "RUN pip install flask")),
        ("[builder 2/3] RUN make", StepRef(2, 3, "RUN make", "builder")),
        (
            "[stage-2 1/3] FROM docker.io/library/python:3.13-alpine",
            StepRef(1, 3, "FROM docker.io/library/python:3.13-alpine", "stage-2"),
        ),
        ("[internal] load build definition from Dockerfile", None),
        ("[internal] load metadata for docker.io/library/python:3.13-alpine", None),
        ("exporting to image", None),
    ],
)
def test_vertex_names_map_to_steps_or_nothing(name: str, expected: StepRef | None) -> None:
    assert parse_vertex_name(name) == expected


def test_from_steps_are_base_steps() -> None:
    step = parse_vertex_name("[1/3] FROM docker.io/library/python:3.13-alpine")
    assert step is not None
    assert step.is_base
    run = parse_vertex_name("[2/3] RUN echo FROM")
    assert run is not None
    assert not run.is_base


# ---------------------------------------------------------------- plain: seed lab
def test_first_seed_build_numbers_steps_like_buildkit_and_keeps_output() -> None:
    events = events_of("plain_seed_first.txt")
    started = [e for e in events if isinstance(e, StepStarted)]
    assert started == [
        StepStarted(1, 3, "FROM docker.io/library/python:3.13-alpine", is_base=True),
        StepStarted(2, 3, "RUN pip install flask"),
        StepStarted(3, 3, "COPY app.py /app.py"),  # BuildKit counts no step for CMD
    ]
    output = [
        line for e in events if isinstance(e, StepOutput) and e.number == 2 for line in e.lines
    ]
    assert output[0] == "Collecting flask"  # the "#5 0.419 " prefix is not output
    assert output[-1].startswith("Successfully installed blinker-1.9.0")
    assert StepFinished(2, duration_s=0.8) in events
    assert not [e for e in events if isinstance(e, (StepCached, StepFailed, BuildError))]

    result = replay("plain_seed_first.txt", "sha256:" + "a" * 64)
    assert statuses(result) == [("", 1, "base"), ("", 2, "built"), ("", 3, "built")]
    assert result.steps[1].duration_s == 0.8
    assert result.succeeded
    assert result.cache_hits == 0


def test_rebuild_marks_every_step_after_from_cached() -> None:
    result = replay("plain_seed_cached.txt", "sha256:" + "a" * 64)
    assert statuses(result) == [("", 1, "base"), ("", 2, "cached"), ("", 3, "cached")]
    assert result.cache_hits == 2
    # every raw progress line stays in the log, CACHED lines included
    assert "#4 CACHED" in result.log.splitlines()
    assert "#6 CACHED" in result.log.splitlines()


def test_edited_app_rebuilds_only_the_copy_step() -> None:
    result = replay("plain_seed_app_edited.txt", "sha256:" + "b" * 64)
    assert statuses(result) == [("", 1, "base"), ("", 2, "cached"), ("", 3, "built")]
    assert result.steps[2].duration_s == 0.0


def test_cached_from_step_stays_a_base_step() -> None:
    # In the failing build the FROM vertex says CACHED: it is still the base, not a hit.
    result = replay("plain_run_fails.txt")
    assert result.steps[0].status == "base"
    assert result.cache_hits == 0


# ---------------------------------------------------------------- plain: failures
def test_failing_run_fails_its_step_with_the_engine_error_and_last_lines() -> None:
    events = events_of("plain_run_fails.txt")
    failed = [e for e in events if isinstance(e, StepFailed)]
    assert failed == [
        StepFailed(
            2,
            "executor failed running [/bin/sh -c echo before && echo "
            '"about to fail" >&2 && exit 3]: exit code: 3',
        )
    ]
    result = replay("plain_run_fails.txt")
    assert result.status == "failed"
    assert result.failed_step is not None
    assert result.failed_step.number == 2
    assert list(result.failed_step.tail) == ["before", "about to fail"]
    message = explain_failure(result)
    assert message.splitlines()[0] == (
        'step 2 failed: RUN echo before && echo "about to fail" >&2 && exit 3'
    )
    assert "  | about to fail" in message
    assert "exit code: 3" in message
    # the CLI's error summary after the progress is kept in the log, word for word
    assert ' > [2/3] RUN echo before && echo "about to fail" >&2 && exit 3:' in result.log


def test_missing_base_image_is_a_build_error_naming_the_image() -> None:
    events = events_of("plain_missing_base.txt")
    errors = [e for e in events if isinstance(e, BuildError)]
    assert len(errors) == 1
    assert "127.0.0.1:5000/layerlab-missing-probe:1" in errors[0].message
    assert "not on this engine" in errors[0].message
    assert not [e for e in events if isinstance(e, StepStarted)]


def test_canceled_step_is_not_reported_as_a_failure_of_its_own() -> None:
    parser = PlainProgressParser()
    events = [e for line in lines_of("plain_canceled.txt") for e in parser.feed(line)]
    assert not [e for e in events if isinstance(e, (StepFailed, BuildError))]
    assert not parser.failed
    assert parser.last_message == "context canceled"
    assert LogLine("#5 CANCELED") in events


# ---------------------------------------------------------------- plain: multi-stage
def test_multi_stage_steps_carry_their_stage_on_every_event() -> None:
    events = events_of("plain_multistage.txt")
    step_events = [e for e in events if not isinstance(e, (LogLine, EngineLines))]
    builder_events = [e for e in step_events if getattr(e, "stage", "") == "builder"]
    assert builder_events[0] == StepStarted(
        2,
        2,
        "RUN for i in 1 2 3; do echo builder-$i; sleep 0.3; done > /built.txt; "
        "cat /built.txt; for i in 1 2 3; do echo b-$i; sleep 0.3; done",
        stage="builder",
    )
    assert [line for e in builder_events if isinstance(e, StepOutput) for line in e.lines] == [
        "builder-1",
        "builder-2",
        "builder-3",
        "b-1",
        "b-2",
        "b-3",
    ]
    assert builder_events[-1] == StepFinished(2, duration_s=2.1, stage="builder")
    assert all(getattr(e, "stage", None) for e in step_events)

    result = replay("plain_multistage.txt", "sha256:" + "c" * 64)
    assert statuses(result) == [
        ("other", 1, "base"),
        ("other", 2, "built"),
        ("builder", 2, "built"),
        ("stage-2", 2, "built"),
        ("stage-2", 3, "built"),
    ]


def test_interleaved_vertices_start_once_and_output_goes_to_the_right_step() -> None:
    events = events_of("plain_interleaved.txt")
    started = [(e.stage, e.number) for e in events if isinstance(e, StepStarted)]
    # the printer repeats "#7 [right 2/2] …" when it comes back to a vertex: one start
    assert started == [("right", 1), ("right", 2), ("left", 2), ("stage-2", 2), ("stage-2", 3)]
    result = replay("plain_interleaved.txt", "sha256:" + "d" * 64)
    right, left = result.steps[1], result.steps[2]
    assert (right.stage, left.stage) == ("right", "left")
    assert right.output_lines == left.output_lines == 14
    assert list(right.tail)[-4:] == ["right-11", "right-12", "right-13", "right-14"]
    assert list(left.tail)[-3:] == ["left-12", "left-13", "left-14"]
    assert (right.duration_s, left.duration_s) == (14.3, 14.3)
    assert "#7 ..." in result.log.splitlines()
    # COPY --from of an unchanged file is a cache hit even though its stage was rebuilt
    assert statuses(result)[3:] == [("stage-2", 2, "cached"), ("stage-2", 3, "cached")]


# ---------------------------------------------------------------- rawjson
def test_rawjson_seed_rebuild_uses_the_structured_cached_flags() -> None:
    events = events_of("rawjson_seed_app_edited.jsonl")
    assert [e for e in events if isinstance(e, StepStarted)] == [
        StepStarted(1, 3, "FROM docker.io/library/python:3.13-alpine", is_base=True),
        StepStarted(2, 3, "RUN pip install flask"),
        StepStarted(3, 3, "COPY app.py /app.py"),
    ]
    # the COPY vertex appears three times (queued, started, completed): one start, one end
    assert [e for e in events if isinstance(e, StepFinished) and e.number == 3] == [
        StepFinished(3, duration_s=0.25)
    ]
    result = replay("rawjson_seed_app_edited.jsonl", "sha256:" + "e" * 64)
    assert statuses(result) == [("", 1, "base"), ("", 2, "cached"), ("", 3, "built")]
    # the log is what buildx sent; the views' lines read like the plain printer's
    lines = (DATA / "rawjson_seed_app_edited.jsonl").read_text(encoding="utf-8")
    assert result.log.splitlines() == lines.splitlines()
    shown = [e.line for e in events if isinstance(e, LogLine)]
    assert "#5 [2/3] RUN pip install flask" in shown
    assert "#5 CACHED" in shown
    assert "#6 DONE 0.2s" in shown


def test_rawjson_failure_joins_split_log_lines_and_fails_the_step() -> None:
    result = replay("rawjson_run_fails.jsonl")
    assert result.failed_step is not None
    assert result.failed_step.number == 2
    assert list(result.failed_step.tail) == ["before", "about to fail"]
    assert result.error is not None
    assert result.error.endswith("did not complete successfully: exit code: 3")
    assert result.log.splitlines()[-1].startswith("ERROR: failed to solve: process")


def test_rawjson_multi_stage_interleaved_logs() -> None:
    events = events_of("rawjson_multistage.jsonl")
    outputs = [(e.stage, line) for e in events if isinstance(e, StepOutput) for line in e.lines]
    assert outputs == [
        ("left", "left-1"),
        ("right", "right-1"),
        ("right", "right-2"),
        ("left", "left-2"),
    ]
    result = replay("rawjson_multistage.jsonl", "sha256:" + "f" * 64)
    assert statuses(result) == [
        ("left", 1, "base"),
        ("left", 2, "built"),
        ("right", 2, "built"),
        ("stage-2", 2, "cached"),
        ("stage-2", 3, "built"),
    ]
    assert result.steps[1].duration_s == pytest.approx(1.2)


def test_rawjson_canceled_vertex_is_not_a_failure() -> None:
    parser = RawJsonProgressParser()
    digest = "sha256:" + "9" * 64
    name = "[2/2] RUN sleep 100"
    started = {"vertexes": [{"digest": digest, "name": name, "started": "2026-11-27T22:40:00.5Z"}]}
    canceled = {
        "vertexes": [
            {
                "digest": digest,
                "name": name,
                "started": "2026-11-27T22:40:00.5Z",
                "completed": "2026-11-27T22:40:03Z",
                "error": "context canceled",
            }
        ]
    }
    log = {
        "logs": [
            {
                "vertex": digest,
                "stream": 1,
                "data": base64.b64encode(b"no newline at the end").decode(),
                "timestamp": "2026-11-27T22:40:01Z",
            }
        ]
    }
    events = [
        *parser.feed(json.dumps(started)),
        *parser.feed(json.dumps(log)),
        *parser.feed(json.dumps(canceled)),
    ]
    assert StepStarted(2, 2, "RUN sleep 100") in events
    assert StepOutput(2, ("no newline at the end",)) in events  # flushed when the vertex ends
    assert not [e for e in events if isinstance(e, (StepFailed, BuildError))]
    assert not parser.failed


# ---------------------------------------------------------------- the CLI command
def test_build_command_passes_every_request_option(tmp_path: Path) -> None:
    cli = BuildKitCli("/usr/bin/docker", "20.10.24")
    request = BuildRequest(
        context=tmp_path,
        dockerfile="sub/Dockerfile.dev",
        tags=("app:1", "app:latest"),
        build_args={"FLAVOUR": "mint"},
        labels={"org.layerlab.kit": "layerlab"},
        no_cache=True,
    )
    command = cli.build_command(request, tmp_path / "iid")
    assert command[:3] == ["/usr/bin/docker", "build", "--progress=plain"]
    assert command[command.index("--iidfile") + 1] == str(tmp_path / "iid")
    assert command[command.index("-f") + 1] == str(tmp_path / "sub" / "Dockerfile.dev")
    assert [command[i + 1] for i, word in enumerate(command) if word == "-t"] == [
        "app:1",
        "app:latest",
    ]
    assert command[command.index("--label") + 1] == "org.layerlab.kit=layerlab"
    assert command[command.index("--build-arg") + 1] == "FLAVOUR=mint"
    assert "--no-cache" in command
    assert "--pull" not in command  # only when asked: the base images are offline stand-ins
    assert command[-1] == str(tmp_path)
    assert cli.environment()["DOCKER_BUILDKIT"] == "1"

    pulling = cli.build_command(BuildRequest(context=tmp_path, pull=True), tmp_path / "iid")
    assert "--pull" in pulling
    assert "--no-cache" not in pulling


def test_buildx_command_uses_rawjson_progress(tmp_path: Path) -> None:
    cli = BuildKitCli("/opt/docker", "27.1.0", buildx_version="0.16.2")
    assert cli.mode == "buildx"
    command = cli.build_command(BuildRequest(context=tmp_path), tmp_path / "iid")
    assert command[:5] == ["/opt/docker", "buildx", "build", "--load", "--progress=rawjson"]
    assert "DOCKER_BUILDKIT" not in cli.environment() or (
        cli.environment()["DOCKER_BUILDKIT"] == os.environ.get("DOCKER_BUILDKIT")
    )


# ---------------------------------------------------------------- detection
def fake_docker(folder: Path, *, client: str, buildx: str | None, build_output: str) -> Path:
    """A stand-in ``docker`` executable for detection (fault injection, no engine needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "docker"
    buildx_branch = (
        f'echo "github.com/docker/buildx v{buildx} 0000000"; exit 0'
        if buildx
        else "echo \"docker: 'buildx' is not a docker command.\" >&2; exit 1"
    )
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = version ]; then echo "{client}"; exit 0; fi\n'
        f'if [ "$1" = buildx ] && [ "$2" = version ]; then {buildx_branch}; fi\n'
        "cat >/dev/null\n"
        f"cat <<'EOF' >&2\n{build_output}\nEOF\n"
        "exit 1\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_a_28_client_without_buildx_is_found_unusable(tmp_path: Path) -> None:
    refusal = (DATA / "cli28_without_buildx.txt").read_text(encoding="utf-8")
    docker = fake_docker(tmp_path / "new", client="28.2.2", buildx=None, build_output=refusal)
    probe = buildkit.probe_cli(str(docker))
    assert probe.cli is None
    assert probe.client_version == "28.2.2"
    assert "no buildx" in probe.reason
    # the version tells it, without a trial build (which would print the CLI's refusal)
    assert "only through the buildx plugin" in probe.reason


def test_detection_prefers_a_working_cli_later_on_path(tmp_path: Path) -> None:
    refusal = (DATA / "cli28_without_buildx.txt").read_text(encoding="utf-8")
    first = fake_docker(tmp_path / "a", client="28.2.2", buildx=None, build_output=refusal)
    # what a 20.10 client prints for the probe Dockerfile (its frontend rejects the line)
    works = "\n".join(
        [
            *lines_of("plain_seed_first.txt")[:4],
            FRONTEND_ERROR + "LAYERLAB_BUILDKIT_PROBE",
        ]
    )
    second = fake_docker(tmp_path / "b", client="20.10.24", buildx=None, build_output=works)
    path = os.pathsep.join([str(first.parent), str(second.parent)])
    assert buildkit.candidate_executables(path)[:2] == [str(first), str(second)]
    cli, probes = buildkit.detect([str(first), str(second)])
    assert cli == BuildKitCli(str(second), "20.10.24")
    assert [probe.cli is not None for probe in probes] == [False, True]


def test_detection_prefers_buildx_with_rawjson(tmp_path: Path) -> None:
    rawjson = (
        '{"vertexes":[{"digest":"sha256:1","name":"[internal] load build definition"}]}\n'
        "ERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: "
        "LAYERLAB_BUILDKIT_PROBE"
    )
    plain = "#1 [internal] load build definition\nunknown instruction: LAYERLAB_BUILDKIT_PROBE"
    old = fake_docker(tmp_path / "a", client="20.10.24", buildx=None, build_output=plain)
    new = fake_docker(tmp_path / "b", client="27.1.0", buildx="0.16.2", build_output=rawjson)
    cli, _ = buildkit.detect([str(old), str(new)])
    assert cli is not None
    assert (cli.executable, cli.mode, cli.progress) == (str(new), "buildx", "rawjson")


def test_an_old_buildx_is_not_used_for_rawjson(tmp_path: Path) -> None:
    rawjson = '{"vertexes":[]}\nunknown instruction: LAYERLAB_BUILDKIT_PROBE'
    docker = fake_docker(tmp_path / "a", client="24.0.0", buildx="0.10.4", build_output=rawjson)
    probe = buildkit.probe_cli(str(docker))
    assert probe.cli is None
    assert "older than 0.12" in probe.reason


def test_no_usable_cli_gives_one_line_saying_what_was_found_and_what_to_install(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refusal = (DATA / "cli28_without_buildx.txt").read_text(encoding="utf-8")
    docker = fake_docker(tmp_path / "a", client="28.2.2", buildx=None, build_output=refusal)
    monkeypatch.setenv("LAYERLAB_DOCKER_CLI", str(docker))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    buildkit.forget_detection()
    try:
        assert buildkit.find_buildkit_cli() is None
        message = buildkit.no_buildkit_message()
        assert "\n" not in message
        assert f"{docker} (docker 28.2.2): no buildx" in message
        assert "docker-buildx" in message
        assert "--builder classic" in message

        from layerlab.builders import select_builder
        from layerlab.errors import LayerlabError

        with pytest.raises(LayerlabError, match="no docker CLI here can build with BuildKit"):
            select_builder("buildkit")
        assert select_builder("auto").name == "classic"
    finally:
        buildkit.forget_detection()


# ---------------------------------------------------------------- the builder's end game
def test_cli_exit_without_a_step_error_becomes_a_build_error(
    tmp_path: Path,
) -> None:
    """A Dockerfile the frontend rejects fails before any step: the CLI's last line says why."""
    output = "\n".join(
        [
            *lines_of("plain_seed_first.txt")[:4],
            FRONTEND_ERROR + "RUNN",
        ]
    )
    docker = fake_docker(tmp_path / "a", client="20.10.24", buildx=None, build_output=output)
    builder = buildkit.BuildKitBuilder(BuildKitCli(str(docker), "20.10.24"))
    events = list(builder.events(BuildRequest(context=tmp_path)))
    assert events[0] == BuildStarted()  # the CLI runs: views may show themselves
    assert events[-1] == BuildError(FRONTEND_ERROR + "RUNN")
    assert not [e for e in events if isinstance(e, ImageBuilt)]


@pytest.mark.parametrize(
    "name", sorted(path.name for path in DATA.iterdir() if path.suffix in {".txt", ".jsonl"})
)
@pytest.mark.parametrize("block", [1, 3, 64, 100_000])
def test_a_block_of_lines_gives_what_its_lines_give_one_by_one(name: str, block: int) -> None:
    # the builder reads the CLI's output in blocks and parses each with feed_lines (fast
    # path for step output); the events must be those of feed, line by line, coalesced
    mode: Literal["rawjson", "plain"] = "rawjson" if name.endswith(".jsonl") else "plain"
    lines = [*lines_of(name), "#99 0.1 output of an unknown vertex", "#3 ERROR: late"]
    by_line, by_block = buildkit.new_parser(mode), buildkit.new_parser(mode)
    expected: list[BuildEvent] = []
    got: list[BuildEvent] = []
    for start in range(0, len(lines), block):
        chunk = lines[start : start + block]
        expected += coalesce(event for line in chunk for event in by_line.feed(line))
        got += by_block.feed_lines(chunk)
    assert got == expected
    assert (by_block.failed, by_block.last_message) == (by_line.failed, by_line.last_message)
