"""What a build is made of: events streamed by a builder, steps, and the final result.

Builders (classic, BuildKit) only *emit* events. ``BuildRecorder`` turns any event
stream into ``BuildStep``/``BuildResult`` objects, so nothing downstream knows which
builder ran, and a view subscribes to the same events the recorder sees.
"""

from __future__ import annotations

import collections
import os
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from layerlab import i18n
from layerlab.i18n import t, tn
from layerlab.step_lines import StepLines

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from layerlab.cache import CacheReport
    from layerlab.dockerfile import Dockerfile

StepStatus = Literal["running", "base", "cached", "built", "failed"]
BuildStatus = Literal["running", "succeeded", "failed", "interrupted"]

#: Output lines kept per step (enough to show why a RUN failed).
STEP_TAIL_LINES = 20


# ---------------------------------------------------------------- events
@dataclass(frozen=True, slots=True)
class StepStarted:
    number: int
    total: int | None
    instruction: str
    #: True for a FROM step: the base image is used, nothing is built.
    is_base: bool = False
    #: build stage name in multi-stage BuildKit builds ("" otherwise); steps are keyed
    #: by (stage, number) because BuildKit numbers the steps of each stage from 1
    stage: str = ""


@dataclass(frozen=True, slots=True)
class StepOutput:
    """Output lines of one step, in order.

    Builders send them in blocks (the lines of one engine message or one read of the CLI's
    output that belong to one step): a RUN printing 100,000 lines costs the kernel a few
    hundred events, not 100,000 (benchmarks/, kernel CPU per 100,000 lines).
    """

    number: int
    lines: tuple[str, ...]
    stage: str = ""


@dataclass(frozen=True, slots=True)
class StepCached:
    number: int
    stage: str = ""


@dataclass(frozen=True, slots=True)
class StepFinished:
    """A step ended; ``duration_s`` is the builder's own timing when it reports one."""

    number: int
    layer_id: str | None = None
    duration_s: float | None = None
    stage: str = ""


@dataclass(frozen=True, slots=True)
class StepFailed:
    number: int
    message: str
    stage: str = ""


@dataclass(frozen=True, slots=True)
class LogLine:
    """A line that belongs to no step (``Successfully built …``, warnings)."""

    line: str


@dataclass(frozen=True, slots=True)
class EngineLines:
    """Lines exactly as the engine (classic) or the CLI (BuildKit) printed them, in blocks.

    Only the build log gets these, in order: ``result.log`` is the engine's own text (its
    numbering, its label steps, BuildKit's ``#N`` lines); the other events are the kit's
    reading of it.
    """

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImageBuilt:
    image_id: str


@dataclass(frozen=True, slots=True)
class BuildError:
    """The engine reported an error that ends the build."""

    message: str


@dataclass(frozen=True, slots=True)
class BuildStarted:
    """The builder has handed the build to the engine (the CLI runs, the API request is
    sent): what a view does now (make its widgets, show itself) overlaps the engine's
    work. Before the first line of progress, which a cached BuildKit build prints only at
    its end."""


@dataclass(frozen=True, slots=True)
class BuildDone:
    """Last event of every build, emitted by the recorder with the finished result."""

    result: BuildResult


BuildEvent = (
    BuildStarted
    | StepStarted
    | StepOutput
    | StepCached
    | StepFinished
    | StepFailed
    | LogLine
    | EngineLines
    | ImageBuilt
    | BuildError
    | BuildDone
)


