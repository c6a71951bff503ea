"""Get the first build ready while the learner reads: a one-time background warm-up.

``%load_ext layerlab`` imports nothing heavy, so the cell is quick. Without more, the
first ``%docker_build`` then pays for importing the docker SDK, requests and ipywidgets,
connecting to the engine and finding the BuildKit CLI: a few hundred milliseconds on top of
a cached build the docker CLI finishes in ~70 ms (the first build felt ~5x slower than
the terminal). So once the cell that loaded the extension has finished, a daemon thread
does that work while the kernel is idle and the learner reads the next cell. A build that
starts before it is done waits for the same imports (Python's import locks), never
longer than it would have without the warm-up. Every failure is ignored here: the build
reports it, in one line, if it matters then.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

_started = threading.Event()


def warm_up() -> None:
    """Import the build path, connect to the engine, find the BuildKit CLI (remembered)."""
    with contextlib.suppress(Exception):
        from layerlab import api  # noqa: F401 - the import is the work
        from layerlab.magics._display import use_widgets

        if use_widgets():
            from layerlab.widgets import build_view  # noqa: F401 - ipywidgets
    with contextlib.suppress(Exception):
        from layerlab.engine import connect

        connect()
    with contextlib.suppress(Exception):
        from layerlab.builders import select_builder
        from layerlab.config import settings

        if settings().builder != "classic":
            select_builder("auto")


def after_this_cell(ipython: Any) -> None:
    """Start the warm-up once, when the cell running ``%load_ext`` has finished."""

    def start(*_args: object) -> None:
        with contextlib.suppress(ValueError):
            ipython.events.unregister("post_run_cell", start)
        if not _started.is_set():
            _started.set()
            threading.Thread(target=warm_up, name="layerlab-warmup", daemon=True).start()

    ipython.events.register("post_run_cell", start)


__all__ = ["after_this_cell", "warm_up"]
