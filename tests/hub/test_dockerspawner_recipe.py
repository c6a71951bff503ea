"""The DockerSpawner recipe of deploy/dockerspawner-dind, run for real on this engine.

Built from local bases (build args on the recipe's ``FROM`` lines), started with
Debian's ``docker-compose`` exactly as deploy/README.md says, in its shared-engine
variant (this machine refuses ``--privileged``, so no Docker-in-Docker). Two learners
sign up and log in through the hub's own forms (NativeAuthenticator), the instructor
authorizes them, each starts a server (a container made by DockerSpawner) and runs lab
01's core cells in a kernel of that server: each builds, and each sees only their own
image.

The images are built once per content hash of what goes into them (label
``org.layerlab.recipe-hash``): a rerun with unchanged sources starts at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest

from layerlab.engine import LABEL_OWNER
from layerlab.names import namespace_for
from tests.conftest import APP_PY, SEED_DOCKERFILE, TEST_LABEL, TEST_RUN
from tests.hub.conftest import REPO, free_port
from tests.hub.test_jupyterhub_e2e import Kernel

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import requests

    from tests.hub.conftest import Hub

pytestmark = [pytest.mark.integration, pytest.mark.hub]

RECIPE = REPO / "deploy" / "dockerspawner-dind"
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.shared-engine.yml")
HASH_LABEL = "org.layerlab.recipe-hash"
#: the offline stand-ins for the recipe's online bases
HUB_BASE = "python:3.13-slim"
LEARNER_BASE = "python:3.13"
HOST_DOCKER_CLI = Path("/usr/bin/docker")  # 20.10, BuildKit without buildx
ADMIN = f"instructor-{TEST_RUN}"
PASSWORD = f"pw-{TEST_RUN}"
LAB = "python-hello-world"
START_TIMEOUT_S = 120

# Lab 01's core cells, as a learner runs them (loading the kit, the seed files, the build,
# the lab's own check of the result); the test's label so the test's cleanup finds them.
SETUP = f"""
import os
from pathlib import Path

%load_ext layerlab
%config Layerlab.language = "en"
%config Layerlab.view = "text"
%config Layerlab.extra_labels = {{"{TEST_LABEL}": "{TEST_RUN}"}}
lab = Path.home() / "work" / "lab01"
lab.mkdir(parents=True, exist_ok=True)
os.chdir(lab)
"""
APP = f"%%writefile app.py\n{APP_PY}"
DOCKERFILE = f"%%dockerfile\n{SEED_DOCKERFILE}"
BUILD = f"""
import json
result = %docker_build -t {LAB} .
assert result.succeeded
assert result.image_id.startswith("sha256:")
print("RESULT " + json.dumps({{"user": os.environ["JUPYTERHUB_USER"], "tags": result.tags,
    "engine_tags": result.engine_tags, "image_id": result.image_id,
    "builder": result.builder}}))
"""
LIST = """
listing = %docker_images
print("RESULT " + json.dumps([[r["repository"], r["id"]] for r in listing.records]))
"""
SETTINGS = """
from layerlab.config import settings
print("RESULT " + json.dumps(settings().build_timeout_s))
"""
REMOVE_OTHERS = """
try:
    %docker rmi {name}
    print("RESULT " + json.dumps("removed"))
except Exception as exc:
    print("RESULT " + json.dumps(exc._render_traceback_()))
