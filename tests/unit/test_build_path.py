"""``api.build`` without an engine: the builder is replaced by a recorded event stream
(fault injection: the engine and the builder are the only stand-ins). Proves the build path
(the result is created once, the cache report is in place when the views see
``BuildDone``), and that the session stays flat over hundreds of builds."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from layerlab import api, session
from layerlab.build import (
    BuildDone,
    BuildEvent,
    BuildResult,
    EngineLines,
    ImageBuilt,
    StepCached,
    StepFinished,
    StepOutput,
    StepStarted,
)
from layerlab.config import settings
from layerlab.errors import BuildFailed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from layerlab.builders import BuildRequest

DOCKERFILE = "FROM python:3.13-alpine\nCOPY app.py /app.py\nRUN echo built\n"


class RecordedBuilder:
    """Emits the events of a classic build of ``DOCKERFILE`` (the COPY rebuilt)."""

    name: ClassVar[str] = "classic"

    def __init__(self, *, cached: bool = False, fail: bool = False, lines: int = 3) -> None:
        self.cached = cached
        self.fail = fail
        self.lines = lines
        self.request: BuildRequest | None = None

    def events(self, request: BuildRequest) -> Iterator[BuildEvent]:
        self.request = request
        yield StepStarted(1, 3, "FROM python:3.13-alpine", is_base=True)
        yield StepFinished(1, "a" * 12)
        yield StepStarted(2, 3, "COPY app.py /app.py")
        if self.cached:
            yield StepCached(2)
        yield StepFinished(2, "b" * 12)
        yield StepStarted(3, 3, "RUN echo built")
        for number in range(self.lines):
            yield EngineLines((f"line {number}",))  # what the engine printed: the log
            yield StepOutput(3, (f"line {number}",))
        if self.fail:
            from layerlab.build import StepFailed

            message = "The command '/bin/sh -c echo built' returned a non-zero code"
            yield EngineLines((message,))
            yield StepFailed(3, message)
            return
        yield StepFinished(3, "c" * 12)
        yield ImageBuilt("sha256:" + "c" * 64)


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (tmp_path / "app.py").write_text("print('hello')\n", encoding="utf-8")
    (tmp_path / ".dockerignore").write_text("*.log\n", encoding="utf-8")
    (tmp_path / "big.log").write_text("x" * 1000, encoding="utf-8")
    return tmp_path


@pytest.fixture
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> session.Session:
    kept = session.Session()
    monkeypatch.setattr(session, "_current", kept)
    return kept


def use(monkeypatch: pytest.MonkeyPatch, builder: RecordedBuilder) -> None:
    monkeypatch.setattr(api, "connect", lambda **_: None)
    monkeypatch.setattr(api, "select_builder", lambda _name: builder)
    monkeypatch.setattr("layerlab.engine.owner", lambda: "learner")


def test_views_see_the_cache_report_at_build_done(
    seed: Path, monkeypatch: pytest.MonkeyPatch, fresh_session: session.Session
) -> None:
    builder = RecordedBuilder()
    use(monkeypatch, builder)
    seen: list[tuple[str, Any]] = []

    def view(event: BuildEvent, live: BuildResult) -> None:
        if isinstance(event, BuildDone):
            seen.append((live.status, live.cache_report))

    result = api.build(seed, tags=["hello"], listeners=[view])

    assert len(seen) == 1
    status, report = seen[0]
    assert status == "succeeded"
    assert report is not None
    assert report is result.cache_report
    assert result.cache_report is not None
    assert result.cache_report.reason == "first_build"
    assert result.tags == ["hello:latest"]
    assert result.parsed_dockerfile is not None
    assert fresh_session.history == (result,)
    # the listing made before the build went to the builder: .dockerignore applied once
    assert builder.request is not None
    listing = builder.request.listing
    assert listing is not None
    assert "big.log" not in listing.files
    assert set(listing.sent) == {"Dockerfile", "app.py", ".dockerignore"}


def test_log_file_is_closed_after_the_build_and_read_back(
    seed: Path, monkeypatch: pytest.MonkeyPatch, fresh_session: session.Session
) -> None:
    use(monkeypatch, RecordedBuilder(lines=5))
    result = api.build(seed, tags=["hello"])
    assert not result.log_store.is_open
    assert "line 4" in result.log
    assert result.log_path.read_text(encoding="utf-8") == result.log


def test_failed_build_is_remembered_and_raises(
    seed: Path, monkeypatch: pytest.MonkeyPatch, fresh_session: session.Session
) -> None:
    use(monkeypatch, RecordedBuilder(fail=True))
    with pytest.raises(BuildFailed) as caught:
        api.build(seed, tags=["hello"])
    failed = caught.value.result
    assert failed.status == "failed"
    assert fresh_session.history == (failed,)
    assert not failed.log_store.is_open
    assert "non-zero code" in failed.log


def open_descriptors() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


def test_three_hundred_builds_keep_descriptors_and_memory_flat(
    seed: Path, monkeypatch: pytest.MonkeyPatch, fresh_session: session.Session
) -> None:
    use(monkeypatch, RecordedBuilder(cached=True, lines=200))
    monkeypatch.setattr(settings(), "history_size", 20)

    def builds(count: int) -> None:
        for _ in range(count):
            api.build(seed, tags=["hello"])

    builds(30)  # warm up: the session is full, caches are filled
    gc.collect()
    descriptors = open_descriptors()
    forgotten = [result.log_path for result in fresh_session.history]
    tracemalloc.start()
    try:
        builds(30)  # the session now holds only builds made under tracemalloc
        gc.collect()
        before, _ = tracemalloc.get_traced_memory()
        builds(300)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(fresh_session) == 20
    assert open_descriptors() <= descriptors
    assert after - before < 128 * 1024, f"{(after - before) / 1024:.0f} kB kept by 300 builds"
    # a forgotten build's log file goes with its result: the disk stays flat too
    assert all(path.is_file() for path in (r.log_path for r in fresh_session.history))
    assert not [path for path in forgotten if path.exists()]
