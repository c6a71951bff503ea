"""Waiting until a started server answers: ``layerlab.wait_http(url)`` and
``%docker run … --wait``.

Right after ``docker run -d -p 5001:5000``, the engine's port proxy already accepts
connections on 5001 but closes them at once while the app inside is still starting: a
fetch then fails with ``ConnectionResetError``. So "the port accepts a connection" is not
enough: a probe sends an HTTP request and counts the port as ready when any byte comes
back, or when the server holds the connection open without closing it (a server that
speaks another protocol). Closed or reset connections mean "not yet".
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

from layerlab import i18n
from layerlab.errors import LayerlabError
from layerlab.i18n import t

if TYPE_CHECKING:
    from layerlab.engine_ops import ContainerRun

#: how long one probe waits for the first byte before deciding the server holds it open
_PROBE_READ_S = 1.0
_INTERVAL_S = 0.2
_LOG_LINES = 5


def port_answers(host: str, port: int, *, read_timeout: float = _PROBE_READ_S) -> bool:
    """True when ``host:port`` answers a short HTTP request (or keeps the connection open)."""
    try:
        with socket.create_connection((host, port), timeout=read_timeout) as connection:
            connection.sendall(b"GET / HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
            try:
                return bool(connection.recv(1))
            except TimeoutError:
                return True  # accepted and held open: a server that speaks first or not HTTP
    except OSError:  # refused, reset, or closed by the port proxy
        return False


def wait_http(url: str, *, timeout: float = 30.0) -> str:
    """Wait until ``url`` answers over HTTP, then return the page's text.

    Any HTTP answer counts (a 404 or 500 page too: the server is up). Raises a one-line
    ``LayerlabError`` after ``timeout`` seconds.
    """
    import http.client
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    reason = "?"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=max(1.0, _PROBE_READ_S)) as reply:  # noqa: S310 - the learner's own URL
                return bytes(reply.read()).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return bytes(exc.read()).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            reason = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        if time.monotonic() >= deadline:
            raise LayerlabError(
                t("wait.url_timeout", url=url, duration=i18n.seconds(timeout, None), reason=reason)
            )
        time.sleep(_INTERVAL_S)


def _probe_host(host_ip: str) -> str:
    return "127.0.0.1" if host_ip in ("", "0.0.0.0", "::") else host_ip  # noqa: S104 - a probe target, not a bind


def _log_tail(name: str) -> str:
    from layerlab import engine_ops

    try:
        text = engine_ops.logs(name, tail=_LOG_LINES)
    except LayerlabError:
        text = ""
    lines = [line for line in text.splitlines() if line.strip()][-_LOG_LINES:]
    return "\n".join(f"    {line}" for line in lines) or f"    {t('wait.no_logs')}"


def wait_published(run: ContainerRun, *, timeout: float = 30.0) -> str:
    """Wait until every TCP port ``run`` published answers; return a one-line note.

    Fails fast, with the container's last log lines, when it exits meanwhile; after
    ``timeout`` seconds, the same with what the container printed so far.
    """
    from layerlab import engine_ops

    began = time.monotonic()
    deadline = began + timeout
    addresses = [
        (_probe_host(ip), port) for key, (ip, port) in run.ports.items() if key.endswith("/tcp")
    ]
    shown = ", ".join(f"{host}:{port}" for host, port in addresses) or "-"
    waiting = list(addresses)
    api = engine_ops.engine_api()
    while True:
        waiting = [address for address in waiting if not port_answers(*address)]
        state = api.inspect_container(run.id).get("State") or {}
        if state.get("Status") in ("exited", "dead"):
            # also when it exited before the engine reported its ports (none to probe)
            raise LayerlabError(
                t("wait.exited", name=run.name, code=state.get("ExitCode"), address=shown)
                + "\n"
                + _log_tail(run.id)
            )
        if not waiting:
            break
        if time.monotonic() >= deadline:
            first = f"{waiting[0][0]}:{waiting[0][1]}"
            raise LayerlabError(
                t(
                    "wait.port_timeout",
                    name=run.name,
                    address=first,
                    duration=i18n.seconds(timeout, None),
                )
                + "\n"
                + _log_tail(run.id)
            )
        time.sleep(_INTERVAL_S)
    return t(
        "wait.ready",
        name=run.name,
        addresses=shown,
        duration=i18n.seconds(time.monotonic() - began),
    )
