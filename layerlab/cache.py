"""The cache explainer: which step first missed the build cache, and why.

The report *explains the engine's outcome*, it never predicts one. The first miss is the
first step the engine rebuilt (status ``"built"``); the kit then compares that step with
the latest earlier build of the same Dockerfile and context (same builder: classic and
BuildKit keep separate caches) and names the first difference it finds, in the order the
engine's cache key depends on it:

1. ``--no-cache`` was given;
2. there is no earlier build to compare with (first build in this session);
3. the base image of the step's stage is a different image (only when the miss is the
   stage's first step, because every cached step before it proves the base was reused);
4. the instruction text changed (or is new);
5. the context files a ``COPY``/``ADD`` step copies changed (their names; ``.dockerignore``
   respected, so an excluded file is never named);
6. build args in scope for the step changed (any, for ``RUN``; those referenced, otherwise);
7. otherwise ``unknown`` (the previous build stopped before this step, or the engine lost
   its cache, e.g. after ``docker image prune``).

Each build gets a ``Fingerprint`` taken right after it finished: instructions, build args,
``no_cache``, the base image id of each ``FROM``, and content hashes of the files each
``COPY``/``ADD`` copied. Fingerprints live in a module registry keyed by the result's
identity (weak references: a result that is garbage-collected takes its fingerprint with
it), so ``BuildResult`` needs no extra field. ``fingerprint_of(result)`` reads it back.
"""

from __future__ import annotations

import fnmatch
import hashlib
import html
import json
import posixpath
import re
import stat
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from layerlab import i18n
from layerlab.i18n import t

if TYPE_CHECKING:
    from layerlab.build import BuildResult, BuildStep
    from layerlab.dockerfile import Dockerfile, Instruction

ReasonKind = Literal[
    "first_build",
    "no_cache",
    "instruction_changed",
    "files_changed",
    "base_changed",
    "build_args_changed",
    "unknown",
]

#: Looks a base image reference up on the engine; returns its id or None.
BaseResolver = Callable[[str], str | None]

#: Changed file names shown in the text before "and N more".
SHOWN_FILES = 8

_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")
_SECRET = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE", re.IGNORECASE)
_REMOTE = re.compile(r"^(?:https?://|git@|git://)", re.IGNORECASE)


# ---------------------------------------------------------------- fingerprints
class BaseImage(NamedTuple):
    #: the reference as written (``$VAR`` resolved when the kit could)
    name: str
    #: image id without ``sha256:``; short (12) when the classic builder reported it
    image_id: str | None


@dataclass(frozen=True)
class StepPrint:
    """What one step of a build depended on."""

    number: int
    stage: str
    #: stage key: the BuildKit stage name, else ``#k`` for the k-th ``FROM`` (``#0``
    #: holds the ARGs before the first FROM, which are never cache candidates)
    stage_key: str
    #: position in the stage, ``FROM`` being 0: how the engine chains cache lookups
    position: int
    instruction: str
    status: str
    #: relative path -> digest of each context file a COPY/ADD copied; None when the
    #: step copies no context files or the files were not hashed at build time
    files: Mapping[str, str] | None = None

    @property
    def keyword(self) -> str:
        return self.instruction.split(maxsplit=1)[0].upper() if self.instruction else ""

    @property
    def candidate(self) -> bool:
        """True when the engine looks this step up in its cache."""
        return self.stage_key != "#0" and self.status != "base" and self.keyword != "FROM"


@dataclass(frozen=True)
class Fingerprint:
    context: str
    dockerfile: str
    builder: str
    status: str
    instructions: tuple[str, ...]
    build_args: Mapping[str, str]
    no_cache: bool
    steps: tuple[StepPrint, ...]
    #: stage key -> its base image
    bases: Mapping[str, BaseImage] = field(default_factory=dict)
    #: False when taken after the fact (file hashes unknown)
    complete: bool = True

    def step_at(self, stage_key: str, position: int) -> StepPrint | None:
        return next(
            (s for s in self.steps if s.stage_key == stage_key and s.position == position), None
        )


_FINGERPRINTS: dict[int, tuple[weakref.ref[BuildResult], Fingerprint]] = {}


