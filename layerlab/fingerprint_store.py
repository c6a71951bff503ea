"""The cache explainer's memory across kernels: the fingerprint of the latest build of
each Dockerfile (context folder, Dockerfile, builder).

A learner who restarts the kernel (or opens the lab again the next day) and rebuilds
still gets told why the cache broke: the new build is compared with the last one this
user made of that Dockerfile, whichever kernel made it. Kept in the user's cache folder
(``layerlab.state_files``), at most ``MAX_ENTRIES`` Dockerfiles, the least recent dropped
first; build-argument values are kept as the engine keeps them (in the image's history).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layerlab import state_files

if TYPE_CHECKING:
    from pathlib import Path

    from layerlab.cache import Fingerprint

#: Bumped when the stored shape changes (older files then count as empty).
FORMAT = 1
FILE_NAME = "build-fingerprints.json"
MAX_ENTRIES = 64


def store_file() -> Path:
    return state_files.cache_dir() / FILE_NAME


def _key(context: str, dockerfile: str, builder: str) -> str:
    return f"{context}\n{dockerfile}\n{builder}"


def to_data(fingerprint: Fingerprint) -> dict[str, Any]:
    return {
        "context": fingerprint.context,
        "dockerfile": fingerprint.dockerfile,
        "builder": fingerprint.builder,
        "status": fingerprint.status,
        "instructions": list(fingerprint.instructions),
        "build_args": dict(fingerprint.build_args),
        "no_cache": fingerprint.no_cache,
        "steps": [
            {
                "number": step.number,
                "stage": step.stage,
                "stage_key": step.stage_key,
                "position": step.position,
                "instruction": step.instruction,
                "status": step.status,
                "files": None if step.files is None else dict(step.files),
                "line": step.line,
                "definitions": [list(item) for item in step.definitions],
            }
            for step in fingerprint.steps
        ],
        "bases": {key: [base.name, base.image_id] for key, base in fingerprint.bases.items()},
        "complete": fingerprint.complete,
    }


def from_data(data: dict[str, Any]) -> Fingerprint:
    """The fingerprint ``to_data`` wrote; ``KeyError``/``TypeError``/``ValueError`` when
    the data is not one."""
    from layerlab.cache import BaseImage, Fingerprint, StepPrint

    steps = tuple(
        StepPrint(
            number=int(step["number"]),
            stage=str(step["stage"]),
            stage_key=str(step["stage_key"]),
            position=int(step["position"]),
            instruction=str(step["instruction"]),
            status=str(step["status"]),
            files=None
            if step["files"] is None
            else {str(k): str(v) for k, v in step["files"].items()},
            line=None if step["line"] is None else int(step["line"]),
            definitions=tuple(
                (str(keyword), str(name), None if value is None else str(value))
                for keyword, name, value in step["definitions"]
            ),
        )
        for step in data["steps"]
    )
    return Fingerprint(
        context=str(data["context"]),
        dockerfile=str(data["dockerfile"]),
        builder=str(data["builder"]),
        status=str(data["status"]),
        instructions=tuple(str(text) for text in data["instructions"]),
        build_args={str(k): str(v) for k, v in data["build_args"].items()},
        no_cache=bool(data["no_cache"]),
        steps=steps,
        bases={
            str(key): BaseImage(str(name), None if image_id is None else str(image_id))
            for key, (name, image_id) in data["bases"].items()
        },
        complete=bool(data["complete"]),
    )


def save(fingerprint: Fingerprint, path: Path | None = None) -> None:
    """Remember ``fingerprint`` as the latest build of its Dockerfile."""
    target = path or store_file()
    entries = state_files.read_entries(target, FORMAT)
    key = _key(fingerprint.context, fingerprint.dockerfile, fingerprint.builder)
    entries.pop(key, None)
    entries[key] = to_data(fingerprint)  # dicts keep their order: the newest last
    while len(entries) > MAX_ENTRIES:
        entries.pop(next(iter(entries)))
    state_files.write_entries(target, FORMAT, entries)


def load(
    context: str, dockerfile: str, builder: str, path: Path | None = None
) -> Fingerprint | None:
    """The latest build of that Dockerfile this user made, in any kernel; None if none
    (or the stored entry cannot be read)."""
    data = state_files.read_entries(path or store_file(), FORMAT).get(
        _key(context, dockerfile, builder)
    )
    if not isinstance(data, dict):
        return None
    try:
        return from_data(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


__all__ = ["FILE_NAME", "MAX_ENTRIES", "from_data", "load", "save", "store_file", "to_data"]
