"""The seed lab on the real engine with the classic builder (docker SDK, streaming)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from layerlab.engine import LABEL_OWNER, LABEL_SESSION, forget_clients
from layerlab.errors import BuildFailed, EngineUnavailable
from tests.conftest import TEST_LABEL, TEST_RUN, unique_tag

pytestmark = pytest.mark.integration


def build(ip: Any, line: str) -> Any:
    return ip.run_line_magic("docker_build", f"--builder classic {line}")


def is_podman(engine: Any) -> bool:
    """Podman's Docker-compatible API names itself in the version's components."""
    components = engine.version().get("Components") or []
    return any("podman" in str(component.get("Name", "")).lower() for component in components)


def engine_cache_lines(log: str) -> int:
    """The engine's own ` ---> Using cache` lines under the Dockerfile's steps (the log
    also holds the LABEL steps the engine appends for the kit's labels: not counted)."""
    count, counting = 0, False
    for line in log.splitlines():
        if line.startswith("Step "):
            counting = " : LABEL org.layerlab." not in line
        elif counting and line.strip() == "---> Using cache":
            count += 1
    return count


def test_seed_build_rebuild_and_edit(
    engine: Any, ip: Any, seed_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tag = unique_tag("seed")
    first = build(ip, f"-t {tag} .")
    assert first.builder == "classic"
    assert first.tags == [f"{tag}:latest"]
    assert first.image_id.startswith("sha256:")
    assert [s.instruction for s in first.steps] == [
        "FROM python:3.13-alpine",
        "RUN pip install flask",
        'CMD ["python","app.py"]',
        "COPY app.py /app.py",
    ]
    assert [s.number for s in first.steps] == [1, 2, 3, 4]
    assert first.steps[0].status == "base"
    assert all(isinstance(s.duration_s, float) for s in first.steps)
    image = engine.images.get(f"{tag}:latest")
    assert image.id == first.image_id
    assert image.labels[TEST_LABEL] == TEST_RUN
    assert LABEL_OWNER in image.labels
    # no per-kernel label on images: the same Dockerfile gives the same image next session
    assert LABEL_SESSION not in image.labels
    printed = capsys.readouterr().out
    assert "Step 2/4 : RUN pip install flask" in printed
    assert "Built " in printed

    # An immediate rebuild: every step after FROM comes from the cache, exactly as the
    # engine's own " ---> Using cache" lines say.
    again = build(ip, f"-t {tag} .")
    assert [s.status for s in again.steps] == ["base", "cached", "cached", "cached"]
    assert again.cache_hits == 3 == engine_cache_lines(again.log)
    assert again.image_id == first.image_id or again.steps[-1].cached
    assert "3 of 3 steps from the cache" in again.summary()
    assert repr(again).startswith(f"<BuildResult succeeded {tag}:latest ")

    # Editing app.py rebuilds only the COPY step.
    (seed_context / "app.py").write_text(
        (seed_context / "app.py").read_text(encoding="utf-8").replace("hello world!", "bonjour!"),
        encoding="utf-8",
    )
    edited = build(ip, f"-t {tag} .")
    assert [(s.keyword, s.status) for s in edited.steps] == [
        ("FROM", "base"),
        ("RUN", "cached"),
        ("CMD", "cached"),
        ("COPY", "built"),
    ]
    assert edited.cache_hits == 2 == engine_cache_lines(edited.log)
    assert edited.image_id != first.image_id


def test_several_tags_and_build_args(engine: Any, ip: Any, workdir: Path) -> None:
    (workdir / "Dockerfile").write_text(
        'FROM python:3.13-alpine\nARG GREETING=hi\nRUN echo "$GREETING" > /greeting\n',
        encoding="utf-8",
    )
    first, second = unique_tag("multi-a"), unique_tag("multi-b") + ":v2"
    result = build(ip, f"-t {first} -t {second} --build-arg GREETING=salut -q .")
    assert result.tags == [f"{first}:latest", second]
    assert engine.images.get(second).id == result.image_id
    output = engine.containers.run(
        result.image_id, "cat /greeting", remove=True, labels={TEST_LABEL: TEST_RUN}
    )
    assert output.decode().strip() == "salut"


def test_failing_run_raises_build_failed_naming_the_step(
    engine: Any, ip: Any, workdir: Path
) -> None:
    marker = f"flaskk-{TEST_RUN}"  # names this build's RUN container, none other's
    (workdir / "Dockerfile").write_text(
        "FROM python:3.13-alpine\nRUN echo preparing\n"
        f"RUN echo 'pip: no such package {marker}' >&2 && exit 7\nCMD [\"python\"]\n",
        encoding="utf-8",
    )
    with pytest.raises(BuildFailed) as caught:
        build(ip, f"-t {unique_tag('fails')} .")
    error = caught.value
    assert error.result.status == "failed"
    assert error.result.failed_step is not None
    assert error.result.failed_step.number == 3
    message = str(error)
    assert message.splitlines()[0].startswith("step 3 failed: RUN echo")
    assert f"no such package {marker}" in message
    # the engine's own words: Docker's "returned a non-zero code: 7", buildah's "exit status 7"
    assert ("exit status 7" if is_podman(engine) else "non-zero code: 7") in message
    assert len(error._render_traceback_()) == 1
    # forcerm cleaned up: no container left that ran this build's failing RUN (other
    # agents' containers on a shared engine do not count; this one would, by its command)
    left = [c for c in engine.api.containers(all=True) if marker in str(c.get("Command"))]
    assert left == []
    assert not engine.images.list(name=unique_tag("fails"))


def test_no_engine_gives_one_line(
    ip: Any, seed_context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # discard port: nothing listens
    forget_clients()
    try:
        with pytest.raises(EngineUnavailable) as caught:
            build(ip, "-t nothing .")
        rendered = caught.value._render_traceback_()
        assert len(rendered) == 1
        assert "DOCKER_HOST=tcp://127.0.0.1:9" in rendered[0]
        assert "Connection refused" in rendered[0]
        assert (seed_context / "Dockerfile").is_file()
    finally:
        monkeypatch.undo()
        forget_clients()


def test_image_list_and_history_through_the_kit(engine: Any, ip: Any, seed_context: Path) -> None:
    tag = unique_tag("history")
    build(ip, f"-t {tag} -q .")
    listing = ip.run_line_magic("docker_images", "")
    repositories = {row[0] for row in listing.rows}
    assert tag in repositories
    assert "python" not in repositories  # not the learner's: counted in a line under it
    assert "not yours" in repr(listing)
    base = ip.run_line_magic("docker_images", "python")  # a pattern lists base images too
    assert "python" in {row[0] for row in base.rows}
    assert "IMAGE ID" in repr(listing)

    stack = ip.run_line_magic("docker_history", tag)
    assert stack.base_image == "python:3.13-alpine"
    own = [layer.created_by for layer in stack.own_layers]
    assert own[0].startswith("COPY file:")
    # Docker prints the JSON array back its own way, buildah keeps the Dockerfile's text
    assert own[1] == ('CMD ["python","app.py"]' if is_podman(engine) else 'CMD ["python" "app.py"]')
    assert own[2] == "RUN pip install flask"
    assert stack.layers[1].empty  # CMD adds no files
    assert stack.layers[2].size_bytes > 1_000_000  # flask and friends
    engine_history = engine.api.history(f"{tag}:latest")
    kit_keys = ("kit", "session", "owner", "test")
    kit_label_entries = sum(
        any(
            f"LABEL {name}=" in h["CreatedBy"]
            for key in kit_keys
            for name in (f"org.layerlab.{key}", f'"org.layerlab.{key}"')  # Docker, Podman
        )
        for h in engine_history
    )
    assert len(stack) == len(engine_history) - kit_label_entries

    base = ip.run_line_magic("docker_history", "python:3.13-alpine")
    assert len(base) == len(stack.base_layers)
    assert not base.own_layers or base.base_image is None
