"""Two learners on one hub, one shared engine: lab 01 at the same time, isolated.

The learners log in through the hub's REST API (the admin service creates them and a
token each), start their servers, and start a kernel in their own server through
jupyter_server's REST API. Code runs over the kernel's websocket (the JSON protocol a
browser speaks), through the hub's proxy: the same path as a learner's notebook.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from layerlab.engine import LABEL_OWNER
from tests.conftest import TEST_LABEL, TEST_RUN

if TYPE_CHECKING:
    from tests.hub.conftest import Hub

pytestmark = [pytest.mark.integration, pytest.mark.hub]

LAB = "python-hello-world"

SETUP = f"""
%load_ext layerlab
%config Layerlab.extra_labels = {{"{TEST_LABEL}": "{TEST_RUN}"}}
%config Layerlab.view = "text"
%config Layerlab.language = "en"
%config Layerlab.builder = "classic"
from layerlab.magics.classroom import ClassroomMagics
# registered here until layerlab.magics registers the classroom magics itself
if "docker_cleanup" not in get_ipython().magics_manager.magics["line"]:
    get_ipython().register_magics(ClassroomMagics)
"""

APP = """%%writefile app.py
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello world!"


if __name__ == "__main__":
    app.run(host="0.0.0.0")
"""

DOCKERFILE = """%%dockerfile
FROM python:3.13-alpine
RUN pip install flask
CMD ["python","app.py"]
COPY app.py /app.py
"""

BUILD = f"""
import json, os
result = %docker_build -q -t {LAB} .
print("RESULT " + json.dumps({{"user": os.environ["JUPYTERHUB_USER"], "tags": result.tags,
    "engine_tags": result.engine_tags, "image_id": result.image_id}}))
"""

LIST = """
import json
listing = %docker_images
print("RESULT " + json.dumps([[r["repository"], r["id"]] for r in listing.records]))
"""


class Kernel:
    """A kernel in a learner's server, driven over its websocket."""

    def __init__(self, hub: Hub, user: str, token: str) -> None:
        import requests
        import websocket

        self.base = f"{hub.url}/user/{user}"
        self.headers = {"Authorization": f"token {token}"}
        response = requests.post(
            f"{self.base}/api/kernels", headers=self.headers, json={"name": "python3"}, timeout=60
        )
        response.raise_for_status()
        self.kernel_id = response.json()["id"]
        self.session = uuid.uuid4().hex
        ws_url = self.base.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels"
        self.ws = websocket.create_connection(
            f"{ws_url}?session_id={self.session}",
            header=[f"Authorization: token {token}"],
            timeout=180,
        )

    def run(self, code: str) -> str:
        """Run a cell; return its printed output, or fail with the kernel's error."""
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "session": self.session,
                        "username": "e2e",
                        "version": "5.3",
                        "date": dt.datetime.now(tz=dt.UTC).isoformat(),
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        output: list[str] = []
        while True:
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind == "error":
                pytest.fail(f"cell failed: {content['ename']}: {content['evalue']}\n{code}")
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(output)

    def result(self, code: str) -> Any:
        lines = [line for line in self.run(code).splitlines() if line.startswith("RESULT ")]
        assert lines, f"no RESULT line from:\n{code}"
        return json.loads(lines[-1].removeprefix("RESULT "))

    def close(self) -> None:
        import requests

        self.ws.close()
        requests.delete(
            f"{self.base}/api/kernels/{self.kernel_id}", headers=self.headers, timeout=30
        )


def log_in_and_start(hub: Hub, user: str) -> str:
    """Create the learner, give them a token, start their server; return the token."""
    hub.api("POST", f"/users/{user}")
    token = str(hub.api("POST", f"/users/{user}/tokens", json={"note": "e2e"})["token"])
    hub.api("POST", f"/users/{user}/server", token=token)
    deadline = time.monotonic() + 60
    while True:
        model = hub.api("GET", f"/users/{user}", token=token)
        server = (model.get("servers") or {}).get("", {})
        if server.get("ready"):
            return token
        if time.monotonic() > deadline:
            pytest.fail(f"{user}'s server did not start:\n{hub.log()}")
        time.sleep(0.5)


def test_two_learners_build_lab_01_at_once_and_stay_isolated(hub: Hub, docker_client: Any) -> None:
    users = [f"alice-{TEST_RUN}", f"bob-{TEST_RUN}"]
    tokens = {user: log_in_and_start(hub, user) for user in users}
    kernels = {user: Kernel(hub, user, tokens[user]) for user in users}
    try:
        for kernel in kernels.values():
            kernel.run(SETUP)
            kernel.run(APP)
            assert "Writing Dockerfile" in kernel.run(DOCKERFILE)

        # both learners press "run" on the build cell together
        start = threading.Barrier(len(users))
        builds: dict[str, Any] = {}
        errors: list[BaseException] = []

        def build(user: str) -> None:
            try:
                start.wait()
                builds[user] = kernels[user].result(BUILD)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=build, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert errors == []
        for user in users:
            assert builds[user]["user"] == user
            assert builds[user]["tags"] == [f"{LAB}:latest"]  # what the learner typed
            assert builds[user]["engine_tags"] == [f"{user}/{LAB}:latest"]
            image = docker_client.images.get(f"{user}/{LAB}:latest")
            assert image.id == builds[user]["image_id"]
            assert image.labels[LABEL_OWNER] == user
        alice, bob = users

        # each sees their own lab image under the short name, never the other's
        for me, other in ((alice, bob), (bob, alice)):
            listing = kernels[me].result(LIST)
            assert [LAB, builds[me]["image_id"]] in listing
            assert all(image_id != builds[other]["image_id"] for _, image_id in listing)

        # alice cleans up: her image goes, bob's stays, and bob still builds from cache
        assert "Removed" in kernels[alice].run("report = %docker_cleanup\nprint(report)")
        assert not docker_client.images.list(name=f"{alice}/{LAB}")
        assert docker_client.images.get(f"{bob}/{LAB}:latest").id == builds[bob]["image_id"]
        assert [LAB, builds[bob]["image_id"]] in kernels[bob].result(LIST)
    finally:
        for kernel in kernels.values():
            kernel.close()
        for user in users:
            hub.api("DELETE", f"/users/{user}/server")
