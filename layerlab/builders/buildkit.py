"""The BuildKit builder, driven through the docker CLI.

The docker SDK cannot drive BuildKit (docker/docker-py#2230), so this builder runs the
CLI and reads its progress output:

* ``docker buildx build --progress=rawjson`` when a buildx >= 0.12 is installed (one JSON
  ``SolveStatus`` per line, with a structured ``cached`` flag per vertex);
* otherwise ``DOCKER_BUILDKIT=1 docker build --progress=plain`` with a pre-23 client,
  whose BuildKit support is built in (parsed line by line).

Which CLI works is *detected*, never assumed: a 23+ client without buildx accepts
``DOCKER_BUILDKIT=1`` and then fails. Detection asks each candidate for its versions and
plugins, runs a tiny trial build only where those cannot tell, and remembers the answer
per CLI binary and engine across kernels (``layerlab.builders.probe``). The
image id comes from ``--iidfile``, never from the text. The parsers are plain classes
over lines, so tests replay recorded streams through them without an engine.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from layerlab import i18n
from layerlab.build import (
    BuildError,
    BuildEvent,
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
from layerlab.builders.base import BuildInterrupted, BuildRequest
from layerlab.i18n import t

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

#: The oldest buildx whose ``--progress=rawjson`` we rely on.
MIN_BUILDX = (0, 12)
#: Seconds a probe command may take before the candidate counts as unusable.
PROBE_TIMEOUT_S = 30.0
#: Seconds the CLI gets to cancel the build after SIGINT before it is killed.
STOP_GRACE_S = 10.0

# A Dockerfile the daemon's frontend must reject: getting that error back proves the
# whole BuildKit path (CLI, session, daemon) works, and it builds nothing.
_PROBE_INSTRUCTION = "LAYERLAB_BUILDKIT_PROBE"
_PROBE_DOCKERFILE = f"FROM scratch\n{_PROBE_INSTRUCTION}\n"


# ---------------------------------------------------------------- the CLI
@dataclass(frozen=True)
class BuildKitCli:
    """A docker CLI known (by a probe) to build with BuildKit, and how to call it."""

    executable: str
    client_version: str
    #: the buildx version when builds go through ``docker buildx build`` (else None)
    buildx_version: str | None = None

    @property
    def mode(self) -> Literal["buildx", "builtin"]:
        return "buildx" if self.buildx_version else "builtin"

    @property
    def progress(self) -> Literal["rawjson", "plain"]:
        return "rawjson" if self.mode == "buildx" else "plain"

    def describe(self) -> str:
        if self.mode == "buildx":
            return (
                f"docker {self.client_version} ({self.executable}) with buildx "
                f"{self.buildx_version}, rawjson progress"
            )
        return (
            f"docker {self.client_version} ({self.executable}), built-in BuildKit, plain progress"
        )

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.mode == "builtin":
            env["DOCKER_BUILDKIT"] = "1"
        # the progress output must not depend on the learner's terminal or CLI config
        env.pop("BUILDKIT_PROGRESS", None)
        env["NO_COLOR"] = "1"
        return env

    def build_command(self, request: BuildRequest, iidfile: Path) -> list[str]:
        """The CLI arguments that build ``request`` (memory/CPU limits are classic-only)."""
        command = [self.executable]
        command += ["buildx", "build", "--load"] if self.mode == "buildx" else ["build"]
        command += [f"--progress={self.progress}", "--iidfile", str(iidfile)]
        command += ["-f", str(request.dockerfile_path)]
        for tag in request.tags:
            command += ["-t", tag]
        for key, value in request.labels.items():
            command += ["--label", f"{key}={value}"]
        for key, value in request.build_args.items():
            command += ["--build-arg", f"{key}={value}"]
        if request.no_cache:
            command.append("--no-cache")
        if request.pull:
            command.append("--pull")
        if request.target:
            command += ["--target", request.target]
        command.append(str(request.context))
        return command

    def probe_command(self) -> list[str]:
        if self.mode == "buildx":
            return [self.executable, "buildx", "build", "--progress=rawjson", "-"]
        return [self.executable, "build", "--progress=plain", "-"]


@dataclass(frozen=True)
class CliProbe:
    """What detection learned about one ``docker`` executable."""

    executable: str
    client_version: str | None
    buildx_version: str | None
    cli: BuildKitCli | None
    reason: str = ""

    def summary(self) -> str:
        version = f"docker {self.client_version}" if self.client_version else "docker"
        if self.cli is not None:
            return f"{self.executable}: {self.cli.describe()}"
        return f"{self.executable} ({version}): {self.reason}"


def _version_tuple(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return ()
    return tuple(int(part) for part in match.groups() if part is not None)


def _run(
    command: Sequence[str], *, env: dict[str, str] | None = None, stdin: str | None = None
) -> tuple[int, str]:
    try:
        completed = subprocess.run(
            list(command),
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=PROBE_TIMEOUT_S,
            check=False,
            encoding="utf-8",
            errors="replace",
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return -1, f"{type(exc).__name__}: {exc}"
    return completed.returncode, (completed.stdout or "") + (completed.stderr or "")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        cleaned = line.strip().removeprefix("ERROR:").strip()
        if cleaned:
            return cleaned[:160]
    return "no output"


#: The first client with BuildKit built in (``DOCKER_BUILDKIT=1 docker build``).
FIRST_BUILTIN_CLIENT = (18, 9)
#: From 23.0 on, ``docker build`` hands BuildKit builds to the buildx plugin and fails
#: without it ("BuildKit is enabled but the buildx component is missing or broken").
FIRST_BUILDX_ONLY_CLIENT = (23, 0)
#: The engine API that has BuildKit's session endpoint (Engine 18.09).
MIN_BUILDKIT_API = (1, 39)
_VERSION_FORMAT = (
    "{{.Client.Version}}|{{.Server.APIVersion}}|{{range .Server.Components}}{{.Name}},{{end}}"
)


@dataclass(frozen=True)
class _Versions:
    client: str | None
    #: the engine's API version as this CLI sees it (None: no engine answered)
    server_api: str | None
    #: the engine's components (``Engine``, ``containerd``…; ``Podman Engine`` on Podman)
    components: str


def _query_versions(executable: str) -> _Versions:
    # One `docker version` call. With no engine the CLI exits 1 after printing the client
    # part; a CLI that ignores --format prints its version alone: both are read.
    code, out = _run([executable, "version", "--format", _VERSION_FORMAT])
    if code == -1 or not out.strip():
        return _Versions(None, None, "")
    client, _, rest = out.splitlines()[0].strip().partition("|")
    server_api, _, components = rest.partition("|")
    return _Versions(
        client if _version_tuple(client) else None,
        server_api if _version_tuple(server_api) else None,
        components,
    )


def _query_buildx(executable: str) -> str | None:
    # Exit 0 with a version proves the plugin is installed (23+ without it: exit 1,
    # "unknown command" / "'buildx' is not a docker command").
    code, out = _run([executable, "buildx", "version"])
    if code != 0:
        return None
    match = re.search(r"\bv?(\d+\.\d+(?:\.\d+)?)", out)
    return match.group(1) if match else None


def _trial(candidate: BuildKitCli) -> tuple[bool, str]:
    """A real, tiny, failing build: proves the whole path (CLI, session, daemon) works."""
    _, out = _run(candidate.probe_command(), env=candidate.environment(), stdin=_PROBE_DOCKERFILE)
    return _probe_succeeded(candidate, out), _first_line(out)


def probe_cli(executable: str) -> CliProbe:
    """Whether ``executable`` can build with BuildKit: version and capability queries, and
    a real trial build only where the queries cannot tell."""
    versions = _query_versions(executable)
    buildx = _query_buildx(executable)
    client = _version_tuple(versions.client or "")[:2]
    reason = ""
    if buildx and _version_tuple(buildx)[:2] >= MIN_BUILDX:
        # buildx's version says it can print rawjson; whether its current builder (a
        # context, a docker-container driver…) reaches a BuildKit engine, no query tells
        # cheaply: the trial build does.
        candidate = BuildKitCli(executable, versions.client or "?", buildx)
        works, reason = _trial(candidate)
        if works:
            return CliProbe(executable, versions.client, buildx, candidate)
    builtin = BuildKitCli(executable, versions.client or "?")
    if client and client >= FIRST_BUILDX_ONLY_CLIENT:
        # The version proves it: 23+ builds with BuildKit only through buildx.
        reason = reason or t("buildkit.needs_buildx", version=versions.client)
    elif client and client < FIRST_BUILTIN_CLIENT:
        # The version proves it: no BuildKit client before 18.09.
        reason = t("buildkit.client_too_old", version=versions.client)
    elif client and _builtin_engine_ok(versions):
        # An 18.09-22.x client has BuildKit built in (DOCKER_BUILDKIT=1), and the engine it
        # reaches is a Docker Engine with the session API: nothing left to try.
        return CliProbe(executable, versions.client, buildx, builtin)
    else:
        # Unknown client version, no engine answering, an old API or not a Docker Engine
        # (Podman speaks the API without BuildKit sessions): only a real build can tell.
        works, trial_reason = _trial(builtin)
        if works:
            return CliProbe(executable, versions.client, buildx, builtin)
        reason = trial_reason
    if buildx and _version_tuple(buildx)[:2] < MIN_BUILDX:
        reason = f"buildx {buildx} is older than 0.12; {reason}"
    elif not buildx:
        reason = f"no buildx; {reason}"
    return CliProbe(executable, versions.client, buildx, None, reason)


def _builtin_engine_ok(versions: _Versions) -> bool:
    api = _version_tuple(versions.server_api or "")[:2]
    is_docker = "engine" in versions.components.lower()
    return (
        bool(api)
        and api >= MIN_BUILDKIT_API
        and is_docker
        and "podman" not in (versions.components.lower())
    )


def _probe_succeeded(cli: BuildKitCli, output: str) -> bool:
    # The frontend's own complaint about the probe instruction, next to BuildKit progress.
    if _PROBE_INSTRUCTION.lower() not in output.lower():
        return False
    if cli.progress == "plain":
        return any(_PLAIN_LINE.match(line) for line in output.splitlines())
    return any(line.lstrip().startswith("{") for line in output.splitlines())


def candidate_executables(path: str | None = None) -> list[str]:
    """Every distinct ``docker`` on PATH (in PATH order), then the distribution's own."""
    seen: set[str] = set()
    found: list[str] = []
    directories = (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep)
    for directory in [*directories, "/usr/bin", "/usr/local/bin"]:
        if not directory:
            continue
        candidate = Path(directory) / "docker"
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            continue
        real = str(candidate.resolve())
        if real in seen:
            continue
        seen.add(real)
        found.append(str(candidate))
    return found


