"""The BuildKit probe on this machine's real docker CLIs and engine.

``/usr/bin/docker`` is Debian's 20.10 client (BuildKit built in); the ``docker`` first on
PATH is a 28.x client without buildx, which cannot build with BuildKit at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from layerlab.builders import buildkit, probe

pytestmark = pytest.mark.integration

DEBIAN_CLI = "/usr/bin/docker"


def test_real_clis_are_told_apart_and_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docker_client: Any
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first_on_path = shutil.which("docker")
    assert first_on_path is not None
    assert Path(first_on_path).resolve() != Path(DEBIAN_CLI).resolve(), (
        "this test needs the 28.x client first on PATH and the 20.10 one in /usr/bin"
    )
    engine = buildkit._engine_identity()
    assert engine is not None, "the engine did not answer"
    assert docker_client.version()["Version"] in engine

    debian = buildkit.remembered_probe(DEBIAN_CLI, engine)
    assert debian.cli == buildkit.BuildKitCli(DEBIAN_CLI, debian.client_version or "?")
    assert (debian.client_version or "").startswith("20.10")
    assert debian.cli.mode == "builtin"

    newer = buildkit.remembered_probe(first_on_path, engine)
    assert newer.cli is None
    assert (newer.client_version or "").startswith("28.")
    assert "no buildx" in newer.reason

    entries = probe.lookup(DEBIAN_CLI, engine), probe.lookup(first_on_path, engine)
    assert all(entry is not None for entry in entries)

    # the next kernel: the answers come from the file, no CLI is run
    def no_cli(*args: object, **kwargs: object) -> tuple[int, str]:
        pytest.fail(f"the CLI was run again: {args}")

    monkeypatch.setattr(buildkit, "_run", no_cli)
    again = [buildkit.remembered_probe(cli, engine) for cli in (first_on_path, DEBIAN_CLI)]
    assert again == [newer, debian]

    cli, _ = buildkit.detect(
        [first_on_path, DEBIAN_CLI], lambda e: buildkit.remembered_probe(e, engine)
    )
    assert cli == debian.cli
