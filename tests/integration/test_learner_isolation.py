"""Two learners on one engine: the kit's commands leave the other learner's things alone,
and ``layerlab doctor`` counts the engine's disk as the engine does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from layerlab import engine_ops
from layerlab.doctor import diagnose
from layerlab.errors import LayerlabError
from layerlab.names import namespace_for
from tests.conftest import TEST_RUN

pytestmark = pytest.mark.integration

BOB = f"bob-{TEST_RUN}"
ALICE = f"alice-{TEST_RUN}"


def _build_as(ip: Any, monkeypatch: pytest.MonkeyPatch, workdir: Path, user: str) -> str:
    monkeypatch.setenv("JUPYTERHUB_USER", user)
    (workdir / "Dockerfile").write_text(
        f'FROM python:3.13-alpine\nLABEL probe="{user}"\nCMD ["sleep", "30"]\n', encoding="utf-8"
    )
    result = ip.run_line_magic("docker_build", "--builder classic -q -t nsprobe .")
    assert result.engine_tags == [f"{namespace_for(user)}/nsprobe:latest"]
    return str(result.image_id)


def test_a_learner_cannot_remove_or_push_another_learners_image(
    engine: Any, ip: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob_image = _build_as(ip, monkeypatch, workdir, BOB)
    alice_image = _build_as(ip, monkeypatch, workdir, ALICE)  # alice is the learner now
    bobs = f"{BOB}/nsprobe"

    for line in (f"rmi {bobs}", f"rmi -f {bobs}", f"rmi {bob_image}", f"push {bobs}"):
        with pytest.raises(LayerlabError) as caught:
            ip.run_line_magic("docker", line)
        rendered = caught.value._render_traceback_()
        assert len(rendered) == 1, rendered
        assert f"belongs to {BOB}, another learner" in rendered[0], line
        assert engine.images.get(f"{bobs}:latest").id == bob_image

    # her own image, under the same short name, goes as usual
    lines = engine_ops.rmi("nsprobe")
    assert f"Untagged: {ALICE}/nsprobe:latest" in lines
    assert not engine.images.list(name=f"{ALICE}/nsprobe")
    assert alice_image != bob_image
    assert engine.images.get(f"{bobs}:latest").id == bob_image

    # a name alice gives to bob's image is hers: removing it only removes her name
    engine_ops.tag(bobs, "copy-of-bob")
    assert engine_ops.rmi("copy-of-bob") == [f"Untagged: {ALICE}/copy-of-bob:latest"]
    assert engine.images.get(f"{bobs}:latest").id == bob_image


def test_a_learner_cannot_stop_or_remove_another_learners_container(
    engine: Any, ip: Any, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build_as(ip, monkeypatch, workdir, BOB)
    bobs_run = engine_ops.run("nsprobe", name=f"web-{BOB}")
    monkeypatch.setenv("JUPYTERHUB_USER", ALICE)
    # alice sees bob's container under the engine's name (his namespace in front)
    bobs = f"{namespace_for(BOB)}.web-{BOB}"
    assert bobs in {row["name"] for row in engine_ops.ps().records}
    for line in (f"stop {bobs}", f"kill {bobs}", f"rm -f {bobs}"):
        with pytest.raises(LayerlabError, match=f"belongs to {BOB}, another learner"):
            ip.run_line_magic("docker", line)
    assert engine.containers.get(bobs_run.id).status == "running"

    monkeypatch.setenv("JUPYTERHUB_USER", BOB)  # bob himself may
    assert engine_ops.rm(f"web-{BOB}", force=True) == [f"web-{BOB}"]


_UNITS = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def _bytes(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)\s*([kKMGT]?B)", text.strip())
    assert match, text
    return float(match[1]) * _UNITS[match[2]]


def _cli_images_size() -> float:
    """The SIZE of the Images row of ``docker system df``."""
    out = subprocess.run(
        ["/usr/bin/docker", "system", "df", "--format", "{{.Type}}\t{{.Size}}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    row = next(line for line in out.splitlines() if line.startswith("Images\t"))
    return _bytes(row.split("\t")[1])


def test_doctor_counts_image_disk_as_docker_system_df(engine: Any, ip: Any, workdir: Path) -> None:
    # two images on one base: the base's layers are on disk once, listed twice
    for probe in ("a", "b"):
        (workdir / "Dockerfile").write_text(
            f'FROM python:3.13-slim\nLABEL probe="{probe}-{TEST_RUN}"\n', encoding="utf-8"
        )
        ip.run_line_magic("docker_build", f"--builder classic -q -t doctor-{probe}-{TEST_RUN} .")

    before = _cli_images_size()
    detail = diagnose().check("Engine disk").detail
    after = _cli_images_size()
    match = re.search(r"images ([\d.]+ [kMG]?B)", detail)
    assert match, detail
    doctor = _bytes(match[1])
    # both figures are rounded (docker: 4 digits, the kit: 0.1 unit); other users of the
    # engine may add images between the calls
    slack = 0.01 * max(before, after) + 0.05 * _UNITS[match[1].split()[1]]
    assert min(before, after) - slack <= doctor <= max(before, after) + slack, (detail, before)

    # the old way (the images' sizes summed) is far off here: the test can tell them apart
    summed = sum(int(image.get("Size") or 0) for image in engine.api.df()["Images"])
    slim = engine.images.get("python:3.13-slim").attrs["Size"]
    assert summed - after > 2 * slim * 0.9
