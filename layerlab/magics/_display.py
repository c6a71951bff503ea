"""Choosing how to show things: widgets in a Jupyter frontend, text elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layerlab.config import settings

if TYPE_CHECKING:
    from layerlab.build import BuildListener


def in_kernel() -> bool:
    """True inside a Jupyter kernel (a frontend that can show widgets)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def use_widgets() -> bool:
    mode = settings().view
    if mode == "text":
        return False
    if mode == "widget":
        return True
    return in_kernel()


def build_view(quiet: bool) -> BuildListener:
    """A listener that shows a build live; displays itself when it is a widget."""
    if use_widgets():
        try:
            from layerlab.widgets.build_view import BuildView
        except ImportError:
            pass
        else:
            return _WidgetOnFirstEvent(BuildView, quiet)
    from layerlab.views import TextProgress

    return TextProgress(quiet=quiet)


class _WidgetOnFirstEvent:
    """Makes and displays the widget view when the build's first event arrives.

    The view is about twenty widgets (each HTML has its layout and style), each opened
    over the comm: 4-7 ms measured in a kernel. The first event is ``BuildStarted`` (the
    engine has the build), so that happens while the engine works instead of before the
    build starts; a build refused before it starts (a Dockerfile error, no engine) makes
    no widget at all.
    """

    def __init__(self, factory: Any, quiet: bool) -> None:
        self._factory, self._quiet = factory, quiet
        self.view: Any = None

    def __call__(self, event: Any, result: Any) -> None:
        if self.view is None:
            self.view = self._factory(quiet=self._quiet)
            self.view.display()
        self.view(event, result)


def show(obj: Any) -> None:
    from IPython.display import display

    display(obj)
