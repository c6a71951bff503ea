"""Exercise checks: one call per exercise, a short friendly verdict, never a traceback.

Each check prints its verdict in the kit's language (what is right, or what to look at
next) and returns a ``Verdict``, true when the answer is right, so a notebook can also
``assert check.image_exists("python-hello-world")``.
"""

from __future__ import annotations

import functools
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec

from layerlab import i18n
from layerlab.i18n import t, tn

if TYPE_CHECKING:
    from docker import APIClient

P = ParamSpec("P")


@dataclass
class Verdict:
    """The outcome of a check: true when the answer is right."""

    ok: bool
    message: str
    hint: str = ""
    #: the cell that printed it (so showing it as the cell's value does not repeat it)
    _printed_in: int | None = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        text = t("check.ok" if self.ok else "check.fail", text=self.message)
        if self.hint and not self.ok:
            text += "\n" + t("check.hint", text=self.hint)
        return text

    def __repr__(self) -> str:
        return f"<Verdict {'ok' if self.ok else 'not yet'}: {self.message}>"

    def _ipython_display_(self) -> None:
        # the check already printed this verdict in the same cell; a later cell that
        # shows the object again (``v``) prints it once more
        if self._printed_in is not None and self._printed_in == _execution_count():
            return
        print(self)


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    shell = get_ipython()
    return None if shell is None else int(shell.execution_count)


def _announce(verdict: Verdict) -> Verdict:
    print(verdict, flush=True)
    verdict._printed_in = _execution_count()  # noqa: SLF001 - the verdict's own bookkeeping, set by its module
    return verdict


def _check(function: Callable[P, Verdict]) -> Callable[P, Verdict]:
    """Print the verdict; turn any failure of the check itself into a false verdict."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Verdict:
        try:
            verdict = function(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a check must turn any failure into a verdict
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            verdict = Verdict(False, t("check.crashed", error=first))
        return _announce(verdict)

    return wrapper


def _api() -> APIClient:
    from layerlab.engine import connect

    return connect().api


def _inspect_image(name: str) -> dict[str, Any] | None:
    """The engine's record of the image the learner calls ``name`` (their own image under
    their namespace on a shared engine, else the engine's image of that name)."""
    from docker.errors import ImageNotFound

    from layerlab import names

    try:
        return dict(_api().inspect_image(names.resolve(name)))
    except ImageNotFound:
        return None


def _learner_image_names() -> list[str]:
    """The names of the images this learner may see, as they type them."""
    from layerlab.image_list import images

    return [f"{row['repository']}:{row['tag']}" for row in images().records]


def _short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


def _state_words(state: str) -> str:
    """A container state (the engine's word) in the learner's language."""
    key = f"container.state.{state}"
    return t(key) if i18n.has(key) else state


def _size(size: float) -> str:
    from layerlab.context import human_size

    return human_size(size)


# ---------------------------------------------------------------- images
@_check
def image_exists(name: str) -> Verdict:
    """Is there an image called ``name`` on the engine?"""
    attrs = _inspect_image(name)
    if attrs is not None:
        return Verdict(
            True,
            t(
                "check.image.ok",
                name=name,
                short_id=_short(attrs["Id"]),
                size=_size(int(attrs.get("Size", 0))),
            ),
        )
    base = name.rsplit("/", 1)[-1].split(":", 1)[0]
    similar = sorted(
        {tag for tag in _learner_image_names() if base and base in tag and tag != "<none>:<none>"}
    )[:4]
    extra = t("check.image.similar", names=", ".join(similar)) if similar else ""
    return Verdict(
        False, t("check.image.missing", name=name), t("check.image.build", name=name, similar=extra)
    )


@_check
def image_smaller_than(name: str, mb: float) -> Verdict:
    """Does the image ``name`` weigh less than ``mb`` megabytes (10⁶ bytes, like docker)?"""
    attrs = _inspect_image(name)
    if attrs is None:
        return Verdict(
            False,
            t("check.image.missing", name=name),
            t("check.image.build", name=name, similar=""),
        )
    size = int(attrs.get("Size", 0))
    limit = _size(mb * 1e6)
    if size < mb * 1e6:
        return Verdict(True, t("check.size.ok", name=name, size=_size(size), limit=limit))
    return Verdict(
        False,
        t("check.size.big", name=name, size=_size(size), limit=limit),
        t("check.size.hint", name=name),
    )