def fingerprint_of(result: BuildResult) -> Fingerprint | None:
    """The fingerprint taken when ``result`` was explained (or remembered), if any."""
    entry = _FINGERPRINTS.get(id(result))
    if entry is None or entry[0]() is not result:
        return None
    return entry[1]


def _store(result: BuildResult, fingerprint: Fingerprint) -> None:
    key = id(result)
    _FINGERPRINTS[key] = (
        weakref.ref(result, lambda _ref: _FINGERPRINTS.pop(key, None)),
        fingerprint,
    )


def remember(result: BuildResult, *, resolve_base: BaseResolver | None = None) -> Fingerprint:
    """Fingerprint ``result`` now (files hashed as they are on disk) and keep it.

    ``explain`` calls it; call it yourself for a build that is not explained (a failed
    one), so a later build can be compared with it.
    """
    fingerprint = _fingerprint(result, resolve_base or engine_image_id, complete=True)
    _store(result, fingerprint)
    return fingerprint


def engine_image_id(reference: str) -> str | None:
    """The id of ``reference`` on the engine, or None when it is not there."""
    from docker.errors import DockerException

    from layerlab.engine import connect
    from layerlab.errors import LayerlabError

    try:
        # right after a build that talked to the engine: no second ping needed
        found = connect(verify=False).api.inspect_image(reference)  # type: ignore[no-untyped-call]
    except (DockerException, LayerlabError, OSError):
        return None
    image_id = found.get("Id") if isinstance(found, dict) else None
    return str(image_id) if image_id else None


def prefetch_base_ids(names: Sequence[str]) -> BaseResolver:
    """Look the base images up on the engine in the background, while the build runs.

    BuildKit does not print the base image's id, so the explainer must ask the engine;
    asking during the build keeps that round trip off the learner's wait. Returns a
    resolver that waits for those answers (and asks directly for any other name).
    """
    import threading

    found: dict[str, str | None] = {}
    wanted = {_canonical(name): name for name in names if "$" not in name}

    def look_up() -> None:
        for key, name in wanted.items():
            found[key] = engine_image_id(name)

    worker = threading.Thread(target=look_up, name="layerlab-base-ids", daemon=True)
    worker.start()

    def resolve(name: str) -> str | None:
        key = _canonical(name)
        if key in wanted:
            worker.join()
            return found.get(key)
        return engine_image_id(name)

    return resolve


def _canonical(name: str) -> str:
    """``python:3.13-alpine`` and BuildKit's ``docker.io/library/python:3.13-alpine`` alike."""
    for prefix in ("docker.io/library/", "docker.io/"):
        name = name.removeprefix(prefix)
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in last else f"{name}:latest"


def _layout(steps: Sequence[BuildStep]) -> list[tuple[str, int]]:
    """(stage key, position) of each step, in order."""
    layout: list[tuple[str, int]] = []
    froms = 0
    positions: dict[str, int] = {}
    for step in steps:
        is_from = step.keyword == "FROM" or step.status == "base"
        if step.stage:
            key = step.stage
        else:
            if is_from:
                froms += 1
            key = f"#{froms}"
        if is_from:
            positions[key] = 0
        else:
            positions[key] = positions.get(key, 0) + 1
        layout.append((key, positions[key]))
    return layout


def _fingerprint(
    result: BuildResult, resolve_base: BaseResolver | None, *, complete: bool
) -> Fingerprint:
    parsed = result.parsed_dockerfile
    variables = _arg_values(parsed, result.build_args) if parsed is not None else {}
    aliases = _stage_aliases(parsed)
    sent: list[str] | None = None
    steps: list[StepPrint] = []
    bases: dict[str, BaseImage] = {}
    for step, (key, position) in zip(result.steps, _layout(result.steps), strict=True):
        files: dict[str, str] | None = None
        if complete and key != "#0" and step.keyword in ("COPY", "ADD"):
            sources = copy_sources(step.instruction, variables)
            if sources:
                if sent is None:
                    sent = sent_files(Path(result.context), result.dockerfile)
                files = hash_files(Path(result.context), matching_files(sent, sources))
        if position == 0 and key != "#0":
            name = _from_reference(step.instruction, variables)
            image_id: str | None = None
            if step.layer_id:  # the id the engine itself reported for this FROM
                image_id = step.layer_id.removeprefix("sha256:")
            elif resolve_base is not None and name and name.lower() not in aliases:
                found = resolve_base(name)
                image_id = found.removeprefix("sha256:") if found else None
            bases[key] = BaseImage(name, image_id)
        steps.append(
            StepPrint(step.number, step.stage, key, position, step.instruction, step.status, files)
        )
    return Fingerprint(
        context=result.context,
        dockerfile=result.dockerfile,
        builder=result.builder,
        status=result.status,
        instructions=tuple(i.text for i in parsed.instructions) if parsed else (),
        build_args=dict(result.build_args),
        no_cache=result.no_cache,
        steps=tuple(steps),
        bases=bases,
        complete=complete,
    )


