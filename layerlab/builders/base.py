"""The builder interface: a request in, a stream of build events out; and the error a
failed build raises."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

from layerlab.build import BuildError, BuildEvent, BuildResult, ImageBuilt, StepFailed
from layerlab.errors import BuildFailed, BuildInterrupted
from layerlab.i18n import t

if TYPE_CHECKING:
    from collections.abc import Iterator

    from layerlab.context import ContextListing


@dataclass(frozen=True)
class BuildRequest:
    """What to build; the same for every builder (mirrors ``docker image build``)."""

    context: Path
    dockerfile: str = "Dockerfile"
    tags: tuple[str, ...] = ()
    build_args: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False
    #: build up to this stage (``--target``); None: the last one
    target: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    #: stop the build on the engine after this many seconds (None: no limit)
    timeout_s: float | None = None
    #: classic builder only: memory (bytes) and CPU limits of build containers
    memory_bytes: int | None = None
    cpu_quota: int | None = None
    #: the context as listed once for this build (the classic builder tars exactly it)
    listing: ContextListing | None = field(default=None, compare=False, repr=False)

    @property
    def dockerfile_path(self) -> Path:
        path = Path(self.dockerfile)
        return path if path.is_absolute() else self.context / path


class Builder(Protocol):
    """Something that turns a ``BuildRequest`` into a stream of ``BuildEvent``s.

    The stream ends after the engine's last word; ``ImageBuilt`` marks success. Closing
    the iterator early (an interrupt) must stop the build on the engine side.
    """

    name: ClassVar[str]

    def events(self, request: BuildRequest) -> Iterator[BuildEvent]: ...


_MISSING_BASE = re.compile(
    r"pull access denied|repository does not exist|manifest unknown|not found: manifest"
    r"|no such host|dial tcp|failed to resolve|failed to do request|Get \"https?://"
    r"|No such image",
    re.IGNORECASE,
)
_NO_SPACE = re.compile(r"no space left on device", re.IGNORECASE)


def _is_kit_message(error: str) -> bool:
    """True when a builder already put one of the kit's own messages in ``error``."""
    for key, values in (
        ("engine.lost", {"reason": "\0"}),
        ("engine.image_missing", {"image": "\0"}),
    ):
        prefix = t(key, **values).split("\0")[0]
        if error.startswith(prefix):
            return True
    return False


def explain_failure(result: BuildResult) -> str:
    """The learner-facing message for a failed build: the step, the reason, the last lines."""
    error = result.error or t("build.unknown_error")
    step = result.failed_step
    if _NO_SPACE.search(error) or any(_NO_SPACE.search(line) for line in result.log_tail):
        return t("engine.no_space")
    if (
        step is not None
        and step.status == "failed"
        and step.keyword == "FROM"
        and (_MISSING_BASE.search(error))
    ):
        words = (step.engine_text or step.instruction).split()  # the engine's: $VAR expanded
        image = words[1] if len(words) > 1 else "?"
        return t("engine.image_missing", image=image)
    if _is_kit_message(error):  # already written for the learner (engine lost, image missing)
        return error.strip()
    if step is None:
        return t("build.failed", error=error.strip())
    lines = [t("build.failed_step", number=step.number, instruction=step.instruction)]
    tail = [line for line in step.tail if line.strip()][-8:]
    lines.extend(f"  | {line}" for line in tail)
    if error.strip() and error.strip() not in tail:
        lines.append(error.strip())
    return "\n".join(lines)


def build_failure(result: BuildResult) -> BuildFailed:
    """The error to raise for a settled build that did not succeed."""
    if result.status == "interrupted":
        running = next((s for s in reversed(result.steps)), None)
        message = t("build.interrupted", number=running.number if running else 0)
        if result.error:
            message = f"{result.error}\n{message}"
        return BuildFailed(message, result)
    if result.error is None:
        result.error = t("build.no_image_id")
    return BuildFailed(explain_failure(result), result)


__all__ = [
    "BuildError",
    "BuildInterrupted",
    "BuildRequest",
    "Builder",
    "ImageBuilt",
    "StepFailed",
    "build_failure",
    "explain_failure",
]
