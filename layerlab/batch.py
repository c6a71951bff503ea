"""Several names in one command, as the docker CLI does them: each name is done or
reported on its own line, and one missing name does not stop the others.

``docker rmi a b c`` removes ``a`` and ``c`` when ``b`` does not exist, prints one error
line for ``b`` and exits non-zero. ``%docker`` does the same through these functions;
they return a ``Batch`` (what was done, what failed and why, hints) that the magic
prints, and that Python code can inspect.

``--all`` picks the containers the kit made for this learner (the same label scope as
the prune commands), never another learner's. Names are the learner's (``hello-web``);
each is resolved to the engine's (``alice.hello-web`` on a shared engine) by
``names.resolve_container``.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from layerlab import engine_ops
from layerlab import names as learner_names
from layerlab.config import settings
from layerlab.errors import EngineError, LayerlabError
from layerlab.i18n import t

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_RUNNING = re.compile(r"cannot remove a running container|stop the container before", re.IGNORECASE)
_NOT_RUNNING = re.compile(r"is not running", re.IGNORECASE)
#: a container stopped by SIGKILL reports 128 + 9
_KILLED = 137


@dataclass
class Batch:
    """What one command did to several names: output lines, failures, hints."""

    command: str
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def error_lines(self) -> list[str]:
        return [t("batch.error", reason=reason) for _, reason in self.failed]

    def raise_if_all_failed(self) -> None:
        """A command where nothing worked is an error (one line per name)."""
        if self.failed and not self.done:
            raise EngineError("\n".join(reason for _, reason in self.failed))

    def __str__(self) -> str:
        return "\n".join([*self.done, *self.error_lines(), *self.notes])

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(str(self))


def _reason(exc: LayerlabError) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _each(command: str, names: Sequence[str], action: Callable[[str], list[str]]) -> Batch:
    batch = Batch(command)
    for name in names:
        try:
            batch.done.extend(action(name))
        except LayerlabError as exc:
            batch.failed.append((name, _reason(exc)))
    return batch


# ---------------------------------------------------------------- --all
def my_containers(*, running_only: bool) -> list[str]:
    """Names of the containers the kit made for this learner (and this run's extra labels)."""
    table = engine_ops.ps(
        all_containers=not running_only, mine=True, labels=settings().extra_labels
    )
    return [str(record["name"]) for record in table.records]


def targets(
    command: str, names: Sequence[str], *, everything: bool, running_only: bool
) -> list[str]:
    """The names a command acts on: those given, or with ``everything`` all of yours."""
    if not everything:
        return list(names)
    found = my_containers(running_only=running_only)
    if not found:
        key = "batch.nothing_running" if running_only else "batch.nothing_mine"
        raise LayerlabError(t(key, command=command))
    return found


# ---------------------------------------------------------------- containers
def stop(names: Sequence[str], *, timeout: int = 10) -> Batch:
    """Stop containers at the same time (SIGTERM, SIGKILL after ``timeout`` s).

    When a container needed the whole grace period and was killed, a note says why
    (its PID 1 ignored SIGTERM) and what fixes it.
    """
    api = engine_ops.engine_api()

    def stop_one(name: str) -> tuple[str, float, int | None, str | None]:
        began = time.monotonic()
        target = learner_names.resolve_container(name)
        try:
            engine_ops.refuse_others(target, container=True)
        except LayerlabError as exc:
            return name, 0.0, None, _reason(exc)
        try:
            api.stop(target, timeout=timeout)
            state = api.inspect_container(target).get("State") or {}
        except engine_ops.engine_errors() as exc:
            return name, 0.0, None, _reason(engine_ops.engine_error(exc, name=name))
        return name, time.monotonic() - began, int(state.get("ExitCode", 0)), None

    batch = Batch("stop")
    if not names:
        return batch
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(names)))) as pool:
        outcomes = list(pool.map(stop_one, names))
    slow: list[str] = []
    for name, seconds, exit_code, error in outcomes:
        if error is not None:
            batch.failed.append((name, error))
            continue
        batch.done.append(name)
        if timeout > 0 and exit_code == _KILLED and seconds >= timeout - 0.5:
            slow.append(name)
    if slow:
        batch.notes.append(t("batch.slow_stop", names=", ".join(slow), seconds=timeout))
    return batch


def _on_container(
    name: str, action: Callable[[str], object], refused: re.Pattern[str], refused_key: str
) -> list[str]:
    """``action`` on the learner's container ``name`` (others' refused); the engine's
    refusal matching ``refused`` said with ``refused_key``, any other error in one line."""
    target = learner_names.resolve_container(name)
    engine_ops.refuse_others(target, container=True)
    try:
        action(target)
    except engine_ops.engine_errors() as exc:
        if refused.search(engine_ops.engine_explanation(exc)):
            raise EngineError(t(refused_key, name=name)) from None
        raise engine_ops.engine_error(exc, name=name) from None
    return [name]


def kill(names: Sequence[str], *, signal: str = "KILL") -> Batch:
    """Send ``signal`` to running containers, like ``docker kill``."""
    api = engine_ops.engine_api()

    def kill_one(name: str) -> list[str]:
        return _on_container(
            name, lambda target: api.kill(target, signal=signal), _NOT_RUNNING, "batch.not_running"
        )

    return _each("kill", names, kill_one)


def rm(names: Sequence[str], *, force: bool = False) -> Batch:
    """Remove containers, like ``docker rm`` (``force``: running ones too)."""
    api = engine_ops.engine_api()

    def rm_one(name: str) -> list[str]:
        return _on_container(
            name,
            lambda target: api.remove_container(target, force=force),
            _RUNNING,
            "batch.is_running",
        )

    return _each("rm", names, rm_one)


def rm_all(*, force: bool = False) -> Batch:
    """``%docker rm --all``: your stopped containers (``force``: the running ones too)."""
    everything = my_containers(running_only=False)
    if not everything:
        raise LayerlabError(t("batch.nothing_mine", command="rm"))
    running = set(my_containers(running_only=True))
    chosen = everything if force else [name for name in everything if name not in running]
    batch = rm(chosen, force=force)
    if running and not force:
        batch.notes.append(t("batch.running_left", count=len(running)))
    return batch


# ---------------------------------------------------------------- images
def rmi(names: Sequence[str], *, force: bool = False) -> Batch:
    """Remove image names, like ``docker rmi``: the engine's ``Untagged``/``Deleted``
    lines for each name that went, one error line for each that did not."""
    return _each("rmi", names, lambda name: engine_ops.rmi(name, force=force))


def tag(source: str, new_names: Sequence[str]) -> Batch:
    """Give ``source`` one or more new names (the CLI takes one; the kit several)."""

    def tag_one(target: str) -> list[str]:
        return [t("batch.tagged", source=source, target=engine_ops.tag(source, target))]

    return _each("tag", new_names, tag_one)
