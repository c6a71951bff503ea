"""layerlab: write, build and look inside Docker images from a Jupyter notebook.

``%load_ext layerlab`` registers the magics. Heavy modules (docker, ipywidgets) are
imported on first use, so loading the extension is fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from layerlab.api import build
    from layerlab.build import BuildResult, BuildStep
    from layerlab.cache import CacheReport
    from layerlab.errors import BuildFailed, DockerfileError, EngineUnavailable, LayerlabError
    from layerlab.image_layers import Layer, LayerStack, layers
    from layerlab.image_list import images
    from layerlab.lab_ports import lab_port
    from layerlab.layer_contents import layer_files
    from layerlab.waiting import wait_http

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
    "lab_port",
    "layer_files",
    "layers",
    "load_ipython_extension",
    "wait_http",
]

_LAZY = {
    "build": "layerlab.api",
    "images": "layerlab.image_list",
    "lab_port": "layerlab.lab_ports",
    "BuildResult": "layerlab.build",
    "CacheReport": "layerlab.cache",
    "BuildStep": "layerlab.build",
    "BuildFailed": "layerlab.errors",
    "DockerfileError": "layerlab.errors",
    "EngineUnavailable": "layerlab.errors",
    "LayerlabError": "layerlab.errors",
    "Layer": "layerlab.image_layers",
    "LayerStack": "layerlab.image_layers",
    "layers": "layerlab.image_layers",
    "layer_files": "layerlab.layer_contents",
    "wait_http": "layerlab.waiting",
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
    from layerlab.warmup import after_this_cell

    register(ipython)
    after_this_cell(ipython)  # the first build's imports and probes, while the learner reads


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo beyond what IPython does itself."""
