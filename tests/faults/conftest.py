"""Fixtures for the fault matrix: what the learner *sees*, and a second engine to break.

The shared engine on /var/run/docker.sock is never stopped. Faults that belong to the
daemon (it dies, its socket is stale, its disk is full) are provoked on a second
``dockerd`` started here with its own data root, exec root, socket and cgroup parent, and
killed and removed at the end of the test.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: The tiny base image loaded into second engines (a few MB: sh, sleep, seq, dd, cat).
TINY_BASE = "layerlab-fault-base:1"
_TINY_BINARIES = ("dash", "sleep", "seq", "dd", "cat", "echo", "yes", "head")


# ----------------------------------------------------------------- what the learner sees
def plain(text: str) -> str:
    return _ANSI.sub("", text)


def rendered(exc: BaseException) -> str:
    """The text IPython shows for ``exc`` (its ``_render_traceback_`` hook)."""
    render = getattr(exc, "_render_traceback_", None)
    assert callable(render), f"{type(exc).__name__} would be shown with a full traceback"
    return plain("\n".join(render()))


def assert_short(text: str, max_lines: int = 2) -> None:
    """One or two lines, no traceback: the house rule for a learner's error."""
    lines = [line for line in plain(text).strip().splitlines() if line.strip()]
    assert "Traceback" not in text, text
    assert 1 <= len(lines) <= max_lines, f"{len(lines)} lines:\n{text}"


@dataclass
class CellRun:
    """A cell run through the real IPython shell: did it fail, and what was shown."""

    error: BaseException | None
    shown: str
    value: Any


