r"""Parse, check and write Dockerfiles.

The parser is a port of the Docker Engine's own (``moby/buildkit``'s
``frontend/dockerfile/parser`` and ``instructions``, the version Engine 20.10 vendors for
both its classic builder and its built-in BuildKit frontend), so that the kit refuses
exactly what the engine refuses, with the line the engine means, before anything is
written or sent. What it follows:

* lines end at ``\n`` (a ``\r`` before it is dropped); a UTF-8 BOM opens the file;
* parser directives (``# escape=``, ``# syntax=``) only at the very top: the first line
  that is not one (a blank line, any other comment, an unknown directive, an
  instruction) ends them; a repeated directive and an escape other than ``\`` or a
  backtick are errors;
* a line ending with the escape character (spaces or tabs may follow it) continues on
  the next line, *without* a space: ``echo hel\`` + ``lo`` is ``echo hello``; comment
  lines and empty lines inside a continuation are skipped; a continuation left open at
  the end of the file is accepted;
* the argument rules each instruction checks at parse time (ENV/LABEL pairs, FROM's
  one-or-three words, flags, JSON arrays of strings, HEALTHCHECK, ONBUILD triggers, ...),
  in the engine's order: every line is read first, then each instruction is checked,
  then the words the engine expands (``$VAR``) go through its shell lexer's checks (an
  unclosed quote, a broken ``${...}``);
* heredocs (``<<EOF``, ``<<-EOF``, quoted words) only when a ``# syntax=`` directive
  hands the build to an external Dockerfile frontend: the built-in one of Engine 20.10
  (classic builder and BuildKit alike) reads the heredoc's body as instructions.

Where the engine accepts something that usually is a mistake (``CMD ['python', 'app.py']``
runs a shell command named ``['python',``), the kit accepts it too and adds a warning.
We keep our own parser rather than ``dockerfile-parse``: that library is lenient by design
(an editor's tool) and checks none of the rules above.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

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
#: Instructions whose arguments may open heredocs (external frontends only).
HEREDOC_INSTRUCTIONS: Final = frozenset({"RUN", "COPY", "ADD"})

# The engine's regular expressions (Go's \s is [\t\n\f\r ], not Python's Unicode set).
_DIRECTIVE = re.compile(
    r"^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$"
)
_VALID_DIRECTIVES: Final = frozenset({"escape", "syntax"})
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-_\.]*$")
_DURATION = re.compile(r"^(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$")
_UNITS: Final = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_BOM: Final = "\ufeff"

FlagType = Literal["string", "strings", "bool"]
#: The flags each instruction accepts in Engine 20.10's built-in frontend (classic and
#: BuildKit parse the same set; the classic builder then refuses RUN --mount and --chmod).
_BUILTIN_FLAGS: Final[dict[str, dict[str, FlagType]]] = {
    "ADD": {"chown": "string", "chmod": "string"},
    "COPY": {"chown": "string", "chmod": "string", "from": "string"},
    "FROM": {"platform": "string"},
    "RUN": {"mount": "strings"},
    "HEALTHCHECK": {
        "interval": "string",
        "timeout": "string",
        "start-period": "string",
        "retries": "string",
    },
}
#: What an external frontend (``# syntax=docker/dockerfile:1``) accepts on top.
_EXTERNAL_FLAGS: Final[dict[str, dict[str, FlagType]]] = {
    "ADD": {"link": "bool", "checksum": "string", "keep-git-dir": "bool", "exclude": "strings"},
    "COPY": {"link": "bool", "parents": "bool", "exclude": "strings"},
    "RUN": {"network": "string", "security": "string"},
    "HEALTHCHECK": {"start-interval": "string"},
}
#: Flags the classic builder refuses though it parses them (it builds without BuildKit).
_CLASSIC_REFUSES: Final = {"RUN": {"mount"}, "COPY": {"chmod"}, "ADD": {"chmod"}}


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
        if self.keyword not in JSON_FORM:
            return None
        _flags, rest = _extract_flags(self.arguments)
        value = _json_array(rest)
        if value is None or not all(isinstance(v, str) for v in value):
            return None
        return [str(v) for v in value]


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

    def stages(self) -> list[tuple[str, str, int]]:
        """``(name, image, index)`` per FROM: the stage's name as the engine compares it
        (lower case; ``""`` when unnamed), the image it starts from as written (maybe an
        earlier stage's name), the FROM's position in ``instructions``."""
        found = []
        for index, instruction in enumerate(self.instructions):
            if instruction.keyword != "FROM":
                continue
            words = [w for w in instruction.arguments.split() if not w.startswith("--")]
            name = words[2].lower() if len(words) == 3 and words[1].lower() == "as" else ""
            found.append((name, words[0] if words else "", index))
        return found

    def has_stage(self, target: str) -> bool:
        """Whether ``--target target`` names a stage (both builders compare without case)."""
        return any(name == target.lower() for name, _image, _index in self.stages())

    def built_stage(self, target: str | None = None) -> tuple[str, list[Instruction]]:
        """The image the built stage starts from and the instructions that made the
        image above it: the last stage, or ``target``'s. A stage that starts from an
        earlier one (``FROM deps AS test``) is followed to the image ``deps`` starts from,
        and ``deps``'s instructions come first, as in the image's history."""
        stages = self.stages()
        if not stages:
            return "", []
        chosen = len(stages) - 1
        if target:
            chosen = next(
                (i for i, (name, _, _) in enumerate(stages) if name == target.lower()), chosen
            )
        instructions: list[Instruction] = []
        seen: set[int] = set()
        while chosen not in seen:
            seen.add(chosen)
            _name, image, start = stages[chosen]
            end = stages[chosen + 1][2] if chosen + 1 < len(stages) else len(self.instructions)
            instructions[:0] = self.instructions[start + 1 : end]
            earlier = [i for i, (name, _, _) in enumerate(stages[:chosen]) if name == image.lower()]
            if not earlier:
                return image, instructions
            chosen = earlier[-1]
        return "", instructions  # pragma: no cover - the engine refuses a stage loop

    def buildkit_features(self) -> list[tuple[int, str]]:
        """(line, feature) for each construct the classic builder refuses but BuildKit builds.

        The classic builder ignores a ``# syntax=`` directive, so the heredocs and the
        newer flags an external frontend allows are listed too.
        """
        found: list[tuple[int, str]] = []
        for instruction in self.instructions:
            if instruction.heredocs:
                found.append((instruction.line, f"the heredoc in {instruction.keyword} (<<)"))
            builtin = _BUILTIN_FLAGS.get(instruction.keyword, {})
            newer = _EXTERNAL_FLAGS.get(instruction.keyword, {})
            refused = _CLASSIC_REFUSES.get(instruction.keyword, set())
            for flag, _value in instruction.flags:
                # (flags the engine never reads, as on HEALTHCHECK NONE, are no feature)
                if flag in refused or (flag in newer and flag not in builtin):
                    found.append((instruction.line, f"{instruction.keyword} --{flag}"))
        return found


# ---------------------------------------------------------------- reading lines
@dataclass(slots=True)
class _Logical:
    """One instruction as the engine's line reader hands it on: joined, with its lines."""

    line: str
    start: int
    end: int
    heredocs: tuple[str, ...] = ()


@dataclass(slots=True)
class _Directives:
    escape: str = "\\"
    done: bool = False
    seen: dict[str, str] = field(default_factory=dict)

    def feed(self, token: str, number: int) -> None:
        """The engine's possibleParserDirective: called on every line until done."""
        if self.done:
            return
        match = _DIRECTIVE.match(token)
        if not match or match.group(1).lower() not in _VALID_DIRECTIVES:
            self.done = True
            return
        name, value = match.group(1).lower(), match.group(2)
        if name in self.seen:
            raise DockerfileError(t("df.directive_twice", name=name), number)
        self.seen[name] = value
        if name == "escape":
            if value not in ("\\", "`"):
                raise DockerfileError(t("df.bad_escape", value=value), number)
            self.escape = value


def _lines(text: str) -> list[str]:
    """The lines as Go's bufio.ScanLines cuts them (only \n ends a line; one \r dropped)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    if lines:
        lines[0] = lines[0].removeprefix(_BOM)
    return lines


def _lstrip(text: str) -> str:
    return text.lstrip(_GO_SPACE)


#: unicode.IsSpace: \t \n \v \f \r, space, U+0085, U+00A0 and the Z* separators.
_GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0"
    + "".join(chr(c) for c in range(0x1680, 0x3001) if unicodedata.category(chr(c)) == "Zs")
    + "\u2028\u2029"
)


def _is_comment(raw: str) -> bool:
    return _lstrip(raw).startswith("#")


def _read(  # noqa: C901 - the engine's reading loop, kept in one piece to compare with it
    lines: list[str], directives: _Directives, *, heredocs: bool
) -> tuple[list[_Logical], list[str]]:
    logical: list[_Logical] = []
    warnings: list[str] = []
    index = 0
    while index < len(lines):
        number = index + 1
        token = _lstrip(lines[index])
        directives.feed(token, number)
        token = "" if token.startswith("#") else token
        index += 1
        continuation = re.compile(re.escape(directives.escape) + r"[ \t]*\Z")
        line, open_ = continuation.sub("", token), bool(continuation.search(token))
        if not open_ and not line:
            continue
        empty_inside = False
        while open_ and index < len(lines):
            raw = lines[index]
            directives.feed(raw, index + 1)
            index += 1
            if _is_comment(raw):
                continue
            if not _lstrip(raw):
                empty_inside = True
                continue
            open_ = bool(continuation.search(raw))
            line += continuation.sub("", raw)
        if empty_inside:
            warnings.append(t("df.empty_continuation", line=number))
        item = _Logical(line, number, index)
        keyword = _WHITESPACE.split(line.strip(_GO_SPACE), maxsplit=1)[0].upper()
        if heredocs and keyword in HEREDOC_INSTRUCTIONS and not _is_json_form(line):
            words = _heredoc_words(line)
            for word, chomp in words:
                while True:
                    if index >= len(lines):
                        raise DockerfileError(t("df.heredoc_unclosed", word=word), number)
                    candidate = lines[index].lstrip("\t") if chomp else lines[index]
                    index += 1
                    if candidate == word:
                        break
            item = _Logical(line, number, index, tuple(word for word, _chomp in words))
        logical.append(item)
    return logical, warnings


def _is_json_form(line: str) -> bool:
    """Whether the instruction on ``line`` is in JSON form (which opens no heredoc)."""
    parts = _WHITESPACE.split(line.strip(_GO_SPACE), maxsplit=1)
    _flags, rest = _extract_flags(parts[1]) if len(parts) == 2 else ([], "")
    return _json_array(rest.strip(_GO_SPACE)) is not None


def _heredoc_words(line: str) -> list[tuple[str, bool]]:
    """(name, chomp) of each ``<<WORD`` / ``<<-WORD`` / ``<<"WORD"`` in an instruction."""
    found = []
    for word in _shell_words(line):
        match = _HEREDOC_WORD.match(word)
        if not match or not match.group(3):
            continue
        inner = _shell_words(match.group(3), unquote=True)
        if len(inner) == 1:
            found.append((inner[0], match.group(2) == "-"))
    return found


def _shell_words(text: str, *, unquote: bool = False) -> list[str]:
    """Words split on blanks, quotes kept together (and removed when ``unquote``)."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    in_word = False
    for char in text:
        if quote:
            if char == quote:
                quote = ""
                if not unquote:
                    word.append(char)
            else:
                word.append(char)
        elif char in "'\"":
            quote, in_word = char, True
            if not unquote:
                word.append(char)
        elif char in _GO_SPACE:
            if in_word:
                words.append("".join(word))
            word, in_word = [], False
        else:
            word.append(char)
            in_word = True
    if in_word:
        words.append("".join(word))
    return words


# ---------------------------------------------------------------- splitting one instruction
def _extract_flags(arguments: str) -> tuple[list[str], str]:  # noqa: C901, PLR0912 - a port
    """The engine's extractBuilderFlags: leading ``--flag`` words, and the rest."""
    flags: list[str] = []
    position = 0
    length = len(arguments)
    while True:
        while position < length and arguments[position] in _GO_SPACE:
            position += 1
        if not arguments.startswith("--", position):
            return flags, arguments[position:]
        word: list[str] = []
        quote = ""
        blank_ok = False
        while position < length:
            char = arguments[position]
            if quote:
                if char == quote:
                    quote = ""
                elif char == "\\" and position + 1 < length:
                    position += 1
                    word.append(arguments[position])
                elif char != "\\":
                    word.append(char)
            elif char in _GO_SPACE:
                break
            elif char in "'\"":
                quote, blank_ok = char, True
            elif char == "\\":
                if position + 1 < length:
                    position += 1
                    word.append(arguments[position])
            else:
                word.append(char)
            position += 1
        text = "".join(word)
        if text == "--":
            return flags, arguments[position:] if position < length else ""
        if blank_ok or text:
            flags.append(text)
        if position >= length:
            return flags, ""


def _parse_words(rest: str, escape: str) -> list[str]:  # noqa: C901, PLR0912 - a port
    """The engine's parseWords (ENV, LABEL, ARG): blank-separated, quotes kept."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    blank_ok = False
    in_word = False
    position = 0
    while position < len(rest):
        char = rest[position]
        if not in_word and not quote:
            if char in _GO_SPACE:
                position += 1
                continue
            in_word = True
        if quote:
            if char == quote:
                quote = ""
            elif char == escape and quote != "'":
                if position + 1 == len(rest):
                    position += 1
                    continue
                word.append(char)
                position += 1
                char = rest[position]
            word.append(char)
        elif char in _GO_SPACE:
            if blank_ok or word:
                words.append("".join(word))
            word, blank_ok, in_word = [], False, False
        else:
            if char in "'\"":
                quote, blank_ok = char, True
            if char == escape:
                if position + 1 == len(rest):
                    position += 1
                    continue
                word.append(char)
                position += 1
                char = rest[position]
            word.append(char)
        position += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


def _no_constant(name: str) -> object:
    raise ValueError(name)  # Go's encoding/json knows no NaN or Infinity


def _json_array(rest: str) -> list[object] | None:
    """The engine's parseJSON: the array when ``rest`` starts with one, else None.

    Engine 20.10 reads it with a json.Decoder, which stops after the first value:
    ``SHELL ["sh"] x`` is the JSON form ``["sh"]`` (the text after it is ignored).
    """
    rest = _lstrip(rest)
    if not rest.startswith("["):
        return None
    try:
        value, _end = json.JSONDecoder(parse_constant=_no_constant).raw_decode(rest)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def _json_detail(rest: str) -> str:
    try:
        json.loads(_lstrip(rest), parse_constant=_no_constant)
    except ValueError as exc:
        return str(exc).split(":", maxsplit=1)[0]
    return "not an array"


@dataclass(slots=True)
class _Node:
    """What the engine's line parsers make of one instruction."""

    keyword: str
    raw_keyword: str
    arguments: str
    flags: list[str]
    args: list[str]
    json: bool
    line: int
    trigger: _Node | None = None


def _node(  # noqa: C901, PLR0912, PLR0915 - the engine's dispatch table, in one place
    line: str, number: int, escape: str, warnings: list[str]
) -> _Node:
    """The engine's newNodeFromLine and line parsers: the first, per-line, errors."""
    parts = _WHITESPACE.split(line.strip(_GO_SPACE), maxsplit=1)
    raw_keyword = parts[0]
    keyword = raw_keyword.upper()
    arguments = parts[1].strip(_GO_SPACE) if len(parts) == 2 else ""
    flags, rest = _extract_flags(arguments) if arguments else ([], "")
    rest = rest.strip(_GO_SPACE)
    node = _Node(keyword, raw_keyword, arguments, flags, [], json=False, line=number)
    if keyword in ("ENV", "LABEL"):
        words = _parse_words(rest, escape)
        if words and "=" not in words[0]:
            pair = _WHITESPACE.split(rest, maxsplit=1)
            if len(pair) < 2:
                raise DockerfileError(t("df.two_args", instruction=keyword), number)
            node.args = pair
        else:
            for word in words:
                if "=" not in word:
                    raise DockerfileError(
                        t("df.name_value", instruction=keyword, word=word), number
                    )
                name, _, value = word.partition("=")
                node.args += [name, value]
    elif keyword == "ARG":
        node.args = _parse_words(rest, escape)
    elif keyword in ("CMD", "ENTRYPOINT", "RUN", "SHELL", "ADD", "COPY", "VOLUME"):
        array = _json_array(rest) if rest else None
        if array is not None:
            if not all(isinstance(v, str) for v in array):
                raise DockerfileError(t("df.json_strings", instruction=keyword), number)
            node.args, node.json = [str(v) for v in array], True
        elif keyword in ("ADD", "COPY", "VOLUME"):
            node.args = _WHITESPACE.split(rest) if rest else []
        elif rest:
            node.args = [rest]
        shell_form = keyword in ("CMD", "ENTRYPOINT", "RUN")
        if shell_form and array is None and rest.startswith("[") and rest.endswith("]"):
            detail = _json_detail(rest)
            warnings.append(t("df.json_fallback", line=number, instruction=keyword, detail=detail))
    elif keyword in ("FROM", "EXPOSE"):
        node.args = _WHITESPACE.split(rest) if rest else []
    elif keyword == "HEALTHCHECK":
        split = re.match(r"(\S+)\s*(.*)", rest, flags=re.DOTALL)
        if split:
            kind, command = split.group(1), split.group(2)
            node.args = [kind]
            array = _json_array(command) if command else None
            if array is not None:
                if not all(isinstance(v, str) for v in array):
                    raise DockerfileError(t("df.json_strings", instruction=keyword), number)
                node.args += [str(v) for v in array]
                node.json = True
            elif command:
                node.args.append(command)
    elif keyword == "ONBUILD":
        if rest:
            node.trigger = _node(rest, number, escape, warnings)
            node.args = [node.trigger.keyword]
    elif keyword in ("MAINTAINER", "STOPSIGNAL", "USER", "WORKDIR"):
        node.args = [rest] if rest else []
    return node


# ---------------------------------------------------------------- the engine's checks
def _duration(value: str) -> float | None:
    """Seconds of a Go duration (``30s``, ``1m30s``, ``0``), or None when invalid."""
    if value == "0":
        return 0.0
    if not _DURATION.match(value):
        return None
    return sum(
        float(amount) * _UNITS[unit]
        for amount, unit in re.findall(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)", value)
    )


def _check_flags(node: _Node, allowed: dict[str, FlagType]) -> dict[str, str]:
    """The engine's BFlags.Parse: known flags, values where needed, no repeats."""
    values: dict[str, str] = {}
    for raw in node.flags:
        if raw == "--":
            break
        name, equal, value = raw.removeprefix("--").partition("=")
        kind = allowed.get(name)
        if kind is None:
            raise DockerfileError(
                t("df.unknown_flag", instruction=node.keyword, flag=name), node.line
            )
        if name in values and kind != "strings":
            raise DockerfileError(t("df.flag_twice", flag=name), node.line)
        if kind == "bool":
            if equal and not value:
                raise DockerfileError(t("df.flag_value", flag=name), node.line)
            if value.lower() not in ("", "true", "false"):
                raise DockerfileError(t("df.flag_invalid", flag=name, value=value), node.line)
        elif not equal:
            raise DockerfileError(t("df.flag_value", flag=name), node.line)
        values[name] = value
    return values


def _check_healthcheck(node: _Node, allowed: dict[str, FlagType]) -> None:
    if not node.args:
        raise DockerfileError(t("df.no_args", instruction=node.keyword), node.line)
    kind = node.args[0].upper()
    if kind == "NONE":
        if len(node.args) > 1:
            raise DockerfileError(t("df.healthcheck_none"), node.line)
        return  # the engine reads no flags for NONE
    values = _check_flags(node, allowed)
    if kind != "CMD":
        raise DockerfileError(t("df.healthcheck_type", type=node.args[0]), node.line)
    if len(node.args) < 2:
        raise DockerfileError(t("df.healthcheck_cmd"), node.line)
    for name in ("interval", "timeout", "start-period", "start-interval"):
        if values.get(name):
            seconds = _duration(values[name])
            if seconds is None or seconds < 1e-3:
                raise DockerfileError(
                    t("df.flag_invalid", flag=name, value=values[name]), node.line
                )
    retries = values.get("retries")
    if retries and (not re.fullmatch(r"[+-]?\d+", retries) or int(retries) < 1):
        raise DockerfileError(t("df.flag_invalid", flag="retries", value=retries), node.line)


def _check(node: _Node, allowed_flags: dict[str, dict[str, FlagType]]) -> None:  # noqa: C901, PLR0912
    """The engine's ParseInstruction: the per-instruction rules, for one instruction."""
    keyword, args, number = node.keyword, node.args, node.line
    allowed = allowed_flags.get(keyword, {})
    if keyword not in INSTRUCTIONS:
        close = difflib.get_close_matches(keyword, sorted(INSTRUCTIONS), n=1, cutoff=0.6)
        hint = t("df.hint", suggestion=close[0]) if close else ""
        raise DockerfileError(t("df.unknown", instruction=node.raw_keyword, hint=hint), number)
    if keyword in ("ENV", "LABEL"):
        _check_flags(node, allowed)
        if not args:
            raise DockerfileError(t("df.no_args", instruction=keyword), number)
        if any(not name for name in args[::2]):
            raise DockerfileError(t("df.blank_name", instruction=keyword), number)
    elif keyword in ("MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"):
        if len(args) != 1:
            raise DockerfileError(t("df.one_arg", instruction=keyword), number)
        if keyword != "STOPSIGNAL":  # the engine reads no flags for STOPSIGNAL (nor ARG)
            _check_flags(node, allowed)
    elif keyword in ("ADD", "COPY"):
        if len(args) < 2:
            raise DockerfileError(t("df.copy_args", instruction=keyword), number)
        _check_flags(node, allowed)
    elif keyword == "FROM":
        if len(args) == 3 and args[1].lower() == "as":
            if not _STAGE_NAME.match(args[2].lower()):
                raise DockerfileError(t("df.stage_name", name=args[2]), number)
        elif len(args) != 1:
            raise DockerfileError(t("df.from_args"), number)
        _check_flags(node, allowed)
    elif keyword == "ONBUILD":
        if not args:
            raise DockerfileError(t("df.no_args", instruction=keyword), number)
        _check_flags(node, allowed)
        if args[0] in ("ONBUILD", "FROM", "MAINTAINER"):
            raise DockerfileError(t("df.onbuild_trigger", trigger=args[0]), number)
    elif keyword == "HEALTHCHECK":
        _check_healthcheck(node, allowed)
    elif keyword in ("EXPOSE", "VOLUME", "ARG"):
        if not args:
            raise DockerfileError(t("df.no_args", instruction=keyword), number)
        if keyword != "ARG":
            _check_flags(node, allowed)
        if keyword == "VOLUME" and any(not a.strip(_GO_SPACE) for a in args):
            raise DockerfileError(t("df.volume_empty"), number)
    else:  # RUN, CMD, ENTRYPOINT, SHELL
        _check_flags(node, allowed)
        if keyword == "SHELL" and not args:
            raise DockerfileError(t("df.no_args", instruction=keyword), number)
        if keyword == "SHELL" and not node.json:
            raise DockerfileError(t("df.shell_json"), number)


def _flag_pairs(flags: list[str]) -> tuple[tuple[str, str | None], ...]:
    pairs: list[tuple[str, str | None]] = []
    for raw in flags:
        name, equal, value = raw.removeprefix("--").partition("=")
        pairs.append((name, value if equal else None))
    return tuple(pairs)


def _allowed_flags(external: bool) -> dict[str, dict[str, FlagType]]:
    if not external:
        return _BUILTIN_FLAGS
    merged = {key: dict(value) for key, value in _BUILTIN_FLAGS.items()}
    for key, value in _EXTERNAL_FLAGS.items():
        merged.setdefault(key, {}).update(value)
    return merged


#: The words each instruction hands to the engine's shell lexer to expand ``$VAR``.
_EXPANDED: Final = frozenset(
    {
        "ENV",
        "LABEL",
        "ARG",
        "ADD",
        "COPY",
        "FROM",
        "EXPOSE",
        "VOLUME",
        "USER",
        "WORKDIR",
        "STOPSIGNAL",
    }
)


def _check_expansion(node: _Node, escape: str) -> None:
    """The engine's shell lexer refuses an unclosed quote or a broken ``${...}``."""
    if node.keyword not in _EXPANDED:
        return
    words = node.args[:1] if node.keyword == "FROM" else node.args
    for word in words:
        problem = _lex_problem(word, escape)
        if problem in ("'", '"'):
            raise DockerfileError(t("df.unclosed_quote", word=word, quote=problem), node.line)
        if problem:
            raise DockerfileError(t("df.bad_substitution", word=word), node.line)


def _lex_problem(word: str, escape: str) -> str | None:
    """What the engine's shell lexer (``shell/lex.go``) finds wrong in ``word``, if anything."""
    _end, problem = _lex_until(word, 0, "", escape)
    return problem


def _lex_until(word: str, index: int, stop: str, escape: str) -> tuple[int, str | None]:
    while index < len(word):
        char = word[index]
        if stop and char == stop:
            return index + 1, None
        if char == "'":
            close = word.find("'", index + 1)
            if close < 0:
                return len(word), "'"
            index = close + 1
        elif char == '"':
            index, problem = _lex_double(word, index + 1, escape)
            if problem:
                return index, problem
        elif char == "$":
            index, problem = _lex_dollar(word, index + 1, escape)
            if problem:
                return index, problem
        else:
            index += 2 if char == escape else 1
    return len(word), (stop or None)


def _lex_double(word: str, index: int, escape: str) -> tuple[int, str | None]:
    while index < len(word):
        char = word[index]
        if char == '"':
            return index + 1, None
        if char == "$":
            index, problem = _lex_dollar(word, index + 1, escape)
            if problem:
                return index, problem
            continue
        index += (
            2
            if char == escape and index + 1 < len(word) and word[index + 1] in f'"${escape}'
            else 1
        )
    return len(word), '"'


def _lex_dollar(word: str, index: int, escape: str) -> tuple[int, str | None]:  # noqa: PLR0911 - a port
    if index >= len(word) or word[index] != "{":
        return index, None  # $NAME, or a lone $
    index += 1
    if index >= len(word):
        return index, "}"
    if word[index] in "{}:":
        return index, "${}"
    while index < len(word) and (word[index].isalnum() or word[index] == "_"):
        index += 1
    if index < len(word) and word[index] == "}":
        return index + 1, None
    if index < len(word) and word[index] == ":":
        modifier = word[index + 1] if index + 1 < len(word) else ""
        index, problem = _lex_until(word, index + 2, "}", escape)
        if problem:
            return index, problem
        return index, None if modifier in ("-", "+") else "${}"
    return index, "${}"


def _checked(
    logical: list[_Logical],
    nodes: list[_Node],
    allowed: dict[str, dict[str, FlagType]],
    warnings: list[str],
    escape: str,
) -> list[Instruction]:
    """The engine's second pass (instructions.Parse): each instruction's rules, in order."""
    stages = 0
    instructions: list[Instruction] = []
    for item, node in zip(logical, nodes, strict=True):
        try:
            _check(node, allowed)
        except DockerfileError as error:
            hint = "" if node.keyword in INSTRUCTIONS else _heredoc_hint(instructions)
            if hint:
                raise DockerfileError(error.message + hint, error.line) from None
            raise
        if node.keyword == "FROM":
            stages += 1
        elif not stages and node.keyword != "ARG":
            raise DockerfileError(t("df.no_from", instruction=node.keyword), node.line)
        if node.keyword in ("RUN", "CMD", "ENTRYPOINT") and not node.args and not item.heredocs:
            warnings.append(t("df.no_command", line=node.line, instruction=node.keyword))
        flags = _flag_pairs(node.flags)
        instructions.append(
            Instruction(node.keyword, node.arguments, item.start, item.end, flags, item.heredocs)
        )
    for node in nodes:  # then the words it expands ($VAR), as it builds each step
        _check_expansion(node, escape)
    if not stages:
        # Engine 20.10's BuildKit frontend *crashes the daemon* (index out of range in
        # dispatchStates.lastTarget) on a Dockerfile of ARGs only: never send one.
        raise DockerfileError(t("df.only_args"), instructions[-1].line)
    return instructions


def parse(text: str, *, heredocs: bool | None = None) -> Dockerfile:
    """Parse ``text`` as the engine does; raise ``DockerfileError`` with the line on a mistake.

    ``heredocs``: whether the frontend reads heredocs; by default only when a
    ``# syntax=`` directive names an external frontend (Engine 20.10's own does not).
    """
    lines = _lines(text)
    directives = _Directives()
    external = _names_a_frontend(lines)
    logical, warnings = _read(
        lines, directives, heredocs=external if heredocs is None else heredocs
    )
    if not logical:
        raise DockerfileError(t("df.empty"), 1 if text.strip() else None)
    nodes = [_node(item.line, item.start, directives.escape, warnings) for item in logical]
    instructions = _checked(logical, nodes, _allowed_flags(external), warnings, directives.escape)
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
    return Dockerfile(text, tuple(instructions), dict(directives.seen), tuple(warnings))


def _names_a_frontend(lines: list[str]) -> bool:
    """Whether a ``# syntax=`` directive hands the build to an external frontend.

    Read ahead of the real pass: directives come first and never continue, and the
    heredoc rule must be known before the first instruction is read.
    """
    probe = _Directives()
    for number, line in enumerate(lines, start=1):
        try:
            probe.feed(_lstrip(line), number)
        except DockerfileError:
            break  # the real pass reports it
        if probe.done:
            break
    return "syntax" in probe.seen


def _heredoc_hint(before: list[Instruction]) -> str:
    """A hint when an unknown instruction is probably the body of a heredoc."""
    if before and before[-1].keyword in HEREDOC_INSTRUCTIONS:
        words = _heredoc_words(before[-1].arguments)
        if words:
            return t("df.heredoc_hint", word=words[0][0])
    return ""


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