@dataclass
class _Detection:
    probes: list[CliProbe] = field(default_factory=list)
    cli: BuildKitCli | None = None
    done: bool = False


_detection = _Detection()
_detection_lock = threading.Lock()


def detect(
    executables: Iterable[str], probe: Callable[[str], CliProbe] = probe_cli
) -> tuple[BuildKitCli | None, list[CliProbe]]:
    """Probe ``executables``; prefer buildx (rawjson), then the first that works at all."""
    probes = [probe(executable) for executable in executables]
    usable = [probe.cli for probe in probes if probe.cli is not None]
    chosen = next((cli for cli in usable if cli.mode == "buildx"), None)
    if chosen is None and usable:
        chosen = usable[0]
    return chosen, probes


def find_buildkit_cli() -> BuildKitCli | None:
    """The docker CLI to build with BuildKit, or None; detected once per process."""
    with _detection_lock:
        if not _detection.done:
            override = os.environ.get("LAYERLAB_DOCKER_CLI")
            executables = [override] if override else candidate_executables()
            engine = _engine_identity()
            _detection.cli, _detection.probes = detect(
                executables, lambda executable: remembered_probe(executable, engine)
            )
            _detection.done = True
        return _detection.cli


def remembered_probe(executable: str, engine: str | None) -> CliProbe:
    """``probe_cli(executable)``, remembered across kernels (see ``layerlab.builders.probe``)."""
    from layerlab.builders import probe

    answer = probe.remembered(executable, engine, lambda: _probe_as_json(probe_cli(executable)))
    try:
        return _probe_from_json(executable, answer)
    except (KeyError, TypeError, ValueError):  # an entry written by hand or by another kit
        return probe_cli(executable)


