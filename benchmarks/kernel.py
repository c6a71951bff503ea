"""A real Jupyter kernel driven by a client that receives every message, for the benchmark.

What a learner waits for after pressing Shift-Enter is the time from the frontend sending
``execute_request`` to the kernel's ``execute_reply``; in between, the kit's widget view
talks to the frontend through comm messages on the iopub channel. This client reads both
channels as a frontend does (nothing is left queued in zmq), counts the messages, and
reads the kernel process's CPU time (its own, not its children's: the docker CLI the
BuildKit builder runs is not kernel-side work).

Two CPU clocks: ``/proc/<pid>/stat`` from outside (every cell; it counts in ticks of
10 ms), and, for ``run(code, precise_cpu=True)``, the kernel's own process clock
(``time.process_time()``: nanoseconds, every thread of the process, the ones that ended
too), read by the cell's first line and by the first line of a cell sent once the kernel
is idle again, so the figure holds the cell, its reply and every comm message the iopub
thread sent for it. A per-line figure of a few milliseconds needs the second.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Seconds one cell may take before the benchmark gives up on the kernel.
CELL_TIMEOUT_S = 600.0


@dataclass
class Execution:
    """One cell: the wall time to its reply, the kernel's CPU, what came back."""

    wall_s: float
    kernel_cpu_s: float
    status: str
    #: message type -> count (comm_open, comm_msg, display_data, stream, ...)
    messages: dict[str, int] = field(default_factory=dict)
    stdout: str = ""
    error: str = ""

    @property
    def comm_messages(self) -> int:
        return self.messages.get("comm_open", 0) + self.messages.get("comm_msg", 0)


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` itself (children excluded)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    # after the command name: state is field 3, utime 14, stime 15 (1-based, man 5 proc)
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


_CLOCK = "_layerlab_benchmark_cpu_clock"


class Kernel:
    """An ipykernel from this Python, started in ``cwd`` with ``env``."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        from jupyter_client.manager import KernelManager

        # ipc: local sockets, no "running over TCP without encryption" warning per kernel;
        # an absolute socket path (a relative one is read from each side's own folder)
        self.manager = KernelManager(
            kernel_name="python3", transport="ipc", ip=str(cwd.resolve() / "kernel-ipc")
        )
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client: Any = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        provisioner: Any = self.manager.provisioner  # a LocalProvisioner: a child process
        self.pid: int = int(provisioner.pid)

    def run(self, code: str, *, precise_cpu: bool = False) -> Execution:
        """Execute ``code``; returns once the reply and the kernel's idle status arrived.

        ``precise_cpu``: ``kernel_cpu_s`` from the kernel's process clock (see above); the
        cell then starts with one more line, and one more cell reads the clock after it.
        """
        if not precise_cpu:
            return self._run(code)
        done = self._run(f"{_CLOCK} = __import__('time').process_time()\n{code}")
        after = self._run(f"print(repr(__import__('time').process_time() - {_CLOCK}))")
        if after.status != "ok":
            raise RuntimeError(f"could not read the kernel's CPU clock: {after.error}")
        done.kernel_cpu_s = float(after.stdout.strip())
        return done

    def _run(self, code: str) -> Execution:
        import zmq

        shell, iopub = self.client.shell_channel.socket, self.client.iopub_channel.socket
        poller = zmq.Poller()
        poller.register(shell, zmq.POLLIN)
        poller.register(iopub, zmq.POLLIN)
        cpu_before = _process_cpu(self.pid)
        started = time.perf_counter()
        msg_id = self.client.execute(code, store_history=True, allow_stdin=False)
        wall: float | None = None
        idle = False
        status = "?"
        messages: dict[str, int] = {}
        stdout: list[str] = []
        error = ""
        deadline = started + CELL_TIMEOUT_S
        while wall is None or not idle:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no reply within {CELL_TIMEOUT_S:.0f} s to: {code[:80]}")
            ready = dict(poller.poll(timeout=1000))
            if shell in ready:
                reply = self.client.shell_channel.get_msg(timeout=0)
                if reply["parent_header"].get("msg_id") == msg_id:
                    wall = time.perf_counter() - started
                    status = reply["content"].get("status", "?")
                    if status == "error":
                        content = reply["content"]
                        error = f"{content.get('ename')}: {content.get('evalue')}"
            if iopub in ready:
                message = self.client.iopub_channel.get_msg(timeout=0)
                if message["parent_header"].get("msg_id") != msg_id:
                    continue
                kind = message["msg_type"]
                messages[kind] = messages.get(kind, 0) + 1
                content = message["content"]
                if kind == "stream" and content.get("name") == "stdout":
                    stdout.append(content.get("text", ""))
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
        cpu = _process_cpu(self.pid) - cpu_before
        return Execution(wall, cpu, status, messages, "".join(stdout), error)

    def check(self, code: str) -> Execution:
        """Run untimed set-up code; raise when it fails."""
        done = self.run(code)
        if done.status != "ok":
            raise RuntimeError(f"kernel cell failed: {done.error}\n{code}")
        return done

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


__all__ = ["Execution", "Kernel"]
