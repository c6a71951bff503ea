"""Classroom features on the real engine: per-learner cleanup, doctor, bundles, limits."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from layerlab import api, bundles, classroom
from layerlab.config import settings
from layerlab.doctor import diagnose
from layerlab.engine import LABEL_OWNER, kit_labels
from layerlab.errors import BuildFailed, LimitReached
from layerlab.image_list import images
from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag

pytestmark = pytest.mark.integration


@pytest.fixture
def ip(ip: Any) -> Any:
    """The test shell with the classroom magics (registered here until layerlab.magics
    registers them itself)."""
    from layerlab.magics.classroom import ClassroomMagics

    if ip.find_line_magic("docker_cleanup") is None:
        ip.register_magics(ClassroomMagics(ip))
    return ip


def tiny_context(folder: Path, text: str, base: str = BASE_IMAGE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "note.txt").write_text(text, encoding="utf-8")
    (folder / "Dockerfile").write_text(f"FROM {base}\nCOPY note.txt /note.txt\n", encoding="utf-8")
    return folder


def build_as(monkeypatch: pytest.MonkeyPatch, learner: str, context: Path, tag: str) -> Any:
    monkeypatch.setenv("JUPYTERHUB_USER", learner)
    return api.build(context, tags=[tag], builder="classic", notify=lambda _: None)


def assert_scoped_to_this_test_run() -> None:
    # cleanup removes what carries the extra labels: never run it unscoped on a shared engine
    assert settings().extra_labels == {TEST_LABEL: TEST_RUN}


def test_cleanup_for_one_learner_leaves_another_intact(
    engine: Any, ip: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # names no other test of this run uses (the hub tests have alice and bob learners too)
    alice, bob = f"carol-{TEST_RUN}", f"dave-{TEST_RUN}"
    tag = unique_tag("hello")
    alice_build = build_as(monkeypatch, alice, tiny_context(workdir / "a", "alice"), tag)
    bob_build = build_as(monkeypatch, bob, tiny_context(workdir / "b", "bob"), tag)
    assert alice_build.tags == bob_build.tags == [f"{tag}:latest"]
    assert alice_build.engine_tags == [f"{alice}/{tag}:latest"]
    assert bob_build.engine_tags == [f"{bob}/{tag}:latest"]
    assert alice_build.image_id != bob_build.image_id

    # a stopped container of alice's, labelled as the kit labels everything
    monkeypatch.setenv("JUPYTERHUB_USER", alice)
    container = engine.api.create_container(
        alice_build.image_id, "true", labels=kit_labels({TEST_LABEL: TEST_RUN})
    )

    # bob sees his own image under the short name, and not alice's
    monkeypatch.setenv("JUPYTERHUB_USER", bob)
    bob_rows = images(tag).records
    assert [row["id"] for row in bob_rows] == [bob_build.image_id]
    assert {row["repository"] for row in images().records} >= {tag}
    assert all(row["labels"].get(LABEL_OWNER) in (None, bob) for row in images().records)

    # alice's dry run lists only her things, and removes nothing
    monkeypatch.setenv("JUPYTERHUB_USER", alice)
    assert_scoped_to_this_test_run()
    preview = ip.run_line_magic("docker_cleanup", "--dry-run")
    assert {item.id for item in preview.images} == {alice_build.image_id}
    assert {item.id for item in preview.containers} == {container["Id"]}
    assert "Would remove 1 container and 1 image" in preview.summary()
    engine.images.get(alice_build.image_id)

    report = ip.run_line_magic("docker_cleanup", "")
    assert report.ok
    assert {item.owner for item in report.removed} == {alice}
    assert not engine.api.containers(all=True, filters={"id": container["Id"]})
    assert not engine.images.list(filters={"label": f"{LABEL_OWNER}={alice}"})
    # bob's image is untouched, under his tag
    assert engine.images.get(f"{bob}/{tag}:latest").id == bob_build.image_id

    # the instructor's form: one named learner, from outside their session
    monkeypatch.delenv("JUPYTERHUB_USER")
    assert classroom.cleanup(bob, dry_run=True).images[0].id == bob_build.image_id
    young = classroom.cleanup(bob, older_than_hours=1)
    assert young.removed == []  # just built: not older than an hour
    assert classroom.cleanup(bob).images[0].id == bob_build.image_id
    assert not engine.images.list(filters={"label": f"{LABEL_OWNER}={bob}"})


def test_doctor_on_the_real_engine(engine: Any, ip: Any) -> None:
    report = ip.run_line_magic("layerlab_doctor", "")
    version = engine.version()
    assert report.ok, report.text()
    assert f"API {version['ApiVersion']}" in report.check("Docker Engine").detail
    assert report.check("Base images").status == "ok"
    assert report.check("Engine disk").status in ("ok", "warn")
    assert "classic" in report.check("Builders").detail
    assert "The labs can run here." in report.text()
    assert "<table>" in report._repr_html_()

    missing = diagnose(base_images=(BASE_IMAGE, f"layerlab-absent-{TEST_RUN}:1"))
    assert not missing.ok
    assert missing.check("Base images").status == "fail"
    assert f"layerlab-absent-{TEST_RUN}:1" in missing.check("Base images").detail
    assert "layerlab images load" in missing.text()


def test_bundle_save_and_load_round_trip(engine: Any, ip: Any, workdir: Path) -> None:
    tag = unique_tag("bundle")
    context = tiny_context(workdir / "ctx", "in a bundle", base="scratch")
    built = api.build(context, tags=[tag], builder="classic", notify=lambda _: None)
    seen: list[tuple[int, int]] = []
    saved = bundles.save(workdir / "labs.tar", [f"{tag}:latest"], lambda d, t: seen.append((d, t)))
    assert saved.size_bytes == (workdir / "labs.tar").stat().st_size > 0
    assert seen[-1][0] == saved.size_bytes
    assert not (workdir / "labs.tar.partial").exists()

    engine.images.remove(f"{tag}:latest")
    with pytest.raises(Exception, match=r"No such image|not found"):
        engine.images.get(built.image_id)

    progress: list[tuple[int, int]] = []
    loaded = bundles.load(workdir / "labs.tar", lambda d, t: progress.append((d, t)))
    assert loaded.images == [f"{tag}:latest"]
    assert progress[-1] == (saved.size_bytes, saved.size_bytes)
    image = engine.images.get(f"{tag}:latest")
    assert image.id == built.image_id
    assert image.labels[TEST_LABEL] == TEST_RUN  # so teardown finds it again


def test_build_timeout_stops_the_build_and_leaves_no_container(
    engine: Any, ip: Any, workdir: Path
) -> None:
    marker = f"layerlab-timeout-{TEST_RUN}"
    (workdir / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN sleep 60 && echo {marker}\n", encoding="utf-8"
    )
    settings().build_timeout_s = 3
    started = time.monotonic()
    with pytest.raises(BuildFailed, match="3s limit") as caught:
        api.build(workdir, tags=[unique_tag("timeout")], builder="classic", notify=lambda _: None)
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"the build ran {elapsed:.1f}s past a 3 s limit"
    assert caught.value.result.status == "interrupted"

    def leftovers() -> list[Any]:
        return [c for c in engine.api.containers(all=True) if marker in str(c.get("Command", ""))]

    deadline = time.monotonic() + 10
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert leftovers() == []


def test_max_containers_counts_the_learners_running_containers(
    engine: Any, ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    learner = f"carol-{TEST_RUN}"
    monkeypatch.setenv("JUPYTERHUB_USER", learner)
    config = settings()
    config.max_containers = 1
    config.allowed_ports = "5000-5099"
    classroom.check_run([5001])
    container = engine.containers.run(
        BASE_IMAGE,
        ["sleep", "30"],
        detach=True,
        labels=kit_labels({TEST_LABEL: TEST_RUN}),
    )
    try:
        assert classroom.running_containers() == 1
        assert classroom.running_containers(f"dave-{TEST_RUN}") == 0
        with pytest.raises(LimitReached, match="most this class allows is 1"):
            classroom.check_run([5002])
    finally:
        container.remove(force=True)
    with pytest.raises(LimitReached, match="port 8080 is outside"):
        classroom.check_run_allowed([8080], classroom.running_containers())