# ---------------------------------------------------------------- Dockerfile helpers
def _stage_aliases(parsed: Dockerfile | None) -> set[str]:
    aliases: set[str] = set()
    for instruction in parsed.by_keyword("FROM") if parsed else []:
        words = instruction.arguments.split()
        if len(words) >= 3 and words[-2].upper() == "AS":
            aliases.add(words[-1].lower())
    return aliases


def _arg_pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for word in instruction.arguments.split():
        name, sep, value = word.partition("=")
        pairs.append((name, value.strip("\"'") if sep else None))
    return pairs


def _sections(parsed: Dockerfile) -> tuple[list[Instruction], list[list[Instruction]]]:
    """The instructions before the first FROM, and those of each stage (FROM first)."""
    preamble: list[Instruction] = []
    stages: list[list[Instruction]] = []
    for instruction in parsed.instructions:
        if instruction.keyword == "FROM":
            stages.append([instruction])
        elif stages:
            stages[-1].append(instruction)
        else:
            preamble.append(instruction)
    return preamble, stages


def _arg_values(parsed: Dockerfile, build_args: Mapping[str, str]) -> dict[str, str]:
    """Every ARG's value for this build (build arg, else default): to expand ``$VAR``."""
    values: dict[str, str] = {}
    for instruction in parsed.by_keyword("ARG"):
        for name, default in _arg_pairs(instruction):
            if name in build_args:
                values[name] = build_args[name]
            elif default is not None:
                values.setdefault(name, default)
    return values