# ---------------------------------------------------------------- steps and result
@dataclass
class BuildStep:
    number: int
    instruction: str
    total: int | None = None
    status: StepStatus = "running"
    duration_s: float | None = None
    layer_id: str | None = None
    #: last output lines of the step (bounded; the full output is in the build log)
    tail: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=STEP_TAIL_LINES), repr=False
    )
    output_lines: int = 0
    started_at: float = field(default_factory=time.perf_counter, repr=False)
    stage: str = ""
    #: line number in the Dockerfile of the instruction this step runs (None: not found)
    line: int | None = None
    #: the step as the engine named it (BuildKit expands variables, classic adds nothing);
    #: ``instruction`` is the learner's own text when the kit found the line
    engine_text: str = ""

    @property
    def cached(self) -> bool:
        return self.status == "cached"

    @property
    def keyword(self) -> str:
        """The instruction keyword, upper case (``RUN``, ``COPY`` …)."""
        return self.instruction.split(maxsplit=1)[0].upper() if self.instruction else ""

    def _repr_pretty_(self, printer: object, _cycle: bool) -> None:
        # what a notebook shows for ``result.steps``: the learner's line (repr() stays for code)
        from layerlab.views import step_line

        text_method = getattr(printer, "text", None)
        if callable(text_method):
            text_method(step_line(self))


class BuildLog:
    """The full build log, written to a file so memory stays bounded.

    A build that prints a million lines costs disk, not kernel memory. The file is open
    for writing only while the build runs (``close()`` at its end); ``text()`` reads it
    back on demand and ``tail`` keeps the last lines for views and error messages. The
    file is removed when the log object is garbage-collected.
    """

    def __init__(self, tail_lines: int = 200) -> None:
        self._path: Path | None = None
        self._file: TextIO | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        self.lines = 0

    def _file_path(self) -> Path:
        """The log's file, made on first use (a build that never writes makes none)."""
        if self._path is None:
            descriptor, name = tempfile.mkstemp(prefix="layerlab-build-", suffix=".log")
            os.close(descriptor)
            self._path = Path(name)
            weakref.finalize(self, _remove_file, self._path)  # the file goes with the log
        return self._path

    def _open(self) -> TextIO:
        # write-only: text() reads the path back (a "w+" file resets its decoder on
        # every write, a Python call per log line)
        self._file = self._file_path().open("a", encoding="utf-8")
        self._write = self._file.write
        return self._file

    @property
    def path(self) -> Path:
        if self._file is not None:
            self._file.flush()  # whoever opens the path reads every line written so far
        return self._file_path()

    @property
    def is_open(self) -> bool:
        return self._file is not None

    def write(self, line: str) -> None:
        self.write_lines((line,))

    def write_lines(self, lines: tuple[str, ...]) -> None:
        if not lines:
            return
        if self._file is None:
            self._open()
        self._write("\n".join(lines) + "\n")
        self.tail.extend(lines)
        self.lines += len(lines)

    def close(self) -> None:
        """Close the file for writing (the build is over); ``text()`` still reads it."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def _remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)


@dataclass
class BuildResult:
    builder: str
    tags: list[str]
    context: str
    dockerfile: str
    steps: list[BuildStep] = field(default_factory=list)
    image_id: str | None = None
    status: BuildStatus = "running"
    error: str | None = None
    duration_s: float = 0.0
    build_args: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    #: the stage built (``--target``); None: the last one
    target: str | None = None
    log_store: BuildLog = field(default_factory=BuildLog, repr=False)
    #: filled in by the cache explainer after the build (see ``layerlab.cache``)
    cache_report: CacheReport | None = field(default=None, repr=False)
    #: the tags as stored on the engine (with the learner's namespace on a shared engine;
    #: ``tags`` holds the names the learner typed)
    engine_tags: list[str] = field(default_factory=list)
    #: the parsed Dockerfile that was built (set by ``layerlab.api.build``)
    parsed_dockerfile: Dockerfile | None = field(default=None, repr=False)

    @property
    def log(self) -> str:
        """The full build log as text."""
        return self.log_store.text()

    @property
    def log_path(self) -> Path:
        return self.log_store.path

    @property
    def log_tail(self) -> list[str]:
        return list(self.log_store.tail)

    @property
    def cache_hits(self) -> int:
        return sum(step.status == "cached" for step in self.steps)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def short_id(self) -> str:
        if not self.image_id:
            return "-"
        return self.image_id.removeprefix("sha256:")[:12]

    @property
    def failed_step(self) -> BuildStep | None:
        return next((s for s in self.steps if s.status == "failed"), None)

    def step(self, number: int) -> BuildStep:
        """The step with the builder's own number ``number``."""
        for candidate in self.steps:
            if candidate.number == number:
                return candidate
        raise KeyError(number)

    def summary(self) -> str:
        """One sentence for the learner: what was built, how fast, how much from the cache."""
        image = self.tags[0] if self.tags else self.short_id
        if self.tags and self.image_id:
            image = f"{image} ({self.short_id})"
        buildable = [s for s in self.steps if s.status != "base"]
        return tn(
            f"build.summary.{self.status}",
            len(buildable),
            image=image,
            duration=i18n.seconds(self.duration_s),
            cached=self.cache_hits,
            builder=t(f"builder.{self.builder}"),
        )

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        tag = self.tags[0] if self.tags else "<untagged>"
        return (
            f"<BuildResult {self.status} {tag} {self.short_id} steps={len(self.steps)} "
            f"cache_hits={self.cache_hits} {self.duration_s:.1f}s builder={self.builder}>"
        )

    def _repr_pretty_(self, printer: object, _cycle: bool) -> None:
        # what a notebook shows for ``result``: the learner's sentence (repr() stays for code)
        text_method = getattr(printer, "text", None)
        if callable(text_method):
            text_method(self.summary())


