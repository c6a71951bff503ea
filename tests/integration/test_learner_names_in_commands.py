"""On a shared engine the learner types short names in every command, not only builds:
%docker run/tag/push/rmi find the learner's own image, and the limits apply to %docker run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from layerlab import engine_ops
from layerlab.errors import LimitReached
from tests.conftest import TEST_RUN

pytestmark = pytest.mark.integration


@pytest.fixture
def learner(ip: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"learner-{TEST_RUN}"
    monkeypatch.setenv("JUPYTERHUB_USER", name)
    return name


def test_short_names_reach_the_learners_own_image(
    engine: Any, ip: Any, workdir: Path, learner: str
) -> None:
    (workdir / "Dockerfile").write_text(
        'FROM python:3.13-alpine\nCMD ["python", "-c", "print(42)"]\n', encoding="utf-8"
    )
    short = f"answer-{TEST_RUN}"
    result = ip.run_line_magic("docker_build", f"--builder classic -q -t {short} .")
    assert result.tags == [f"{short}:latest"]
    assert result.engine_tags == [f"{learner}/{short}:latest"]
    assert engine.images.get(f"{learner}/{short}:latest").id == result.image_id
    assert not engine.images.list(name=short)  # nothing under the bare name

    listed = {f"{row[0]}:{row[1]}" for row in ip.run_line_magic("docker_images", "").rows}
    assert f"{short}:latest" in listed

    output = engine_ops.run(short, detach=False, remove=True)
    assert (output.output or "").strip() == "42"

    tagged = engine_ops.tag(short, f"{short}:v2")
    assert tagged == f"{short}:v2"
    assert engine.images.get(f"{learner}/{short}:v2").id == result.image_id

    lines = engine_ops.rmi([f"{short}:v2", short])
    assert any("Untagged" in line for line in lines)
    assert not engine.images.list(name=f"{learner}/{short}")


def test_port_and_container_limits_apply_to_docker_run(engine: Any, ip: Any, learner: str) -> None:
    ip.run_line_magic("config", "Layerlab.allowed_ports = '5000-5099'")
    with pytest.raises(LimitReached) as caught:
        engine_ops.run("python:3.13-alpine", ["sleep", "30"], publish=["6001:5000"])
    assert len(caught.value._render_traceback_()) == 1
    assert "6001" in str(caught.value)
    assert not engine.containers.list(all=True, filters={"label": f"org.layerlab.owner={learner}"})


@pytest.mark.parametrize("user", ["alice", "Marie.Curie@example.org", "élève-01"])
def test_patterns_and_checks_use_the_learners_names(
    engine: Any, ip: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    from layerlab import check, image_list, names

    (workdir / "Dockerfile").write_text(
        f'FROM python:3.13-alpine\nLABEL org.layerlab.test-names="{TEST_RUN}"\n', encoding="utf-8"
    )
    short = f"nsprobe-{TEST_RUN}"
    # another learner built the same short name first
    monkeypatch.setenv("JUPYTERHUB_USER", f"other-{TEST_RUN}")
    theirs = ip.run_line_magic("docker_build", f"--builder classic -q -t {short}:theirs .")
    monkeypatch.setenv("JUPYTERHUB_USER", user)
    mine = ip.run_line_magic("docker_build", f"--builder classic -q -t {short} .")
    assert mine.engine_tags == [f"{names.namespace()}/{short}:latest"]

    # a pattern matches inside the namespace, lists short names, and never raises
    listing = ip.run_line_magic("docker_images", f"{short[:8]}*")
    listed = {f"{row['repository']}:{row['tag']}" for row in listing}
    assert listed == {f"{short}:latest"}, listed
    assert theirs.image_id not in {row["id"] for row in listing}
    bases = {f"{row['repository']}:{row['tag']}" for row in image_list.images("python*")}
    assert "python:3.13-alpine" in bases
    assert not [name for name in bases if "/" in name]

    # every check finds the learner's image under the name they typed
    assert check.image_exists(short)
    assert check.image_smaller_than(short, 10_000)
    assert check.image_has_label(short, "org.layerlab.test-names", TEST_RUN)
    assert check.layers_shared(short, "python:3.13-alpine")
    info = engine_ops.image_info(short)
    assert info is not None
    assert info.id == mine.image_id
    assert info.tags == (f"{short}:latest",)
    assert engine_ops.image_info(f"{short}:theirs") is None  # not the learner's name
    engine_ops.rmi(short)
    assert not check.image_exists(short)
