"""A pytest plugin: the whole run leaves the engine as it found it.

Each lab and test checks its own leftovers (``check.nothing_left``, the fixtures' label
filters), but those checks only see what they look for: a lab's rebuilt, nameless images
made in another kernel, a hub learner's old builds, a container started outside a
fixture. This plugin lists the engine's images and containers when the run starts and
again when it ends; what is new at the end and was made by the kit or the tests (one of
their labels), or is a nameless image, is a leftover: the run fails and says which.

Images the run makes on purpose and keeps (the offline stand-in base images, the deploy
recipe's images: caches for the next run, like the BuildKit cache) carry none of those
labels on their own. With no engine the plugin does nothing: the tests that need one fail.
"""

from __future__ import annotations

from typing import Any

import pytest

#: labels the kit (org.layerlab.kit, .owner), the tests (.test) and the benchmarks
#: (.bench) put on what they make
MADE_BY_US = ("org.layerlab.kit", "org.layerlab.owner", "org.layerlab.test", "org.layerlab.bench")
_STATE: dict[str, Any] = {}


def _engine() -> Any:
    import docker

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception:  # noqa: BLE001 - no engine: nothing to compare
        return None
    return client


def _images(client: Any) -> dict[str, dict[str, Any]]:
    return {str(image["Id"]): image for image in client.api.images(all=False)}


def _containers(client: Any) -> dict[str, dict[str, Any]]:
    return {str(c["Id"]): c for c in client.api.containers(all=True)}


def pytest_sessionstart(session: pytest.Session) -> None:
    client = _engine()
    if client is None:
        return
    _STATE["client"] = client
    _STATE["images"] = set(_images(client))
    _STATE["containers"] = set(_containers(client))


def _ours(labels: dict[str, str] | None) -> bool:
    return any(key in (labels or {}) for key in MADE_BY_US)


def leftovers(client: Any, images_before: set[str], containers_before: set[str]) -> list[str]:
    """What is new since the start and ours, one line each."""
    found = []
    for image_id, image in _images(client).items():
        if image_id in images_before:
            continue
        tags = [tag for tag in image.get("RepoTags") or [] if tag != "<none>:<none>"]
        # a nameless image without our labels: a classic multi-stage build's earlier stage
        # (the engine's build cache, as BuildKit's is), or not ours
        if _ours(image.get("Labels")):
            labels = image.get("Labels") or {}
            who = {key: labels[key] for key in MADE_BY_US if key in labels}
            found.append(f"image {image_id[7:19]} {tags or '(no name)'} {who}")
    for container_id, container in _containers(client).items():
        if container_id not in containers_before:
            names = ",".join(name.lstrip("/") for name in container.get("Names") or [])
            found.append(f"container {container_id[:12]} {names} ({container.get('State')})")
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    client = _STATE.get("client")
    if client is None or exitstatus not in (0, 1):
        return  # no engine, or an interrupted/broken run: its failures say enough
    found = leftovers(client, _STATE["images"], _STATE["containers"])
    if not found:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"the run left {len(found)} thing(s) on the engine:", *found[:50]]
    if reporter is not None:
        reporter.write_sep("=", "engine leftovers", red=True)
        for line in lines:
            reporter.write_line(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