def expand(text: str, variables: Mapping[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced by their values (unknown names left as written)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return variables.get(name, match.group(0))

    return _VARIABLE.sub(value, text)


def _from_reference(instruction: str, variables: Mapping[str, str]) -> str:
    words = [w for w in instruction.split()[1:] if not w.startswith("--")]
    return expand(words[0], variables) if words else ""


def _normalize(text: str) -> str:
    return " ".join(text.split())


def _step_scope(parsed: Dockerfile, step: StepPrint) -> tuple[list[Instruction], bool]:
    """The instructions of the step's stage that come before it, and the global ARGs.

    Returns (instructions before the step, True when the stage was found).
    """
    _preamble, stages = _sections(parsed)
    index: int | None = None
    if step.stage_key.startswith("#"):
        index = int(step.stage_key[1:]) - 1
    else:
        aliases = [
            s[0].arguments.split()[-1].lower() if len(s[0].arguments.split()) >= 3 else ""
            for s in stages
        ]
        if step.stage.lower() in aliases:
            index = aliases.index(step.stage.lower())
        elif re.fullmatch(r"stage-\d+", step.stage):
            index = int(step.stage.split("-")[1])
    if index is None or not 0 <= index < len(stages):
        # Stage not identified: every ARG of the Dockerfile may be in scope.
        return [i for i in parsed.instructions if i.keyword != "FROM"], False
    stage = stages[index]
    # Classic steps are numbered over the whole Dockerfile, one per instruction.
    numbered = step.number - 1
    if (
        step.stage_key.startswith("#")
        and 0 <= numbered < len(parsed.instructions)
        and (parsed.instructions[numbered].keyword == step.keyword)
    ):
        absolute = parsed.instructions[numbered]
        if absolute in stage:
            return stage[: stage.index(absolute)], True
    wanted = _normalize(step.instruction)
    for position, instruction in enumerate(stage):
        if _normalize(instruction.text) == wanted:
            return stage[:position], True
    return stage, True


def _args_in_scope(parsed: Dockerfile, step: StepPrint) -> dict[str, str | None]:
    """ARG name -> default for the ARGs the step sees (redeclared globals inherit theirs)."""
    preamble, _stages = _sections(parsed)
    global_defaults: dict[str, str | None] = {}
    for instruction in preamble:
        if instruction.keyword == "ARG":
            global_defaults.update(_arg_pairs(instruction))
    before, _found = _step_scope(parsed, step)
    scope: dict[str, str | None] = {}
    for instruction in before:
        if instruction.keyword == "ARG":
            for name, default in _arg_pairs(instruction):
                scope[name] = default if default is not None else global_defaults.get(name)
    return scope


# ---------------------------------------------------------------- context files
def copy_sources(instruction: str, variables: Mapping[str, str] | None = None) -> list[str]:
    """The context paths/patterns a COPY/ADD instruction copies ([] when none: --from,
    URLs, heredocs)."""
    keyword, _, rest = instruction.strip().partition(" ")
    if keyword.upper() not in ("COPY", "ADD"):
        return []
    rest = rest.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        if flag.startswith("--from"):
            return []  # copies from another stage or image, not from the context
        rest = rest.strip()
    words: list[str]
    if rest.startswith("[") and rest.endswith("]"):
        try:
            loaded = json.loads(rest)
        except ValueError:
            loaded = None
        words = [str(w) for w in loaded] if isinstance(loaded, list) else rest.split()
    else:
        words = rest.split()
    sources = words[:-1]
    expanded = [expand(s, variables or {}) for s in sources]
    return [s for s in expanded if not _REMOTE.match(s) and not s.startswith("<<")]


def _segment_match(name: str, pattern: str) -> bool:
    # Docker uses Go's filepath.Match: "[^...]" negates, like fnmatch's "[!...]".
    return fnmatch.fnmatchcase(name, pattern.replace("[^", "[!"))


def matching_files(files: Sequence[str], sources: Sequence[str]) -> list[str]:
    """The files (relative paths) that ``COPY sources… dest`` copies.

    A source matches a file itself, or a folder holding it (the folder is copied whole);
    wildcards follow Go's ``filepath.Match``: ``*`` stops at ``/``.
    """
    patterns: list[list[str]] = []
    for source in sources:
        cleaned = posixpath.normpath("/" + source.replace("\\", "/")).lstrip("/")
        patterns.append([] if cleaned in ("", ".") else cleaned.split("/"))
    chosen: list[str] = []
    for relative in files:
        parts = relative.split("/")
        for segments in patterns:
            if len(parts) >= len(segments) and all(
                _segment_match(part, segment)
                for part, segment in zip(parts, segments, strict=False)
            ):
                chosen.append(relative)
                break
    return chosen


def sent_files(root: Path, dockerfile: str) -> list[str]:
    """The context files the engine keeps: ``.dockerignore`` applied, and the Dockerfile and
    ``.dockerignore`` dropped when it excludes them (the engine removes them after reading)."""
    from layerlab.context import context_files, dockerignore_patterns

    dockerfile_path = Path(dockerfile)
    if dockerfile_path.is_absolute():
        try:
            relative = dockerfile_path.relative_to(root).as_posix()
        except ValueError:
            relative = "Dockerfile"
    else:
        relative = dockerfile_path.as_posix()
    patterns = dockerignore_patterns(root)
    files = context_files(root, relative)
    if patterns:
        dropped = {name for name in (relative, ".dockerignore") if _ignored(patterns, name)}
        files = [name for name in files if name not in dropped]
    return files


def _ignored(patterns: Sequence[str], relative: str) -> bool:
    """Whether ``.dockerignore`` excludes ``relative``, as the engine decides it (docker-py's
    own matcher always keeps ``.dockerignore``, so it cannot answer for that file)."""
    from docker.utils.build import Pattern, split_path

    parents = split_path(posixpath.dirname(relative))
    ignored = False
    for pattern in (Pattern(text) for text in patterns):
        if not pattern.dirs:
            continue
        matched = pattern.match(relative) or (
            bool(parents)
            and len(pattern.dirs) <= len(parents)
            and pattern.match("/".join(parents[: len(pattern.dirs)]))
        )
        if matched:
            ignored = not pattern.exclusion
    return bool(ignored)


_DIGESTS: dict[tuple[str, int, int, int, int], str] = {}


def file_digest(path: Path) -> str:
    """Content hash and permission bits (the engine's cache key includes both)."""
    info = path.lstat()
    key = (str(path), info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode)
    cached = _DIGESTS.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    if stat.S_ISLNK(info.st_mode):
        digest.update(b"symlink:" + str(path.readlink()).encode())
    else:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    value = f"{stat.S_IMODE(info.st_mode):o}:{digest.hexdigest()}"
    _DIGESTS[key] = value
    return value


def hash_files(root: Path, files: Sequence[str]) -> dict[str, str]:
    digests: dict[str, str] = {}
    for relative in files:
        try:
            digests[relative] = file_digest(root / relative)
        except OSError:
            digests[relative] = "unreadable"
    return digests


# ---------------------------------------------------------------- the report
class ArgChange(NamedTuple):
    name: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class CacheReport:
    """Why the build cache broke where it did (``result.cache_report``).

    ``first_miss_step`` is the engine's first rebuilt step (None: all came from the
    cache); ``reason`` says why; ``rebuilt_after`` lists the later steps the engine
    rebuilt as a consequence. ``str(report)`` says it in words, in the kit's language.
    """

    first_miss_step: int | None
    reason: ReasonKind | None = None
    #: BuildKit stage of the first miss ("" for the classic builder)
    first_miss_stage: str = ""
    instruction: str = ""
    previous_instruction: str | None = None
    changed_files: tuple[str, ...] = ()
    changed_build_args: tuple[ArgChange, ...] = ()
    base_image: str | None = None
    base_id: str | None = None
    previous_base_id: str | None = None
    #: the base image the compared build named, when its FROM line named another one
    previous_base_image: str | None = None
    #: (stage, number) of later steps the engine rebuilt
    rebuilt_after: tuple[tuple[str, int], ...] = ()
    #: (stage, number) of later steps that still came from the cache (another stage)
    cached_after: tuple[tuple[str, int], ...] = ()
    cached_steps: int = 0
    cacheable_steps: int = 0
    #: when ``reason`` is unknown: the compared build stopped at this step
    previous_stopped_at: int | None = None

    @property
    def all_cached(self) -> bool:
        return self.first_miss_step is None

    @property
    def rebuilt_steps(self) -> tuple[int, ...]:
        """Numbers of every step the engine rebuilt, the first miss included."""
        if self.first_miss_step is None:
            return ()
        return (self.first_miss_step, *(number for _stage, number in self.rebuilt_after))

    def _step_name(self) -> str:
        if self.first_miss_stage:
            return t(
                "cache.step_in_stage", number=self.first_miss_step, stage=self.first_miss_stage
            )
        return t("cache.step", number=self.first_miss_step)

    def reason_text(self) -> str:  # noqa: C901, PLR0911 - one sentence per reason
        """Why the first missed step was rebuilt, in words."""
        match self.reason:
            case "no_cache":
                return t("cache.no_cache")
            case "first_build":
                return t("cache.first_build")
            case "instruction_changed" if self.previous_instruction is None:
                return t("cache.instruction_new")
            case "instruction_changed":
                return t("cache.instruction_changed", before=self.previous_instruction)
            case "files_changed":
                names = ", ".join(self.changed_files[:SHOWN_FILES])
                extra = len(self.changed_files) - SHOWN_FILES
                if extra > 0:
                    names += t("cache.more_files", count=extra)
                return t("cache.files_changed", count=len(self.changed_files), files=names)
            case "base_changed" if self.previous_base_image:
                return t(
                    "cache.from_changed",
                    image=self.base_image or "?",
                    before=self.previous_base_image,
                )
            case "base_changed":
                return t(
                    "cache.base_changed",
                    image=self.base_image or "?",
                    before=_short(self.previous_base_id),
                    after=_short(self.base_id),
                )
            case "build_args_changed":
                changes = ", ".join(_arg_words(change) for change in self.changed_build_args)
                return t("cache.args_changed", count=len(self.changed_build_args), changes=changes)
            case _ if self.previous_stopped_at is not None:
                return t("cache.previous_stopped", number=self.previous_stopped_at)
            case _:
                return t("cache.unknown")

    def consequence_text(self) -> str:
        """What the first miss did to the steps after it."""
        if not self.rebuilt_after and not self.cached_after:
            return t("cache.last_step")
        rebuilt = _step_list(self.rebuilt_after)
        if not self.cached_after:
            return t("cache.all_later_rebuilt", steps=rebuilt)
        cached = _step_list(self.cached_after)
        if not self.rebuilt_after:
            return t("cache.later_cached", cached=cached)
        return t("cache.some_later_rebuilt", steps=rebuilt, cached=cached)

    def lines(self) -> list[str]:
        if self.first_miss_step is None:
            if self.cacheable_steps == 0:
                return [t("cache.nothing_to_build")]
            return [t("cache.all_cached", count=self.cached_steps)]
        return [
            t(
                "cache.first_miss",
                step=self._step_name(),
                instruction=self.instruction,
                reason=self.reason_text(),
            ),
            self.consequence_text(),
        ]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_pretty_(self, printer: object, _cycle: bool) -> None:
        # IPython and Jupyter's text/plain: the sentences, not the dataclass fields
        text_method = getattr(printer, "text", None)
        if callable(text_method):
            text_method(str(self))

    def _repr_markdown_(self) -> str:
        first, *rest = self.lines()
        return "\n\n".join([f"**{first}**", *rest])

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.all_cached else "#9a6700"
        lines = self.lines()
        body = f"<b>{html.escape(lines[0])}</b>"
        body += "".join(f"<br>{html.escape(line)}" for line in lines[1:])
        kind = self.reason or "all_cached"
        return (
            f"<div class='layerlab-cache' data-reason='{kind}' style='border-left:4px "
            f"solid {color};padding:2px 8px;margin:4px 0'>{body}</div>"
        )


def _short(image_id: str | None) -> str:
    return image_id.removeprefix("sha256:")[:12] if image_id else "?"


def _arg_words(change: ArgChange) -> str:
    if _SECRET.search(change.name):
        return change.name  # never print a value that looks like a secret
    unset = t("cache.unset")
    before = unset if change.before is None else repr(change.before)
    after = unset if change.after is None else repr(change.after)
    return f"{change.name} ({before} → {after})"


def _step_list(keys: Sequence[tuple[str, int]]) -> str:
    """``5-7`` / ``4, 6`` / ``build 2, 3``: consecutive numbers collapsed into ranges."""
    parts: list[str] = []
    run: list[int] = []
    run_stage = ""

    def close() -> None:
        if not run:
            return
        prefix = f"{run_stage} " if run_stage else ""
        text = f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run))
        parts.append(prefix + text)

    for stage, number in keys:
        if run and (stage != run_stage or number != run[-1] + 1):
            close()
            run = []
        run_stage = stage
        run.append(number)
    close()
    return ", ".join(parts)


