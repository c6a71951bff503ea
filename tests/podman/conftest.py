"""The core integration tests against Podman's Docker-compatible socket.

``scripts/podman-socket.sh`` installs Podman when missing, starts its service on
``/run/layerlab-podman/podman.sock`` (or finds it running) and loads the base image; these
fixtures point ``DOCKER_HOST`` at it for the tests of this package only. When Podman
cannot be set up the tests *fail* with the script's reason, they never skip.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASE_IMAGE, _remove_test_objects

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "podman-socket.sh"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "podman: runs against Podman's Docker-compatible socket")


def is_podman(client: Any) -> bool:
    components = client.version().get("Components") or []
    return any("podman" in str(component.get("Name", "")).lower() for component in components)


@pytest.fixture(scope="package")
def podman_host() -> str:
    """The DOCKER_HOST of the Podman service (started by the script when not running)."""
    try:
        # the first run on a fresh machine installs Podman (apt): give it time
        done = subprocess.run(
            [str(SCRIPT)], capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"{SCRIPT.name} could not run: {exc}", pytrace=False)
    if done.returncode != 0 or not done.stdout.strip().startswith("unix://"):
        pytest.fail(
            f"Podman's socket could not be set up ({SCRIPT.name} exited {done.returncode}):\n"
            + done.stderr[-2000:],
            pytrace=False,
        )
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="package")
def docker_client(podman_host: str) -> Iterator[Any]:
    """Overrides the root conftest's engine: a client for Podman, and DOCKER_HOST pointing
    at it while this package runs (the kit connects through DOCKER_HOST)."""
    import docker

    previous = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = podman_host
    try:
        client = docker.DockerClient(base_url=podman_host, timeout=120)
        client.ping()
        if not is_podman(client):  # the tests must not pass on Docker under Podman's name
            pytest.fail(f"{podman_host} answers, but not as Podman", pytrace=False)
        if not client.images.list(name=BASE_IMAGE):
            pytest.fail(f"Podman has no {BASE_IMAGE}: {SCRIPT.name} loads it", pytrace=False)
        yield client
        _remove_test_objects(client)
        client.close()
    finally:
        if previous is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = previous
