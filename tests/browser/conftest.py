"""A real JupyterLab on 127.0.0.1 and Debian's Chromium driven by Playwright.

Nothing is downloaded: the browser is /usr/bin/chromium, JupyterLab comes from the
venv, and every Jupyter/IPython setting lives in a temporary folder, so the run neither
reads nor changes the user's own configuration. The kernel's layerlab settings put the
test-run label on every image it builds, so the session teardown in tests/conftest.py
removes them.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_LABEL, TEST_RUN

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
SERVER_START_TIMEOUT_S = 90


@dataclass(frozen=True)
class JupyterServer:
    url: str
    token: str
    root: Path
    log: Path

    def lab_url(self, path: str) -> str:
        # reset: start from an empty workspace, not with the previous test's tabs open
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write_isolated_config(home: Path) -> dict[str, str]:
    """Config folders for Jupyter, JupyterLab and IPython, and the kernel's settings."""
    folders = {
        "JUPYTER_CONFIG_DIR": home / "jupyter-config",
        "JUPYTER_RUNTIME_DIR": home / "jupyter-runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
        "IPYTHONDIR": home / "ipython",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    # no "receive Jupyter news?" toast (and no fetch from the internet)
    notification = folders["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"}), encoding="utf-8"
    )
    # JupyterLab 4.1+ virtualises long notebooks ("windowing"): cells out of view are not
    # rendered, so their prompts and outputs cannot be read. Render every cell, as
    # JupyterLab 4.0 did, so the tests see each cell's prompt and the kit's views.
    tracker = folders["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}), encoding="utf-8"
    )
    profile = folders["IPYTHONDIR"] / "profile_default"
    profile.mkdir(parents=True)
    labels = json.dumps({TEST_LABEL: TEST_RUN})
    (profile / "ipython_kernel_config.py").write_text(
        f"c.Layerlab.extra_labels = {labels}\nc.Layerlab.language = 'en'\n", encoding="utf-8"
    )
    return {name: str(path) for name, path in folders.items()}


def _wait_until_up(url: str, token: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"JupyterLab exited with {process.returncode}:\n"
                f"{log.read_text(encoding='utf-8')[-3000:]}",
                pytrace=False,
            )
        try:
            status_url = f"{url}/api/status?token={token}"  # always http://127.0.0.1
            with urllib.request.urlopen(status_url, timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT_S}s", pytrace=False)


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """JupyterLab serving a temporary root folder on 127.0.0.1, with a token."""
    home = tmp_path_factory.mktemp("jupyter-home")
    root = tmp_path_factory.mktemp("jupyter-root")
    token = secrets.token_hex(16)
    port = _free_port()
    env = {**os.environ, **_write_isolated_config(home), "LAYERLAB_LANG": "en"}
    log = home / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if os.geteuid() == 0:  # CI containers run as root
        command.append("--allow-root")
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, token, process, log)
        yield JupyterServer(url=url, token=token, root=root, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless; never a downloaded browser."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, for the fixtures' teardown to read."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; when the test fails, a screenshot of it is kept in
    artifacts/screenshots/FAILED-<test>.png (CI keeps artifacts/)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    browser_page = context.new_page()
    yield browser_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
        browser_page.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}.png"), full_page=True)
    context.close()


def _api(server: JupyterServer, method: str, path: str) -> Any:
    request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1
        f"{server.url}{path}", method=method, headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
        body = reply.read()
    return json.loads(body) if body else None


@pytest.fixture(autouse=True)
def no_kernel_outlives_its_test(jupyter_server: JupyterServer) -> Iterator[None]:
    """Shut down every kernel the test started. A kernel left running (its notebook's page
    closed, its cells still building) competes with the next test's kernel for the engine
    and the CPU: a notebook that timed out on a busy machine is how it showed."""
    yield
    for kernel in _api(jupyter_server, "GET", "/api/kernels"):
        _api(jupyter_server, "DELETE", f"/api/kernels/{kernel['id']}")


@pytest.fixture
def screenshots() -> Path:
    """Where screenshots go (artifacts/ is gitignored; CI keeps it as an artefact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