"""


# ---------------------------------------------------------------- images, cached by hash
def recipe_hash() -> str:
    """A hash of everything the two images are built from."""
    files = [
        *(RECIPE / name for name in ("Dockerfile.hub", "Dockerfile.learner", *COMPOSE_FILES)),
        REPO / "deploy" / "ipython_config.py",
        REPO / "pyproject.toml",
        REPO / "README.md",
        *sorted(
            p
            for p in (REPO / "layerlab").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ),
        HOST_DOCKER_CLI,
    ]
    digest = hashlib.sha256(f"{HUB_BASE} {LEARNER_BASE}".encode())
    for path in files:
        digest.update(str(path.relative_to(REPO) if REPO in path.parents else path).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def compose_command() -> str:
    found = shutil.which("docker-compose")
    if not found:
        pytest.fail(
            "docker-compose not found: apt-get install docker-compose (Debian's 1.29)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def recipe_images(docker_client: Any) -> dict[str, str]:
    """The hub, learner and docker-CLI images for this content hash (built when missing)."""
    content = recipe_hash()
    images = {
        "HUB_IMAGE": f"layerlab-recipe-hub:{content}",
        "LEARNER_IMAGE": f"layerlab-recipe-learner:{content}",
        "DOCKER_CLI_IMAGE": f"layerlab-recipe-docker-cli:{content}",
    }
    present = {
        tag
        for image in docker_client.images.list(filters={"label": f"{HASH_LABEL}={content}"})
        for tag in image.tags
    }
    if set(images.values()) <= present:
        return {**images, "LAYERLAB_RECIPE_HASH": content}

    # older builds of the recipe go: the cache holds one version
    for image in docker_client.images.list(filters={"label": HASH_LABEL}):
        if image.labels.get(HASH_LABEL) != content:
            for tag in image.tags:
                with contextlib.suppress(Exception):  # in use by a running hub: kept
                    docker_client.images.remove(tag)

    # the docker CLI stand-in for `docker:27-cli`: the host's own client
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        shutil.copy2(HOST_DOCKER_CLI, context / "docker")
        (context / "plugins").mkdir()
        (context / "plugins" / ".keep").write_text("", encoding="utf-8")
        (context / "Dockerfile").write_text(
            "FROM scratch\nCOPY docker /usr/local/bin/docker\n"
            "COPY plugins /usr/local/libexec/docker/cli-plugins\n",
            encoding="utf-8",
        )
        docker_client.images.build(
            path=tmp,
            tag=images["DOCKER_CLI_IMAGE"],
            labels={HASH_LABEL: content},
            rm=True,
            forcerm=True,
        )
    env = {
        **os.environ,
        **images,
        "LAYERLAB_RECIPE_HASH": content,
        "HUB_BASE": HUB_BASE,
        "LEARNER_BASE": LEARNER_BASE,
    }
    build = subprocess.run(
        [
            compose_command(),
            *compose_files(),
            "--profile",
            "build-only",
            "build",
            "--force-rm",
            "jupyterhub",
            "learner-image",
        ],
        cwd=RECIPE,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return {**images, "LAYERLAB_RECIPE_HASH": content}


def compose_files() -> list[str]:
    return [arg for name in COMPOSE_FILES for arg in ("-f", name)]


# ---------------------------------------------------------------- the hub, as the README says
class RecipeHub(SimpleNamespace):
    url: str
    project: str
    env: dict[str, str]

    def compose(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [compose_command(), "-p", self.project, *compose_files(), *args],
            cwd=RECIPE,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def log(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "80", "jupyterhub").stdout


@pytest.fixture(scope="module")
def recipe_hub(recipe_images: dict[str, str], docker_client: Any) -> Iterator[RecipeHub]:
    import requests

    port = free_port()
    project = f"layerlab-recipe-{TEST_RUN}"
    env = {
        **os.environ,
        **recipe_images,
        "HUB_BIND": f"127.0.0.1:{port}",
        "DOCKER_NETWORK_NAME": f"layerlab-hub-{TEST_RUN}",
        "HUB_CONTAINER_NAME": f"jupyterhub-{TEST_RUN}",
        "HUB_ADMIN": ADMIN,
    }
    hub = RecipeHub(url=f"http://127.0.0.1:{port}", project=project, env=env)
    try:
        up = hub.compose("up", "-d", "--no-build", "jupyterhub")
        assert up.returncode == 0, up.stderr[-3000:]
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{hub.url}/hub/api/", timeout=2).ok:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the recipe's hub did not answer:\n{hub.log()}", pytrace=False)
            time.sleep(0.5)
        yield hub
    finally:
        down = hub.compose("down", "--volumes", "--remove-orphans", "--timeout", "5")
        # learners' servers (DockerSpawner removes them when stopped) and their volumes
        for container in docker_client.containers.list(
            all=True, filters={"ancestor": recipe_images["LEARNER_IMAGE"]}
        ):
            if container.name.startswith("jupyter-") and TEST_RUN in container.name:
                container.remove(force=True)
        for volume in docker_client.volumes.list():
            if volume.name.startswith("jupyterhub-user-") and TEST_RUN in volume.name:
                volume.remove(force=True)
        assert down.returncode == 0, down.stderr[-3000:]


# ---------------------------------------------------------------- signing up and logging in
def _form(
    session: requests.Session, url: str, data: dict[str, str], *, follow: bool = True
) -> requests.Response:
    session.get(url, timeout=30).raise_for_status()  # sets the _xsrf cookie
    response = session.post(
        url,
        data={**data, "_xsrf": session.cookies.get("_xsrf", "")},
        timeout=30,
        allow_redirects=follow,
    )
    response.raise_for_status()
    return response


def sign_up(hub: RecipeHub, user: str) -> None:
    import requests

    page = _form(
        requests.Session(),
        f"{hub.url}/hub/signup",
        {
            "username": user,
            "signup_password": PASSWORD,
            "signup_password_confirmation": PASSWORD,
        },
    ).text
    # a learner waits for the instructor; the instructor (an admin) is in at once
    expected = "The signup was successful" if user == ADMIN else "has been sent to the admin"
    assert expected in page, page[-1500:]


def log_in(hub: RecipeHub, user: str) -> tuple[requests.Session, str]:
    """Log in through the login form; return the session and an API token made with it."""
    import requests

    session = requests.Session()
    # not following the redirect: it would start the user's server (the hub's default)
    response = _form(
        session, f"{hub.url}/hub/login", {"username": user, "password": PASSWORD}, follow=False
    )
    assert response.status_code == 302, response.text[-800:]  # the form again: refused
    response = session.post(
        f"{hub.url}/hub/api/users/{user}/tokens",
        json={"note": f"recipe test {TEST_RUN}", "expires_in": 3600},
        headers={"X-XSRFToken": session.cookies.get("_xsrf", "")},
        timeout=30,
    )
    response.raise_for_status()
    return session, str(response.json()["token"])


def api(hub: RecipeHub, token: str, method: str, path: str, **kwargs: Any) -> Any:
    import requests

    response = requests.request(
        method,
        f"{hub.url}/hub/api{path}",
        headers={"Authorization": f"token {token}"},
        timeout=60,
        **kwargs,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def start_server(hub: RecipeHub, user: str, token: str) -> None:
    api(hub, token, "POST", f"/users/{user}/server")
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        server = (api(hub, token, "GET", f"/users/{user}").get("servers") or {}).get("", {})
        if server.get("ready"):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{user}'s server did not start:\n{hub.log()}", pytrace=False)
        time.sleep(1)


def server_container(docker_client: Any, hub: RecipeHub, user: str) -> Any:
    """The container DockerSpawner made for ``user``'s server."""
    for container in docker_client.containers.list(filters={"ancestor": hub.env["LEARNER_IMAGE"]}):
        if f"JUPYTERHUB_USER={user}" in (container.attrs["Config"].get("Env") or []):
            return container
    pytest.fail(f"no server container for {user}:\n{hub.log()}")


