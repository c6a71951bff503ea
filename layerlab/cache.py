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
4. an ``ENV`` or ``ARG`` line of the step's stage, above it (or the step itself) changed a
   variable the step sees: any, for ``RUN`` (its environment), those its text names
   otherwise. The classic builder misses at the ``ENV`` line itself, BuildKit (where ENV
   and ARG make no step) at the first step that sees the value: both name the variable;
4. the learner's text of the instruction changed (or is new): steps are compared as the
   learner wrote them (``step.instruction``), never as BuildKit expanded them;
5. the context files a ``COPY``/``ADD`` step copies changed (their names; ``.dockerignore``
   respected, so an excluded file is never named);
6. build args in scope for the step changed (any, for ``RUN``; those referenced, otherwise);
7. a cached ``COPY``/``ADD`` above the miss copied files that changed since the compared
   build: both engines look file layers up by content, so when that exact content was
   built before (an edit undone, another learner's identical edit on a shared engine) the
   copy came from the cache and only later steps rebuilt (``files_reused``);
8. otherwise ``unknown`` (the previous build stopped before this step, or the engine lost
   its cache, e.g. after ``docker image prune``).

The same content-addressed hit with nothing rebuilt at all is told too
(``CacheReport.reused_files``), instead of "nothing changed".

The compared build is this kernel's own previous build of that Dockerfile (the session
history), else the last one an earlier kernel of this user made (``fingerprint_store``:
the latest fingerprint of each Dockerfile, on disk; secret-looking build arg values are
kept as digests).

Each build gets a ``Fingerprint`` taken right after it finished: instructions, build args,
``no_cache``, the base image id of each ``FROM``, and content hashes of the files each
``COPY``/``ADD`` copied. Fingerprints live in a module registry keyed by the result's
identity (weak references: a result that is garbage-collected takes its fingerprint with
it), so ``BuildResult`` needs no extra field. ``fingerprint_of(result)`` reads it back.
"""

from __future__ import annotations

import hashlib
import html
import re
import shlex
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from layerlab.context import hash_files, matching_files, sent_files
from layerlab.i18n import t, tn
from layerlab.instructions import (
    VARIABLE,
    arg_pairs,
    arg_values,
    args_in_scope,
    copy_sources,
    from_reference,
    sections,
    stage_aliases,
)
from layerlab.references import canonical

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
    "variable_changed",
    "files_reused",
    "unknown",
]

#: Looks a base image reference up on the engine; returns its id or None.
BaseResolver = Callable[[str], str | None]

#: Changed file names shown in the text before "and N more".
SHOWN_FILES = 8

_SECRET = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE", re.IGNORECASE)


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
    #: the learner's line (None: the kit could not tell which line the step runs)
    line: int | None = None
    #: (keyword, name, value as written) of each ENV/ARG of the step's stage up to its line
    definitions: tuple[tuple[str, str, str | None], ...] = ()

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


def remember(
    result: BuildResult,
    *,
    resolve_base: BaseResolver | None = None,
    context_files: Sequence[str] | None = None,
) -> Fingerprint:
    """Fingerprint ``result`` now (files hashed as they are on disk) and keep it.

    ``explain`` calls it; call it yourself for a build that is not explained (a failed
    one), so a later build can be compared with it. ``context_files``: the files the
    engine kept of the context (``ContextListing.sent``), when the caller listed them.
    """
    from layerlab import fingerprint_store

    fingerprint = _fingerprint(
        result, resolve_base or engine_image_id, complete=True, sent=context_files
    )
    _store(result, fingerprint)
    fingerprint_store.save(fingerprint)  # a later kernel compares its build with this one
    return fingerprint


def engine_image_id(reference: str) -> str | None:
    """The id of ``reference`` on the engine, or None when it is not there."""
    from docker.errors import DockerException

    from layerlab.engine import connect
    from layerlab.errors import LayerlabError

    try:
        # right after a build that talked to the engine: no second ping needed
        found = connect(verify=False).api.inspect_image(reference)
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
    wanted = {canonical(name): name for name in names if "$" not in name}

    def look_up() -> None:
        for key, name in wanted.items():
            found[key] = engine_image_id(name)

    worker = threading.Thread(target=look_up, name="layerlab-base-ids", daemon=True)
    worker.start()

    def resolve(name: str) -> str | None:
        key = canonical(name)
        if key in wanted:
            worker.join()
            return found.get(key)
        return engine_image_id(name)

    return resolve


def _in_dockerfile_order(steps: Sequence[BuildStep]) -> list[BuildStep]:
    """The steps in the Dockerfile's order: BuildKit reports vertices as they end (a fully
    cached build often last step first), so its steps are sorted by the learner's line."""
    if all(step.line is not None for step in steps):
        return sorted(steps, key=lambda step: step.line or 0)
    return list(steps)


