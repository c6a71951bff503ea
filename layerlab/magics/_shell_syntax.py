"""Shell syntax in a ``%docker`` line: a magic runs no shell, so say what to write instead.

``%docker stop $(docker ps -q)`` works in a terminal because the shell runs the inner
command first. In a notebook nothing does: the words reach the kit as typed. Rather than
an argparse error about ``-q)``, one line names the construct and gives the notebook's
way to do the same (``--all``, ``-q`` into a variable and ``$ids``, one command per line).
Only unquoted syntax counts: ``sh -c 'a | b'`` is a command for the container's shell.
"""

from __future__ import annotations

from layerlab.i18n import t

#: commands whose ``--all`` replaces the usual ``$(docker ps -q)``
_TAKES_ALL = frozenset({"stop", "kill", "rm"})


def _unquoted(line: str) -> list[tuple[int, str]]:
    """(position, character) of every character outside single or double quotes."""
    found: list[tuple[int, str]] = []
    quote = ""
    escaped = False
    for position, char in enumerate(line):
        if escaped:
            escaped = False
            continue
        if char == "\\" and quote != "'":
            escaped = True
            continue
        if quote:
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
            continue
        found.append((position, char))
    return found


def _typed(line: str, start: int, closing: str) -> str:
    """The inner command as the learner typed it."""
    end = line.find(closing, start)
    return line[start : end if end >= 0 else len(line)].strip()


def _inner(line: str, start: int, closing: str) -> str:
    """The inner command as a %docker line (``docker ps -q`` → ``ps -q``)."""
    words = _typed(line, start, closing).split()
    if words and words[0] == "docker":
        words = words[1:]
    return " ".join(words) or "ps -q"


def shell_syntax_message(line: str) -> str | None:  # noqa: PLR0911 - one answer per construct
    """The one-line explanation for shell syntax in ``line``, or None when there is none."""
    chars = _unquoted(line)
    text = "".join(char for _, char in chars)
    command = line.split(maxsplit=1)[0] if line.split() else ""
    for index, (position, char) in enumerate(chars):
        following = text[index + 1 : index + 2]
        if char == "$" and following == "(":
            return t(
                "shell.substitution",
                construct=f"$({_typed(line, position + 2, ')')})",
                inner=_inner(line, position + 2, ")"),
                command=command,
                all_hint=t("shell.all_hint", command=command) if command in _TAKES_ALL else "",
            )
        if char == "`":
            return t(
                "shell.substitution",
                construct=f"`{_typed(line, position + 1, '`')}`",
                inner=_inner(line, position + 1, "`"),
                command=command,
                all_hint=t("shell.all_hint", command=command) if command in _TAKES_ALL else "",
            )
        if char in "&|" and following == char:
            return t("shell.chain", construct=char * 2)
        if char == ";":
            return t("shell.chain", construct=";")
        if char == "|":
            return t("shell.pipe", command=command)
        if char in "<>":
            return t("shell.redirect", construct=char, command=command)
    return None
