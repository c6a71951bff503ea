"""Two learners on one hub, one shared engine: labs at the same time, isolated.

The learners log in through the hub's REST API (the admin service creates them and a
token each), start their servers, and start a kernel in their own server through
jupyter_server's REST API. Code runs over the kernel's websocket (the JSON protocol a
browser speaks), through the hub's proxy: the same path as a learner's notebook.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from layerlab.engine import LABEL_OWNER
from tests.conftest import APP_PY, SEED_DOCKERFILE, TEST_LABEL, TEST_RUN
from tests.hub.conftest import REPO

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

APP = f"%%writefile app.py\n{APP_PY}"

DOCKERFILE = f"%%dockerfile\n{SEED_DOCKERFILE}"

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

        self.user = user
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
        output: list[str] = []
        error = self.execute(code, output)
        if error is not None:
            pytest.fail(f"cell failed: {error}\n{code}")
        return "".join(output)

    def execute(self, code: str, output: list[str] | None = None) -> str | None:
        """Run a cell; return the kernel's error (``name: value``), None when it ran."""
        output = [] if output is None else output
        error = None
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
        while True:
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                return error

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
    users = [f"ada-{TEST_RUN}", f"bob-{TEST_RUN}"]  # not the recipe test's alice
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


# ---------------------------------------------------------------- the labs themselves
LABS = REPO / "notebooks" / "en"


def lab_cells(number: str) -> list[tuple[str, bool]]:
    """The code cells of lab ``number`` (English source), each with "must raise"."""
    import jupytext

    source = next(LABS.glob(f"{number}-*.md"))
    notebook = jupytext.read(source)
    return [
        (cell.source, "raises-exception" in cell.metadata.get("tags", []))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


def run_lab(kernel: Kernel, number: str) -> int:
    """Run every code cell of lab ``number`` in ``kernel`` as nbval does (a cell tagged
    ``raises-exception`` must raise, any other must not); returns the count of cells."""
    cells = lab_cells(number)
    for index, (code, must_raise) in enumerate(cells):
        output: list[str] = []
        error = kernel.execute(code, output)
        said = "".join(output)[-1500:]
        if must_raise:
            assert error, f"lab {number} cell {index} should raise as {kernel.user}:\n{code}"
        else:
            assert error is None, (
                f"lab {number} cell {index} as {kernel.user}: {error}\n{code}\n--- said:\n{said}"
            )
    return len(cells)


def run_labs_at_once(hub: Hub, tokens: dict[str, str], labs: dict[str, str]) -> dict[str, int]:
    """Each learner runs their lab (``labs[user]``) at the same time, each lab in a kernel
    of its own (a notebook's); returns the count of cells run per learner."""
    start = threading.Barrier(len(labs))
    errors: list[BaseException] = []
    counts: dict[str, int] = {}

    def run(user: str, lab: str) -> None:
        try:
            kernel = Kernel(hub, user, tokens[user])
            try:
                start.wait()
                counts[user] = run_lab(kernel, lab)
            finally:
                kernel.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in labs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    assert errors == [], errors
    return counts


def assert_isolated(kernels: dict[str, Kernel], keeper: str, other: str) -> None:
    """``keeper`` lists their lab 01 image under its short name; ``other`` never sees it."""
    kept = kernels[keeper].result(LIST)
    kept_ids = {image_id for name, image_id in kept if name == "python-hello-world"}
    assert kept_ids, kept
    theirs = kernels[other].result(LIST)
    assert not kept_ids & {image_id for _, image_id in theirs}
    # no namespaced name at all (a registry host before the first "/" is no namespace)
    assert all("/" not in name or ":" in name.split("/")[0] for name, _ in theirs), theirs


def test_two_learners_run_the_same_lab_at_once_labs_01_and_02(hub: Hub, docker_client: Any) -> None:
    """Two JupyterHub learners (one with an e-mail address as name) run the labs' own
    cells through their servers' kernels at the same time on one engine: first both run
    lab 02 together, then both run lab 01 together, then one runs lab 01 while the other
    runs lab 02 again; then each lists their images and sees only their own.

    In lab 02 both publish ``hello-web`` on their ``lab_port(1)`` and ``hello-web-2`` on
    their ``lab_port(2)``, under the same container names: every cell passes for both,
    each one's containers answer with their own page on their own port while the other's
    run, each one's ``%docker stop``/``rm``/clean-up acts on their own containers only, and
    nothing of either is left at the end. Where the shared engine makes them meet (one's
    identical edit in the other's build cache, one's identical layer mounted into the
    other's registry repository), the checks say so and still pass.
    """
    users = [f"marie.curie-{TEST_RUN}@example.org", f"bea-{TEST_RUN}"]
    tokens = {user: log_in_and_start(hub, user) for user in users}
    # the kernels that list each learner's images between the labs
    kernels = {user: Kernel(hub, user, tokens[user]) for user in users}
    for kernel in kernels.values():
        kernel.run("%load_ext layerlab")
    first, second = users
    ports = {
        user: kernels[user].result(
            "from layerlab import lab_port\nprint('RESULT', [lab_port(1), lab_port(2)])"
        )
        for user in users
    }
    # a block of ports each (two given names meet on one with odds of 1 in 4,000)
    assert not set(ports[first]) & set(ports[second]), ports
    try:
        counts = run_labs_at_once(hub, tokens, {first: "02", second: "02"})
        assert all(count > 10 for count in counts.values()), counts
        for user in users:  # each lab 02 removed all it made, and only that
            owned = {"label": f"{LABEL_OWNER}={user}"}
            assert not docker_client.containers.list(all=True, filters=owned)
        # lab 01's edit is a random tag: the engine cannot have it from the other learner
        counts = run_labs_at_once(hub, tokens, {first: "01", second: "01"})
        assert all(count > 10 for count in counts.values()), counts
        counts = run_labs_at_once(hub, tokens, {first: "01", second: "02"})
        assert all(count > 10 for count in counts.values()), counts
        assert_isolated(kernels, keeper=first, other=second)
    finally:
        for kernel in kernels.values():
            kernel.close()
        for user in users:
            hub.api("DELETE", f"/users/{user}/server")
            owned = {"label": f"{LABEL_OWNER}={user}"}
            for container in docker_client.containers.list(all=True, filters=owned):
                container.remove(force=True)
            for image in docker_client.images.list(filters=owned):
                for tag in image.tags:
                    docker_client.images.remove(tag, force=True)
                with contextlib.suppress(Exception):  # a nameless one; or gone with its tag
                    docker_client.images.remove(image.id, force=True)