def _layout(steps: Sequence[BuildStep], builder: str) -> list[tuple[str, int]]:
    """(stage key, position) of each step, in order.

    BuildKit numbers the steps of each stage itself (``[stage n/m]``, FROM being 1), so
    its own numbers are the positions; the classic builder numbers the whole file, so
    stages are counted by their FROM.
    """
    layout: list[tuple[str, int]] = []
    froms = 0
    positions: dict[str, int] = {}
    for step in steps:
        is_from = step.keyword == "FROM" or step.status == "base"
        if builder == "buildkit":
            layout.append((step.stage or "#1", step.number - 1))
            continue
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


def _kept(name: str, value: str) -> str:
    """A build arg's value as a fingerprint keeps it: a digest for a name that looks like
    a secret (fingerprints outlive the kernel on disk; a digest still tells a change)."""
    if not _SECRET.search(name):
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _fingerprint(
    result: BuildResult,
    resolve_base: BaseResolver | None,
    *,
    complete: bool,
    sent: Sequence[str] | None = None,
) -> Fingerprint:
    parsed = result.parsed_dockerfile
    variables = arg_values(parsed, result.build_args) if parsed is not None else {}
    aliases = stage_aliases(parsed)
    steps: list[StepPrint] = []
    bases: dict[str, BaseImage] = {}
    ordered = _in_dockerfile_order(result.steps)
    for step, (key, position) in zip(ordered, _layout(ordered, result.builder), strict=True):
        files: dict[str, str] | None = None
        if complete and key != "#0" and step.keyword in ("COPY", "ADD"):
            sources = copy_sources(step.instruction, variables)
            if sources:
                if sent is None:
                    sent = sent_files(Path(result.context), result.dockerfile)
                files = hash_files(Path(result.context), matching_files(sent, sources))
        if position == 0 and key != "#0":
            name = from_reference(step.instruction, variables)
            image_id: str | None = None
            if step.layer_id:  # the id the engine itself reported for this FROM
                image_id = step.layer_id.removeprefix("sha256:")
            elif resolve_base is not None and name and name.lower() not in aliases:
                found = resolve_base(name)
                image_id = found.removeprefix("sha256:") if found else None
            bases[key] = BaseImage(name, image_id)
        steps.append(
            StepPrint(
                step.number,
                step.stage,
                key,
                position,
                step.instruction,
                step.status,
                files,
                step.line,
                definitions(parsed, step.line) if parsed is not None else (),
            )
        )
    return Fingerprint(
        context=result.context,
        dockerfile=result.dockerfile,
        builder=result.builder,
        status=result.status,
        instructions=tuple(i.text for i in parsed.instructions) if parsed else (),
        build_args={name: _kept(name, value) for name, value in result.build_args.items()},
        no_cache=result.no_cache,
        steps=tuple(steps),
        bases=bases,
        complete=complete,
    )


def _pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    """(name, value) of an ENV (``A=1 B="x y"`` or the old ``A value``) or ARG line."""
    if instruction.keyword == "ARG":
        return arg_pairs(instruction)
    try:
        words = shlex.split(instruction.arguments, posix=True)
    except ValueError:
        words = instruction.arguments.split()
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [(name, value) for name, _sep, value in (word.partition("=") for word in words)]


def definitions(parsed: Dockerfile, line: int | None) -> tuple[tuple[str, str, str | None], ...]:
    """The ENV/ARG definitions of the stage holding ``line``, from its FROM to ``line``."""
    if line is None:
        return ()
    _preamble, stages = sections(parsed)
    for stage in stages:
        if stage[0].line <= line and any(i.line == line for i in stage):
            return tuple(
                (i.keyword, name, value)
                for i in stage
                if i.keyword in ("ENV", "ARG") and i.line <= line
                for name, value in _pairs(i)
            )
    return ()


