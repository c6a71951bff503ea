"""Builders: one interface (``Builder``), the classic builder and BuildKit behind it."""

from layerlab.builders.base import Builder, BuildRequest, run_build, select_builder

__all__ = ["BuildRequest", "Builder", "run_build", "select_builder"]
