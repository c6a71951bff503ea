"""The kernel's session: what the kit remembers between builds.

One ``Session`` per kernel (``current()``) holds the recent builds, oldest first. It is
bounded by ``Layerlab.history_size``: a build pushed out is forgotten, its log file
closed (the file itself goes when nothing refers to the result any more), so a kernel
that builds all day keeps its memory and file descriptors flat.

It also keeps what the kernel *made* on the engine — the names it gave images (builds,
``%docker tag``), the images it built and the containers it ran — so
``check.nothing_left()`` finds them. Images carry no per-kernel label: a label that changes
with each kernel changes the image's config and so its id, and an unchanged Dockerfile
would then miss the cache in every new session. The record is bounded too
(``MADE_LIMIT`` entries of each kind, oldest forgotten first).
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerlab.build import BuildResult


#: How many names, image ids and container ids the session remembers (each).
MADE_LIMIT = 1000


class Made:
    """What a session made on the engine: engine-side names, image ids, container ids,
    each oldest first, at most ``MADE_LIMIT`` of each (a dict keeps insertion order)."""

    def __init__(self) -> None:
        self._tags: dict[str, None] = {}
        self._images: dict[str, None] = {}
        self._containers: dict[str, None] = {}

    @staticmethod
    def _add(record: dict[str, None], key: str) -> None:
        if not key:
            return
        record.pop(key, None)  # seen again: it becomes the newest
        record[key] = None
        while len(record) > MADE_LIMIT:
            del record[next(iter(record))]

    def tag(self, engine_name: str) -> None:
        self._add(self._tags, engine_name)

    def image(self, image_id: str) -> None:
        self._add(self._images, image_id)

    def container(self, container_id: str) -> None:
        self._add(self._containers, container_id)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._tags)

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(self._images)

    @property
    def containers(self) -> tuple[str, ...]:
        return tuple(self._containers)

    def __len__(self) -> int:
        return len(self._tags) + len(self._images) + len(self._containers)


class Session:
    """The builds of this kernel, newest last, at most ``size`` of them."""

    def __init__(self, size: int | None = None) -> None:
        self._size = size
        self._builds: collections.deque[BuildResult] = collections.deque()
        #: what this kernel made on the engine (for ``check.nothing_left()``)
        self.made = Made()

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
        for engine_tag in result.engine_tags:
            self.made.tag(engine_tag)
        if result.image_id:
            self.made.image(result.image_id)
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
