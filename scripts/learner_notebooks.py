"""Make the learners' notebooks from the lab sources: no outputs, no answers.

The labs are jupytext MyST sources (``notebooks/{en,fr}/NN-slug.md``). This writes, for each,
a learner's ``.ipynb`` in ``OUT/{en,fr}/`` (default ``build/learner``): jupytext turns the
source into a notebook, then nbgrader's own preprocessors (``ClearSolutions`` with the
settings of ``nbgrader_config.py``, ``ClearOutput``) replace every ``### BEGIN SOLUTION …
### END SOLUTION`` region with the stub and drop outputs: the same notebooks
``nbgrader generate_assignment`` releases.

    scripts/learner-notebooks [OUT]          # learners' copies
    scripts/learner-notebooks --course DIR   # an nbgrader course folder: DIR/source/<lab>/
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks"
LANGUAGES = ("en", "fr")
CONFIG = ROOT / "nbgrader_config.py"
#: what must not survive in a learner's copy
SOLUTION_MARK = "BEGIN SOLUTION"


def sources(languages: tuple[str, ...] = LANGUAGES) -> list[Path]:
    """The lab sources, ``notebooks/<language>/NN-slug.md``, in order."""
    return [
        path
        for language in languages
        for path in sorted((SOURCES / language).glob("[0-9][0-9]-*.md"))
    ]


def notebook(source: Path) -> Any:
    """The lab as a notebook (the instructor's version: answers included, no outputs)."""
    jupytext: Any = importlib.import_module("jupytext")
    book = jupytext.read(source)
    # a build product: it does not pair back to a text file
    book.metadata.pop("jupytext", None)
    return book


def nbgrader_config() -> Any:
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()


def learner_version(book: Any) -> Any:
    """``book`` as nbgrader releases it: solutions replaced by the stub, outputs cleared."""
    preprocessors: Any = importlib.import_module("nbgrader.preprocessors")
    config = nbgrader_config()
    resources: dict[str, Any] = {}
    for preprocessor in (preprocessors.ClearSolutions, preprocessors.ClearOutput):
        book, resources = preprocessor(config=config).preprocess(book, resources)
    left = [cell.source for cell in book.cells if SOLUTION_MARK in cell.source]
    if left:
        raise SystemExit(f"an answer is still in a learner's notebook:\n{left[0]}")
    return book


def write_learner_notebooks(out: Path) -> list[Path]:
    nbformat: Any = importlib.import_module("nbformat")
    written = []
    for source in sources():
        target = out / source.parent.name / source.with_suffix(".ipynb").name
        target.parent.mkdir(parents=True, exist_ok=True)
        book = learner_version(notebook(source))
        nbformat.validate(book)
        nbformat.write(book, target)
        written.append(target)
    return written


def assignment_name(source: Path) -> str:
    """``notebooks/fr/03-ordre….md`` → ``03-fr``: one nbgrader assignment per lab and language."""
    return f"{source.name[:2]}-{source.parent.name}"


def write_course(course: Path) -> list[Path]:
    """An nbgrader course folder: ``course/source/<NN-lang>/<slug>.ipynb`` and the config."""
    nbformat: Any = importlib.import_module("nbformat")
    course.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONFIG, course / CONFIG.name)
    written = []
    for source in sources():
        target = course / "source" / assignment_name(source) / source.with_suffix(".ipynb").name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook(source), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "build" / "learner")
    parser.add_argument("--course", type=Path, help="write an nbgrader course folder here instead")
    args = parser.parse_args(argv)
    if not sources():
        print(f"no lab sources in {SOURCES}", file=sys.stderr)
        return 1
    written = write_course(args.course) if args.course else write_learner_notebooks(args.out)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
