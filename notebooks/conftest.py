"""Run the labs' sources with nbval: each ``en/NN-*.md``/``fr/NN-*.md`` becomes a notebook copy.

The sources are jupytext MyST files without outputs, so nbval has no stored outputs to
compare: run it with ``--nbval-lax``. A lab then passes when every cell runs without an
error (cells tagged ``raises-exception`` must raise), and what a lab must show is asserted
in its own cells: exercise checks ``assert check.…`` (with the answers in place, as CI runs
the instructor's version), the clean-up cells assert that nothing is left.

Each lab runs twice (``--lab-as``, default both): as a single user, and as a JupyterHub
learner (``JUPYTERHUB_USER`` set in the kernel's environment, as every JupyterHub
single-user server has it) with a name that is no valid Docker namespace as it is: an
e-mail address for the English labs, an accented one for the French labs. Test ids say
which: ``notebooks/en/03-….md::single::Cell 4``, ``…::hub::Cell 4``.

The copies go to a temporary folder (their ``work/labNN`` folders with them), removed when
the session ends.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "fr")
_COPIES = pytest.StashKey[Path]()
#: the JupyterHub learner each language's labs run as, in the ``hub`` mode
HUB_LEARNERS = {"en": "Marie.Curie+labs@example.org", "fr": "élève.Noël-01"}
MODES = ("single", "hub")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--lab-as",
        default=",".join(MODES),
        help="run each lab as: single (one user), hub (a JupyterHub learner); default both",
    )


def _modes(config: pytest.Config) -> list[str]:
    chosen = [mode.strip() for mode in str(config.getoption("--lab-as")).split(",") if mode]
    unknown = sorted(set(chosen) - set(MODES))
    if unknown or not chosen:
        wrong = ", ".join(unknown) or "nothing"
        raise pytest.UsageError(f"--lab-as takes {', '.join(MODES)}, not {wrong}")
    return chosen


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
    notebook = jupytext.read(file_path)
    copies = []
    for mode in _modes(parent.config):
        copy = _copies(parent.config) / mode / file_path.parent.name
        copy = copy / file_path.with_suffix(".ipynb").name
        copy.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(notebook, copy, fmt="ipynb")
        copies.append((mode, copy))
    lab = LabSource.from_parent(parent, path=file_path)
    lab.copies = copies
    return lab


class LabSource(pytest.File):
    """A lab source: one run of it per mode (``single``, ``hub``)."""

    copies: list[tuple[str, Path]]

    def collect(self) -> Any:
        language = self.path.parent.name
        for mode, copy in self.copies:
            run = _lab_run_class().from_parent(
                self, path=self.path, name=mode, nodeid=f"{self.nodeid}::{mode}"
            )
            run.copy = copy
            run.learner = HUB_LEARNERS[language] if mode == "hub" else None
            yield run


def _lab_run_class() -> Any:
    plugin: Any = importlib.import_module("nbval.plugin")

    class LabRun(plugin.IPyNbFile):  # type: ignore[misc]  # nbval is untyped
        """One run of a lab source by nbval: it reads and runs the ``.ipynb`` copy (in the
        copy's folder, where the lab makes its ``work/`` folder), its kernel started as a
        single user (no ``JUPYTERHUB_USER``) or as the JupyterHub learner ``learner``."""

        copy: Path
        learner: str | None

        @property
        def fspath(self) -> Any:
            from _pytest.compat import legacy_path

            return legacy_path(self.copy)

        def setup(self) -> None:
            # the kernel is a child process: it takes the environment it starts with
            saved = os.environ.pop("JUPYTERHUB_USER", None)
            if self.learner is not None:
                os.environ["JUPYTERHUB_USER"] = self.learner
            try:
                super().setup()
            finally:
                os.environ.pop("JUPYTERHUB_USER", None)
                if saved is not None:
                    os.environ["JUPYTERHUB_USER"] = saved

    return LabRun


def pytest_unconfigure(config: pytest.Config) -> None:
    if _COPIES in config.stash:
        shutil.rmtree(config.stash[_COPIES], ignore_errors=True)
