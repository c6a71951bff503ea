"""Parse, check and write Dockerfiles.

The parser follows the Dockerfile reference closely enough to give a learner the *line*
of a mistake before anything is written or sent to the engine: parser directives,
comments, the escape character, line continuations and BuildKit heredocs. We keep our own
small parser rather than ``dockerfile-parse``: that library is lenient by design (it is an
editor's tool) and reports neither dangling continuations nor malformed JSON forms, which
are exactly the mistakes we must catch.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from layerlab.errors import DockerfileError
from layerlab.i18n import t, tn

INSTRUCTIONS: Final = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
#: Instructions whose JSON ("exec") form Docker parses as a JSON array.
JSON_FORM: Final = frozenset({"CMD", "ENTRYPOINT", "RUN", "SHELL", "VOLUME", "ADD", "COPY"})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_FLAG = re.compile(r"--([a-z-]+)(?:=(\S*))?")
#: Flags that only BuildKit understands, per instruction.
_BUILDKIT_FLAGS: Final = {
    "RUN": {"mount", "network", "security"},
    "COPY": {"link", "parents", "exclude"},
    "ADD": {"link", "checksum", "keep-git-dir", "exclude"},
}


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    arguments: str
    line: int
    end_line: int
    flags: tuple[tuple[str, str | None], ...] = ()
    heredocs: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The instruction as one line, the way builders print it."""
        return f"{self.keyword} {self.arguments}".strip()

    @property
    def json_args(self) -> list[str] | None:
        """The argument list of the JSON form, or None for the shell form."""
        if self.keyword not in JSON_FORM or not self.arguments.startswith("["):
            return None
        try:
            value = json.loads(self.arguments)
        except ValueError:
            return None
        return value if isinstance(value, list) else None