def at_once(work: Callable[[str], Any], users: list[str], timeout: float) -> dict[str, Any]:
    """``work(user)`` for every user in threads started together; their results."""
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(len(users))

    def one(user: str) -> None:
        try:
            start.wait()
            results[user] = work(user)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert errors == []
    return results


def admit(hub: RecipeHub, users: list[str]) -> tuple[str, dict[str, str]]:
    """Sign up the instructor and the learners, authorize the learners, log everyone in:
    the instructor's token and each learner's."""
    sign_up(hub, ADMIN)
    for user in users:
        sign_up(hub, user)
    import requests

    # before the instructor's say-so, a learner's password is not enough
    early = _form(
        requests.Session(),
        f"{hub.url}/hub/login",
        {"username": users[0], "password": PASSWORD},
        follow=False,
    )
    assert early.status_code == 200
    assert "has not been authorized" in early.text
    admin_session, admin_token = log_in(hub, ADMIN)
    for user in users:  # the instructor authorizes each sign-up, as on the authorize page
        admin_session.get(f"{hub.url}/hub/authorize/{user}", timeout=30).raise_for_status()
    return admin_token, {user: log_in(hub, user)[1] for user in users}


def test_recipe_serves_lab_01_to_two_learners_on_one_shared_engine(
    recipe_hub: RecipeHub, docker_client: Any
) -> None:
    # JupyterHub lower-cases names; the kit's namespace comes from the hub's name
    users = [f"alice-{TEST_RUN}", f"marie.curie-{TEST_RUN}@example.org"]
    admin_token, tokens = admit(recipe_hub, users)
    kernels: dict[str, Kernel] = {}
    try:
        at_once(lambda user: start_server(recipe_hub, user, tokens[user]), users, 200)
        hub_view = cast("Hub", SimpleNamespace(url=recipe_hub.url))
        for user in users:
            assert not server_container(docker_client, recipe_hub, user).attrs["HostConfig"][
                "Privileged"
            ]
            kernels[user] = Kernel(hub_view, user, tokens[user])
            kernels[user].run(SETUP)
            assert "Writing app.py" in kernels[user].run(APP)
            assert "Writing Dockerfile" in kernels[user].run(DOCKERFILE)

        # both learners press "run" on the build cell together
        builds = at_once(lambda user: kernels[user].result(BUILD), users, 300)
        for user in users:
            engine_tag = f"{namespace_for(user)}/{LAB}:latest"
            assert builds[user]["user"] == user
            assert builds[user]["tags"] == [f"{LAB}:latest"]
            assert builds[user]["engine_tags"] == [engine_tag]
            image = docker_client.images.get(engine_tag)
            assert image.id == builds[user]["image_id"]
            assert image.labels[LABEL_OWNER] == user
            # the instructor's settings (deploy/ipython_config.py) are in force
            assert kernels[user].result(SETTINGS) == 600

        alice, marie = users
        for me, other in ((alice, marie), (marie, alice)):
            listing = kernels[me].result(LIST)
            assert [LAB, builds[me]["image_id"]] in listing
            assert all(image_id != builds[other]["image_id"] for _, image_id in listing)
            others = f"{namespace_for(other)}/{LAB}"
            refused = kernels[me].result(REMOVE_OTHERS.format(name=others))
            assert len(refused) == 1
            assert f"belongs to {other}, another learner" in refused[0]
            assert docker_client.images.get(others).id == builds[other]["image_id"]
    finally:
        for kernel in kernels.values():
            with contextlib.suppress(Exception):
                kernel.close()
        for user in users:
            with contextlib.suppress(Exception):
                api(recipe_hub, admin_token, "DELETE", f"/users/{user}/server")
