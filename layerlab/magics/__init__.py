"""IPython magics: thin wrappers that parse a line and call ``layerlab.api``."""

from __future__ import annotations

from typing import Any


def register(ipython: Any) -> None:
    from layerlab import config
    from layerlab.magics.build import BuildMagics
    from layerlab.magics.classroom import ClassroomMagics
    from layerlab.magics.docker import DockerMagics
    from layerlab.magics.dockerfile import DockerfileMagics
    from layerlab.magics.images import ImageMagics
    from layerlab.magics.layers import LayerFilesMagics

    settings = config.install(ipython)
    # one settings object per shell: drop the one of an earlier load
    ipython.configurables[:] = [
        c for c in ipython.configurables if not isinstance(c, config.Layerlab)
    ]
    ipython.configurables.append(settings)
    for magics in (DockerfileMagics, BuildMagics, ImageMagics, DockerMagics, ClassroomMagics):
        ipython.register_magics(magics(ipython))
    ipython.register_magics(LayerFilesMagics(ipython))
