"""What the BuildKit probe learned about a docker CLI, remembered across kernels.

Probing a CLI costs a few subprocesses (and, where a query cannot tell, a trial build):
tens to hundreds of milliseconds a learner would pay on the first build of every kernel.
The answer only changes when the CLI binary or the engine behind it changes, so it is
kept in a small JSON file in the user's cache folder (``layerlab.state_files``: how
kernels share it safely), one entry per CLI (its real path), stamped with:

* the binary's size and modification time (a new CLI version is a new file), and those
  of the buildx plugin it would load;
* the engine it talks to (``DOCKER_HOST``/``DOCKER_CONTEXT`` and the engine's version
  and components, as the caller reads them: a new or another engine may not run BuildKit).

An entry whose stamp differs is probed again; a lost entry (two kernels writing at once)
only costs one more probe. The file holds one entry per CLI path, so it does not grow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerlab import state_files

if TYPE_CHECKING:
    from collections.abc import Callable

#: Bumped when what an entry means changes (older entries are then ignored).
FORMAT = 1
FILE_NAME = "buildkit-probe.json"


def cache_dir() -> Path:
    return state_files.cache_dir()


def cache_file() -> Path:
    return cache_dir() / FILE_NAME


def plugin_folders() -> list[Path]:
    """Where the docker CLI looks for plugins such as buildx (docker/cli's search path)."""
    config = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    return [
        Path(config) / "cli-plugins",
        *(
            Path(prefix) / folder / "docker" / "cli-plugins"
            for prefix in ("/usr/local", "/usr")
            for folder in ("lib", "libexec")
        ),
    ]


def _file_stamp(path: Path) -> dict[str, Any] | None:
    try:
        real = path.resolve()
        info = real.stat()
    except OSError:
        return None
    return {"path": str(real), "size": info.st_size, "mtime_ns": info.st_mtime_ns}


def binary_stamp(executable: str) -> dict[str, Any] | None:
    """The CLI's real path, size and mtime, and those of the buildx plugin it would load
    (installing or upgrading buildx changes the answer, not the ``docker`` binary).
    None when the CLI cannot be read."""
    stamp = _file_stamp(Path(executable))
    if stamp is None:
        return None
    plugins = [_file_stamp(folder / "docker-buildx") for folder in plugin_folders()]
    stamp["plugins"] = [plugin for plugin in plugins if plugin is not None]
    return stamp


def _read(path: Path) -> dict[str, Any]:
    return state_files.read_entries(path, FORMAT)


def _write(path: Path, entries: dict[str, Any]) -> None:
    state_files.write_entries(path, FORMAT, entries)


def lookup(executable: str, engine: str, path: Path | None = None) -> dict[str, Any] | None:
    """The remembered answer for ``executable`` on ``engine``, if its stamp still holds."""
    stamp = binary_stamp(executable)
    if stamp is None:
        return None
    entry = _read(path or cache_file()).get(stamp["path"])
    if not isinstance(entry, dict):
        return None
    if entry.get("binary") != stamp or entry.get("engine") != engine:
        return None
    answer = entry.get("answer")
    return answer if isinstance(answer, dict) else None


def store(executable: str, engine: str, answer: dict[str, Any], path: Path | None = None) -> None:
    """Remember ``answer`` for ``executable`` on ``engine`` (merged into the current file)."""
    stamp = binary_stamp(executable)
    if stamp is None:
        return
    target = path or cache_file()
    entries = _read(target)
    entries[stamp["path"]] = {"binary": stamp, "engine": engine, "answer": answer}
    _write(target, entries)


def remembered(
    executable: str,
    engine: str | None,
    compute: Callable[[], dict[str, Any]],
    path: Path | None = None,
) -> dict[str, Any]:
    """The remembered answer, else ``compute()`` stored for next time.

    ``engine`` is None when the engine could not be identified: then nothing is read or
    stored (an answer probed against no engine must not outlive the outage).
    """
    if engine is None:
        return compute()
    found = lookup(executable, engine, path)
    if found is not None:
        return found
    answer = compute()
    store(executable, engine, answer, path)
    return answer


def forget(path: Path | None = None) -> None:
    """Drop every remembered answer (``layerlab doctor`` after reinstalling a CLI, tests)."""
    state_files.forget(path or cache_file())


__all__ = [
    "binary_stamp",
    "cache_dir",
    "cache_file",
    "forget",
    "lookup",
    "plugin_folders",
    "remembered",
    "store",
]