def previous_build(result: BuildResult, history: Sequence[BuildResult]) -> BuildResult | None:
    """The latest earlier build of the same context, Dockerfile and builder."""
    for earlier in reversed(history):
        if earlier is result:
            continue
        if (earlier.context, earlier.dockerfile, earlier.builder) == (
            result.context,
            result.dockerfile,
            result.builder,
        ):
            return earlier
    return None


def explain(
    result: BuildResult, history: list[BuildResult], *, resolve_base: BaseResolver | None = None
) -> CacheReport:
    """Explain ``result``'s cache outcome against the latest earlier build in ``history``
    (oldest first) of the same context, Dockerfile and builder; fingerprint ``result``."""
    current = remember(result, resolve_base=resolve_base)
    earlier = previous_build(result, history)
    previous: Fingerprint | None = None
    if earlier is not None:
        # A build that was never explained (a failed one) still tells its steps, args
        # and the base ids the engine reported; only its file hashes are unknown.
        previous = fingerprint_of(earlier) or _fingerprint(earlier, None, complete=False)
    return _report(result, current, previous)


def _report(result: BuildResult, current: Fingerprint, previous: Fingerprint | None) -> CacheReport:
    candidates = [s for s in current.steps if s.candidate]
    cached = sum(s.status == "cached" for s in candidates)
    miss_index = next(
        (i for i, s in enumerate(candidates) if s.status in ("built", "failed")), None
    )
    if miss_index is None:
        return CacheReport(None, cached_steps=cached, cacheable_steps=len(candidates))
    miss = candidates[miss_index]
    later = candidates[miss_index + 1 :]
    report = CacheReport(
        miss.number,
        first_miss_stage=miss.stage,
        instruction=miss.instruction,
        rebuilt_after=tuple((s.stage, s.number) for s in later if s.status != "cached"),
        cached_after=tuple((s.stage, s.number) for s in later if s.status == "cached"),
        cached_steps=cached,
        cacheable_steps=len(candidates),
    )
    return _with_reason(report, result, miss, current, previous)