@_check
def image_has_label(name: str, key: str, value: str | None = None) -> Verdict:
    """Does the image carry the label ``key`` (with ``value``, when given)?"""
    attrs = _inspect_image(name)
    if attrs is None:
        return Verdict(
            False,
            t("check.image.missing", name=name),
            t("check.image.build", name=name, similar=""),
        )
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    hint = t("check.label.hint", label=key)
    if key not in labels:
        return Verdict(False, t("check.label.missing", name=name, label=key), hint)
    if value is not None and labels[key] != value:
        return Verdict(
            False,
            t("check.label.other", name=name, label=key, actual=labels[key], value=value),
            hint,
        )
    return Verdict(True, t("check.label.ok", name=name, label=key, value=labels[key]))


@_check
def layers_shared(first: str, second: str, at_least: int = 1) -> Verdict:
    """Do two images share at least ``at_least`` filesystem layers, from the bottom?"""
    stacks = []
    for name in (first, second):
        attrs = _inspect_image(name)
        if attrs is None:
            return Verdict(
                False,
                t("check.image.missing", name=name),
                t("check.image.build", name=name, similar=""),
            )
        stacks.append(tuple((attrs.get("RootFS") or {}).get("Layers") or ()))
    count = 0
    for mine, theirs in zip(*stacks, strict=False):
        if mine != theirs:
            break
        count += 1
    if count >= at_least:
        return Verdict(True, tn("check.shared.ok", count, first=first, second=second))
    return Verdict(
        False,
        tn("check.shared.few", count, first=first, second=second, expected=at_least),
        t("check.shared.hint"),
    )


# ---------------------------------------------------------------- containers
@_check
def container_running(name: str) -> Verdict:
    """Is there a running container called ``name``?"""
    from docker.errors import NotFound

    from layerlab import names

    try:
        attrs = _api().inspect_container(names.resolve_container(name))
    except NotFound:
        return Verdict(
            False, t("check.running.missing", name=name), t("check.running.missing_hint", name=name)
        )
    state = attrs.get("State") or {}
    image = names.to_learner(str((attrs.get("Config") or {}).get("Image", "?")))
    if state.get("Running"):
        return Verdict(True, t("check.running.ok", name=name, image=image))
    return Verdict(
        False,
        t("check.running.stopped", name=name, state=_state_words(str(state.get("Status", "?")))),
        t("check.running.stopped_hint", name=name),
    )


def _fetch(url: str) -> tuple[int, str]:
    # only loopback: the labs publish on 127.0.0.1 and a check must not reach elsewhere
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - the URL is built from a loopback host and a port
        return int(response.status), response.read(2000).decode("utf-8", "replace")


@_check
def container_answers(port: int, text: str, path: str = "/", timeout: float = 10.0) -> Verdict:
    """Does http://127.0.0.1:PORT/PATH answer with a page containing ``text``?

    Waits up to ``timeout`` seconds for the app to start (a new container needs a moment).
    """
    url = f"http://127.0.0.1:{int(port)}/{path.lstrip('/')}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, body = _fetch(url)
            break
        except urllib.error.HTTPError as exc:
            return Verdict(
                False, t("check.http.status", url=url, status=exc.code), t("check.http.other_hint")
            )
        except OSError:  # refused, reset while the app starts, timed out
            if time.monotonic() >= deadline:
                return Verdict(
                    False,
                    t("check.http.silent", url=url, duration=i18n.seconds(timeout, None)),
                    t("check.http.silent_hint", port=port),
                )
            time.sleep(0.25)
    shown = body.strip()[:80]
    if text in body:
        return Verdict(True, t("check.http.ok", url=url, body=shown))
    return Verdict(
        False, t("check.http.other", url=url, body=shown, text=text), t("check.http.other_hint")
    )


@_check
def nothing_left(labels: Mapping[str, str] | None = None) -> Verdict:
    """Are all containers and images made here gone? (``labels``: those carrying these
    labels; default: everything this notebook's kernel made.)"""
    from layerlab.engine_ops import leftovers

    found = leftovers(labels)
    if not found:
        return Verdict(True, t("check.clean.ok"))
    parts = []
    if found.containers:
        parts.append(
            tn("check.clean.containers", len(found.containers), names=", ".join(found.containers))
        )
    if found.images:
        parts.append(tn("check.clean.images", len(found.images), names=", ".join(found.images)))
    return Verdict(False, t("check.clean.left", what="; ".join(parts)), t("check.clean.hint"))


