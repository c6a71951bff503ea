"""The kernel's session: what the kit remembers between builds.

One ``Session`` per kernel (``current()``) holds the recent builds, oldest first, and the
ids of the images this kernel built. Both are bounded: by ``Layerlab.history_size`` for
builds (a build pushed out is forgotten, its log file closed; the file itself goes when
nothing refers to the result any more) and by ``MAX_IMAGES`` for image ids, so a kernel
that builds all day keeps its memory and file descriptors flat.

Containers carry the session label; images do not (a label that changes per kernel would
change the image's config, so its id, and break the build cache across sessions), so the
images this session built are remembered here, by id.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from layerlab.build import BuildResult

#: the most image ids remembered (a session builds far fewer; the record cannot grow past it)
MAX_IMAGES = 2000


class Session:
    """The builds of this kernel, newest last, at most ``size`` of them."""

    def __init__(self, size: int | None = None) -> None:
        self._size = size
        self._builds: collections.deque[BuildResult] = collections.deque()
        self._images: collections.OrderedDict[str, None] = collections.OrderedDict()

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
        while len(self._builds) > self.size:
            self._builds.popleft().log_store.close()
        if result.image_id:
            self.remember_image(result.image_id)

    def remember_image(self, image_id: str) -> None:
        """Note that the kit built (or rebuilt from the cache) ``image_id`` in this session."""
        self._images[image_id] = None
        self._images.move_to_end(image_id)
        while len(self._images) > MAX_IMAGES:
            self._images.popitem(last=False)

    def made_here(self, image_id: str) -> bool:
        return image_id in self._images

    @property
    def images(self) -> tuple[str, ...]:
        """Ids of the images this session built, oldest first."""
        return tuple(self._images)

    def latest_build_of(self, image_id: str) -> BuildResult | None:
        """The most recent remembered build that produced ``image_id``."""
        return next((r for r in reversed(self._builds) if r.image_id == image_id), None)

    def clear(self) -> None:
        while self._builds:
            self._builds.popleft().log_store.close()
        self._images.clear()

    def __len__(self) -> int:
        return len(self._builds)


_current: Session | None = None


def current() -> Session:
    """This kernel's session."""
    global _current  # noqa: PLW0603 - one session per kernel, bounded
    if _current is None:
        _current = Session()
    return _current