def _with_reason(  # noqa: C901, PLR0911 - one branch per reason, in the engine's order
    report: CacheReport,
    result: BuildResult,
    miss: StepPrint,
    current: Fingerprint,
    previous: Fingerprint | None,
) -> CacheReport:
    """``report`` with the first difference that explains the miss (see the module doc)."""
    if current.no_cache:
        return replace(report, reason="no_cache")
    if previous is None:
        return replace(report, reason="first_build")
    base = _base_change(current, previous, miss)
    if base is not None:
        return replace(
            report,
            reason="base_changed",
            base_image=base[0],
            base_id=base[1],
            previous_base_id=base[2],
            previous_base_image=base[3] if base[3] != base[0] else None,
        )
    before = previous.step_at(miss.stage_key, miss.position)
    if before is None:
        if previous.status != "succeeded":
            stopped = previous.steps[-1].number if previous.steps else 0
            return replace(report, reason="unknown", previous_stopped_at=stopped)
        return replace(report, reason="instruction_changed")
    if before.instruction != miss.instruction:
        return replace(
            report, reason="instruction_changed", previous_instruction=before.instruction
        )
    if miss.files is not None and before.files is not None:
        changed = sorted(
            name
            for name in set(miss.files) | set(before.files)
            if miss.files.get(name) != before.files.get(name)
        )
        if changed:
            return replace(report, reason="files_changed", changed_files=tuple(changed))
    changes = _arg_changes(result.parsed_dockerfile, miss, current, previous)
    if changes:
        return replace(report, reason="build_args_changed", changed_build_args=tuple(changes))
    if before.status not in ("built", "cached"):
        # the compared build failed or was interrupted at this very step
        return replace(report, reason="unknown", previous_stopped_at=before.number)
    return replace(report, reason="unknown")


