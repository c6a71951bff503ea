"""Builders: one interface (``Builder``), the classic builder and BuildKit behind it, and
``select_builder`` that picks one by name."""

from __future__ import annotations

from layerlab.builders.base import Builder, BuildRequest, build_failure
from layerlab.errors import LayerlabError
from layerlab.i18n import t

__all__ = ["BuildRequest", "Builder", "build_failure", "select_builder"]


def select_builder(name: str) -> Builder:
    """The builder called ``name``: ``classic``, ``buildkit``, or ``auto`` (BuildKit when a
    docker CLI that can run it is found, else classic)."""
    from layerlab.builders.buildkit import (  # lazy: probing the CLI costs time
        BuildKitBuilder,
        find_buildkit_cli,
        no_buildkit_message,
    )
    from layerlab.builders.classic import ClassicBuilder  # lazy: imports the docker SDK

    if name == "classic":
        return ClassicBuilder()
    if name not in ("buildkit", "auto"):
        raise LayerlabError(t("build.unknown_builder", name=name))
    cli = find_buildkit_cli()
    if cli is not None:
        return BuildKitBuilder(cli)
    if name == "buildkit":
        raise LayerlabError(no_buildkit_message())
    return ClassicBuilder()