#: A view or any observer: called after the recorder has applied each event, with the
#: live result (its ``steps`` are the view-model of the build so far).
BuildListener = Callable[[BuildEvent, BuildResult], None]


# ---------------------------------------------------------------- recorder
def coalesce(events: Iterable[BuildEvent]) -> list[BuildEvent]:
    """``events`` read in one go (one engine message, one read of the CLI's output), with
    the engine's lines gathered into one ``EngineLines`` first and each run of output lines
    of the same step into one ``StepOutput``.

    Only the log reads ``EngineLines``, so moving them ahead of the other events changes
    nothing a view shows; every other event keeps its order.
    """
    engine: list[str] = []
    merged: list[BuildEvent] = []
    pending: list[str] = []
    owner: StepOutput | None = None
    for event in events:
        if type(event) is EngineLines:
            engine.extend(event.lines)
            continue
        if (
            type(event) is StepOutput
            and owner is not None
            and (event.number, event.stage) == (owner.number, owner.stage)
        ):
            pending.extend(event.lines)
            continue
        if owner is not None:
            merged.append(StepOutput(owner.number, tuple(pending), owner.stage))
            owner, pending = None, []
        if type(event) is StepOutput:
            owner, pending = event, list(event.lines)
            continue
        merged.append(event)
    if owner is not None:
        merged.append(StepOutput(owner.number, tuple(pending), owner.stage))
    return [EngineLines(tuple(engine)), *merged] if engine else merged


