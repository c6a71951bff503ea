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
            view = BuildView(quiet=quiet)
            view.display()
            return view
    from layerlab.views import TextProgress

    return TextProgress(quiet=quiet)


def show(obj: Any) -> None:
    from IPython.display import display

    display(obj)
