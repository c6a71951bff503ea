"""Per-learner image names on a shared engine.

On a classroom engine twenty learners build ``python-hello-world`` at once. When a
namespace is in force (``JUPYTERHUB_USER`` is set, or ``%config Layerlab.namespace``), the
name a learner types is stored on the engine under their namespace —
``python-hello-world`` → ``alice/python-hello-world:latest`` — and shown back short.
Names of images the learner did not build (base images such as ``python:3.13-alpine``)
resolve to themselves.
"""

from __future__ import annotations

import os

from layerlab.engine import slug
from layerlab.references import split_registry


def namespace() -> str:
    """The namespace in force: the setting, else the JupyterHub user, else none ("")."""
    from layerlab.config import settings  # here, not at the top: avoids an import cycle

    configured = settings().namespace
    if configured:
        return slug(configured)
    user = os.environ.get("JUPYTERHUB_USER", "")
    return slug(user) if user else ""


def to_engine(name: str) -> str:
    """The engine-side name of a learner's image name (unchanged without a namespace)."""
    prefix = namespace()
    if not prefix:
        return name
    registry, path = split_registry(name)
    if path.startswith(prefix + "/"):
        return name
    return f"{registry}{prefix}/{path}"


#: Podman lists ``python-hello-world`` as ``docker.io/library/python-hello-world`` and an
#: image built or loaded locally as ``localhost/python``; Docker shows both short. On
#: Docker, ``localhost/`` names a registry on this machine, so it is kept there.
_LONG_PREFIXES = ("docker.io/library/", "docker.io/")


def to_learner(name: str, *, podman: bool = False) -> str:
    """The short name a learner typed, for an engine-side name (display only)."""
    for long_prefix in (*_LONG_PREFIXES, "localhost/") if podman else _LONG_PREFIXES:
        if name.startswith(long_prefix):
            name = name[len(long_prefix) :]
            break
    prefix = namespace()
    if not prefix:
        return name
    registry, path = split_registry(name)
    if path.startswith(prefix + "/"):
        return registry + path[len(prefix) + 1 :]
    return name


def is_pattern(name: str) -> bool:
    """Is ``name`` a pattern (``python*``, as ``docker image ls`` takes), not a reference?"""
    return any(char in name for char in "*?[")


def candidates(name: str) -> list[str]:
    """Where ``name`` (or a pattern) can match on the engine, the learner's own first:
    ``python*`` → [``alice/python*``, ``python*``]; without a namespace, [``python*``]."""
    engine_name = to_engine(name)
    return [engine_name, name] if engine_name != name else [name]


def resolve(name: str) -> str:
    """The engine name to use for ``name`` typed by the learner: their own image when it
    exists under their namespace, else ``name`` itself (a base image, an id). A pattern
    (``python*``) is returned as it is: it is no reference to look up."""
    engine_name = to_engine(name)
    if engine_name == name or is_pattern(name):
        return name
    from docker.errors import ImageNotFound

    from layerlab.engine import connect

    try:
        api = connect().api
        api.inspect_image(engine_name)
    except ImageNotFound:
        return name
    return engine_name