class BuildRecorder:
    """Consumes builder events, keeps the steps and log, and forwards events to views."""

    def __init__(
        self,
        result: BuildResult,
        listeners: Iterable[BuildListener] = (),
    ) -> None:
        self.result = result
        self.listeners = list(listeners)
        self._started = time.perf_counter()
        self._current: BuildStep | None = None
        parsed = result.parsed_dockerfile
        self._lines = StepLines(parsed, result.builder) if parsed is not None else None

    def _emit(self, event: BuildEvent) -> None:
        for listener in self.listeners:
            listener(event, self.result)

    def _close_current(self, status: StepStatus | None = None) -> None:
        step = self._current
        if step is None:
            return
        if status is not None:
            step.status = status
        elif step.status == "running":
            step.status = "built"
        if step.duration_s is None:
            step.duration_s = time.perf_counter() - step.started_at
        self._current = None

    def _find(self, number: int, stage: str = "") -> BuildStep | None:
        # output lines come in runs for the same step: check the newest step first, cheaply
        steps = self.result.steps
        if steps and steps[-1].number == number and steps[-1].stage == stage:
            return steps[-1]
        for step in reversed(steps):
            if step.number == number and step.stage == stage:
                return step
        return None

    def handle(self, event: BuildEvent) -> None:  # noqa: C901, PLR0912, PLR0915 - a case per event
        result = self.result
        step: BuildStep | None
        if type(event) is StepOutput:
            # a chatty RUN sends this one 100,000 times: skip the match below for it
            step = self._find(event.number, event.stage)
            if step is not None:
                step.tail.extend(event.lines)
                step.output_lines += len(event.lines)
            for listener in self.listeners:
                listener(event, result)
            return
        if type(event) is EngineLines:
            result.log_store.write_lines(event.lines)
            return
        match event:
            case StepStarted(number, total, instruction, is_base, stage):
                # Classic builds run steps one after another: a new step ends the previous.
                # (BuildKit reports each step's end itself, so _current stays None there.)
                if self._current is not None and self._current.number != number:
                    self._close_current()
                step = BuildStep(
                    number=number,
                    instruction=instruction,
                    total=total,
                    stage=stage,
                    engine_text=instruction,
                )
                written = self._lines.find(event) if self._lines is not None else None
                if written is not None:
                    step.instruction, step.line = written.text, written.line
                if is_base:
                    step.status = "base"
                result.steps.append(step)
                self._current = step
            case StepCached(number, stage):
                step = self._find(number, stage)
                if step is not None and step.status != "base":
                    step.status = "cached"
            case StepFinished(number, layer_id, duration_s, stage):
                step = self._find(number, stage)
                if step is not None:
                    step.layer_id = layer_id or step.layer_id
                    if duration_s is not None:
                        step.duration_s = duration_s
                    if step.status == "running":
                        step.status = "built"
                    if step.duration_s is None:
                        step.duration_s = time.perf_counter() - step.started_at
                    if self._current is step:
                        self._current = None
            case StepFailed(number, message, stage):
                step = self._find(number, stage)
                if step is not None:
                    step.status = "failed"
                    if step.duration_s is None:
                        step.duration_s = time.perf_counter() - step.started_at
                    if self._current is step:
                        self._current = None
                result.error = message
            case LogLine() | BuildStarted():
                pass
            case ImageBuilt(image_id):
                result.image_id = image_id
            case BuildError(message):
                result.error = message
                if self._current is not None and self._current.status in ("running", "built"):
                    self._close_current("failed")
            case BuildDone():
                pass
        self._emit(event)

    def consume(self, events: Iterator[BuildEvent]) -> BuildStatus:
        """Record a builder's whole event stream; return how the build ended.

        Closing the stream (always done here, also on an interrupt) stops the build on
        the engine side (see each builder). A ``BuildInterrupted`` from the builder (its
        own timeout) or a ``KeyboardInterrupt`` ends the build as ``"interrupted"``.
        """
        from layerlab.errors import BuildInterrupted

        result = self.result
        status: BuildStatus = "failed"
        try:
            for event in events:
                self.handle(event)
            failed = result.error is not None or result.image_id is None
            status = "failed" if failed else "succeeded"
        except (KeyboardInterrupt, BuildInterrupted) as exc:
            status = "interrupted"
            if isinstance(exc, BuildInterrupted):
                result.error = str(exc)
        finally:
            close = getattr(events, "close", None)
            if callable(close):
                close()
        return status

    def settle(self, status: BuildStatus) -> BuildResult:
        """Close the build with ``status``: step statuses, duration, the log file."""
        result = self.result
        if status == "succeeded":
            self._close_current()
        elif self._current is not None:
            self._close_current("failed")
        for step in result.steps:
            if step.status == "running":
                step.status = "failed" if status != "succeeded" else "built"
        result.status = status
        result.duration_s = time.perf_counter() - self._started
        result.log_store.close()
        return result

    def announce(self) -> None:
        """Tell the listeners the build is over (``BuildDone``, the last event)."""
        self._emit(BuildDone(self.result))

    def finish(self, status: BuildStatus) -> BuildResult:
        """``settle`` then ``announce``: for a result nothing else is attached to."""
        self.settle(status)
        self.announce()
        return self.result
