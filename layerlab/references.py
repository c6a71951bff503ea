"""Image references (``registry:port/path/name:tag@digest``), read with docker-py's own
parsers so the kit splits a name exactly as the SDK that sends it to the engine does.

- ``split`` → (repository, tag or digest), ``latest`` when neither is written;
- ``with_default_tag`` → the name the engine stores (``hello`` → ``hello:latest``);
- ``canonical`` → one spelling for Docker's short and BuildKit's long names;
- ``split_registry`` → (``registry/`` or "", the rest); ``registry`` → its host.
"""

from __future__ import annotations

#: what Docker Hub names are short for (BuildKit and Podman print the long form)
_HUB_PREFIXES = ("docker.io/library/", "docker.io/")


def split(reference: str) -> tuple[str, str]:
    """``127.0.0.1:5000/app:v2`` → (``127.0.0.1:5000/app``, ``v2``); no tag → ``latest``;
    ``app@sha256:…`` → (``app``, ``sha256:…``)."""
    from docker.utils import parse_repository_tag

    repository, tag = parse_repository_tag(reference)
    return repository, tag or "latest"


def with_default_tag(reference: str) -> str:
    """``python-hello-world`` → ``python-hello-world:latest`` (what the engine stores);
    a reference with a tag or a digest is returned as written."""
    from docker.utils import parse_repository_tag

    _repository, tag = parse_repository_tag(reference)
    return reference if tag else f"{reference}:latest"


def canonical(reference: str) -> str:
    """``python:3.13-alpine`` and BuildKit's ``docker.io/library/python:3.13-alpine`` alike."""
    for prefix in _HUB_PREFIXES:
        reference = reference.removeprefix(prefix)
    return with_default_tag(reference)


def registry(reference: str) -> str:
    """The registry ``reference`` lives in: ``127.0.0.1:5000``, else ``docker.io``."""
    prefix, _rest = split_registry(reference)
    return prefix.rstrip("/") or "docker.io"


def split_registry(name: str) -> tuple[str, str]:
    """``127.0.0.1:5000/app`` → (``127.0.0.1:5000/``, ``app``); ``app`` → ("", ``app``)."""
    from docker.auth import INDEX_NAME, split_repo_name

    registry, rest = split_repo_name(name)
    if registry == INDEX_NAME and rest == name:
        return "", name
    return f"{registry}/", rest
