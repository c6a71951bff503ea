"""The cache explainer's memory across kernels: what is stored comes back equal, bounded,
and a broken file is no memory at all (never an error)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerlab import fingerprint_store
from layerlab.cache import BaseImage, Fingerprint, StepPrint

if TYPE_CHECKING:
    from pathlib import Path


def fingerprint(context: str = "/work/lab01", builder: str = "buildkit") -> Fingerprint:
    return Fingerprint(
        context=context,
        dockerfile="/work/lab01/Dockerfile",
        builder=builder,
        status="succeeded",
        instructions=("FROM python:3.13-alpine", "ARG MODE", "COPY app.py /app.py"),
        build_args={"MODE": "dev"},
        no_cache=False,
        steps=(
            StepPrint(1, "", "#1", 0, "FROM python:3.13-alpine", "base", line=1),
            StepPrint(
                2,
                "",
                "#1",
                1,
                "COPY app.py /app.py",
                "built",
                files={"app.py": "sha256:ab"},
                line=3,
                definitions=(("ARG", "MODE", None), ("ENV", "X", "é")),
            ),
        ),
        bases={"#1": BaseImage("python:3.13-alpine", "b1396721"), "#2": BaseImage("x", None)},
    )


def test_a_stored_fingerprint_comes_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    stored = fingerprint()
    fingerprint_store.save(stored, path)
    loaded = fingerprint_store.load(stored.context, stored.dockerfile, stored.builder, path)
    assert loaded == stored
    assert fingerprint_store.load(stored.context, stored.dockerfile, "classic", path) is None


def test_the_latest_build_of_a_dockerfile_replaces_the_earlier_one(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    fingerprint_store.save(fingerprint(), path)
    newer = fingerprint()
    newer = Fingerprint(**{**newer.__dict__, "status": "failed"})
    fingerprint_store.save(newer, path)
    loaded = fingerprint_store.load(newer.context, newer.dockerfile, newer.builder, path)
    assert loaded is not None
    assert loaded.status == "failed"


def test_the_store_keeps_the_most_recent_dockerfiles_only(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    count = fingerprint_store.MAX_ENTRIES + 5
    for index in range(count):
        fingerprint_store.save(fingerprint(context=f"/work/{index}"), path)
    kept = [
        index
        for index in range(count)
        if fingerprint_store.load(f"/work/{index}", "/work/lab01/Dockerfile", "buildkit", path)
    ]
    assert kept == list(range(5, count))


def test_a_broken_store_is_no_memory_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    for text in ("", "{not json", '{"format": 1, "entries": {"x": 1}}', '{"format": 99}'):
        path.write_text(text, encoding="utf-8")
        assert fingerprint_store.load("x", "y", "z", path) is None
    entry = fingerprint_store.to_data(fingerprint())
    del entry["steps"][0]["stage_key"]
    path.write_text(
        '{"format": 1, "entries": {"/work/lab01\\n/work/lab01/Dockerfile\\nbuildkit": '
        + __import__("json").dumps(entry)
        + "}}",
        encoding="utf-8",
    )
    assert fingerprint_store.load("/work/lab01", "/work/lab01/Dockerfile", "buildkit", path) is None
    fingerprint_store.save(fingerprint(), path)  # and it is simply written anew
    assert fingerprint_store.load("/work/lab01", "/work/lab01/Dockerfile", "buildkit", path)


def test_an_unwritable_store_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    fingerprint_store.save(fingerprint(), blocker / "store.json")  # its folder is a file
    assert fingerprint_store.load("/work/lab01", "x", "buildkit", blocker / "store.json") is None
