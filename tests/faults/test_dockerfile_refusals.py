"""Case 4: a malformed Dockerfile. Each refusal of ``%%dockerfile`` is one line with the
line number, and the Dockerfile already on disk stays byte for byte as it was; a
Dockerfile that only the engine rejects fails the build in one or two lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

REFUSALS = [
    ("blank", "\n\n", "DockerfileError: the cell is empty: write at least a FROM line"),
    ("no-from", "RUN echo hi", "DockerfileError: line 1: a Dockerfile must start with FROM"),
    (
        "only-args",
        "ARG VERSION=1",
        "DockerfileError: line 1: no FROM instruction: every Dockerfile needs one",
    ),
    (
        "typo",
        "FROM python:3.13-alpine\nRUNN echo hi",
        "DockerfileError: line 2: unknown instruction 'RUNN' (did you mean RUN?)",
    ),
    (
        "json-not-strings",
        'FROM python:3.13-alpine\nCMD ["sleep", 5]',
        "DockerfileError: line 2: CMD in JSON form must be a list of strings",
    ),
    (
        "env-without-value",
        "FROM python:3.13-alpine\nENV ONLYNAME",
        "DockerfileError: line 2: ENV needs a name and a value",
    ),
    (
        "escape-twice",
        "# escape=`\n# escape=\\\nFROM python:3.13-alpine",
        "DockerfileError: line 2: the parser directive 'escape' is given twice",
    ),
    (
        "heredoc-without-syntax-directive",
        "FROM python:3.13-alpine\nRUN <<EOF\necho hi\nEOF",
        "DockerfileError: line 3: unknown instruction 'echo' (a heredoc? <<EOF needs BuildKit",
    ),
    (
        "unclosed-heredoc",
        "# syntax=docker/dockerfile:1\nFROM python:3.13-alpine\nRUN <<EOF\necho hi",
        "DockerfileError: line 3: heredoc <<EOF is never closed by a line EOF",
    ),
    (
        "bad-escape",
        "# escape=x\nFROM python:3.13-alpine",
        "DockerfileError: line 1: invalid escape directive 'x'",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS]
)
def test_refused_cell_shows_one_line_and_keeps_the_old_dockerfile(
    learner: Any,
    seed_context: Path,
    text: str,
    expected: str,
) -> None:
    before = (seed_context / "Dockerfile").read_bytes()
    files_before = sorted(p.name for p in seed_context.iterdir())

    cell = learner.run(f"%%dockerfile\n{text}")

    assert type(cell.error).__name__ == "DockerfileError"
    learner.assert_short(cell.shown, max_lines=1)
    assert cell.shown.strip().startswith(expected), cell.shown
    assert (seed_context / "Dockerfile").read_bytes() == before
    assert sorted(p.name for p in seed_context.iterdir()) == files_before, "no temp file left"
    after = learner.run("%%dockerfile\nFROM python:3.13-alpine\nRUN echo fixed")
    assert after.error is None, after.shown
    assert "Overwriting Dockerfile (2 instructions)" in after.shown


def test_empty_cell_is_ipythons_one_line_usage_error(learner: Any, seed_context: Path) -> None:
    before = (seed_context / "Dockerfile").read_bytes()

    cell = learner.run("%%dockerfile\n")

    assert type(cell.error).__name__ == "UsageError"
    learner.assert_short(cell.shown, max_lines=1)
    assert "UsageError: %%dockerfile is a cell magic, but the cell body is empty." in cell.shown
    assert (seed_context / "Dockerfile").read_bytes() == before


#: Our parser lets these through; the engine's own words reach the learner (the exact
#: prefix depends on the builder: "failed to parse Dockerfile" / "failed to solve ...").
ENGINE_REJECTS = [
    ("bad-port", "EXPOSE abc", ["Invalid containerPort: abc"]),
]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("line", "expected"),
    [case[1:] for case in ENGINE_REJECTS],
    ids=[case[0] for case in ENGINE_REJECTS],
)
def test_dockerfile_the_engine_rejects_fails_in_two_lines(  # noqa: PLR0917 - pytest passes fixtures positionally
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
    line: str,
    expected: list[str],
) -> None:
    dockerfile = f"FROM python:3.13-alpine\n{line}\n"
    written = learner.run(f"%%dockerfile\n{dockerfile}")
    assert written.error is None, written.shown
    tag = tag_for("engine-rejects")

    cell = learner.run(f"%docker_build -q -t {tag} .")

    assert type(cell.error).__name__ == "BuildFailed", cell.shown
    message = learner.rendered(cell.error)
    learner.assert_short(message)
    for part in expected:
        assert part in message
    assert (seed_context / "Dockerfile").read_text(encoding="utf-8") == dockerfile
    assert not engine.images.list(name=tag)
    learner.next_cell_runs()
