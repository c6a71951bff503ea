"""``check.nothing_left()`` with no arguments sees what this kernel made, on the real engine,
as a single user and as a JupyterHub learner, with both builders: it FAILS while an image
name, a nameless image left by a rebuild, or a container is still there, and passes once
they are gone. Images carry no per-kernel label, so a new session still builds from cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from layerlab import api, check, engine_ops, names, session
from layerlab.engine import LABEL_SESSION
from tests.conftest import BASE_IMAGE, TEST_RUN, new_kernel

pytestmark = pytest.mark.integration

LEARNERS = [None, "Marie.Curie+left@example.org"]


@pytest.fixture(params=LEARNERS, ids=["single-user", "hub-learner"])
def learner(request: pytest.FixtureRequest, ip: Any, monkeypatch: pytest.MonkeyPatch) -> str | None:
    if request.param is None:
        monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    else:
        monkeypatch.setenv("JUPYTERHUB_USER", request.param)
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> session.Session:
    """A kernel's session that has made nothing yet."""
    fresh: session.Session = new_kernel(monkeypatch)
    return fresh


def _dockerfile(workdir: Path, value: str) -> None:
    (workdir / "Dockerfile").write_text(
        f'FROM {BASE_IMAGE}\nLABEL org.layerlab.test-left="{value}"\n', encoding="utf-8"
    )


def _said(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


@pytest.mark.usefixtures("fresh_session")
@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_nothing_left_fails_on_each_kind_of_leftover(
    engine: Any,
    workdir: Path,
    learner: str | None,
    builder: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    short = f"left-{builder}-{TEST_RUN}"
    assert check.nothing_left()  # nothing made yet
    _dockerfile(workdir, f"{TEST_RUN}-1")
    first = api.build(workdir, tags=[short], builder=builder)
    on_engine = names.to_engine(f"{short}:latest")
    if learner:
        assert on_engine != f"{short}:latest"
    assert engine.images.get(on_engine).id == first.image_id
    assert LABEL_SESSION not in engine.images.get(on_engine).labels

    # a name the session gave
    _said(capsys)
    assert not check.nothing_left()
    said = _said(capsys)
    assert f"{short}:latest" in said  # as the learner typed it
    if learner:
        assert f"{names.namespace()}/" not in said

    # a rebuild moves the name on: the first image is left with no name
    _dockerfile(workdir, f"{TEST_RUN}-2")
    second = api.build(workdir, tags=[short], builder=builder)
    assert second.image_id != first.image_id
    engine_ops.rmi(short)
    assert not check.nothing_left()
    assert first.short_id in _said(capsys)
    assert first.image_id
    engine_ops.rmi(first.image_id)
    assert check.nothing_left(), _said(capsys)

    # a name given with %docker tag, then a container run from the base image
    api.build(workdir, tags=[short], builder=builder)
    engine_ops.tag(short, f"{short}:tagged")
    engine_ops.rmi(short)
    assert not check.nothing_left()
    assert f"{short}:tagged" in _said(capsys)
    engine_ops.rmi(f"{short}:tagged")
    run = engine_ops.run(BASE_IMAGE, ["true"], detach=False)
    assert not check.nothing_left()
    assert run.name in _said(capsys)
    engine_ops.rm(run.name)
    assert check.nothing_left(), _said(capsys)


def test_a_new_session_builds_from_cache_and_has_made_nothing(
    engine: Any, workdir: Path, learner: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = f"left-cache-{TEST_RUN}"
    _dockerfile(workdir, f"{TEST_RUN}-cache")
    new_kernel(monkeypatch)
    first = api.build(workdir, tags=[short], builder="classic")
    new_kernel(monkeypatch)  # another kernel
    again = api.build(workdir, tags=[short], builder="classic")
    assert again.image_id == first.image_id
    assert all(step.cached for step in again.steps if step.status != "base")
    engine_ops.rmi(short)
    assert check.nothing_left()
    assert not engine.images.list(name=names.to_engine(short))


def test_other_learners_leftovers_are_not_mine(
    engine: Any, learner: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = {"org.layerlab.lab": f"left-{TEST_RUN}"}
    monkeypatch.setenv("JUPYTERHUB_USER", f"other-{TEST_RUN}")
    theirs = engine_ops.run(BASE_IMAGE, ["sleep", "60"], labels=lab)
    try:
        if learner is None:
            monkeypatch.delenv("JUPYTERHUB_USER")
        else:
            monkeypatch.setenv("JUPYTERHUB_USER", learner)
        assert check.nothing_left(lab)  # the other learner's container is not a leftover
        engine_ops.remove_leftovers(lab)  # and a lab's first cell leaves it alone
        assert engine.containers.get(theirs.id).status == "running"
    finally:
        engine.containers.get(theirs.id).remove(force=True)
