"""``%docker`` as a learner types it from terminal habits, on the real engine: several
names per command, ``-q``, ``--all``, ``--wait``, the stop grace period, push advice,
the learner's image list and the clean-ups that ask for ``--force``."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from layerlab import api, classroom, engine_ops, session
from layerlab.config import settings
from layerlab.engine import LABEL_KIT, LABEL_OWNER, owner
from layerlab.errors import EngineError, LayerlabError
from layerlab.waiting import wait_http
from tests.conftest import APP_PY, BASE_IMAGE, SEED_DOCKERFILE, TEST_LABEL, TEST_RUN, unique_tag

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app_image(tmp_path_factory: pytest.TempPathFactory, docker_client: Any) -> str:
    """The seed app, built once by the kit in this session (test-labelled)."""
    from layerlab import i18n

    context: Path = tmp_path_factory.mktemp("typed-app")
    (context / "app.py").write_text(APP_PY, encoding="utf-8")
    (context / "Dockerfile").write_text(SEED_DOCKERFILE, encoding="utf-8")
    settings().extra_labels = {TEST_LABEL: TEST_RUN}
    i18n.set_language("en")
    tag = unique_tag("typed-app")
    api.build(context, tags=[tag], builder="classic", notify=lambda _: None)
    return tag


@pytest.fixture
def cleanup_containers(docker_client: Any) -> Iterator[list[str]]:
    """Names of containers a test starts; removed afterwards whatever happened."""
    names: list[str] = []
    yield names
    for name in names:
        for container in docker_client.containers.list(all=True, filters={"name": f"^{name}$"}):
            container.remove(force=True)


def _magic(ip: Any, line: str) -> Any:
    return ip.run_line_magic("docker", line)


def test_rmi_of_several_names_reports_the_missing_one_and_removes_the_rest(
    ip: Any, app_image: str, docker_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = f"{app_image}-a", f"127.0.0.1:5000/{app_image}-b"
    missing = unique_tag("never-built")
    _magic(ip, f"tag {app_image} {first} {second}")
    assert capsys.readouterr().out.count("Tagged ") == 2
    _magic(ip, f"rmi {first} {missing} {second}")
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"Untagged: {first}:latest", f"Untagged: {second}:latest"]
    assert (
        err.strip() == f"Error: no image '{missing}' on this engine. List them with %docker_images"
    )
    assert not docker_client.images.list(name=first)
    assert not docker_client.images.list(name=second)
    # when nothing at all could be done, it is an error (one line per name)
    result = ip.run_cell(f"%docker rmi {missing} {missing}-2")
    assert isinstance(result.error_in_exec, EngineError)
    assert len(str(result.error_in_exec).splitlines()) == 2


def test_ps_and_images_quiet_give_ids_usable_in_python(
    ip: Any, app_image: str, cleanup_containers: list[str], docker_client: Any
) -> None:
    name = unique_tag("quiet")
    cleanup_containers.append(name)
    started = _magic(ip, f"run -d --name {name} {app_image}")
    ids = _magic(ip, "ps -q")
    assert started.short_id in ids
    assert all(len(identifier) == 12 for identifier in ids)
    image_ids = _magic(ip, "images -q")
    assert docker_client.images.get(app_image).short_id.removeprefix("sha256:") in image_ids
    # the ids go back into a command with $ids, as IPython expands it
    ip.user_ns["ids"] = ids.__class__([started.short_id])
    result = ip.run_cell("%docker stop -t 0 $ids")
    assert result.error_in_exec is None
    assert docker_client.containers.get(name).status == "exited"


def test_stop_all_and_rm_f_all_touch_only_your_containers(
    ip: Any, app_image: str, cleanup_containers: list[str], docker_client: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    names = [unique_tag("all-1"), unique_tag("all-2")]
    cleanup_containers.extend(names)
    for name in names:
        _magic(ip, f"run -d --name {name} {app_image}")
    # a container that is not the kit's: --all must leave it running
    foreign = docker_client.containers.run(
        BASE_IMAGE, ["sleep", "60"], detach=True, labels={TEST_LABEL: TEST_RUN},
        name=unique_tag("foreign"),
    )  # fmt: skip
    cleanup_containers.append(foreign.name)
    capsys.readouterr()
    _magic(ip, "stop -t 1 --all")
    assert set(capsys.readouterr().out.split()) >= set(names)
    assert foreign.reload() is None
    assert foreign.status == "running"
    _magic(ip, "rm -f --all")
    assert set(capsys.readouterr().out.split()) >= set(names)
    assert not docker_client.containers.list(all=True, filters={"name": names[0]})
    assert docker_client.containers.get(foreign.id).status == "running"


def test_stop_explains_the_grace_period_when_pid_1_ignores_sigterm(
    ip: Any, app_image: str, cleanup_containers: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    stubborn, with_init = unique_tag("pid1"), unique_tag("init")
    cleanup_containers.extend([stubborn, with_init])
    _magic(ip, f"run -d -p 127.0.0.1::5000 --wait --name {stubborn} {app_image}")
    _magic(ip, f"run -d -p 127.0.0.1::5000 --wait --init --name {with_init} {app_image}")
    capsys.readouterr()
    began = time.monotonic()
    _magic(ip, f"stop -t 2 {stubborn} {with_init} {unique_tag('ghost')}")
    took = time.monotonic() - began
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[:2] == [stubborn, with_init]
    assert lines[2].startswith(
        f"{stubborn} took the whole 2 s grace period to stop: the app runs as PID 1"
    ), out
    assert "--init" in lines[2]
    assert "STOPSIGNAL" in lines[2]
    assert with_init not in lines[2]
    assert "no container 'layerlab-test-ghost" in err
    assert 1.5 < took < 8  # both stopped at the same time


def test_run_wait_returns_when_the_app_answers(
    ip: Any, app_image: str, cleanup_containers: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique_tag("wait")
    cleanup_containers.append(name)
    started = _magic(ip, f"run -d -p 127.0.0.1::5000 --wait --name {name} {app_image}")
    port = started.host_port(5000)
    assert f"{name} answers on 127.0.0.1:{port}" in capsys.readouterr().out
    # no retry: the first fetch after --wait gets the page
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as reply:
        assert reply.read() == b"hello world!"
    assert wait_http(f"http://127.0.0.1:{port}/", timeout=5) == "hello world!"


def test_wait_timeout_and_early_exit_show_the_last_log_lines(
    ip: Any, app_image: str, cleanup_containers: list[str]
) -> None:
    slow, crashing = unique_tag("slow"), unique_tag("crash")
    cleanup_containers.extend([slow, crashing])
    never = "import time; print('still warming up', flush=True); time.sleep(60)"
    result = ip.run_cell(
        f"%docker run -d -p 127.0.0.1::5000 --wait --wait-timeout 2 --name {slow} "
        f'{app_image} python -c "{never}"'
    )
    error = result.error_in_exec
    assert isinstance(error, LayerlabError)
    first, *logs = str(error).splitlines()
    assert first.startswith(f"{slow} did not answer on 127.0.0.1:")
    assert "within 2s" in first
    assert logs == ["    still warming up"]
    crash = "print('port taken', flush=True); raise SystemExit(3)"
    result = ip.run_cell(
        f"%docker run -d -p 127.0.0.1::5000 --wait --name {crashing} {app_image} "
        f'python -c "{crash}"'
    )
    error = result.error_in_exec
    assert isinstance(error, LayerlabError)
    first, *logs = str(error).splitlines()
    assert re.fullmatch(
        rf"{crashing} exited with code 3 before answering on (127\.0\.0\.1:\d+|-)\. "
        r"Its last log lines:",
        first,
    ), first
    assert logs == ["    port taken"]
    with pytest.raises(LayerlabError, match=r"did not answer within 1s"):
        wait_http("http://127.0.0.1:9/", timeout=1)


def test_push_without_a_registry_name_points_at_the_running_local_registry(
    ip: Any, app_image: str
) -> None:
    result = ip.run_cell(f"%docker push {app_image}")
    error = result.error_in_exec
    assert isinstance(error, EngineError)
    message = str(error)
    assert "\n" not in message
    assert message.startswith("docker.io cannot be reached from here, but the local registry "
                              "is already running at 127.0.0.1:5000")  # fmt: skip
    assert f"%docker tag {app_image} 127.0.0.1:5000/{app_image}" in message
    assert f"%docker push 127.0.0.1:5000/{app_image}" in message
    # the advice works as written
    target = f"127.0.0.1:5000/{app_image}"
    ip.run_line_magic("docker", f"tag {app_image} {target}")
    try:
        assert ip.run_line_magic("docker", f"push {target}").digest.startswith("sha256:")
    finally:
        engine_ops.registry_delete(target)
        engine_ops.rmi(target)


def test_push_to_a_silent_local_registry_says_to_start_it(ip: Any, app_image: str) -> None:
    settings().registry = "127.0.0.1:9"
    target = f"127.0.0.1:9/{app_image}"
    engine_ops.tag(app_image, target)
    try:
        with pytest.raises(EngineError, match=r"the local registry at 127\.0\.0\.1:9 does not"):
            engine_ops.push(target)
    finally:
        engine_ops.rmi(target)


def test_images_lists_yours_with_registry_names_under_a_pattern(
    ip: Any, app_image: str, docker_client: Any
) -> None:
    pushed = f"127.0.0.1:5000/{app_image}"
    engine_ops.tag(app_image, pushed)
    try:
        mine = ip.run_line_magic("docker_images", "")
        shown = {f"{r['repository']}:{r['tag']}" for r in mine}
        assert f"{app_image}:latest" in shown
        assert f"{pushed}:latest" in shown
        assert BASE_IMAGE not in shown  # not the kit's: hidden, and counted
        assert "not yours" in repr(mine)
        every = ip.run_line_magic("docker_images", "--all")
        assert BASE_IMAGE in {f"{r['repository']}:{r['tag']}" for r in every}
        under = ip.run_line_magic("docker_images", f"{app_image.split('-typed', maxsplit=1)[0]}*")
        assert {f"{app_image}:latest", f"{pushed}:latest"} <= {
            f"{r['repository']}:{r['tag']}" for r in under
        }
        base = ip.run_line_magic("docker_images", "python:3.13-*")
        assert BASE_IMAGE in {f"{r['repository']}:{r['tag']}" for r in base}
    finally:
        engine_ops.rmi(pushed)


def test_cleanups_ask_for_force_before_touching_what_this_session_did_not_make(
    ip: Any, app_image: str, docker_client: Any, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nRUN echo {TEST_RUN} > /f\n")
    # the kit's labels for this learner, but built outside this session (an earlier run)
    earlier = unique_tag("earlier-session")
    docker_client.images.build(
        path=str(tmp_path), tag=earlier,
        labels={LABEL_KIT: "layerlab", LABEL_OWNER: owner(), TEST_LABEL: TEST_RUN},
        rm=True, forcerm=True,  # docker-py keeps the step containers unless told
    )  # fmt: skip
    assert session.current().made_here(docker_client.images.get(app_image).id)
    result = ip.run_cell("%docker image prune -a")
    error = result.error_in_exec
    assert isinstance(error, LayerlabError)
    assert "this notebook's session did not make" in str(error)
    assert earlier in str(error)
    assert app_image not in str(error)
    assert docker_client.images.get(earlier)  # nothing removed
    with pytest.raises(LayerlabError, match="add --force"):
        classroom.cleanup()
    assert docker_client.images.get(app_image)
    report = classroom.cleanup(dry_run=True)
    assert earlier in {item.name.split(":")[0] for item in report.images}


def test_stop_all_with_nothing_of_yours_running_says_so(ip: Any, engine: Any) -> None:
    result = ip.run_cell("%docker stop --all")
    assert isinstance(result.error_in_exec, LayerlabError)
    assert str(result.error_in_exec) == (
        "%docker stop --all: none of the kit's containers of yours is running"
    )
