# ruff: noqa: INP001 - a config file, not a package
# JupyterHub + DockerSpawner, each learner with a Docker-in-Docker engine of their own.
#
# Each learner's server runs in a container `jupyter-<user>`; next to it, the hub starts a
# `docker:dind` container `dind-<user>` that *joins the server's network namespace* and
# listens on 127.0.0.1:2375 only. So in the learner's notebook DOCKER_HOST is
# tcp://localhost:2375 (exactly as with the Kubernetes sidecar in deploy/z2jh), no other
# learner can reach that port, and nobody gets the host's /var/run/docker.sock.
#
# Only the hub container mounts the host socket (it must, to create containers): keep the
# hub admin-only. The DinD containers are privileged: see deploy/README.md.
#
# Hosts that refuse privileged containers: LEARNER_ENGINE=shared (the compose override
# docker-compose.shared-engine.yml) gives every learner the host's engine instead.
#
# Run it: deploy/README.md, section (a).
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dockerspawner import DockerSpawner

c = get_config()  # noqa: F821 - injected by traitlets

NETWORK = os.environ.get("DOCKER_NETWORK_NAME", "layerlab-hub")
LEARNER_IMAGE = os.environ.get("LEARNER_IMAGE", "layerlab-learner:latest")
DIND_IMAGE = os.environ.get("DIND_IMAGE", "docker:27-dind")
# Offline classes: a bundle made with `layerlab images save`, loaded into every new engine.
BUNDLE_DIR = os.environ.get("LAYERLAB_BUNDLE_DIR", "/srv/layerlab/bundles")
# "dind" (a private engine per learner, this file's purpose) or "shared" (the host's
# engine for everyone, docker-compose.shared-engine.yml: see deploy/README.md)
LEARNER_ENGINE = os.environ.get("LEARNER_ENGINE", "dind")
SOCKET = "/var/run/docker.sock"


class DindDockerSpawner(DockerSpawner):
    """DockerSpawner that gives each learner a private Docker engine (DinD sidecar)."""

    @property
    def dind_name(self) -> str:
        return f"dind-{self.escaped_name}"

    async def start(self) -> Any:  # (ip, port) or a URL, as DockerSpawner returns
        result = await super().start()
        await self._start_dind()
        return result

    async def _start_dind(self) -> None:
        client = self.client  # docker.APIClient, run in a thread by self.docker()
        existing = await self.docker("containers", all=True, filters={"name": self.dind_name})
        for old in existing:
            await self.docker("remove_container", old["Id"], force=True)
        host_config = client.create_host_config(
            privileged=True,  # DinD needs it; Sysbox removes the need (see README)
            network_mode=f"container:{self.container_id}",
            binds={
                # the learner's images survive a server restart, per learner
                f"dind-{self.escaped_name}": {"bind": "/var/lib/docker", "mode": "rw"},
                BUNDLE_DIR: {"bind": "/bundles", "mode": "ro"},
            },
            mem_limit="4g",  # the whole learner engine, builds included
            nano_cpus=2_000_000_000,
            pids_limit=2048,
        )
        container = await self.docker(
            "create_container",
            image=DIND_IMAGE,
            name=self.dind_name,
            # loopback only: the server's namespace is on the hub network, and dockerd
            # without TLS must not be reachable from other learners' containers
            command=[
                "dockerd",
                "--host=unix:///var/run/docker.sock",
                "--host=tcp://127.0.0.1:2375",
                "--tls=false",
            ],
            environment={"DOCKER_TLS_CERTDIR": ""},
            labels={"org.layerlab.owner": self.user.name, "org.layerlab.role": "dind"},
            host_config=host_config,
        )
        await self.docker("start", container["Id"])

    async def stop(self, now: bool = False) -> None:
        try:
            await self.docker("remove_container", self.dind_name, force=True)
        except Exception:  # noqa: BLE001 - already gone
            self.log.debug("no DinD container for %s", self.user.name)
        await super().stop(now=now)


c.DockerSpawner.image = LEARNER_IMAGE
c.DockerSpawner.network_name = NETWORK
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True
# the single-user server, whatever the image's own CMD (base-notebook or a plain Python)
c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
c.DockerSpawner.notebook_dir = "/home/jovyan/work"
WORK_VOLUME = {"jupyterhub-user-{username}": "/home/jovyan/work"}
if LEARNER_ENGINE == "shared":
    # docker-compose.shared-engine.yml: the host's engine, shared by every learner; the
    # kit keeps learners' names apart (namespace = hub user), the engine does not.
    c.JupyterHub.spawner_class = DockerSpawner
    c.DockerSpawner.volumes = {**WORK_VOLUME, SOCKET: SOCKET}
    # the server runs as jovyan: give it the socket's group (the hub sees the same socket)
    c.DockerSpawner.extra_host_config = {"group_add": [str(Path(SOCKET).stat().st_gid)]}
else:
    c.JupyterHub.spawner_class = DindDockerSpawner
    c.DockerSpawner.volumes = WORK_VOLUME
    c.DockerSpawner.environment = {"DOCKER_HOST": "tcp://localhost:2375"}
c.DockerSpawner.mem_limit = "2G"
c.DockerSpawner.cpu_limit = 1.0

# The hub runs in a container on the same network; the servers call it back by name.
c.JupyterHub.hub_ip = "0.0.0.0"  # noqa: S104 - inside the hub container, on the hub network
c.JupyterHub.hub_connect_ip = "jupyterhub"
c.JupyterHub.bind_url = "http://0.0.0.0:8000"

# Authentication: replace with your institution's (OAuthenticator, LTI, ...).
c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
c.Authenticator.admin_users = {os.environ.get("HUB_ADMIN", "instructor")}
# NativeAuthenticator keeps its own list: a sign-up logs in only once an admin authorized
# it (/hub/authorize). JupyterHub 5 also checks its allowed_users, which Native does not
# fill: with allow_all = False nobody, not even the admin, could log in (seen here).
c.Authenticator.allow_all = True
c.NativeAuthenticator.open_signup = False

# Stop idle servers (and their engines) after an hour.
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": ["python3", "-m", "jupyterhub_idle_culler", "--timeout=3600"],
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
