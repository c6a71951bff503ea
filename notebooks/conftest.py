"""Run the labs' sources with nbval: each ``en/NN-*.md``/``fr/NN-*.md`` becomes a notebook copy.

The sources are jupytext MyST files without outputs, so nbval has no stored outputs to
compare: run it with ``--nbval-lax``. A lab then passes when every cell runs without an
error (cells tagged ``raises-exception`` must raise), and what a lab must show is asserted
in its own cells: exercise checks ``assert check.…`` (with the answers in place, as CI runs
the instructor's version), the clean-up cells assert that nothing is left.

The copies go to a temporary folder (their ``work/labNN`` folders with them), removed when
the session ends; the test ids stay the sources' paths (``notebooks/en/03-….md::Cell 4``).
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "fr")
_COPIES = pytest.StashKey[Path]()


def _copies(config: pytest.Config) -> Path:
    if _COPIES not in config.stash:
        config.stash[_COPIES] = Path(tempfile.mkdtemp(prefix="layerlab-labs-"))
    return config.stash[_COPIES]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    option = parent.config.option
    if not (getattr(option, "nbval", False) or getattr(option, "nbval_lax", False)):
        return None
    if file_path.suffix != ".md" or file_path.parent.parent != HERE:
        return None
    if file_path.parent.name not in LANGUAGES or not file_path.name[:2].isdigit():
        return None
    jupytext: Any = importlib.import_module("jupytext")
    copy = _copies(parent.config) / file_path.parent.name / file_path.with_suffix(".ipynb").name
    copy.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(jupytext.read(file_path), copy, fmt="ipynb")
    lab = _lab_file_class().from_parent(parent, path=file_path)
    lab.copy = copy
    return lab


def _lab_file_class() -> Any:
    plugin: Any = importlib.import_module("nbval.plugin")

    class LabSource(plugin.IPyNbFile):  # type: ignore[misc]  # nbval is untyped
        """A lab source run by nbval: the node is the ``.md`` (so ``pytest notebooks/en/03-….md``
        selects it, and ids name it), nbval reads and runs its ``.ipynb`` copy (in the copy's
        folder, where the lab makes its ``work/`` folder)."""

        copy: Path

        @property
        def fspath(self) -> Any:
            from _pytest.compat import legacy_path

            return legacy_path(self.copy)

    return LabSource


def pytest_unconfigure(config: pytest.Config) -> None:
    if _COPIES in config.stash:
        shutil.rmtree(config.stash[_COPIES], ignore_errors=True)
