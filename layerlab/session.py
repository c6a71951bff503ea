"""The kernel's session: what the kit remembers between builds.

One ``Session`` per kernel (``current()``) holds the recent builds, oldest first. It is
bounded by ``Layerlab.history_size``: a build pushed out is forgotten, its log file
closed (the file itself goes when nothing refers to the result any more), so a kernel
that builds all day keeps its memory and file descriptors flat.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerlab.build import BuildResult


class Session:
    """The builds of this kernel, newest last, at most ``size`` of them."""

    def __init__(self, size: int | None = None) -> None:
        self._size = size
        self._builds: collections.deque[BuildResult] = collections.deque()

    @property
    def size(self) -> int:
        if self._size is not None:
            return self._size
        from layerlab.config import settings  # the setting may change between builds

        return max(1, settings().history_size)

    @property
    def history(self) -> tuple[BuildResult, ...]:
        """The remembered builds, oldest first."""
        return tuple(self._builds)

    def record(self, result: BuildResult) -> None:
        """Remember ``result``; forget (and close the log of) the oldest beyond the bound."""
        self._builds.append(result)
        while len(self._builds) > self.size:
            self._builds.popleft().log_store.close()

    def latest_build_of(self, image_id: str) -> BuildResult | None:
        """The most recent remembered build that produced ``image_id``."""
        return next((r for r in reversed(self._builds) if r.image_id == image_id), None)

    def clear(self) -> None:
        while self._builds:
            self._builds.popleft().log_store.close()

    def __len__(self) -> int:
        return len(self._builds)


_current: Session | None = None


def current() -> Session:
    """This kernel's session."""
    global _current  # noqa: PLW0603 - one session per kernel, bounded
    if _current is None:
        _current = Session()
    return _current
