"""The host port a lab publishes its n-th app on: ``layerlab.lab_port(n)``.

A lab written for one person says ``-p 5001:5000``. On a classroom engine shared by many
learners (JupyterHub), every learner's ``5001`` is the same port of the same host: the
second ``%docker run`` fails with "port is already allocated". A lab writes
``PORT = lab_port(1)`` and ``%docker run -d -p {PORT}:5000 …`` instead, and gets:

- on one's own machine (no namespace, no ``Layerlab.allowed_ports``): ``5000 + n``, the
  original lab's ports (5001, 5002);
- with the instructor's ``Layerlab.allowed_ports`` and no namespace: the n-th port of
  those ranges, so ``%docker run`` always accepts it (``classroom.check_run``), the
  port of the kit's registry on this machine left out (``5000`` in ``5000-5099``);
- in a classroom (a namespace in force, see ``layerlab.names``): a block of
  ``PORTS_PER_LEARNER`` ports of the learner's own, taken from ``allowed_ports`` when the
  instructor set it (a range holding a single block is the learner's own range: its first
  ports), else from ``CLASSROOM_PORTS``.

Which block: the learner's namespace hashed (SHA-256) onto the blocks of the range. The
namespace is one-to-one with the JupyterHub user and the hash needs nothing stored, so the
port is the same in every kernel and every lab, whatever order learners start in.

Two learners *can* hash onto the same block: no mapping from unbounded names onto a few
thousand blocks can avoid that without a shared record (a register of who has which
block, kept somewhere every learner can write), and the kit keeps no state on a shared
machine. With 4,000 blocks (the default range) two given learners meet with odds of 1 in
4,000 (a class of 30: about one class in ten has one such pair). It is *detected*, never
silent: ``lab_port`` asks the engine whether another learner's container publishes the
port and, if so, stops with one line saying whose and what to do (an instructor gives
that learner a range of their own: ``c.Layerlab.allowed_ports``, one block wide). A
meeting the check cannot see yet (both start their container in the same second) ends as
the engine's own refusal, which ``%docker run`` reports in one line too.
"""

from __future__ import annotations

import hashlib

from layerlab.errors import LayerlabError
from layerlab.i18n import t

#: The original lab's ports are ``SINGLE_USER_BASE + n``: 5001, 5002.
SINGLE_USER_BASE = 5000
#: Ports of one learner: a lab publishes at most this many apps (lab 02 publishes two).
PORTS_PER_LEARNER = 5
#: Where learners' blocks go in a classroom without ``allowed_ports``: above the usual
#: development ports (5000, 8000, 8080, 8888 …) and below Linux's ephemeral ports
#: (32768-60999, where the engine picks a port for ``-p 5000`` and clients their own).
CLASSROOM_PORTS = (10000, 29999)


def _nth(ranges: list[tuple[int, int]], index: int) -> int | None:
    """The ``index``-th port (from 0) of inclusive ``ranges``, in order; None past the end."""
    for low, high in ranges:
        if index <= high - low:
            return low + index
        index -= high - low + 1
    return None


def _block(learner: str, blocks: int) -> int:
    digest = hashlib.sha256(learner.encode("utf-8")).hexdigest()
    return int(digest[:12], 16) % blocks


def _without(ranges: list[tuple[int, int]], port: int | None) -> list[tuple[int, int]]:
    """``ranges`` with ``port`` taken out (a range split around it)."""
    if port is None:
        return ranges
    kept: list[tuple[int, int]] = []
    for low, high in ranges:
        if low <= port <= high:
            kept += [(a, b) for a, b in ((low, port - 1), (port + 1, high)) if a <= b]
        else:
            kept.append((low, high))
    return kept


def port_for(
    n: int,
    *,
    learner: str = "",
    allowed: list[tuple[int, int]] | None = None,
    taken: int | None = None,
) -> int:
    """The port of app ``n`` for the namespace ``learner`` ("" for a single user) within
    ``allowed`` ranges (empty or None: none set), never ``taken`` (the port of the kit's
    registry on this machine, when it is in the ranges). Pure: no settings, no engine."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= PORTS_PER_LEARNER:
        raise LayerlabError(t("ports.bad_number", n=n, most=PORTS_PER_LEARNER))
    shown_ranges = list(allowed or [])
    if not learner and not shown_ranges:
        return SINGLE_USER_BASE + n
    ranges = _without(shown_ranges or [CLASSROOM_PORTS], taken)
    size = sum(high - low + 1 for low, high in ranges)
    blocks = size // PORTS_PER_LEARNER if learner else 0
    first = _block(learner, blocks) * PORTS_PER_LEARNER if blocks > 1 else 0
    port = _nth(ranges, first + n - 1)
    if port is None:
        shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in shown_ranges or ranges)
        raise LayerlabError(t("ports.too_few", n=n, count=size, allowed=shown))
    return port


def _registry_port() -> int | None:
    """The port of the kit's registry when it runs on this machine (``127.0.0.1:5000``):
    a lab app published there would fight the registry for it."""
    from layerlab.config import settings
    from layerlab.references import split_registry

    host = split_registry(settings().registry.rstrip("/") + "/x")[0].rstrip("/")
    name, _, port = host.rpartition(":")
    if port.isdigit() and (name.startswith("127.") or name == "localhost"):
        return int(port)
    return None


def lab_port(n: int = 1) -> int:
    """The host port to publish a lab's ``n``-th app on (``n`` from 1 to
    ``PORTS_PER_LEARNER``): 5000 + n on one's own machine, a port of the learner's own in
    a classroom, within ``Layerlab.allowed_ports`` when the instructor set it. The same
    answer in every kernel; see the module's text for how, and for what happens when two
    learners' names meet on one block (one clear line, never a silent clash)."""
    from layerlab import classroom
    from layerlab import names as learner_names

    learner = learner_names.namespace()
    port = port_for(
        n, learner=learner, allowed=classroom.allowed_port_ranges(), taken=_registry_port()
    )
    if learner:
        _refuse_taken(port, n)
    return port


def _refuse_taken(port: int, n: int) -> None:
    """Stop, in one line, when another learner's container publishes ``port`` already."""
    from docker.errors import APIError, DockerException

    from layerlab.engine import LABEL_OWNER, connect, owner
    from layerlab.engine_ops import engine_error
    from layerlab.names import container_to_learner

    try:
        holders = connect().api.containers(filters={"publish": f"{port}/tcp"})
    except (APIError, DockerException) as exc:
        raise engine_error(exc) from None
    me = owner()
    for holder in holders:
        maker = str((holder.get("Labels") or {}).get(LABEL_OWNER) or "?")
        if maker != me:
            names = holder.get("Names") or [str(holder["Id"])[:12]]
            raise LayerlabError(
                t("ports.taken", port=port, n=n, owner=maker, name=container_to_learner(names[0]))
            )