# ---------------------------------------------------------------- builds and pushes
def _kind(value: object) -> str:
    return type(value).__name__


@_check
def steps_cached(result: Any, rebuilt: Iterable[str | int] = ()) -> Verdict:
    """Were exactly the steps in ``rebuilt`` run again, and all others taken from the cache?

    ``rebuilt`` names steps by keyword (``"COPY"``) or number (``4``): a learner's
    prediction. The ``FROM`` step is not counted (nothing is built for it).
    """
    from layerlab.build import BuildResult

    if not isinstance(result, BuildResult):
        return Verdict(
            False, t("check.steps.not_result", kind=_kind(result)), t("check.steps.not_result_hint")
        )
    wanted = {str(item).upper() for item in rebuilt}
    problems = []
    built_names = []
    notes = []
    # files changed, yet their COPY came from the cache: the engine (content-addressed)
    # held that exact layer already, an edit undone or another learner's identical edit
    reused = tuple(getattr(result.cache_report, "reused_files", ()) or ())
    steps = [step for step in result.steps if step.status != "base"]
    for step in steps:
        expect_built = step.keyword in wanted or str(step.number) in wanted
        if expect_built and step.cached and reused and step.keyword in ("COPY", "ADD"):
            notes.append(
                tn(
                    "check.steps.reused",
                    len(reused),
                    number=step.number,
                    instruction=step.instruction,
                    files=", ".join(reused),
                )
            )
            built_names.append(f"{step.number} ({step.keyword})")
        elif expect_built and step.cached:
            problems.append(
                t("check.steps.unexpected_cached", number=step.number, instruction=step.instruction)
            )
        elif not expect_built and not step.cached:
            problems.append(
                t("check.steps.unexpected_built", number=step.number, instruction=step.instruction)
            )
        if not step.cached:
            built_names.append(f"{step.number} ({step.keyword})")
    if problems:
        return Verdict(False, " ".join(problems), t("check.steps.hint"))
    if not built_names:
        return Verdict(True, tn("check.steps.ok_all", len(steps)))
    rebuilt_text = tn("check.steps.ok_rebuilt", len(built_names), steps=", ".join(built_names))
    others = len(steps) - len(built_names)
    if not others:
        return Verdict(True, " ".join([t("check.steps.ok_alone", rebuilt=rebuilt_text), *notes]))
    ok = tn("check.steps.ok_others", others, rebuilt=rebuilt_text)
    return Verdict(True, " ".join([ok, *notes]))


@_check
def in_registry(reference: str) -> Verdict:
    """Does the registry named in ``reference`` hold that image?"""
    from layerlab.engine_ops import in_registry as registry_digest

    digest = registry_digest(reference)
    if digest:
        return Verdict(True, t("check.registry.ok", reference=reference, digest=_short(digest)))
    return Verdict(
        False,
        t("check.registry.missing", reference=reference),
        t("check.registry.hint", reference=reference),
    )


@_check
def push_reused(summary: Any, new_layers: int = 1) -> Verdict:
    """Did the push send exactly ``new_layers`` layers, the registry holding all others?"""
    from layerlab.engine_ops import PushSummary

    if not isinstance(summary, PushSummary):
        return Verdict(
            False,
            t("check.push.not_summary", kind=_kind(summary)),
            t("check.push.not_summary_hint"),
        )
    # a layer linked from another learner's repository is new to this learner: it would
    # have been sent, had no one pushed that same content first (a shared engine)
    others = len(summary.from_others)
    pushed = len(summary.pushed) + others
    present = summary.already_present - others
    if pushed == new_layers and present == summary.layers - new_layers:
        sent = tn("count.layers_sent", pushed)
        note = [tn("check.push.from_others", others)] if others else []
        if not present:
            return Verdict(True, " ".join([t("check.push.ok_all_new", sent=sent), *note]))
        return Verdict(True, " ".join([tn("check.push.ok_others", present, sent=sent), *note]))
    return Verdict(
        False,
        t(
            "check.push.wrong",
            sent=tn("count.layers_sent", pushed),
            present=tn("count.layers_present", present),
            expected=tn("count.layers_sent", new_layers),
        ),
        t("check.push.hint"),
    )
