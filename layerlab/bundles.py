"""Offline classrooms: the images the labs need, saved in one tar and loaded elsewhere.

A bundle is exactly what ``docker save`` writes (so ``docker load -i`` reads it too):
the engine exports several images in one archive, storing shared layers once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerlab.context import human_size
from layerlab.engine import connect
from layerlab.errors import EngineError, LayerlabError
from layerlab.i18n import t, tn

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

#: ``progress(done_bytes, total_bytes)``; total is an estimate when saving.
Progress = Callable[[int, int], None]

CHUNK = 1024 * 1024

_LOADED = re.compile(r"Loaded image(?: ID)?: (\S+)")


@dataclass(slots=True)
class BundleResult:
    path: Path
    images: list[str] = field(default_factory=list)
    size_bytes: int = 0
    saved: bool = True

    def __repr__(self) -> str:
        if self.saved:
            return tn(
                "bundle.saved", len(self.images), path=self.path, size=human_size(self.size_bytes)
            )
        return tn(
            "bundle.loaded", len(self.images), images=", ".join(self.images) or "?", path=self.path
        )


def save(
    bundle_path: str | Path, images: Sequence[str], progress: Progress | None = None
) -> BundleResult:
    """Write ``images`` (names or ids on the engine) into one tar at ``bundle_path``."""
    from docker.errors import APIError, ImageNotFound

    if not images:
        raise LayerlabError("name at least one image to save")
    api: Any = connect().api  # docker-py's low-level client is untyped
    estimate = 0
    for image in images:
        try:
            estimate += int(api.inspect_image(image).get("Size") or 0)
        except ImageNotFound:
            raise EngineError(t("bundle.no_image", image=image)) from None
    path = Path(bundle_path).expanduser()
    partial = path.with_name(path.name + ".partial")
    # docker-py's get_image() takes one name; the engine's endpoint takes several and
    # writes shared layers once, so we call it through the client's own session.
    response = api.get(f"{api.base_url}/images/get", params={"names": list(images)}, stream=True)
    try:
        api._raise_for_status(response)  # noqa: SLF001 - docker-py's error mapping
        done = 0
        with partial.open("wb") as out:
            for chunk in response.iter_content(CHUNK):
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, max(estimate, done))
    except APIError as exc:
        partial.unlink(missing_ok=True)
        raise EngineError(str(exc.explanation or exc)) from None
    finally:
        response.close()
    partial.replace(path)  # never leave a half-written bundle under the real name
    return BundleResult(path, list(images), path.stat().st_size)


def _chunks(path: Path, progress: Progress | None) -> Iterator[bytes]:
    total = path.stat().st_size
    done = 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            done += len(chunk)
            if progress is not None:
                progress(done, total)
            yield chunk


def load(bundle_path: str | Path, progress: Progress | None = None) -> BundleResult:
    """Load every image of a bundle into the engine; returns the names it loaded."""
    from docker.errors import APIError

    path = Path(bundle_path).expanduser()
    if not path.is_file():
        raise LayerlabError(t("bundle.no_file", path=path))
    api: Any = connect().api
    loaded: list[str] = []
    try:
        for message in api.load_image(_chunks(path, progress)):
            if "error" in message or "errorDetail" in message:
                reason = message.get("error") or message.get("errorDetail", {}).get("message")
                raise EngineError(t("bundle.refused", path=path, reason=reason))
            match = _LOADED.search(str(message.get("stream", "")))
            if match:
                loaded.append(match.group(1))
    except APIError as exc:
        raise EngineError(t("bundle.refused", path=path, reason=exc.explanation or exc)) from None
    return BundleResult(path, loaded, path.stat().st_size, saved=False)