def _base_change(
    current: Fingerprint, previous: Fingerprint, miss: StepPrint
) -> tuple[str, str, str, str] | None:
    """(name, new id, old id, old name) when the stage's base image changed under the miss.

    Only for the stage's first cache candidate: a cached step before it proves the engine
    found layers on this very base, so the base cannot be why the cache broke later.
    """
    first = next((s for s in current.steps if s.stage_key == miss.stage_key and s.candidate), None)
    if first is not miss:
        return None
    now = current.bases.get(miss.stage_key)
    before = previous.bases.get(miss.stage_key)
    if now is None or before is None or not now.image_id or not before.image_id:
        return None
    a, b = now.image_id, before.image_id
    if a.startswith(b) or b.startswith(a):  # short and full ids of one image
        return None
    return now.name, a, b, before.name


def _arg_changes(
    parsed: Dockerfile | None, miss: StepPrint, current: Fingerprint, previous: Fingerprint
) -> list[ArgChange]:
    if parsed is not None:
        scope = _args_in_scope(parsed, miss)
    else:
        scope = dict.fromkeys({*current.build_args, *previous.build_args})
    changes: list[ArgChange] = []
    for name, default in scope.items():
        after = current.build_args.get(name, default)
        before = previous.build_args.get(name, default)
        if after != before:
            changes.append(ArgChange(name, before, after))
    if miss.keyword != "RUN":
        # Only RUN sees every ARG in scope (as its environment); other instructions
        # depend on an ARG only when their text uses it.
        used = {m.group(1) or m.group(2) for m in _VARIABLE.finditer(miss.instruction)}
        changes = [c for c in changes if c.name in used]
    return changes


