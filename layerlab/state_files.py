"""Small JSON files the kit keeps in the user's cache folder, shared by several kernels.

``$XDG_CACHE_HOME/layerlab/`` (the XDG base directory rule), else ``~/.cache/layerlab/``.
A file holds ``{"format": N, "entries": {...}}``. Several kernels may write at the same
time: a file is rewritten whole through a temporary file and ``os.replace`` (atomic on
POSIX), so a reader sees the old or the new file, never half of one; the last writer
wins. A missing, unreadable, corrupt or older-format file counts as empty, and a failure
to write (read-only home, full disk) is not an error: these files only save work.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/layerlab`` (the XDG base directory rule), else ``~/.cache/layerlab``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "layerlab"


def read_entries(path: Path, file_format: int) -> dict[str, Any]:
    """The file's entries; empty when it is missing, unreadable, corrupt or of another
    format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, half-written by hand, not JSON
        return {}
    if not isinstance(data, dict) or data.get("format") != file_format:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def write_entries(path: Path, file_format: int, entries: dict[str, Any]) -> None:
    """Replace the file atomically; a failure to write is not an error."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"format": file_format, "entries": entries}, stream, indent=1)
            Path(temporary).replace(path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise


def forget(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


__all__ = ["cache_dir", "forget", "read_entries", "write_entries"]