# ---------------------------------------------------------------- the report
class ArgChange(NamedTuple):
    name: str
    before: str | None
    after: str | None


class VariableChange(NamedTuple):
    """An ENV or ARG line that now gives ``name`` another value (as written)."""

    keyword: str
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
    #: ENV/ARG lines that changed a variable the missed step sees
    changed_variables: tuple[VariableChange, ...] = ()
    #: files that changed since the compared build, yet whose COPY/ADD came from the
    #: cache: the engine already held a layer with exactly that content
    reused_files: tuple[str, ...] = ()

    @property
    def cause(self) -> tuple[str, ...]:  # noqa: PLR0911 - one shape per reason
        """The cause as data, the same whichever builder ran (for tests and tools)."""
        match self.reason:
            case "variable_changed":
                return (self.reason, *(f"{c.keyword} {c.name}" for c in self.changed_variables))
            case "build_args_changed":
                return (self.reason, *(c.name for c in self.changed_build_args))
            case "files_changed":
                return (self.reason, *self.changed_files)
            case "files_reused":
                return (self.reason, *self.reused_files)
            case None if self.reused_files:
                return ("files_reused", *self.reused_files)
            case None:
                return ("all_cached",)
            case _:
                return (self.reason,)

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
                return tn(
                    "cache.files_changed",
                    len(self.changed_files),
                    files=_file_names(self.changed_files),
                )
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
                return tn("cache.args_changed", len(self.changed_build_args), changes=changes)
            case "variable_changed":
                changes = ", ".join(_variable_words(c) for c in self.changed_variables)
                return tn("cache.variables_changed", len(self.changed_variables), changes=changes)
            case "files_reused":
                return tn(
                    "cache.files_reused_miss",
                    len(self.reused_files),
                    files=_file_names(self.reused_files),
                )
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
            return tn("cache.all_later_rebuilt", len(self.rebuilt_after), steps=rebuilt)
        cached = _step_list(self.cached_after)
        if not self.rebuilt_after:
            return tn("cache.later_cached", len(self.cached_after), cached=cached)
        return tn(
            "cache.some_later_rebuilt",
            len(self.cached_after),
            rebuilt=tn("cache.rebuilt_after", len(self.rebuilt_after), steps=rebuilt),
            cached=cached,
        )

    def lines(self) -> list[str]:
        if self.first_miss_step is None:
            if self.cacheable_steps == 0:
                return [t("cache.nothing_to_build")]
            if self.reused_files:
                return [
                    tn(
                        "cache.all_cached_reused",
                        len(self.reused_files),
                        files=_file_names(self.reused_files),
                        steps=self.cached_steps,
                    )
                ]
            return [tn("cache.all_cached", self.cached_steps)]
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


def _file_names(files: Sequence[str]) -> str:
    names = ", ".join(files[:SHOWN_FILES])
    extra = len(files) - SHOWN_FILES
    if extra > 0:
        names += tn("cache.more_files", extra)
    return names


def _variable_words(change: VariableChange) -> str:
    if _SECRET.search(change.name):
        return f"{change.keyword} {change.name}"  # never print a value that looks like a secret
    unset = t("cache.unset")
    before = unset if change.before is None else repr(change.before)
    after = unset if change.after is None else repr(change.after)
    return f"{change.keyword} {change.name} ({before} → {after})"


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
    result: BuildResult,
    history: Sequence[BuildResult],
    *,
    resolve_base: BaseResolver | None = None,
    context_files: Sequence[str] | None = None,
) -> CacheReport:
    """Explain ``result``'s cache outcome against the latest earlier build in ``history``
    (oldest first) of the same context, Dockerfile and builder (else the latest one an
    earlier kernel of this user made: ``fingerprint_store``); fingerprint ``result``.

    ``context_files``: the build's context listing (``ContextListing.sent``), so the
    files hashed are the files the engine received; listed again when not given."""
    from layerlab import fingerprint_store

    earlier = previous_build(result, history)
    previous: Fingerprint | None = None
    if earlier is not None:
        # A build that was never explained (a failed one) still tells its steps, args
        # and the base ids the engine reported; only its file hashes are unknown.
        previous = fingerprint_of(earlier) or _fingerprint(earlier, None, complete=False)
    else:
        # none in this kernel: the last one this user made of it, in an earlier kernel
        previous = fingerprint_store.load(result.context, result.dockerfile, result.builder)
    current = remember(result, resolve_base=resolve_base, context_files=context_files)
    return _report(result, current, previous)


