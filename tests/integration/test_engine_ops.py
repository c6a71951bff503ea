"""``layerlab.engine_ops`` and ``%docker`` against the real engine and local registry."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from layerlab import api, engine_ops
from layerlab.config import settings
from layerlab.engine import LABEL_SESSION, SESSION_ID
from layerlab.errors import EngineError, LayerlabError
from layerlab.image_list import images
from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag

pytestmark = pytest.mark.integration


def _get(port: int, attempts: int = 60) -> str:
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"nothing answered on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def web_image(tmp_path_factory: pytest.TempPathFactory, docker_client: Any) -> str:
    """The seed app, built once for the module (test-labelled, removed at session end)."""
    from layerlab import i18n
    from tests.conftest import APP_PY, SEED_DOCKERFILE

    context: Path = tmp_path_factory.mktemp("webapp")
    (context / "app.py").write_text(APP_PY, encoding="utf-8")
    (context / "Dockerfile").write_text(SEED_DOCKERFILE, encoding="utf-8")
    config = settings()
    config.extra_labels = {TEST_LABEL: TEST_RUN}
    i18n.set_language("en")
    tag = unique_tag("cli-web")
    api.build(context, tags=[tag], builder="classic", notify=lambda _: None)
    return tag


@pytest.fixture
def started(engine: Any, web_image: str) -> Iterator[engine_ops.ContainerRun]:
    """A web container on a port the engine picks (parallel runs cannot collide)."""
    run = engine_ops.run(web_image, name=unique_tag("web"), publish=["5000"])
    yield run
    if any(row["id"] == run.id for row in engine_ops.ps(all_containers=True)):
        engine_ops.rm(run.id, force=True)


def test_run_publishes_on_loopback_with_kit_labels(
    started: engine_ops.ContainerRun, docker_client: Any
) -> None:
    port = started.host_port(5000)
    assert port is not None
    assert started.ports["5000/tcp"][0] == "127.0.0.1"
    assert _get(port) == "hello world!"
    labels = docker_client.containers.get(started.id).labels
    assert labels[LABEL_SESSION] == SESSION_ID
    assert labels[TEST_LABEL] == TEST_RUN  # the configured extra labels travel too
    attrs = docker_client.api.inspect_container(started.id)
    # only the port we asked for is published
    assert list(attrs["HostConfig"]["PortBindings"]) == ["5000/tcp"]


def test_ps_logs_stop_and_rm(started: engine_ops.ContainerRun) -> None:
    port = started.host_port(5000)
    assert port is not None
    _get(port)
    names = {row["name"]: row for row in engine_ops.ps(mine=True)}
    assert names[started.name]["state"] == "running"
    assert f"127.0.0.1:{port}->5000/tcp" in names[started.name]["ports"]
    assert '"GET / HTTP/1.1" 200' in engine_ops.logs(started.name)
    assert engine_ops.stop(started.name, timeout=1) == [started.name]
    assert started.name not in {row["name"] for row in engine_ops.ps()}
    stopped = {row["name"]: row for row in engine_ops.ps(all_containers=True)}
    assert stopped[started.name]["state"] == "exited"
    assert engine_ops.rm(started.name) == [started.name]
    with pytest.raises(EngineError, match="no container"):
        engine_ops.logs(started.name)


def _status(table: Any, name: str) -> str:
    return str(
        next(row for row, rec in zip(table.rows, table, strict=True) if rec["name"] == name)[3]
    )


def test_tables_speak_the_learners_language(
    started: engine_ops.ContainerRun, web_image: str
) -> None:
    """Headers, ages and container statuses are the kit's words, not the engine's English."""
    from layerlab import i18n
    from tests.french import english_words

    up = engine_ops.ps(mine=True)
    assert up.headers[0] == "CONTAINER ID"
    assert _status(up, started.name).startswith("Up ")
    assert "ago" in repr(images(web_image))
    i18n.set_language("fr")
    try:
        french = engine_ops.ps(mine=True)
        assert french.headers == ["IDENTIFIANT", "IMAGE", "COMMANDE", "ÉTAT", "PORTS", "NOMS"]
        assert _status(french, started.name).startswith("en marche depuis ")
        french_images = images(web_image)
        assert french_images.headers == ["DÉPÔT", "ÉTIQUETTE", "IDENTIFIANT", "CRÉATION", "TAILLE"]
        assert "il y a " in repr(french_images)
        assert "\u202fMo" in repr(french_images)
        engine_ops.stop(started.name, timeout=1)
        stopped = engine_ops.ps(all_containers=True, mine=True)
        assert _status(stopped, started.name).startswith("arrêté (code ")
        assert " il y a " in _status(stopped, started.name)
        for table in (french, french_images, stopped):
            assert not english_words(repr(table)), repr(table)
    finally:
        i18n.set_language("en")


def test_run_in_the_foreground_returns_output_and_removes(
    engine: Any, web_image: str, docker_client: Any
) -> None:
    run = engine_ops.run(
        web_image, ["python", "-c", "print('from inside')"], detach=False, remove=True
    )
    assert run.exit_code == 0
    assert run.output == "from inside\n"
    assert not docker_client.containers.list(all=True, filters={"id": run.id})


def test_engine_refusals_are_one_line(started: engine_ops.ContainerRun, web_image: str) -> None:
    with pytest.raises(EngineError, match="already exists") as name_taken:
        engine_ops.run(web_image, name=started.name)
    assert "\n" not in str(name_taken.value)
    port = started.host_port(5000)
    with pytest.raises(EngineError, match=f"port {port} is already in use"):
        engine_ops.run(web_image, publish=[f"{port}:5000"])
    with pytest.raises(EngineError, match="no image 'layerlab-test-absent"):
        engine_ops.run(unique_tag("absent"))
    with pytest.raises(EngineError, match="no container"):
        engine_ops.stop(unique_tag("absent"))


def test_tag_push_to_local_registry_then_reuse(engine: Any, web_image: str) -> None:
    registry = settings().registry
    repository = f"{registry}/{unique_tag('push')}"
    try:
        assert engine_ops.tag(web_image, repository) == f"{repository}:latest"
        lines: list[tuple[str, str]] = []
        first = engine_ops.push(repository, on_layer=lambda *line: lines.append(line))
        layers = len(engine.images.get(web_image).attrs["RootFS"]["Layers"])
        assert first.layers == layers
        assert len(lines) == layers
        assert first.digest is not None
        assert first.digest.startswith("sha256:")
        assert engine_ops.in_registry(f"{repository}:latest") == first.digest
        again = engine_ops.push(f"{repository}:latest")
        assert again.pushed == []
        assert again.already_present == layers
    finally:
        engine_ops.registry_delete(repository)
        engine_ops.rmi(repository)
    assert engine_ops.in_registry(f"{repository}:latest") is None


def test_push_errors_are_short(engine: Any, web_image: str) -> None:
    with pytest.raises(EngineError, match="no image 'no-such"):
        engine_ops.push("no-such/image:latest")
    unreachable = "127.0.0.1:9/" + unique_tag("nowhere")
    engine_ops.tag(web_image, unreachable)
    try:
        with pytest.raises(EngineError, match=r"127\.0\.0\.1:9 cannot be reached from here"):
            engine_ops.push(unreachable)
    finally:
        engine_ops.rmi(unreachable)
    with pytest.raises(LayerlabError, match="only deletes from a registry on this machine"):
        engine_ops.registry_delete("docker.io/library/python")


def test_rmi_and_scoped_prunes(engine: Any, web_image: str, docker_client: Any) -> None:
    extra = f"{web_image}-extra"
    engine_ops.tag(web_image, extra)
    assert engine_ops.rmi(extra) == [f"Untagged: {extra}:latest"]
    with pytest.raises(EngineError, match="no image"):
        engine_ops.rmi(extra)
    # a stopped container of ours, and one that is not the kit's: prune takes only ours
    # (the foreign one comes from the stand-in: containers inherit their image's labels)
    ours = engine_ops.run(web_image, ["true"], detach=False)
    foreign = docker_client.containers.create(BASE_IMAGE, ["true"], labels={TEST_LABEL: TEST_RUN})
    try:
        pruned = engine_ops.container_prune()
        assert ours.id in pruned.removed
        assert foreign.id not in pruned.removed
        assert docker_client.containers.get(foreign.id)
    finally:
        foreign.remove(force=True)
    assert "made by layerlab" in str(engine_ops.image_prune())


def test_docker_magic_runs_the_lab_commands(
    ip: Any, web_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique_tag("magic")
    started = ip.run_line_magic("docker", f"run -d -p 127.0.0.1::5000 --name {name} {web_image}")
    try:
        assert isinstance(started, engine_ops.ContainerRun)
        assert f"Started {name}" in str(started)
        port = started.host_port(5000)
        assert port is not None
        assert _get(port) == "hello world!"
        table = ip.run_line_magic("docker", "ps --mine")
        assert name in repr(table)
        ip.run_line_magic("docker", f"logs {name}")
        assert "GET / HTTP/1.1" in capsys.readouterr().out
        images = ip.run_line_magic("docker", f"image ls {web_image}")
        assert len(images) == 1
        ip.run_line_magic("docker", f"rm -f {name}")
        assert capsys.readouterr().out.strip() == name
    finally:
        if any(row["name"] == name for row in engine_ops.ps(all_containers=True)):
            engine_ops.rm(name, force=True)


def test_docker_magic_errors_are_one_line_not_tracebacks(ip: Any) -> None:
    result = ip.run_cell("%docker stop " + unique_tag("ghost"))
    assert isinstance(result.error_in_exec, EngineError)
    rendered = result.error_in_exec._render_traceback_()
    assert len(rendered) == 1
    assert "no container" in rendered[0]


def test_leftovers_and_their_removal(engine: Any, web_image: str) -> None:
    lab = {"org.layerlab.lab": unique_tag("lab")}
    run = engine_ops.run(web_image, ["true"], detach=False, labels=lab)
    found = engine_ops.leftovers(lab)
    assert found.containers == (run.name,)
    assert engine_ops.remove_leftovers(lab) == found
    assert not engine_ops.leftovers(lab)
