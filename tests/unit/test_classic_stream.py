"""The classic builder's JSON stream → build events, on streams recorded from a real engine
(tests/data/classic/*.jsonl, made with APIClient.build(decode=True) and one build label)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from layerlab.build import (
    BuildRecorder,
    BuildResult,
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
from layerlab.builders.base import explain_failure
from layerlab.builders.classic import ClassicStreamParser, parse_stream

DATA = Path(__file__).parent.parent / "data" / "classic"


def recorded(name: str) -> list[dict[str, Any]]:
    lines = (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def replay(name: str) -> BuildResult:
    """Feed a recorded stream through the parser and recorder, as api.build does."""
    result = BuildResult(builder="classic", tags=["t:latest"], context=".", dockerfile="Dockerfile")
    recorder = BuildRecorder(result)
    parser = ClassicStreamParser(hidden_steps=1)  # the recordings carry one build label
    for message in recorded(name):
        for event in parser.feed(message):
            recorder.handle(event)
    for event in parser.flush():
        recorder.handle(event)
    failed = result.error is not None or result.image_id is None
    recorder.finish("failed" if failed else "succeeded")
    return result


def test_first_build_has_base_then_built_steps() -> None:
    result = replay("seed-first-build")
    assert [s.number for s in result.steps] == [1, 2, 3, 4]
    assert [s.status for s in result.steps] == ["base", "built", "built", "built"]
    assert result.steps[1].instruction == "RUN pip install flask"
    assert all(s.total == 4 for s in result.steps)  # the hidden label step is not counted
    assert result.cache_hits == 0
    assert result.image_id is not None
    assert result.image_id.startswith("sha256:")


def test_rebuild_marks_every_step_after_from_cached_like_the_engine() -> None:
    messages = recorded("seed-rebuild")
    result = replay("seed-rebuild")
    engine_cache_lines = sum(
        1 for m in messages if m.get("stream", "").strip() == "---> Using cache"
    )
    # the engine also reuses its cache for the hidden label step: 3 visible + 1 hidden
    assert engine_cache_lines == 4
    assert [s.status for s in result.steps] == ["base", "cached", "cached", "cached"]
    assert result.cache_hits == 3


def test_edited_app_rebuilds_only_the_copy_step() -> None:
    result = replay("seed-app-edited")
    assert [(s.keyword, s.status) for s in result.steps] == [
        ("FROM", "base"),
        ("RUN", "cached"),
        ("CMD", "cached"),
        ("COPY", "built"),
    ]


def test_run_output_belongs_to_its_step() -> None:
    result = replay("seed-first-build")
    run = result.step(2)
    assert run.output_lines > 5
    assert any("Successfully installed" in line for line in run.tail)
    assert "Collecting flask" in result.log


def test_failing_run_marks_the_step_failed_with_its_output() -> None:
    result = replay("failing-run")
    step = result.failed_step
    assert step is not None
    assert step.number == 2
    assert "about to fail" in step.tail
    assert result.error is not None
    assert "non-zero code: 3" in result.error
    message = explain_failure(result)
    assert message.splitlines()[0] == "step 2 failed: RUN echo about to fail && exit 3"
    assert "about to fail" in message


def test_missing_base_image_gets_the_offline_hint() -> None:
    result = replay("missing-base")
    assert result.steps[0].status == "failed"
    message = explain_failure(result)
    assert "no-such-image-layerlab:1.0" in message
    assert "not on this engine" in message
    assert "\n" not in message


def test_lines_split_across_messages_are_joined() -> None:
    parser = ClassicStreamParser()
    events = parser.feed({"stream": "Step 1/2 : FROM x\n ---> abc"})
    events += parser.feed({"stream": "def012345678\nStep 2/2 : RUN echo hi\n"})
    events += parser.feed({"stream": " ---> Running in 0123456789ab\nhel"})
    events += parser.feed({"stream": "lo\n ---> 0123456789ab\n"})
    events += parser.feed({"aux": {"ID": "sha256:" + "f" * 64}})
    # the log gets the engine's lines as sent, joined across messages
    assert [line for e in events if isinstance(e, EngineLines) for line in e.lines] == [
        "Step 1/2 : FROM x",
        " ---> abcdef012345678",
        "Step 2/2 : RUN echo hi",
        " ---> Running in 0123456789ab",
        "hello",
        " ---> 0123456789ab",
    ]
    assert [e for e in events if not isinstance(e, EngineLines)] == [
        StepStarted(1, 2, "FROM x", is_base=True),
        StepFinished(1, "abcdef012345678"),
        StepStarted(2, 2, "RUN echo hi"),
        LogLine(" ---> Running in 0123456789ab"),
        StepOutput(2, ("hello",)),
        StepFinished(2, "0123456789ab"),
        ImageBuilt("sha256:" + "f" * 64),
    ]


def test_error_before_any_step_is_a_build_error() -> None:
    events = parse_stream([{"error": "dockerfile parse error line 1", "errorDetail": {}}])
    assert events[0] == EngineLines(("dockerfile parse error line 1",))
    assert len(events) == 2
    assert "parse error" in events[1].message  # type: ignore[union-attr]


@pytest.mark.parametrize("status", ["Pulling fs layer", "Download complete"])
def test_pull_progress_bars_are_dropped_but_words_kept(status: str) -> None:
    parser = ClassicStreamParser()
    assert parser.feed({"status": status, "id": "abc", "progressDetail": {"current": 1}}) == []
    assert parser.feed({"status": status, "id": "abc"}) == [
        EngineLines((f"abc: {status}",)),
        LogLine(f"abc: {status}"),
    ]


def test_cached_step_is_not_marked_built_by_its_layer_id() -> None:
    events = parse_stream(
        [
            {"stream": "Step 1/2 : FROM x\n ---> 0123456789ab\n"},
            {"stream": "Step 2/2 : RUN true\n ---> Using cache\n ---> 0123456789ac\n"},
        ]
    )
    assert StepCached(2) in events
    result = BuildResult(builder="classic", tags=[], context=".", dockerfile="Dockerfile")
    recorder = BuildRecorder(result)
    for event in events:
        recorder.handle(event)
    recorder.finish("succeeded")
    assert result.step(2).status == "cached"
    assert result.step(2).layer_id == "0123456789ac"


def test_step_failed_event_names_the_step() -> None:
    events = parse_stream(
        [
            {"stream": "Step 1/2 : FROM x\n ---> 0123456789ab\nStep 2/2 : RUN false\n"},
            {"error": "returned a non-zero code: 1"},
        ]
    )
    assert events[-1] == StepFailed(2, "returned a non-zero code: 1")


@pytest.mark.parametrize("name", sorted(path.stem for path in DATA.glob("*.jsonl")))
def test_all_of_a_recording_in_one_message_gives_the_events_of_its_lines(name: str) -> None:
    # a chatty RUN's message holds thousands of lines; blocks without an engine line take a
    # short cut: joining a recording's lines into one message (engine lines in the middle
    # of output lines, \r\n endings) must give what its lines give one message each
    messages = recorded(name)
    text = "".join(str(message.get("stream", "")) for message in messages)
    noisy = text.replace("\n", "\r\n", 3) + "tail output\n"
    by_line, whole = ClassicStreamParser(hidden_steps=1), ClassicStreamParser(hidden_steps=1)
    expected = coalesce(
        event
        for line in noisy.splitlines(keepends=True)
        for event in by_line.feed({"stream": line})
    )
    got = coalesce(whole.feed({"stream": noisy}))
    assert [e for e in got if not isinstance(e, EngineLines)] == [
        e for e in expected if not isinstance(e, EngineLines)
    ]
    assert [line for e in got if isinstance(e, EngineLines) for line in e.lines] == [
        line for e in expected if isinstance(e, EngineLines) for line in e.lines
    ]
