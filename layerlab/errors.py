"""Errors a learner can meet, each shown as one or two lines instead of a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerlab.build import BuildResult


class LayerlabError(Exception):
    """Base class: IPython shows ``_render_traceback_`` instead of a full traceback."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this hook when present; a short message is all a learner needs.
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


class EngineUnavailable(LayerlabError):  # noqa: N818 - reads as a state, like docker's own errors
    """No Docker Engine answered where we looked."""


class DockerfileError(LayerlabError):
    """The Dockerfile text was refused before anything was written or built."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.message = message
        from layerlab.i18n import t

        super().__init__(t("df.line", line=line, message=message) if line is not None else message)


class BuildFailed(LayerlabError):  # noqa: N818 - part of the public contract
    """A build stopped before producing an image; ``.result`` holds what it did."""

    def __init__(self, message: str, result: BuildResult) -> None:
        super().__init__(message)
        self.result = result


class EngineError(LayerlabError):
    """The engine refused an operation (image missing, port busy, disk full, ...)."""


class BuildInterrupted(LayerlabError):  # noqa: N818 - mirrors KeyboardInterrupt
    """Raised from a builder when its build was cut short (timeout)."""


class ContextTooLarge(LayerlabError):  # noqa: N818
    """The build context is above the configured cap."""


class LimitReached(LayerlabError):  # noqa: N818 - reads as a state, like EngineUnavailable
    """A classroom limit set by the instructor refused the operation."""
