"""A real JupyterHub on loopback: the hub from PyPI, configurable-http-proxy from npm,
the dummy authenticator and the simple local-process spawner.

Prerequisites (they fail loudly, never skip):
- ``pip install jupyterhub`` in the venv;
- ``npm install --prefix .hub-node configurable-http-proxy`` at the repository root
  (or ``LAYERLAB_CHP=/path/to/configurable-http-proxy``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HUB_START_TIMEOUT_S = 60


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hub: starts a real JupyterHub on loopback (needs jupyterhub and chp)"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proxy_command() -> str:
    candidates = [
        os.environ.get("LAYERLAB_CHP", ""),
        str(REPO / ".hub-node" / "node_modules" / ".bin" / "configurable-http-proxy"),
        shutil.which("configurable-http-proxy") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(
        "configurable-http-proxy not found: run `npm install --prefix .hub-node "
        "configurable-http-proxy` at the repository root (or set LAYERLAB_CHP)",
        pytrace=False,
    )


@dataclass
class Hub:
    url: str
    admin_token: str
    root: Path
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        import requests

        response = requests.request(
            method,
            f"{self.url}/hub/api{path}",
            headers={"Authorization": f"token {token or self.admin_token}"},
            timeout=30,
            **kwargs,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def log(self) -> str:
        return (self.root / "hub.log").read_text(encoding="utf-8", errors="replace")[-4000:]


HUB_CONFIG = """
c = get_config()
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{root}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{root}/cookie_secret"
c.JupyterHub.cleanup_servers = True
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = "{root}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{root}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
# the test runs as root in CI containers; jupyter_server refuses root unless told
c.Spawner.args = ["--ServerApp.allow_root=True"]
# PYTHONPATH: the servers import the kit the test runs (a worktree before the editable install)
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL", "DOCKER_HOST"]
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.JupyterHub.services = [{{"name": "e2e-admin", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": "e2e-admin",
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"],
        "services": ["e2e-admin"],
    }}
]
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    if importlib.util.find_spec("jupyterhub") is None:
        pytest.fail("jupyterhub is not installed: pip install jupyterhub", pytrace=False)
    import requests

    root = tmp_path_factory.mktemp("hub")
    port = free_port()
    token = secrets.token_hex(16)
    bindir = Path(sys.executable).parent
    (root / "jupyterhub_config.py").write_text(
        HUB_CONFIG.format(
            port=port,
            hub_port=free_port(),
            proxy_api_port=free_port(),
            root=root,
            proxy=proxy_command(),
            singleuser=str(bindir / "jupyterhub-singleuser"),
            token=token,
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("JUPYTERHUB_USER", None)
    with (root / "hub.log").open("wb") as log:
        process = subprocess.Popen(
            [str(bindir / "jupyterhub"), "-f", str(root / "jupyterhub_config.py")],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # the hub, its proxy and the servers: one group to stop
        )
    hub = Hub(f"http://127.0.0.1:{port}", token, root, process)
    deadline = time.monotonic() + HUB_START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            pytest.fail(f"JupyterHub exited at startup:\n{hub.log()}", pytrace=False)
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{hub.url}/hub/api/", timeout=2).ok:
                break
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"JupyterHub did not answer in time:\n{hub.log()}", pytrace=False)
        time.sleep(0.3)
    yield hub
    process.send_signal(signal.SIGTERM)  # the hub stops its servers and its proxy
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # anything of its group left behind
