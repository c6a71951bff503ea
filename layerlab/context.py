"""The build context: which files the engine receives (``.dockerignore`` respected)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from layerlab.errors import LayerlabError


@dataclass(frozen=True, slots=True)
class ContextSummary:
    root: Path
    files: int
    size_bytes: int


def dockerignore_patterns(root: Path) -> list[str]:
    path = root / ".dockerignore"
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            patterns.append(stripped)
    return patterns


def context_files(root: Path, dockerfile: str = "Dockerfile") -> list[str]:
    """Relative paths of the files sent to the engine, as docker-py selects them."""
    from docker.utils.build import exclude_paths

    selected = exclude_paths(str(root), dockerignore_patterns(root), dockerfile=dockerfile)
    return sorted(p for p in selected if (root / p).is_file() or (root / p).is_symlink())


def summarize(root: Path, dockerfile: str = "Dockerfile") -> ContextSummary:
    files = context_files(root, dockerfile)
    size = 0
    for relative in files:
        try:
            size += os.lstat(root / relative).st_size
        except OSError:
            continue
    return ContextSummary(root, len(files), size)


def human_size(size: float) -> str:
    """``1.5 MB`` (``1,5 Mo`` in French): see ``layerlab.i18n.size``."""
    from layerlab.i18n import size as formatted

    return formatted(size)


class ContextTooLarge(LayerlabError):  # noqa: N818
    """The build context is above the configured cap."""
