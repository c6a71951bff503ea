"""Per-learner image names on a shared engine.

On a classroom engine twenty learners build ``python-hello-world`` at once. When a
namespace is in force (``JUPYTERHUB_USER`` is set, or ``%config Layerlab.namespace``), the
name a learner types is stored on the engine under their namespace —
``python-hello-world`` → ``alice/python-hello-world:latest`` — and shown back short.
Names of images the learner did not build (base images such as ``python:3.13-alpine``)
resolve to themselves.

Containers go the same way: ``%docker run --name hello-web`` makes the engine container
``alice.hello-web`` (see ``container_to_engine``), and every container command takes and
shows ``hello-web``, so twenty learners each have their own ``hello-web``.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

from layerlab.engine import slug
from layerlab.references import split_registry


def namespace() -> str:
    """The namespace in force: the setting, else the JupyterHub user, else none ("")."""
    from layerlab.config import settings  # here, not at the top: avoids an import cycle

    configured = settings().namespace
    if configured:
        return namespace_for(configured)
    return namespace_for(os.environ.get("JUPYTERHUB_USER", ""))


#: Longest namespace: a whole reference (registry host, namespace, image name) must stay
#: within Docker's 255 characters, and some registries cap a path component lower.
NAMESPACE_MAX = 48
_HASH_CHARS = 8
#: A name kept as it is: what ``slug`` would leave unchanged. It has no ``_``, so it can
#: never equal a derived namespace (those end in ``_`` + hash): the mapping is one-to-one.
_PLAIN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def namespace_for(user: str) -> str:
    """The Docker namespace (one repository path component) of a JupyterHub user name.

    ``alice`` stays ``alice``. A name that had to change to be valid (upper case, ``@``,
    ``.``, ``+``, accents, too long) keeps a readable form and gets ``_`` and a short
    hash of the exact name: ``Marie.Curie@example.org`` → ``marie-curie-example-org_…``,
    ``élève-01`` → ``eleve-01_…``, so two different users never share a namespace.
    An empty name has no namespace (``""``).
    """
    if not user:
        return ""
    if _PLAIN.match(user) and len(user) <= NAMESPACE_MAX:
        return user

    # NFKD splits "é" into "e" + a combining accent, which the slug then drops
    ascii_form = unicodedata.normalize("NFKD", user).encode("ascii", "ignore").decode()
    readable = slug(ascii_form) if re.search(r"[A-Za-z0-9]", ascii_form) else "user"
    digest = hashlib.sha256(user.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    readable = readable[: NAMESPACE_MAX - _HASH_CHARS - 1].rstrip("-")
    return f"{readable}_{digest}"


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


# ---------------------------------------------------------------- containers
#: Between a namespace and a learner's container name. A namespace never holds a ``.``
#: (``[a-z0-9-]``, then ``_`` + hash when derived), so the first ``.`` of an engine name
#: says where the learner's name starts: ``(namespace, name)`` ↔ ``namespace.name`` is
#: one-to-one, and two namespaces (so two learners, see ``namespace_for``) never meet.
CONTAINER_SEPARATOR = "."
#: What the engine takes as a container name (its own check, moby's ``RestrictedNamePattern``).
CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def container_to_engine(name: str) -> str:
    """The engine's name for the learner's container ``name``: ``hello-web`` →
    ``alice.hello-web`` with a namespace in force, ``hello-web`` without.

    Always prefixed (even ``alice.web`` → ``alice.alice.web``): so ``container_to_learner``
    undoes it exactly, and no name a learner types lands in another learner's space.
    """
    prefix = namespace()
    return f"{prefix}{CONTAINER_SEPARATOR}{name}" if prefix else name


def container_to_learner(name: str) -> str:
    """The name a learner typed, for an engine container name (another learner's, or an
    unprefixed one, is shown as the engine has it)."""
    name = name.lstrip("/")
    prefix = namespace()
    if prefix and name.startswith(prefix + CONTAINER_SEPARATOR):
        return name[len(prefix) + 1 :]
    return name


def resolve_container(name: str) -> str:
    """The engine name or id to use for the container the learner calls ``name``: their
    own ``namespace.name`` when it exists, else ``name`` as typed (an id, or a name that
    is not theirs: ``refuse_others`` then says whose it is)."""
    engine_name = container_to_engine(name)
    if engine_name == name:
        return name
    from docker.errors import DockerException

    from layerlab.engine import connect

    try:
        connect().api.inspect_container(engine_name)
    except DockerException:  # not there (or no engine: the command itself then says so)
        return name
    return engine_name
