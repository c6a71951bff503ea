"""The warm-up after the %load_ext cell: started once, after the cell, never inside it."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any

from layerlab import warmup

if TYPE_CHECKING:
    import pytest


def test_the_warm_up_starts_once_after_the_cell_and_unhooks_itself(
    ip_empty: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = threading.Event()
    calls: list[str] = []
    monkeypatch.setattr(warmup, "_started", threading.Event())

    def fake_warm_up() -> None:  # fault injection: the real one needs an engine
        calls.append(threading.current_thread().name)
        ran.set()

    monkeypatch.setattr(warmup, "warm_up", fake_warm_up)
    hooks_before = len(ip_empty.events.callbacks["post_run_cell"])
    warmup.after_this_cell(ip_empty)
    assert not ran.is_set()  # nothing during the %load_ext cell itself
    ip_empty.run_cell("1 + 1")
    assert ran.wait(10)
    warmup.after_this_cell(ip_empty)  # a second %load_ext: no second warm-up
    ip_empty.run_cell("2 + 2")
    assert calls == ["layerlab-warmup"]
    assert len(ip_empty.events.callbacks["post_run_cell"]) == hooks_before


def test_after_the_load_ext_cell_the_build_path_gets_imported_in_the_background() -> None:
    """A real shell, a real %load_ext cell: the cell imports nothing heavy, the thread does."""
    code = (
        "import sys, threading\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "heavy = ('docker', 'layerlab.api')\n"
        "shell.run_cell('%load_ext layerlab')\n"
        "for thread in threading.enumerate():\n"
        "    if thread.name == 'layerlab-warmup':\n"
        "        thread.join(120)\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=180
    ).stdout
    assert out.strip().splitlines()[-1] == "['docker', 'layerlab.api']"