def _report(result: BuildResult, current: Fingerprint, previous: Fingerprint | None) -> CacheReport:
    candidates = [s for s in current.steps if s.candidate]
    cached = sum(s.status == "cached" for s in candidates)
    miss_index = next(
        (i for i, s in enumerate(candidates) if s.status in ("built", "failed")), None
    )
    if miss_index is None:
        reused = _reused_files(candidates, previous) if not current.no_cache else ()
        return CacheReport(
            None, cached_steps=cached, cacheable_steps=len(candidates), reused_files=reused
        )
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
    variables = _variable_changes(miss, before)
    if variables:
        return replace(report, reason="variable_changed", changed_variables=tuple(variables))
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
    above = [s for s in current.steps if s.candidate and s.stage_key == miss.stage_key]
    reused = _reused_files(above[: above.index(miss)] if miss in above else [], previous)
    if reused:
        return replace(report, reason="files_reused", reused_files=reused)
    if before.status not in ("built", "cached"):
        # the compared build failed or was interrupted at this very step
        return replace(report, reason="unknown", previous_stopped_at=before.number)
    return replace(report, reason="unknown")


def _reused_files(steps: Sequence[StepPrint], previous: Fingerprint | None) -> tuple[str, ...]:
    """Files of cached COPY/ADD ``steps`` that changed since ``previous``: the engine held
    a layer with exactly their new content (its cache is content-addressed)."""
    if previous is None:
        return ()
    names: list[str] = []
    for step in steps:
        before = previous.step_at(step.stage_key, step.position)
        if step.status != "cached" or step.files is None or before is None:
            continue
        if before.files is None or before.instruction != step.instruction:
            continue
        names.extend(
            name
            for name in sorted(set(step.files) | set(before.files))
            if step.files.get(name) != before.files.get(name) and name not in names
        )
    return tuple(names)


def _variable_changes(miss: StepPrint, before: StepPrint | None) -> list[VariableChange]:
    """ENV/ARG lines above the miss (or the miss itself) that changed what it sees."""
    if before is None or not miss.definitions or not before.definitions:
        return []
    now = _final_values(miss.definitions)
    then = _final_values(before.definitions)
    changes: list[VariableChange] = []
    for name in dict.fromkeys([*then, *now]):
        if now.get(name) == then.get(name):
            continue
        keyword = (now.get(name) or then.get(name) or ("ENV", None))[0]
        before_value = then[name][1] if name in then else None
        after_value = now[name][1] if name in now else None
        changes.append(VariableChange(keyword, name, before_value, after_value))
    if miss.keyword in ("RUN", "ENV", "ARG"):
        # RUN sees every variable as its environment; an ENV/ARG miss is the line itself
        return changes
    used = {m.group(1) or m.group(2) for m in VARIABLE.finditer(miss.instruction)}
    return [change for change in changes if change.name in used]


def _final_values(
    pairs: Sequence[tuple[str, str, str | None]],
) -> dict[str, tuple[str, str | None]]:
    """name -> (keyword, value) of the last ENV/ARG that sets it."""
    values: dict[str, tuple[str, str | None]] = {}
    for keyword, name, value in pairs:
        values[name] = (keyword, value)
    return values


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
        scope = args_in_scope(parsed, miss)
    else:
        scope = dict.fromkeys({*current.build_args, *previous.build_args})
    changes: list[ArgChange] = []
    for name, written in scope.items():
        default = written if written is None else _kept(name, written)  # as the prints keep it
        after = current.build_args.get(name, default)
        before = previous.build_args.get(name, default)
        if after != before:
            changes.append(ArgChange(name, before, after))
    if miss.keyword != "RUN":
        # Only RUN sees every ARG in scope (as its environment); other instructions
        # depend on an ARG only when their text uses it.
        used = {m.group(1) or m.group(2) for m in VARIABLE.finditer(miss.instruction)}
        changes = [c for c in changes if c.name in used]
    return changes
