"""Shared fixtures. Integration tests need a real Docker Engine: when none answers they
*fail* with the reason (run ./scripts/test, which starts one), they never skip."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Every image/container made by this test run carries this label, so teardown removes
#: exactly what the tests made and nothing else on the engine.
TEST_RUN = uuid.uuid4().hex[:10]
TEST_LABEL = "org.layerlab.test"
BASE_IMAGE = os.environ.get("LAYERLAB_BASE_IMAGE", "python:3.13-alpine")

APP_PY = """from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello world!"


if __name__ == "__main__":
    app.run(host="0.0.0.0")
"""

SEED_DOCKERFILE = f"""FROM {BASE_IMAGE}
RUN pip install flask
CMD ["python","app.py"]
COPY app.py /app.py
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, made the current directory (as a notebook's folder)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def seed_context(workdir: Path) -> Path:
    """The seed lab's files: app.py and its Dockerfile."""
    (workdir / "app.py").write_text(APP_PY, encoding="utf-8")
    (workdir / "Dockerfile").write_text(SEED_DOCKERFILE, encoding="utf-8")
    return workdir


@pytest.fixture
def ip_empty() -> Any:
    """An IPython shell (no extension loaded); magics can be run with run_line_magic."""
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


@pytest.fixture
def ip(ip_empty: Any) -> Iterator[Any]:
    """The shell with layerlab loaded, test labels set, text views, English messages."""
    from layerlab import i18n
    from layerlab.config import settings
    from layerlab.magics import register

    # %config writes into the shell's config too: forget earlier tests' settings
    ip_empty.config.pop("Layerlab", None)
    register(ip_empty)  # fresh settings for every test

    config = settings()
    config.extra_labels = {TEST_LABEL: TEST_RUN}
    config.view = "text"
    config.language = "en"
    i18n.set_language("en")
    yield ip_empty
    i18n.set_language("auto")


@pytest.fixture(autouse=True, scope="session")
def fingerprints_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The cache explainer's memory across kernels, for this test run only (not the
    user's own ``~/.cache/layerlab``); a test about it points it elsewhere itself."""
    from layerlab import fingerprint_store

    path = tmp_path_factory.mktemp("fingerprints") / fingerprint_store.FILE_NAME
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fingerprint_store, "store_file", lambda: path)
        yield path


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A client for the real engine; fails (never skips) when none answers."""
    import docker

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure here means "no engine"
        pytest.fail(
            f"integration tests need a running Docker Engine ({exc}); run ./scripts/test",
            pytrace=False,
        )
    if not client.images.list(name=BASE_IMAGE):
        pytest.fail(
            f"the base image {BASE_IMAGE} is missing: run scripts/standin-images.sh", pytrace=False
        )
    yield client
    _remove_test_objects(client)
    client.close()


def _remove_test_objects(client: Any) -> None:
    for container in client.containers.list(
        all=True, filters={"label": f"{TEST_LABEL}={TEST_RUN}"}
    ):
        container.remove(force=True)
    for image in client.images.list(filters={"label": f"{TEST_LABEL}={TEST_RUN}"}):
        for tag in image.tags:
            client.images.remove(tag, force=True)
        with contextlib.suppress(Exception):  # already gone with its last tag
            client.images.remove(image.id, force=True)


@pytest.fixture
def engine(docker_client: Any, ip: Any) -> Any:
    """The real engine, with the extension loaded in the test shell."""
    return docker_client


def new_kernel(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Start what a new notebook kernel starts with: an empty session and a session id of
    its own (the label on the containers it runs), so what earlier tests of this pytest
    process made is not this "kernel's" (a real kernel is one process per notebook)."""
    from layerlab import classroom, engine, engine_ops, session

    kernel_id = uuid.uuid4().hex[:12]
    for module in (engine, engine_ops, classroom):
        monkeypatch.setattr(module, "SESSION_ID", kernel_id)
    fresh = session.Session()
    monkeypatch.setattr(session, "_current", fresh)
    return fresh


def unique_tag(name: str) -> str:
    """A tag no other test (or a parallel run) uses."""
    return f"layerlab-test-{name}-{TEST_RUN}"
