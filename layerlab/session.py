"""The kernel's session: what the kit remembers between builds.

One ``Session`` per kernel (``current()``) holds the recent builds, oldest first, and the
ids of the images this kernel built. Both are bounded: by ``Layerlab.history_size`` for
builds (a build pushed out is forgotten, its log file closed; the file itself goes when
nothing refers to the result any more) and by ``MAX_IMAGES`` for image ids, so a kernel
that builds all day keeps its memory and file descriptors flat.

It keeps what the kernel *made* on the engine (``Session.made``): the images it built,
the names it gave images (builds, ``%docker tag``) and the containers it ran, so
``check.nothing_left()`` and the clean-ups find them. Containers carry the session label
too; images do not (a label that changes per kernel would change the image's config, so
its id, and break the build cache across sessions), so they are remembered here.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerlab.build import BuildResult

#: the most image ids (and names, and containers) remembered: a session makes far fewer;
#: the record cannot grow past it, the oldest is forgotten first
MAX_IMAGES = 2000


class Made:
    """What a session made on the engine: engine-side names, image ids, container ids,
    each oldest first, at most ``MAX_IMAGES`` of each (a dict keeps insertion order)."""

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
        while len(record) > MAX_IMAGES:
            del record[next(iter(record))]

    def tag(self, engine_name: str) -> None:
        self._add(self._tags, engine_name)

    def image(self, image_id: str) -> None:
        self._add(self._images, image_id)

    def container(self, container_id: str) -> None:
        self._add(self._containers, container_id)

    def has_image(self, image_id: str) -> bool:
        return image_id in self._images

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._tags)

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(self._images)

    @property
    def containers(self) -> tuple[str, ...]:
        return tuple(self._containers)

    def clear(self) -> None:
        self._tags.clear()
        self._images.clear()
        self._containers.clear()

    def __len__(self) -> int:
        return len(self._tags) + len(self._images) + len(self._containers)


class Session:
    """The builds of this kernel, newest last, at most ``size`` of them."""

    def __init__(self, size: int | None = None) -> None:
        self._size = size
        self._builds: collections.deque[BuildResult] = collections.deque()
        #: what this kernel made on the engine (for ``check.nothing_left()``, clean-ups)
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
        """Remember ``result`` (and the image it made); forget (and close the log of) the
        oldest build beyond the bound."""
        self._builds.append(result)
        for engine_tag in result.engine_tags:
            self.made.tag(engine_tag)
        while len(self._builds) > self.size:
            self._builds.popleft().log_store.close()
        if result.image_id:
            self.remember_image(result.image_id)

    def remember_image(self, image_id: str) -> None:
        """Note that the kit built (or rebuilt from the cache) ``image_id`` in this session."""
        self.made.image(image_id)

    def made_here(self, image_id: str) -> bool:
        return self.made.has_image(image_id)

    @property
    def images(self) -> tuple[str, ...]:
        """Ids of the images this session built, oldest first."""
        return self.made.images

    def latest_build_of(self, image_id: str) -> BuildResult | None:
        """The most recent remembered build that produced ``image_id``."""
        return next((r for r in reversed(self._builds) if r.image_id == image_id), None)

    def clear(self) -> None:
        while self._builds:
            self._builds.popleft().log_store.close()
        self.made.clear()

    def __len__(self) -> int:
        return len(self._builds)


_current: Session | None = None


def current() -> Session:
    """This kernel's session."""
    global _current  # noqa: PLW0603 - one session per kernel, bounded
    if _current is None:
        _current = Session()
    return _current
