"""layerlab: write, build and look inside Docker images from a Jupyter notebook.

``%load_ext layerlab`` registers the magics. Heavy modules (docker, ipywidgets) are
imported on first use, so loading the extension is fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from layerlab.api import build, images
    from layerlab.build import BuildResult, BuildStep
    from layerlab.cache import CacheReport
    from layerlab.errors import BuildFailed, DockerfileError, EngineUnavailable, LayerlabError
    from layerlab.layers import Layer, LayerStack, layers

__all__ = [
    "BuildFailed",
    "BuildResult",
    "BuildStep",
    "CacheReport",
    "DockerfileError",
    "EngineUnavailable",
    "Layer",
    "LayerStack",
    "LayerlabError",
    "build",
    "images",
    "layers",
    "load_ipython_extension",
]

_LAZY = {
    "build": "layerlab.api",
    "images": "layerlab.api",
    "BuildResult": "layerlab.build",
    "CacheReport": "layerlab.cache",
    "BuildStep": "layerlab.build",
    "BuildFailed": "layerlab.errors",
    "DockerfileError": "layerlab.errors",
    "EngineUnavailable": "layerlab.errors",
    "LayerlabError": "layerlab.errors",
    "Layer": "layerlab.layers",
    "LayerStack": "layerlab.layers",
    "layers": "layerlab.layers",
    "layer_files": "layerlab.layer_files",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        if name == "check":
            import importlib

            return importlib.import_module(f"layerlab.{name}")
        raise AttributeError(f"module 'layerlab' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext layerlab``: register the magics (nothing heavy is imported here)."""
    from layerlab.magics import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo beyond what IPython does itself."""
