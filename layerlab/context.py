"""The build context: which files the engine receives (``.dockerignore`` respected).

``list_context`` walks the context ONCE per build. The listing it returns serves the size
check, the cache explainer's file hashes and the tar the classic builder sends, so the
three always agree on what was sent. (BuildKit runs in the docker CLI, which reads the
context itself: nothing to share there.)
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from layerlab.errors import ContextTooLarge

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ContextListing",
    "ContextSummary",
    "ContextTooLarge",
    "context_files",
    "dockerignore_patterns",
    "file_digest",
    "hash_files",
    "human_size",
    "list_context",
    "matching_files",
    "sent_files",
    "summarize",
]


@dataclass(frozen=True, slots=True)
class ContextSummary:
    root: Path
    files: int
    size_bytes: int


@dataclass(frozen=True)
class ContextListing:
    """One walk of a build context, shared by everything that needs its files."""

    root: Path
    #: the Dockerfile's path relative to the context ("Dockerfile" when it lies outside)
    dockerfile: str
    #: every path docker-py puts in the tar (folders included), relative, sorted
    paths: tuple[str, ...]
    #: the files among them (regular files and symlinks)
    files: tuple[str, ...]
    #: the files the engine keeps after reading the Dockerfile and .dockerignore
    sent: tuple[str, ...]
    size_bytes: int

    @property
    def summary(self) -> ContextSummary:
        return ContextSummary(self.root, len(self.files), self.size_bytes)

    def tar(self, dockerfile_outside: tuple[str, str] | None = None) -> IO[bytes]:
        """The context as the tar archive ``docker image build`` sends (docker-py's own
        ``create_archive``, fed this listing instead of a second walk).

        ``dockerfile_outside``: (name in the tar, text) of a Dockerfile that lies outside
        the context, added the way docker-py's ``utils.build.tar`` adds it.
        """
        from docker.utils.build import create_archive

        extra: list[tuple[str, str]] = []
        if dockerfile_outside is not None:
            # as docker-py does: the engine drops the extra Dockerfile and .dockerignore
            ignored = [*dockerignore_patterns(self.root), dockerfile_outside[0]]
            extra = [(".dockerignore", "\n".join(ignored)), dockerfile_outside]
        archive = tempfile.TemporaryFile()  # noqa: SIM115 - the builder closes it
        create_archive(
            root=str(self.root), files=list(self.paths), fileobj=archive, extra_files=extra
        )
        archive.seek(0)
        return archive


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


def relative_dockerfile(root: Path, dockerfile: str) -> str:
    """The Dockerfile's path inside the context ("Dockerfile" when it lies outside)."""
    path = Path(dockerfile)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return "Dockerfile"


def list_context(root: Path, dockerfile: str = "Dockerfile") -> ContextListing:
    """Walk the context once, as docker-py selects it (``.dockerignore`` applied)."""
    from docker.utils.build import exclude_paths

    relative = relative_dockerfile(root, dockerfile)
    patterns = dockerignore_patterns(root)
    # exclude_paths appends "!Dockerfile" to the list it is given: give it a copy
    paths = sorted(exclude_paths(str(root), list(patterns), dockerfile=relative))
    files: list[str] = []
    size = 0
    for relative_path in paths:
        try:
            info = os.lstat(root / relative_path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
            files.append(relative_path)
            size += info.st_size
    sent = files
    if patterns:
        dropped = {name for name in (relative, ".dockerignore") if _ignored(patterns, name)}
        sent = [name for name in files if name not in dropped]
    return ContextListing(root, relative, tuple(paths), tuple(files), tuple(sent), size)


def context_files(root: Path, dockerfile: str = "Dockerfile") -> list[str]:
    """Relative paths of the files sent to the engine, as docker-py selects them."""
    return list(list_context(root, dockerfile).files)


def summarize(root: Path, dockerfile: str = "Dockerfile") -> ContextSummary:
    return list_context(root, dockerfile).summary


def sent_files(root: Path, dockerfile: str) -> list[str]:
    """The context files the engine keeps: ``.dockerignore`` applied, and the Dockerfile and
    ``.dockerignore`` dropped when it excludes them (the engine removes them after reading)."""
    return list(list_context(root, dockerfile).sent)


def _ignored(patterns: Sequence[str], relative: str) -> bool:
    """Whether ``.dockerignore`` excludes ``relative``, as the engine decides it (docker-py's
    own matcher always keeps ``.dockerignore``, so it cannot answer for that file).

    ``Pattern`` and ``split_path`` are docker-py's own .dockerignore matcher; it has no
    public function that answers for one path, so we use its pieces rather than write a
    second matcher that could disagree with the one that builds the tar.
    """
    from docker.utils.build import Pattern, split_path

    parents = split_path(posixpath.dirname(relative))
    ignored = False
    for pattern in (Pattern(text) for text in patterns):
        if not pattern.dirs:
            continue
        matched = pattern.match(relative) or (
            bool(parents)
            and len(pattern.dirs) <= len(parents)
            and pattern.match("/".join(parents[: len(pattern.dirs)]))
        )
        if matched:
            ignored = not pattern.exclusion
    return bool(ignored)


def _segment_match(name: str, pattern: str) -> bool:
    # Docker uses Go's filepath.Match: "[^...]" negates, like fnmatch's "[!...]".
    return fnmatch.fnmatchcase(name, pattern.replace("[^", "[!"))


def matching_files(files: Sequence[str], sources: Sequence[str]) -> list[str]:
    """The files (relative paths) that ``COPY sources… dest`` copies.

    A source matches a file itself, or a folder holding it (the folder is copied whole);
    wildcards follow Go's ``filepath.Match``: ``*`` stops at ``/``.
    """
    patterns: list[list[str]] = []
    for source in sources:
        cleaned = posixpath.normpath("/" + source.replace("\\", "/")).lstrip("/")
        patterns.append([] if cleaned in ("", ".") else cleaned.split("/"))
    chosen: list[str] = []
    for relative in files:
        parts = relative.split("/")
        for segments in patterns:
            if len(parts) >= len(segments) and all(
                _segment_match(part, segment)
                for part, segment in zip(parts, segments, strict=False)
            ):
                chosen.append(relative)
                break
    return chosen


#: (path, size, mtime, inode, mode) -> digest; bounded so a long session stays flat
_DIGESTS: dict[tuple[str, int, int, int, int], str] = {}
_DIGESTS_MAX = 10_000


def file_digest(path: Path) -> str:
    """Content hash and permission bits (the engine's cache key includes both)."""
    info = path.lstat()
    key = (str(path), info.st_size, info.st_mtime_ns, info.st_ino, info.st_mode)
    cached = _DIGESTS.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    if stat.S_ISLNK(info.st_mode):
        digest.update(b"symlink:" + str(path.readlink()).encode())
    else:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    value = f"{stat.S_IMODE(info.st_mode):o}:{digest.hexdigest()}"
    if len(_DIGESTS) >= _DIGESTS_MAX:
        _DIGESTS.pop(next(iter(_DIGESTS)))  # oldest first: dicts keep insertion order
    _DIGESTS[key] = value
    return value


def hash_files(root: Path, files: Sequence[str]) -> dict[str, str]:
    digests: dict[str, str] = {}
    for relative in files:
        try:
            digests[relative] = file_digest(root / relative)
        except OSError:
            digests[relative] = "unreadable"
    return digests


def human_size(size: float) -> str:
    """``1.5 MB`` (``1,5 Mo`` in French): see ``layerlab.i18n.size``."""
    from layerlab.i18n import size as formatted

    return formatted(size)
