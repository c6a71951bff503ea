"""Connecting to the Docker Engine, and the labels that mark what the kit creates."""

from __future__ import annotations

import getpass
import os
import re
import threading
import uuid
from typing import TYPE_CHECKING, Final

from layerlab.errors import EngineUnavailable
from layerlab.i18n import t

if TYPE_CHECKING:
    import docker

#: Label keys put on every image and container the kit creates.
LABEL_KIT: Final = "org.layerlab.kit"
LABEL_SESSION: Final = "org.layerlab.session"
LABEL_OWNER: Final = "org.layerlab.owner"

#: One id per kernel: tests and cleanup find exactly what this session made.
SESSION_ID: Final = uuid.uuid4().hex[:12]

_lock = threading.Lock()
_clients: dict[str, docker.DockerClient] = {}


def owner() -> str:
    """Who the kit builds for: the JupyterHub user when there is one, else the OS user."""
    name = os.environ.get("JUPYTERHUB_USER") or os.environ.get("LAYERLAB_OWNER")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            name = "unknown"
    return name


def slug(name: str) -> str:
    """A lower-case, tag-safe form of ``name`` (image names must be lower case)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return cleaned or "user"


def kit_labels(extra: dict[str, str] | None = None, *, session: bool = True) -> dict[str, str]:
    """Labels for a new image or container.

    Images get no session label (``session=False``): a label that changes with every kernel
    would make an unchanged Dockerfile produce a new image in each session (the classic
    builder even turns labels into LABEL steps), leaving the old one dangling.
    """
    labels = {LABEL_KIT: "layerlab", LABEL_OWNER: owner()}
    if session:
        labels[LABEL_SESSION] = SESSION_ID
    if extra:
        labels.update(extra)
    return labels


def scope_labels(learner: str | None = None, *, all_learners: bool = False) -> list[str]:
    """Label filters (ANDed by the engine) naming what the kit made: for ``learner``
    (default: this one) or for ``all_learners``, narrowed by ``Layerlab.extra_labels``
    (a course, a test run). The one place that says what "the kit's things" are."""
    from layerlab.config import settings  # here, not at the top: avoids an import cycle

    labels = [f"{LABEL_KIT}=layerlab"]
    if not all_learners:
        labels.append(f"{LABEL_OWNER}={learner or owner()}")
    labels.extend(f"{key}={value}" for key, value in settings().extra_labels.items())
    return labels


def describe_host() -> str:
    """Where docker.from_env() will look, in words."""
    host = os.environ.get("DOCKER_HOST")
    return f"DOCKER_HOST={host}" if host else "unix:///var/run/docker.sock (DOCKER_HOST not set)"


def _reason(exc: BaseException) -> str:
    """The innermost useful words of a connection error."""
    text = str(exc)
    for pattern in (
        r"\[Errno -?\d+\] ([^'\")]+)",
        (
            r"(Connection refused|No such file or directory"
            r"|Name or service not known|timed out|Permission denied)"
        ),
    ):
        match = re.search(pattern, text)
        if match:
            return match.group(1).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__


def connect(*, timeout: int = 60, verify: bool = True) -> docker.DockerClient:
    """A client for the engine named by the environment, checked with a ping.

    Cached per ``DOCKER_HOST`` so a notebook pays for the connection once; raises
    ``EngineUnavailable`` with one line saying what was tried. ``verify=False`` skips the
    ping of a cached client: for calls made right after another that talked to the engine
    (inside one build), where a round trip per call would only cost time.
    """
    key = f"{os.environ.get('DOCKER_HOST', '')}|{timeout}"
    import docker
    from docker.errors import DockerException

    with _lock:
        client = _clients.get(key)
    if client is not None and not verify:
        return client
    if client is not None:
        try:
            client.ping()  # the engine may have stopped since the last cell
        except (DockerException, OSError):  # requests' errors are OSErrors too
            forget_clients()
        else:
            return client

    try:
        client = docker.from_env(timeout=timeout)
        if client.api.base_url.startswith("http+docker://"):
            # a unix socket: no proxy applies, and requests would read the proxy variables
            # of the environment again on every request (0.3-1 ms each, measured)
            client.api.trust_env = False
        client.ping()
    except (DockerException, OSError) as exc:
        raise EngineUnavailable(
            t("engine.unreachable", where=describe_host(), reason=_reason(exc))
        ) from None
    with _lock:
        _clients[key] = client
    return client


_podman: dict[str, bool] = {}


def is_podman() -> bool:
    """True when the engine behind DOCKER_HOST is Podman's Docker-compatible service."""
    key = os.environ.get("DOCKER_HOST", "")
    if key not in _podman:
        components = connect(verify=False).version().get("Components") or []
        _podman[key] = any("podman" in str(c.get("Name", "")).lower() for c in components)
    return _podman[key]


def forget_clients() -> None:
    """Drop cached clients (after DOCKER_HOST changes, or when the engine restarted)."""
    # Only forget them: code may still hold one (closing it under its feet would turn the
    # next call into a "connection lost"); the garbage collector closes them.
    with _lock:
        _clients.clear()
        _podman.clear()


def engine_info() -> dict[str, str]:
    """Engine version facts for reports (benchmarks, doctor)."""
    version = connect().version()
    return {
        "version": str(version.get("Version", "?")),
        "api": str(version.get("ApiVersion", "?")),
        "os": str(version.get("Os", "?")),
        "arch": str(version.get("Arch", "?")),
    }