@dataclass(frozen=True, slots=True)
class Dockerfile:
    text: str
    instructions: tuple[Instruction, ...]
    directives: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def escape(self) -> str:
        return self.directives.get("escape", "\\")

    def by_keyword(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    @property
    def base_images(self) -> list[str]:
        """The image of each FROM (stage aliases resolved away are left as written)."""
        images = []
        for instruction in self.by_keyword("FROM"):
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            if words:
                images.append(words[0])
        return images

    def buildkit_features(self) -> list[tuple[int, str]]:
        """(line, feature) for each construct only BuildKit can build."""
        found: list[tuple[int, str]] = []
        if "syntax" in self.directives:
            pass  # a syntax directive is ignored by the classic builder, not an error
        for instruction in self.instructions:
            if instruction.heredocs:
                found.append((instruction.line, f"the heredoc in {instruction.keyword} (<<)"))
            for flag, _value in instruction.flags:
                if flag in _BUILDKIT_FLAGS.get(instruction.keyword, ()):
                    found.append((instruction.line, f"{instruction.keyword} --{flag}"))
        return found


def _split_flags(arguments: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    flags: list[tuple[str, str | None]] = []
    rest = arguments
    while rest.startswith("--"):
        match = _FLAG.match(rest)
        if not match:
            break
        flags.append((match.group(1), match.group(2)))
        rest = rest[match.end() :].lstrip()
    return tuple(flags), rest


def _check_json_form(keyword: str, arguments: str, line: int) -> None:
    # Docker silently falls back to the shell form when the JSON does not parse, so
    # CMD ['python', 'app.py'] would run a shell command named "['python',". Refuse it.
    if keyword not in JSON_FORM or not arguments.startswith("["):
        return
    if keyword in ("ADD", "COPY") and not arguments.rstrip().endswith("]"):
        return  # e.g. COPY [abc].txt /dst: a file name, not a JSON form
    try:
        value = json.loads(arguments)
    except ValueError as exc:
        detail = str(exc).split(":")[0]
        raise DockerfileError(t("df.bad_json", instruction=keyword, detail=detail), line) from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DockerfileError(t("df.json_strings", instruction=keyword), line)


def parse(text: str) -> Dockerfile:  # noqa: C901, PLR0912, PLR0915 - a small state machine
    """Parse ``text``; raise ``DockerfileError`` with a line number on the first mistake."""
    lines = text.splitlines()
    directives: dict[str, str] = {}
    index = 0
    # Parser directives: only at the very top, before any comment, blank line or instruction.
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index].strip())
        if not match or match.group(1).lower() in directives:
            break
        directives[match.group(1).lower()] = match.group(2)
        index += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileError(t("df.bad_escape", escape=escape), index)
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")

    instructions: list[Instruction] = []
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index + 1
        parts: list[str] = []
        current = raw
        # Join continuation lines; comment and blank lines inside an instruction are dropped.
        while continuation.search(current):
            parts.append(continuation.sub("", current))
            index += 1
            while index < len(lines) and (
                lines[index].strip().startswith("#") or not lines[index].strip()
            ):
                index += 1
            if index >= len(lines):
                raise DockerfileError(t("df.dangling", escape=escape), start)
            current = lines[index]
        parts.append(current)
        index += 1
        logical = " ".join(part.strip() for part in parts if part.strip())
        keyword, _, arguments = logical.partition(" ")
        upper = keyword.upper()
        arguments = arguments.strip()
        if upper not in INSTRUCTIONS:
            close = difflib.get_close_matches(upper, sorted(INSTRUCTIONS), n=1, cutoff=0.6)
            hint = t("df.hint", suggestion=close[0]) if close else ""
            raise DockerfileError(t("df.unknown", instruction=keyword, hint=hint), start)
        flags, rest = _split_flags(arguments)
        heredocs: list[str] = []
        if upper in ("RUN", "COPY", "ADD"):
            heredocs.extend(match.group(3) for match in _HEREDOC.finditer(rest))
            # The heredoc bodies follow the instruction, each up to its terminator line.
            for word in heredocs:
                while index < len(lines) and lines[index].strip() != word:
                    index += 1
                if index >= len(lines):
                    raise DockerfileError(
                        f"heredoc <<{word} is never closed by a line {word}", start
                    )
                index += 1
        if not rest and upper != "ONBUILD":
            raise DockerfileError(t("df.no_args", instruction=upper), start)
        if not heredocs:
            _check_json_form(upper, rest, start)
        instructions.append(Instruction(upper, arguments, start, index, flags, tuple(heredocs)))

    if not instructions:
        raise DockerfileError(t("df.empty"), 1 if text.strip() else None)
    first = next((i for i in instructions if i.keyword != "ARG"), None)
    if first is None:
        raise DockerfileError(t("df.only_args"), instructions[-1].line)
    if first.keyword != "FROM":
        raise DockerfileError(t("df.no_from", instruction=first.keyword), first.line)

    warnings: list[str] = []
    cmds = [i for i in instructions if i.keyword == "CMD"]
    if len(cmds) > 1:
        warnings.append(
            t(
                "df.multi_cmd",
                count=len(cmds),
                lines=", ".join(str(c.line) for c in cmds),
                last=cmds[-1].line,
            )
        )
    return Dockerfile(text, tuple(instructions), directives, tuple(warnings))


def resolve_target(
    path: str | os.PathLike[str], *, cwd: Path | None = None, allow_outside: bool = False
) -> Path:
    """The absolute path to write, refusing paths that leave the working folder."""
    base = (cwd or Path.cwd()).resolve()
    target = (base / Path(path).expanduser()).resolve()
    if not allow_outside and not target.is_relative_to(base):
        raise DockerfileError(t("df.outside", path=path, cwd=base))
    return target


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    path: Path
    existed: bool
    dockerfile: Dockerfile

    def message(self, shown_path: str) -> str:
        key = "df.overwriting" if self.existed else "df.writing"
        return tn(key, len(self.dockerfile.instructions), path=shown_path)


def write(
    path: str | os.PathLike[str],
    text: str,
    *,
    cwd: Path | None = None,
    allow_outside: bool = False,
    append: bool = False,
) -> WriteOutcome:
    """Check ``text`` and only then write it (atomically: old file intact on any error)."""
    target = resolve_target(path, cwd=cwd, allow_outside=allow_outside)
    existed = target.exists()
    if append and existed:
        text = target.read_text(encoding="utf-8") + text
    if text and not text.endswith("\n"):
        text += "\n"
    parsed = parse(text)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.layerlab-tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    return WriteOutcome(target, existed, parsed)
