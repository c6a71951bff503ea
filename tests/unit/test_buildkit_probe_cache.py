"""The BuildKit probe's answers, remembered per CLI binary and engine across kernels.

Stand-in ``docker`` executables (fault injection, no engine) count how often they are
asked; the cache lives in a temporary ``XDG_CACHE_HOME``.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from layerlab.builders import buildkit, probe

ENGINE = "unix:///var/run/docker.sock||20.10.24|1.41|Engine 20.10.24"


def counting_docker(folder: Path, *, client: str, server_api: str = "1.41") -> Path:
    """A ``docker`` that answers the version queries and logs every call to ``calls``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{folder}/calls"\n'
        f'if [ "$1" = version ]; then echo "{client}|{server_api}|Engine,containerd,"; '
        "exit 0; fi\n"
        'if [ "$1" = buildx ]; then echo "docker: \'buildx\' is not a docker command." >&2; '
        "exit 1; fi\n"
        'echo "trial builds are not expected here" >&2; exit 1\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def calls(docker: Path) -> list[str]:
    log = docker.parent / "calls"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    return tmp_path / "xdg" / "layerlab" / probe.FILE_NAME


def test_the_cache_file_is_in_the_xdg_cache_folder(cache_home: Path) -> None:
    assert probe.cache_file() == cache_home


def test_a_20_10_client_on_a_docker_engine_is_usable_from_queries_alone(tmp_path: Path) -> None:
    docker = counting_docker(tmp_path / "a", client="20.10.24+dfsg1")
    found = buildkit.probe_cli(str(docker))
    assert found.cli == buildkit.BuildKitCli(str(docker), "20.10.24+dfsg1")
    assert [call.split()[0] for call in calls(docker)] == ["version", "buildx"]


def test_a_second_kernel_gets_the_answer_without_running_the_cli(
    tmp_path: Path, cache_home: Path
) -> None:
    docker = counting_docker(tmp_path / "a", client="20.10.24")
    first = buildkit.remembered_probe(str(docker), ENGINE)
    asked = len(calls(docker))
    assert asked == 2
    assert cache_home.exists()
    again = buildkit.remembered_probe(str(docker), ENGINE)
    assert again == first
    assert again.cli is not None
    assert len(calls(docker)) == asked  # a cache hit: the CLI was not run


def test_a_changed_binary_is_probed_again(tmp_path: Path) -> None:
    docker = counting_docker(tmp_path / "a", client="20.10.24")
    assert buildkit.remembered_probe(str(docker), ENGINE).cli is not None
    # the CLI is upgraded in place: another version, another size and mtime
    (tmp_path / "a" / "calls").unlink()
    counting_docker(tmp_path / "a", client="28.2.2")
    later = docker.stat().st_mtime_ns + 5_000_000_000
    os.utime(docker, ns=(later, later))
    upgraded = buildkit.remembered_probe(str(docker), ENGINE)
    assert upgraded.cli is None
    assert upgraded.client_version == "28.2.2"
    assert calls(docker)  # probed again


def test_another_engine_is_probed_again(tmp_path: Path) -> None:
    docker = counting_docker(tmp_path / "a", client="20.10.24")
    buildkit.remembered_probe(str(docker), ENGINE)
    asked = len(calls(docker))
    buildkit.remembered_probe(str(docker), ENGINE.replace("20.10.24", "24.0.7"))
    assert len(calls(docker)) == 2 * asked


def test_installing_buildx_invalidates_the_answer(tmp_path: Path) -> None:
    docker = counting_docker(tmp_path / "a", client="20.10.24")
    buildkit.remembered_probe(str(docker), ENGINE)
    asked = len(calls(docker))
    plugin = tmp_path / "docker-config" / "cli-plugins" / "docker-buildx"
    plugin.parent.mkdir(parents=True)
    plugin.write_text("#!/bin/sh\n", encoding="utf-8")
    buildkit.remembered_probe(str(docker), ENGINE)
    assert len(calls(docker)) == 2 * asked


def test_no_engine_means_no_caching(tmp_path: Path, cache_home: Path) -> None:
    docker = counting_docker(tmp_path / "a", client="20.10.24")
    buildkit.remembered_probe(str(docker), None)
    buildkit.remembered_probe(str(docker), None)
    assert len(calls(docker)) == 4
    assert not cache_home.exists()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        "[]",
        '{"format": 1, "entries": []}',
        '{"format": 999, "entries": {}}',
        "\x00\x01garbage",
    ],
)
def test_a_corrupt_cache_file_counts_as_empty_and_is_rewritten(
    tmp_path: Path, cache_home: Path, content: str
) -> None:
    cache_home.parent.mkdir(parents=True)
    cache_home.write_text(content, encoding="utf-8")
    docker = counting_docker(tmp_path / "a", client="20.10.24")
    assert buildkit.remembered_probe(str(docker), ENGINE).cli is not None
    data = json.loads(cache_home.read_text(encoding="utf-8"))
    assert data["format"] == probe.FORMAT
    assert str(docker.resolve()) in data["entries"]


def test_a_corrupt_entry_is_probed_again(tmp_path: Path, cache_home: Path) -> None:
    docker = counting_docker(tmp_path / "a", client="20.10.24")
    buildkit.remembered_probe(str(docker), ENGINE)
    data = json.loads(cache_home.read_text(encoding="utf-8"))
    data["entries"][str(docker.resolve())]["answer"]["mode"] = "warp-drive"
    cache_home.write_text(json.dumps(data), encoding="utf-8")
    asked = len(calls(docker))
    assert buildkit.remembered_probe(str(docker), ENGINE).cli is not None
    assert len(calls(docker)) == 2 * asked


def test_an_unwritable_cache_folder_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    docker = counting_docker(tmp_path / "a", client="20.10.24")
    assert buildkit.remembered_probe(str(docker), ENGINE).cli is not None


def test_concurrent_writers_leave_a_whole_file(tmp_path: Path, cache_home: Path) -> None:
    """Kernels writing at once: every read sees a complete file, one entry per CLI."""
    answer = {"client_version": "20.10.24", "buildx_version": None, "mode": "builtin"}
    executables = [counting_docker(tmp_path / f"d{n}", client="20.10.24") for n in range(4)]
    errors: list[BaseException] = []

    def write(executable: Path) -> None:
        try:
            for _ in range(25):
                probe.store(str(executable), ENGINE, answer)
                json.loads(cache_home.read_text(encoding="utf-8"))  # never half a file
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(e,)) for e in executables]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = json.loads(cache_home.read_text(encoding="utf-8"))["entries"]
    assert set(entries) <= {str(e.resolve()) for e in executables}
    assert not [p for p in cache_home.parent.iterdir() if p.name != probe.FILE_NAME]
