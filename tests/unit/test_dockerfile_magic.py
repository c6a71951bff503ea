"""``%%dockerfile`` says what it did to the file (no daemon needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_append_says_appending_not_overwriting(
    ip: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_cell_magic("dockerfile", "", "FROM python:3.13-alpine\n")
    assert capsys.readouterr().out.strip() == "Writing Dockerfile (1 instruction)"
    ip.run_cell_magic("dockerfile", "-a", 'CMD ["python"]\n')
    assert capsys.readouterr().out.strip() == "Appending to Dockerfile (2 instructions)"
    assert (workdir / "Dockerfile").read_text(encoding="utf-8").splitlines() == [
        "FROM python:3.13-alpine",
        'CMD ["python"]',
    ]
    ip.run_cell_magic("dockerfile", "", "FROM python:3.13-slim\n")
    assert capsys.readouterr().out.strip() == "Overwriting Dockerfile (1 instruction)"
