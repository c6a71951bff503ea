"""Every exercise check, against a right answer and a wrong one, on the real engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from layerlab import api, check, engine_ops, i18n
from layerlab.build import BuildResult
from layerlab.config import settings
from tests.conftest import APP_PY, BASE_IMAGE, SEED_DOCKERFILE, TEST_LABEL, TEST_RUN, unique_tag

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seed_build(
    tmp_path_factory: pytest.TempPathFactory, docker_client: Any
) -> tuple[Path, BuildResult]:
    """The seed image, built once with the classic builder (test-labelled)."""
    context = tmp_path_factory.mktemp("checks")
    (context / "app.py").write_text(APP_PY, encoding="utf-8")
    (context / "Dockerfile").write_text(
        SEED_DOCKERFILE + 'LABEL lab.check="yes"\n', encoding="utf-8"
    )
    settings().extra_labels = {TEST_LABEL: TEST_RUN}
    result = api.build(
        context, tags=[unique_tag("checks")], builder="classic", notify=lambda _: None
    )
    return context, result


@pytest.fixture
def image(engine: Any, seed_build: tuple[Path, BuildResult]) -> str:
    return seed_build[1].tags[0]


def _said(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out


def test_verdict_prints_once_and_is_truthy_or_falsy(
    image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    right = check.image_exists(image)
    assert right
    assert _said(capsys).startswith("✓ Well done: the image")
    wrong = check.image_exists(unique_tag("missing"))
    assert not wrong
    said = _said(capsys)
    assert said.startswith("✗ Not yet: there is no image")
    assert "%docker_build -t" in said
    assert "Traceback" not in said


def test_verdict_shown_as_cell_value_is_not_repeated(
    ip: Any, image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_cell(
        f"from layerlab import check\nv = check.image_exists({image!r})\nv", store_history=True
    )
    assert _said(capsys).count("Well done") == 1
    ip.run_cell("v", store_history=True)  # a later cell shows it again
    assert _said(capsys).count("Well done") == 1


def test_verdicts_follow_the_language(image: str, capsys: pytest.CaptureFixture[str]) -> None:
    i18n.set_language("fr")
    try:
        assert check.image_exists(image)
        assert _said(capsys).startswith("✓ Bravo\u00a0: l'image")
        assert not check.image_exists(unique_tag("missing"))
        assert "Pas encore" in _said(capsys)
    finally:
        i18n.set_language("en")


def test_image_smaller_than(image: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.image_smaller_than(image, 10_000)
    assert not check.image_smaller_than(image, 1)
    assert "%docker_history" in _said(capsys)


def test_image_has_label(image: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.image_has_label(image, "lab.check", "yes")
    assert check.image_has_label(image, "lab.check")
    assert not check.image_has_label(image, "lab.check", "no")
    assert not check.image_has_label(image, "lab.absent")
    assert 'LABEL lab.absent="..."' in _said(capsys)


def test_steps_cached(
    image: str, seed_build: tuple[Path, BuildResult], capsys: pytest.CaptureFixture[str]
) -> None:
    context, _ = seed_build
    (context / "app.py").write_text(
        APP_PY.replace("hello world!", "hello check!"), encoding="utf-8"
    )
    changed = api.build(context, tags=[image], builder="classic", notify=lambda _: None)
    # the LABEL after COPY is rebuilt too: its starting point changed
    assert check.steps_cached(changed, rebuilt=["COPY", "LABEL"])
    assert "steps 4 (COPY), 5 (LABEL); the other 2 steps came from the cache" in _said(capsys)
    assert not check.steps_cached(changed, rebuilt=["COPY"])
    assert "step 5 (LABEL" in _said(capsys)
    # wrong answers: "nothing was rebuilt", "the RUN step was rebuilt", not a result at all
    assert not check.steps_cached(changed)
    assert "step 4 (COPY app.py /app.py) was rebuilt" in _said(capsys)
    assert not check.steps_cached(changed, rebuilt=["COPY", "RUN"])
    assert "RUN pip install flask) came from the cache" in _said(capsys)
    assert not check.steps_cached("not a result")
    assert "%docker_build" in _said(capsys)
    again = api.build(context, tags=[image], builder="classic", notify=lambda _: None)
    assert check.steps_cached(again)
    assert "came from the cache" in _said(capsys)


def test_container_running_and_answers(image: str, capsys: pytest.CaptureFixture[str]) -> None:
    name = unique_tag("answers")
    started = engine_ops.run(image, name=name, publish=["5000"])
    try:
        port = started.host_port(5000)
        assert port is not None
        assert check.container_running(name)
        assert check.container_answers(port, "hello")
        assert "answers" in _said(capsys)
        assert not check.container_answers(port, "goodbye")
        assert "does not contain 'goodbye'" in _said(capsys)
        assert not check.container_answers(port, "hello", path="/missing")
        assert "HTTP error 404" in _said(capsys)
        engine_ops.stop(name, timeout=0)
        assert not check.container_running(name)
        assert "exists but is stopped" in _said(capsys)
        assert not check.container_answers(port, "hello", timeout=0.5)
        assert "nothing answers" in _said(capsys)
    finally:
        engine_ops.rm(name, force=True)
    assert not check.container_running(name)
    assert "no container called" in _said(capsys)


def test_push_reused_and_in_registry(image: str, capsys: pytest.CaptureFixture[str]) -> None:
    repository = f"{settings().registry}/{unique_tag('check-push')}"
    engine_ops.tag(image, repository)
    try:
        assert not check.in_registry(repository)
        first = engine_ops.push(repository)
        assert check.in_registry(repository)
        again = engine_ops.push(repository)
        assert check.push_reused(again, new_layers=0)
        assert not check.push_reused(first, new_layers=0)
        assert "expected 0 layers sent" in _said(capsys)
        assert not check.push_reused(None)
        assert "push summary" in _said(capsys)
    finally:
        engine_ops.registry_delete(repository)
        engine_ops.rmi(repository)


def test_layers_shared(image: str, docker_client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    base_layers = len(docker_client.images.get(BASE_IMAGE).attrs["RootFS"]["Layers"])
    assert check.layers_shared(image, BASE_IMAGE, at_least=base_layers)
    assert not check.layers_shared(image, BASE_IMAGE, at_least=base_layers + 1)
    assert "expected at least" in _said(capsys)
    assert not check.layers_shared(image, unique_tag("missing"))


def test_nothing_left(image: str, capsys: pytest.CaptureFixture[str]) -> None:
    lab = {"org.layerlab.lab": unique_tag("left")}
    engine_ops.run(image, ["true"], detach=False, labels=lab)
    assert not check.nothing_left(lab)
    assert "still there: container" in _said(capsys)
    engine_ops.remove_leftovers(lab)
    assert check.nothing_left(lab)


def test_a_check_that_cannot_run_still_answers(
    image: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # fault injection: the engine connection breaks while checking
    def broken(*_: object, **__: object) -> None:
        raise ConnectionError("engine went away")

    monkeypatch.setattr(check, "_api", broken)
    verdict = check.image_exists(unique_tag("x"))
    assert not verdict
    assert "could not run (engine went away)" in _said(capsys)