i18n.register(
    {
        "cache.step": {"en": "step {number}", "fr": "l'étape {number}"},
        "cache.step_in_stage": {
            "en": "step {number} of stage {stage}",
            "fr": "l'étape {number} de la phase {stage}",
        },
        "cache.first_miss": {
            "en": "Cache: {step} ({instruction}) is the first step the engine rebuilt: {reason}.",
            "fr": "Cache : {step} ({instruction}) est la première que le moteur a reconstruite : "
            "{reason}.",
        },
        "cache.no_cache": {
            "en": "the build ran with --no-cache, which tells the engine to reuse no layer at all",
            "fr": "la construction a été lancée avec --no-cache, qui interdit au moteur de "
            "réutiliser la moindre couche",
        },
        "cache.first_build": {
            "en": "this is the first build of this Dockerfile in this session, and the engine had "
            "no layer for this step yet",
            "fr": "c'est la première construction de ce Dockerfile dans cette session, et le "
            "moteur n'avait encore aucune couche pour cette étape",
        },
        "cache.instruction_changed": {
            "en": "its instruction changed since the last build (it was: {before})",
            "fr": "son instruction a changé depuis la dernière construction (avant : {before})",
        },
        "cache.instruction_new": {
            "en": "this instruction is new since the last build",
            "fr": "cette instruction n'existait pas lors de la dernière construction",
        },
        "cache.files_changed": {
            "en": "files it copies from the build context changed since the last build: {files}",
            "fr": "des fichiers qu'elle copie depuis le contexte de construction ont changé depuis "
            "la dernière construction : {files}",
        },
        "cache.more_files": {"en": " and {count} more", "fr": " et {count} autres"},
        "cache.base_changed": {
            "en": "the base image {image} is now a different image ({before} → {after}), and every "
            "layer is stacked on top of it",
            "fr": "l'image de base {image} désigne maintenant une autre image ({before} → "
            "{after}), et toutes les couches reposent sur elle",
        },
        "cache.from_changed": {
            "en": "the FROM line changed: the base image was {before}, it is now {image}, and "
            "every layer is stacked on top of it",
            "fr": "la ligne FROM a changé : l'image de base était {before}, c'est maintenant "
            "{image}, et toutes les couches reposent sur elle",
        },
        "cache.args_changed": {
            "en": "build args this step uses changed since the last build: {changes}",
            "fr": "des arguments de construction utilisés par cette étape ont changé depuis la "
            "dernière construction : {changes}",
        },
        "cache.unset": {"en": "unset", "fr": "non défini"},
        "cache.previous_stopped": {
            "en": "the previous build of this Dockerfile stopped at step {number} before this step "
            "was done, so the cache had no layer for it",
            "fr": "la construction précédente de ce Dockerfile s'est arrêtée à l'étape {number} "
            "avant d'achever celle-ci : le cache n'en avait aucune couche",
        },
        "cache.unknown": {
            "en": "the kit sees no change in its instruction, its files, the base image or the "
            "build args; the engine may have lost the cached layer (for example after "
            "docker image prune)",
            "fr": "le kit ne voit aucun changement dans son instruction, ses fichiers, l'image de "
            "base ou les arguments ; le moteur a peut-être perdu la couche en cache (par "
            "exemple après docker image prune)",
        },
        "cache.all_later_rebuilt": {
            "en": "Every later step ({steps}) was rebuilt because of it: a step comes from the "
            "cache only when every step before it did.",
            "fr": "Toutes les étapes suivantes ({steps}) ont été reconstruites à cause d'elle : "
            "une étape ne vient du cache que si toutes celles d'avant en viennent.",
        },
        "cache.some_later_rebuilt": {
            "en": "Later steps {steps} were rebuilt after it; steps {cached} still came from the "
            "cache (they belong to another stage).",
            "fr": "Les étapes suivantes {steps} ont été reconstruites après elle ; les étapes "
            "{cached} viennent encore du cache (elles appartiennent à une autre phase).",
        },
        "cache.later_cached": {
            "en": "Steps {cached} after it still came from the cache (another stage).",
            "fr": "Les étapes {cached} qui la suivent viennent encore du cache (une autre phase).",
        },
        "cache.last_step": {
            "en": "It is the last step, so nothing after it had to be rebuilt.",
            "fr": "C'est la dernière étape : rien d'autre n'a dû être reconstruit.",
        },
        "cache.all_cached": {
            "en": "Cache: all {count} steps came from the cache; nothing they depend on changed.",
            "fr": "Cache : les {count} étapes viennent toutes du cache ; rien de ce dont elles "
            "dépendent n'a changé.",
        },
        "cache.nothing_to_build": {
            "en": "Cache: this Dockerfile only names its base image; there was no step to build.",
            "fr": "Cache : ce Dockerfile ne fait que nommer son image de base ; aucune étape à "
            "construire.",
        },
    }
)