def _probe_as_json(found: CliProbe) -> dict[str, Any]:
    return {
        "client_version": found.client_version,
        "buildx_version": found.buildx_version,
        "mode": found.cli.mode if found.cli is not None else None,
        "reason": found.reason,
    }


def _probe_from_json(executable: str, data: dict[str, Any]) -> CliProbe:
    client, buildx, mode = data["client_version"], data["buildx_version"], data["mode"]
    for value in (client, buildx):
        if value is not None and not isinstance(value, str):
            raise TypeError(value)
    if mode not in (None, "buildx", "builtin") or (mode == "buildx" and not buildx):
        raise ValueError(mode)
    cli = None
    if mode is not None:
        cli = BuildKitCli(executable, client or "?", buildx if mode == "buildx" else None)
    return CliProbe(executable, client, buildx, cli, str(data.get("reason", "")))


def _engine_identity() -> str | None:
    """Which engine the CLIs reach, for the probe cache (None: none answered)."""
    from docker.errors import DockerException

    from layerlab.engine import connect
    from layerlab.errors import LayerlabError

    try:
        version = connect(verify=False).version()
    except (LayerlabError, DockerException, OSError):
        return None
    components = sorted(
        f"{item.get('Name')} {item.get('Version')}"
        for item in version.get("Components") or []
        if isinstance(item, dict)
    )
    return "|".join(
        [
            os.environ.get("DOCKER_HOST", ""),
            os.environ.get("DOCKER_CONTEXT", ""),
            str(version.get("Version", "?")),
            str(version.get("ApiVersion", "?")),
            *components,
        ]
    )