class Learner:
    """Runs cells in the test shell and checks what a learner would see.

    Handed to the tests as a fixture (test modules do not import this conftest: without
    packages, pytest imports every ``conftest.py`` under the same module name).
    """

    def __init__(self, ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
        self.ip = ip
        self.capsys = capsys
        self.rendered = rendered
        self.assert_short = assert_short
        self.running_in_ids = running_in_ids
        self.wait_containers_gone = wait_containers_gone

    def run(self, code: str) -> CellRun:
        """Run ``code`` as a notebook cell; stdout+stderr as shown, colours removed."""
        self.capsys.readouterr()
        outcome = self.ip.run_cell(code, store_history=False)
        captured = self.capsys.readouterr()
        error = outcome.error_before_exec or outcome.error_in_exec
        return CellRun(error, plain(captured.out + captured.err), outcome.result)

    def next_cell_runs(self) -> None:
        """The kernel is still usable: a Python cell and a magic that asks the engine."""
        after = self.run("1 + 1")
        assert after.error is None, after.shown
        assert after.value == 2
        listing = self.run("%docker_images --all")  # every image: the base ones at least
        assert listing.error is None, listing.shown
        assert len(listing.value) >= 1

    def next_cell_runs_offline(self) -> None:
        """The kernel is still usable, for tests that need no engine."""
        after = self.run("1 + 1")
        assert after.error is None, after.shown
        assert after.value == 2
        written = self.run("%%dockerfile next.Dockerfile\nFROM python:3.13-alpine")
        assert written.error is None, written.shown


@pytest.fixture
def learner(ip: Any, capsys: pytest.CaptureFixture[str]) -> Learner:
    return Learner(ip, capsys)


def running_in_ids(log: str) -> list[str]:
    """Build containers the classic builder named (`` ---> Running in <id>``)."""
    return re.findall(r"Running in ([0-9a-f]{12,64})", log)


def wait_containers_gone(client: Any, ids: list[str], within_s: float = 10.0) -> list[str]:
    """The ids among ``ids`` still on the engine after ``within_s`` seconds."""
    import docker.errors

    deadline = time.monotonic() + within_s
    left = list(ids)
    while left and time.monotonic() < deadline:
        still = []
        for ident in left:
            try:
                client.api.inspect_container(ident)
            except docker.errors.NotFound:
                continue
            still.append(ident)
        left = still
        if left:
            time.sleep(0.2)
    return left


@pytest.fixture
def tag_for(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """``unique_tag`` of tests/conftest.py (the loaded module, so TEST_RUN is shared)."""
    root = Path(__file__).resolve().parent.parent / "conftest.py"
    for plugin in request.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root:
            make: Callable[[str], str] = plugin.unique_tag
            return make
    pytest.fail("tests/conftest.py is not loaded", pytrace=False)


# ----------------------------------------------------------------- a second engine
def tiny_rootfs_tar() -> bytes:
    """A root filesystem made of this machine's dash and coreutils and their libraries."""
    files: dict[str, Path] = {}
    for name in _TINY_BINARIES:
        found = shutil.which(name)
        if found is None:
            pytest.fail(
                f"{name} is missing on this machine (needed for the tiny base)", pytrace=False
            )
        target = "bin/sh" if name == "dash" else f"bin/{name}"
        files[target] = Path(found).resolve()
        ldd = subprocess.run(["ldd", found], capture_output=True, text=True, check=True)
        for library in re.findall(r"(/\S+\.so[.\d]*)", ldd.stdout):
            files[library.lstrip("/")] = Path(library).resolve()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for directory in ("tmp", "etc", "proc", "sys", "dev"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            archive.addfile(info)
        for target, source in sorted(files.items()):
            archive.add(str(source), arcname=target)
    return buffer.getvalue()


@dataclass
class SecondEngine:
    """A private ``dockerd`` for faults that must not touch the shared engine."""

    root: Path
    data_mb: int | None = None
    #: a docker0 bridge inside the engine's own network namespace: BuildKit's RUN needs
    #: one ("network bridge not found" with --bridge=none); the host's is never touched
    bridge: bool = False
    token: str = field(default_factory=lambda: f"layerlab-fault-{uuid.uuid4().hex[:8]}")
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log(self) -> Path:
        return self.root / "dockerd.log"

    def start(self) -> None:
        data, execroot = self.root / "data", self.root / "exec"
        data.mkdir(exist_ok=True)
        execroot.mkdir(exist_ok=True)
        if self.data_mb and not os.path.ismount(data):
            # a small tmpfs data root: the engine's disk can really fill up
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={self.data_mb}m", "tmpfs", str(data)],
                check=True,
            )
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    # its own network namespace: a second dockerd in the host's namespace
                    # deletes the shared engine's docker0 bridge (seen here), breaking
                    # every RUN of the main engine while it runs
                    "unshare",
                    "--net",
                    "--",
                    "dockerd",
                    "--data-root",
                    str(data),
                    "--exec-root",
                    str(execroot),
                    "--pidfile",
                    str(self.root / "docker.pid"),
                    "-H",
                    self.host,
                    *(() if self.bridge else ("--bridge=none",)),
                    "--iptables=false",
                    "--ip-masq=false",
                    f"--cgroup-parent=/{self.token}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.answers():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(
            f"the second dockerd did not start:\n{self.log.read_text()[-2000:]}", pytrace=False
        )

    def answers(self) -> bool:
        import docker

        try:
            with docker.APIClient(base_url=self.host, timeout=5) as api:
                return bool(api.ping())
        except Exception:  # noqa: BLE001 - any failure means "not answering"
            return False

    def client(self) -> Any:
        import docker

        return docker.DockerClient(base_url=self.host, timeout=60)

    def load_tiny_base(self, rootfs: bytes) -> str:
        import docker

        repository, _, tag = TINY_BASE.partition(":")
        with docker.APIClient(base_url=self.host, timeout=60) as api:
            api.import_image_from_data(rootfs, repository=repository, tag=tag)
        return TINY_BASE

    def kill(self) -> None:
        """The daemon dies (SIGKILL, no clean shutdown): its socket file stays behind."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def _stray_pids(self) -> list[int]:
        """Processes of this engine that outlive dockerd: shims, containerd, containers."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cgroups = (entry / "cgroup").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if f"/{self.token}/" in cgroups or str(self.root) in cmdline:
                pids.append(int(entry.name))
        return pids

    def restart(self) -> None:
        """Start the daemon again on the same data, after a crash (as a supervisor would:
        the crashed daemon's shims and containers are killed first)."""
        self.kill()
        self._kill_strays()
        for stale in (
            "containerd/containerd.sock",
            "containerd/containerd.sock.ttrpc",
            "containerd/containerd-debug.sock",
            "containerd/containerd.pid",
        ):
            (self.root / "exec" / stale).unlink(missing_ok=True)
        self.start()

    def _kill_strays(self) -> None:
        for _ in range(50):
            pids = self._stray_pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)

    def remove(self) -> None:
        self.kill()
        self._kill_strays()
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mountpoint in sorted(
            (m for m in mounts if m.startswith(str(self.root))), key=len, reverse=True
        ):
            subprocess.run(["umount", "-l", mountpoint], check=False, capture_output=True)
        for controller in Path("/sys/fs/cgroup").iterdir():
            parent = controller / self.token
            if parent.is_dir():
                for child in parent.iterdir():
                    if child.is_dir():
                        with contextlib.suppress(OSError):
                            child.rmdir()
                with contextlib.suppress(OSError):
                    parent.rmdir()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def tiny_rootfs() -> bytes:
    return tiny_rootfs_tar()


@pytest.fixture
def second_engine_factory() -> Iterator[Callable[..., SecondEngine]]:
    """Start private engines (``data_mb``: a tmpfs data root of that size); all removed."""
    started: list[SecondEngine] = []

    def start(data_mb: int | None = None, *, bridge: bool = False) -> SecondEngine:
        # a short path: unix socket paths are limited to 108 bytes
        root = Path(tempfile.mkdtemp(prefix="llf-", dir="/tmp"))
        engine = SecondEngine(root, data_mb, bridge=bridge)
        started.append(engine)
        engine.start()
        return engine

    yield start
    for engine in started:
        engine.remove()


@pytest.fixture
def second_engine(
    second_engine_factory: Callable[..., SecondEngine], tiny_rootfs: bytes
) -> SecondEngine:
    """A running private engine holding the tiny base image."""
    engine = second_engine_factory()
    engine.load_tiny_base(tiny_rootfs)
    return engine


@pytest.fixture
def use_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str | None], None]]:
    """Point the kit at another DOCKER_HOST, or back at the shared engine with ``None``
    (as a learner does after fixing their engine); cached clients are dropped each time."""
    from layerlab.engine import forget_clients

    def point(host: str | None) -> None:
        if host is None:
            monkeypatch.delenv("DOCKER_HOST", raising=False)
        else:
            monkeypatch.setenv("DOCKER_HOST", host)
        forget_clients()

    yield point
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    forget_clients()
