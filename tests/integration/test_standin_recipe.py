"""The offline stand-in recipe from an empty state, as on a machine that never ran it.

Provisioning builds the stand-ins once and caches the bootstrapped root filesystem, so every
later run takes the warm path. This test takes the cold one on every run: an empty
LAYERLAB_STATE (no cached root filesystem) and a throw-away image name, through the very
script provisioning calls. A first release failed only on new machines because a progress
line on stdout was captured as the tarball's path; the script's stdout must stay empty.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_RUN

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DOCKER = "/usr/bin/docker"


def _size(client: Any, name: str) -> int:
    return int(client.images.get(name).attrs["Size"])


def test_standin_recipe_builds_from_an_empty_state(docker_client: Any, tmp_path: Path) -> None:
    name = f"layerlab-test/standin-cold:{TEST_RUN}"
    state = tmp_path / "state"
    env = {**os.environ, "LAYERLAB_STATE": str(state), "LAYERLAB_STANDINS": name}
    try:
        done = subprocess.run(
            [str(REPO / "scripts" / "standin-images.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, f"exit {done.returncode}:\n{done.stderr[-3000:]}"
        # progress goes to stderr; stdout carries nothing a caller could mistake for a value
        assert done.stdout == "", done.stdout
        assert "bootstrapping Debian" in done.stderr, "the cold path (mmdebstrap) did not run"
        assert (state / "rootfs-trixie-python.tar").stat().st_size > 0
        labels = docker_client.images.get(name).labels
        # the alpine stand-in stays smaller than the slim one, as the real images are
        assert _size(docker_client, name) < _size(docker_client, "python:3.13-slim")
        assert labels["org.layerlab.standin-for"] == name, labels
        # what the labs need of it: python, pip, TLS with the host's CA bundle
        ran = subprocess.run(
            [DOCKER, "run", "--rm", "--network", "none", name, "python", "-c",
             "import ssl, pip, sqlite3; print('ok', ssl.OPENSSL_VERSION)"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.startswith("ok"), ran.stdout
        # run again: the warm path finds the image current and does nothing
        again = subprocess.run(
            [str(REPO / "scripts" / "standin-images.sh")],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert "bootstrapping" not in again.stderr, again.stderr
        assert "built" not in again.stderr, again.stderr
    finally:
        subprocess.run([DOCKER, "rmi", "-f", name], capture_output=True, check=False)
    assert not docker_client.images.list(name=name), f"{name} was left on the engine"


def test_standins_keep_the_real_images_order_of_size(docker_client: Any) -> None:
    """alpine < slim < full, as the official images (about 50 MB, 120 MB, 1 GB): the
    image-size lab teaches that order with the stand-ins."""
    sizes = {tag: _size(docker_client, tag) for tag in
             ("python:3.13-alpine", "python:3.13-slim", "python:3.13")}  # fmt: skip
    assert sizes["python:3.13-alpine"] < sizes["python:3.13-slim"] < sizes["python:3.13"], sizes