def forget_detection() -> None:
    """Detect again on the next call (after installing buildx, or in tests)."""
    with _detection_lock:
        _detection.probes = []
        _detection.cli = None
        _detection.done = False


def no_buildkit_message() -> str:
    """One line: which docker CLIs were found, why none works, what to install."""
    find_buildkit_cli()
    with _detection_lock:
        probes = list(_detection.probes)
    found = "; ".join(probe.summary() for probe in probes) or t("buildkit.no_docker")
    return t("buildkit.none", found=found)


# ---------------------------------------------------------------- progress parsing
_PLAIN_LINE = re.compile(r"^#(?P<vertex>\d+) (?P<rest>.*)$")
_STEP_NAME = re.compile(
    r"^\[(?:(?P<stage>[^\s\]]+) )?\s*(?P<number>\d+)/(?P<total>\d+)\] (?P<instruction>.+)$"
)
_DONE = re.compile(r"^DONE (?P<seconds>\d+(?:\.\d+)?)s$")
_TIMED_OUTPUT = re.compile(r"^(?P<seconds>\d+\.\d+) ?(?P<text>.*)$")
#: a step's output line, ``#7 0.512 text``: _PLAIN_LINE then _TIMED_OUTPUT in one match
_OUTPUT_LINE = re.compile(r"#(\d+) \d+\.\d+ ?(.*)")
_METADATA = re.compile(r"^\[internal\] load metadata for (?P<image>\S+)$")
_MISSING_IMAGE = re.compile(
    r"not found|pull access denied|does not exist|manifest unknown|no such host|dial tcp"
    r"|failed to (?:do request|resolve)|connection refused|unauthorized",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StepRef:
    """Which step a BuildKit vertex is: ``[stage number/total] instruction``."""

    number: int
    total: int
    instruction: str
    stage: str = ""

    @property
    def is_base(self) -> bool:
        return self.instruction.split(maxsplit=1)[0].upper() == "FROM"


def parse_vertex_name(name: str) -> StepRef | None:
    """``[builder 2/3] RUN make`` → StepRef(2, 3, "RUN make", "builder"); other names → None."""
    match = _STEP_NAME.match(name.strip())
    if not match:
        return None
    return StepRef(
        number=int(match["number"]),
        total=int(match["total"]),
        instruction=match["instruction"].strip(),
        stage=match["stage"] or "",
    )


def _step_started(step: StepRef) -> StepStarted:
    return StepStarted(step.number, step.total, step.instruction, step.is_base, step.stage)


def _vertex_error(name: str, step: StepRef | None, message: str) -> BuildEvent:
    if step is not None:
        return StepFailed(step.number, message, step.stage)
    metadata = _METADATA.match(name)
    if metadata and _MISSING_IMAGE.search(message):
        return BuildError(t("engine.image_missing", image=metadata["image"]))
    return BuildError(message)


class PlainProgressParser:
    """Turns ``--progress=plain`` lines into ``BuildEvent``s.

    Each line ``#N …`` belongs to vertex N; the first line of a vertex is its name. The
    printer repeats the name when it switches between concurrent vertices (with ``#N ...``
    where it paused), so a vertex starts once, however often its name is printed. Every
    line goes to the log verbatim, first (``EngineLines``), so ``result.log`` is what the
    CLI printed; the lines that are not step output are also ``LogLine``s for the views.
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.steps: dict[str, StepRef] = {}
        #: a step failed or the engine reported an error (the exit code adds nothing)
        self.failed = False
        #: the last non-progress line (the CLI's final error, when there is one)
        self.last_message = ""

    def feed(self, line: str) -> list[BuildEvent]:
        line = line.rstrip("\r\n")
        return [EngineLines((line,)), *self._read(line)]

    def feed_lines(self, lines: Iterable[str]) -> list[BuildEvent]:
        """The events of a block of lines, coalesced (``build.coalesce``): what ``feed``
        gives line by line, in a few events. A step's output line (a chatty RUN sends
        100,000) takes one regular-expression match and no event of its own."""
        engine: list[str] = []
        events: list[BuildEvent] = []
        owner: StepRef | None = None
        pending: list[str] = []
        output_line = _OUTPUT_LINE.match
        steps = self.steps
        for raw in lines:
            line = raw.rstrip("\r\n")
            engine.append(line)
            # A step's name starts with "[", never with digits: a timed line of a step is
            # output (never its name again, ERROR, CACHED, DONE…), as _vertex_line decides.
            found = output_line(line)
            step = steps.get(found.group(1)) if found is not None else None
            if found is not None and step is not None:
                if step is not owner:
                    if owner is not None:
                        events.append(StepOutput(owner.number, tuple(pending), owner.stage))
                    owner, pending = step, []
                pending.append(found.group(2).rstrip())
                continue
            if owner is not None:
                events.append(StepOutput(owner.number, tuple(pending), owner.stage))
                owner, pending = None, []
            events.extend(self._read(line))
        if owner is not None:
            events.append(StepOutput(owner.number, tuple(pending), owner.stage))
        return coalesce([EngineLines(tuple(engine)), *events])

    def _read(self, line: str) -> list[BuildEvent]:
        match = _PLAIN_LINE.match(line)
        if not match:
            # the CLI's own lines: the error summary after the progress, warnings
            if line.strip() and not set(line.strip()) <= {"-"}:
                self.last_message = line.strip()
            return [LogLine(line)] if line.strip() else []
        vertex, rest = match["vertex"], match["rest"]
        if vertex not in self.names:
            return self._new_vertex(vertex, rest, line)
        return self._vertex_line(vertex, rest, line)

    def _vertex_line(self, vertex: str, rest: str, line: str) -> list[BuildEvent]:
        step = self.steps.get(vertex)
        name = self.names[vertex]
        if rest.startswith("ERROR"):
            self.failed = True
            message = rest.removeprefix("ERROR").lstrip(":").strip() or "error"
            return [LogLine(line), _vertex_error(name, step, message)]
        # The name again, "...", the digest: the printer's bookkeeping. CANCELED: another
        # vertex failed (or we stopped the build), and that is where the failure is told.
        if step is None or rest in (name, "...", "CANCELED") or rest.startswith("sha256:"):
            return [LogLine(line)]
        if rest == "CACHED":
            return [
                LogLine(line),
                StepCached(step.number, step.stage),
                StepFinished(step.number, stage=step.stage),
            ]
        done = _DONE.match(rest)
        if done:
            seconds = float(done["seconds"])
            return [LogLine(line), StepFinished(step.number, duration_s=seconds, stage=step.stage)]
        timed = _TIMED_OUTPUT.match(rest)
        text = timed["text"] if timed else rest
        return [StepOutput(step.number, (text.rstrip(),), step.stage)]

    def _new_vertex(self, vertex: str, name: str, line: str) -> list[BuildEvent]:
        self.names[vertex] = name
        step = parse_vertex_name(name)
        if step is None:
            return [LogLine(line)]
        self.steps[vertex] = step
        return [LogLine(line), _step_started(step)]

    def flush(self) -> list[BuildEvent]:
        return []


def _timestamp(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    # Go prints nanoseconds and "Z"; Python takes at most microseconds before 3.11's parser.
    match = re.match(r"^(.*?T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$", text)
    if not match:
        return None
    base, fraction, zone = match.groups()
    fraction = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in (None, "Z") else zone
    try:
        return dt.datetime.fromisoformat(f"{base}.{fraction}{zone}")
    except ValueError:
        return None


@dataclass
class _RawVertex:
    index: int
    name: str = ""
    step: StepRef | None = None
    started: bool = False
    ended: bool = False
    log_buffer: str = ""


class RawJsonProgressParser:
    """Turns ``--progress=rawjson`` lines (one ``SolveStatus`` each) into ``BuildEvent``s.

    A vertex appears several times (when it starts, when it completes); logs come base64
    encoded and may split a line across messages. ``result.log`` keeps the JSON lines
    as sent; the ``LogLine`` events (for the views) are the lines the plain printer
    would have written (``#N [2/3] RUN …``, ``#N CACHED``, ``#N DONE 0.8s``).
    """

    def __init__(self) -> None:
        self.vertices: dict[str, _RawVertex] = {}
        self.failed = False
        self.last_message = ""

    def feed(self, line: str) -> list[BuildEvent]:
        line = line.rstrip("\r\n")
        # the log keeps the JSON lines as buildx sent them; the LogLines below render them
        # the way the plain printer would, for the views
        return [EngineLines((line,)), *self._read(line)]

    def feed_lines(self, lines: Iterable[str]) -> list[BuildEvent]:
        """The events of a block of lines, coalesced (``build.coalesce``)."""
        return coalesce(event for line in lines for event in self.feed(line))

    def _read(self, line: str) -> list[BuildEvent]:
        if not line.strip():
            return []
        try:
            status = json.loads(line)
        except ValueError:
            status = None
        if not isinstance(status, dict):
            # buildx prints its final error (and warnings) as text after the JSON
            self.last_message = line.strip()
            return [LogLine(line)]
        events: list[BuildEvent] = []
        for vertex in _dicts(status.get("vertexes")):
            events.extend(self._vertex(vertex))
        for log in _dicts(status.get("logs")):
            events.extend(self._log(log))
        for warning in _dicts(status.get("warnings")):
            short = _decode(warning.get("short")).strip()
            if short:
                events.append(LogLine(f"WARNING: {short}"))
        return events

    def _get(self, digest: str) -> _RawVertex:
        vertex = self.vertices.get(digest)
        if vertex is None:
            vertex = _RawVertex(index=len(self.vertices) + 1)
            self.vertices[digest] = vertex
        return vertex

    def _vertex(self, data: dict[str, Any]) -> list[BuildEvent]:
        digest = str(data.get("digest") or "")
        if not digest:
            return []
        vertex = self._get(digest)
        if data.get("name") and not vertex.name:
            vertex.name = str(data["name"])
            vertex.step = parse_vertex_name(vertex.name)
        events: list[BuildEvent] = []
        cached = bool(data.get("cached"))
        if (data.get("started") is not None or cached) and not vertex.started:
            vertex.started = True
            events.append(LogLine(f"#{vertex.index} {vertex.name}"))
            if vertex.step is not None:
                events.append(_step_started(vertex.step))
        ended = bool(data.get("error")) or cached or data.get("completed") is not None
        if vertex.started and ended and not vertex.ended:
            vertex.ended = True
            events.extend(self._flush_vertex(vertex))
            events.extend(self._end(vertex, data))
        return events

    def _end(self, vertex: _RawVertex, data: dict[str, Any]) -> list[BuildEvent]:
        step, prefix = vertex.step, f"#{vertex.index}"
        error = str(data.get("error") or "")
        if error and "context canceled" in error:
            return [LogLine(f"{prefix} CANCELED")]  # the failure is told where it happened
        if error:
            self.failed = True
            return [LogLine(f"{prefix} ERROR: {error}"), _vertex_error(vertex.name, step, error)]
        if data.get("cached"):
            if step is None:
                return [LogLine(f"{prefix} CACHED")]
            return [
                LogLine(f"{prefix} CACHED"),
                StepCached(step.number, step.stage),
                StepFinished(step.number, stage=step.stage),
            ]
        begin, end = _timestamp(data.get("started")), _timestamp(data.get("completed"))
        seconds = (end - begin).total_seconds() if begin and end else None
        events: list[BuildEvent] = [
            LogLine(f"{prefix} DONE {seconds:.1f}s" if seconds is not None else f"{prefix} DONE")
        ]
        if step is not None:
            events.append(StepFinished(step.number, duration_s=seconds, stage=step.stage))
        return events

    def _log(self, data: dict[str, Any]) -> list[BuildEvent]:
        digest = str(data.get("vertex") or "")
        vertex = self._get(digest)
        vertex.log_buffer += _decode(data.get("data"))
        *lines, vertex.log_buffer = vertex.log_buffer.split("\n")
        return [self._log_line(vertex, text.rstrip("\r")) for text in lines]

    def _log_line(self, vertex: _RawVertex, text: str) -> BuildEvent:
        if vertex.step is not None:
            return StepOutput(vertex.step.number, (text.rstrip(),), vertex.step.stage)
        return LogLine(f"#{vertex.index} {text}")

    def _flush_vertex(self, vertex: _RawVertex) -> list[BuildEvent]:
        if not vertex.log_buffer:
            return []
        text, vertex.log_buffer = vertex.log_buffer, ""
        return [self._log_line(vertex, text)]

    def flush(self) -> list[BuildEvent]:
        events: list[BuildEvent] = []
        for vertex in self.vertices.values():
            events.extend(self._flush_vertex(vertex))
        return events


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _decode(value: object) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return base64.b64decode(value).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return value


ProgressParser = PlainProgressParser | RawJsonProgressParser


def new_parser(progress: Literal["rawjson", "plain"]) -> ProgressParser:
    return RawJsonProgressParser() if progress == "rawjson" else PlainProgressParser()


def _read_lines(fd: int, size: int = 65536) -> Iterator[list[str]]:
    """The CLI's output in the blocks it wrote, split into lines.

    ``os.read`` returns what the pipe holds (up to ``size`` bytes) without waiting for more,
    so the live view stays live; a chatty RUN's 100,000 lines arrive in a few hundred
    blocks, each parsed and passed on as a few events (``coalesce``), not one per line.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while chunk := os.read(fd, size):
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        if lines:
            yield lines
    pending += decoder.decode(b"", final=True)
    if pending:
        yield [pending]


def parse_lines(
    lines: Iterable[str],
    progress: Literal["rawjson", "plain"] = "plain",
) -> list[BuildEvent]:
    """All events of a recorded progress stream (used by tests and tools)."""
    parser = new_parser(progress)
    events: list[BuildEvent] = []
    for line in lines:
        events.extend(parser.feed(line))
    events.extend(parser.flush())
    return events


# ---------------------------------------------------------------- the builder
def _outcome(code: int, iidfile: Path, parser: ProgressParser) -> Iterator[BuildEvent]:
    """The last event of a CLI run that ended with exit ``code``."""
    if code == 0:
        image_id = iidfile.read_text(encoding="utf-8").strip() if iidfile.exists() else ""
        yield ImageBuilt(image_id) if image_id else BuildError(t("buildkit.no_iid"))
    elif not _engine_answers():
        # the CLI's own words ("error reading from server: EOF", a RUN "failed" because
        # its executor vanished) would blame the learner's step: the engine went away
        reason = parser.last_message or t("buildkit.exit", code=code)
        yield BuildError(t("engine.lost", reason=reason))
    elif not parser.failed:
        yield BuildError(parser.last_message or t("buildkit.exit", code=code))


def _engine_answers() -> bool:
    """True when the engine (DOCKER_HOST) answers a ping, asked afresh after a failure."""
    import docker
    from docker.errors import DockerException
    from requests.exceptions import RequestException

    try:
        client = docker.from_env(timeout=5)  # the DOCKER_HOST the CLI used
    except DockerException:
        return False
    try:
        return bool(client.ping())
    except (DockerException, RequestException, OSError):
        return False
    finally:
        client.close()


def stop_process(process: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S) -> None:
    """Stop the CLI so the daemon cancels its build, then reap it.

    SIGINT is what Ctrl-C sends in a terminal: the CLI cancels the build on the engine
    and exits. The CLI runs in its own process group (buildx is a child process of
    ``docker``), so the whole group gets the signal; SIGKILL if it does not exit in time
    (the daemon also cancels a build whose client connection drops).
    """
    if process.poll() is not None:
        return
    for sig in (signal.SIGINT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            continue
        return


class BuildKitBuilder:
    """Builds with BuildKit through ``cli`` and emits the same events as the classic one."""

    name: ClassVar[str] = "buildkit"

    def __init__(self, cli: BuildKitCli) -> None:
        self.cli = cli

    def __repr__(self) -> str:
        return f"<BuildKitBuilder {self.cli.describe()}>"

    def events(self, request: BuildRequest) -> Iterator[BuildEvent]:
        with tempfile.TemporaryDirectory(prefix="layerlab-buildkit-") as scratch:
            iidfile = Path(scratch) / "iid"
            yield from self._run(request, iidfile)

    def _run(self, request: BuildRequest, iidfile: Path) -> Iterator[BuildEvent]:
        parser = new_parser(self.cli.progress)
        process = subprocess.Popen(
            self.cli.build_command(request, iidfile),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # progress goes to stderr; keep one ordered stream
            env=self.cli.environment(),
            bufsize=0,  # read what the CLI wrote as soon as it wrote it (see _read_lines)
            # Ctrl-C in a terminal must reach Python only: we decide how the CLI stops.
            start_new_session=True,
        )
        timed_out = threading.Event()

        def stop_on_timeout() -> None:
            timed_out.set()
            stop_process(process)

        timer = None
        if request.timeout_s:
            timer = threading.Timer(request.timeout_s, stop_on_timeout)
            timer.daemon = True
            timer.start()
        finished = False
        try:
            assert process.stdout is not None  # noqa: S101 - stdout=PIPE above
            yield BuildStarted()
            for lines in _read_lines(process.stdout.fileno()):
                yield from parser.feed_lines(lines)
            yield from parser.flush()
            code = process.wait()
            finished = True
        finally:
            # Reached on GeneratorExit too (KeyboardInterrupt in the consumer, close()).
            if timer is not None:
                timer.cancel()
            if not finished:
                stop_process(process)
            if process.stdout is not None:
                process.stdout.close()
        if timed_out.is_set():
            raise BuildInterrupted(
                t("build.timeout", duration=i18n.seconds(request.timeout_s or 0, None))
            )
        yield from _outcome(code, iidfile, parser)


__all__ = [
    "BuildKitBuilder",
    "BuildKitCli",
    "CliProbe",
    "PlainProgressParser",
    "RawJsonProgressParser",
    "StepRef",
    "candidate_executables",
    "detect",
    "find_buildkit_cli",
    "forget_detection",
    "no_buildkit_message",
    "parse_lines",
    "parse_vertex_name",
    "probe_cli",
    "remembered_probe",
]
