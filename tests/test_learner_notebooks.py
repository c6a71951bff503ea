"""``scripts/learner-notebooks``: the learners' copies carry no answers and no outputs.

Runs the command as an instructor would (no engine needed) and reads what it wrote.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jupytext
import nbformat as nbformat_untyped

nbformat: Any = nbformat_untyped  # nbformat ships without type hints

ROOT = Path(__file__).resolve().parent.parent
STUB = "# …"


def test_learner_notebooks_have_no_answers_and_no_outputs(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "learner-notebooks"), str(tmp_path)],
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    sources = sorted(ROOT.glob("notebooks/[a-z][a-z]/[0-9][0-9]-*.md"))
    written = sorted(tmp_path.glob("*/*.ipynb"))
    assert [(p.parent.name, p.stem) for p in written] == [
        (p.parent.name, p.stem) for p in sources
    ], "one learner's notebook per lab source"
    answers = 0
    for source, copy in zip(sources, written, strict=True):
        original = jupytext.read(source).cells
        learner = nbformat.read(copy, as_version=4)
        nbformat.validate(learner)
        assert len(learner.cells) == len(original), copy.name
        for before, after in zip(original, learner.cells, strict=True):
            assert "SOLUTION" not in after.source, f"{copy.name}: an answer is left"
            assert not after.get("outputs"), f"{copy.name}: outputs are left"
            if not before.metadata.get("nbgrader", {}).get("solution"):
                # everything but the answers is what the instructor wrote
                assert after.source == before.source, copy.name
                continue
            answers += 1
            kept = [line for line in before.source.splitlines() if "SOLUTION" not in line]
            answer = before.source.split("### BEGIN SOLUTION\n")[1].split("### END SOLUTION")[0]
            assert STUB in after.source.splitlines(), f"{copy.name}: no stub where the answer was"
            assert answer.strip() not in after.source, f"{copy.name}: the answer is still there"
            # a %%dockerfile / %%writefile cell keeps its magic line and the lines around
            # the answer, so what the learner runs is a valid file with the stub as a comment
            first = before.source.splitlines()[0]
            assert after.source.splitlines()[0] == first, copy.name
            for line in kept:
                if line not in answer.splitlines():
                    assert line in after.source.splitlines(), (copy.name, line)
    assert answers >= 10, f"only {answers} exercises found in the labs"
