"""Jupyter widgets for builds and layer stacks.

Each view renders a view-model (``BuildResult``, ``LayerStack``) and never calls the
engine. The submodules import ipywidgets, so this package imports nothing eagerly:
``%load_ext layerlab`` stays fast and works where ipywidgets is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from layerlab.widgets.build_view import BuildView
    from layerlab.widgets.layer_files import LayerFilesView
    from layerlab.widgets.layer_stack import LayerStackView

__all__ = ["BuildView", "LayerFilesView", "LayerStackView"]


def __getattr__(name: str) -> Any:
    if name == "BuildView":
        from layerlab.widgets.build_view import BuildView

        return BuildView
    if name == "LayerStackView":
        from layerlab.widgets.layer_stack import LayerStackView

        return LayerStackView
    if name == "LayerFilesView":
        from layerlab.widgets.layer_files import LayerFilesView

        return LayerFilesView
    raise AttributeError(name)
