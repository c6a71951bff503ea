"""The magics' argument mistakes in the learner's language.

argparse (standard library) words its errors in English; the common ones are matched here
and said with the kit's messages instead, the others pass through unchanged.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from layerlab.i18n import t

_ARGPARSE_ERRORS = (
    (re.compile(r"the following arguments are required: (?P<args>.+)"), "dockerhelp.required"),
    (re.compile(r"unrecognized arguments: (?P<args>.+)"), "dockerhelp.unrecognized"),
    (
        re.compile(r"argument (?P<argument>\S+): invalid int value: (?P<value>.+)"),
        "dockerhelp.invalid_int",
    ),
    (re.compile(r"argument (?P<argument>\S+): expected one argument"), "dockerhelp.expected_one"),
)


def argparse_message(message: str) -> str:
    """argparse's English ``message`` as the kit's message, when it is a known one."""
    for pattern, key in _ARGPARSE_ERRORS:
        match = pattern.fullmatch(message.strip())
        if match:
            return t(key, **match.groupdict())
    return message


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help in the learner's language: its own words go through the catalog."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(
            usage, actions, groups, t("dockerhelp.usage") if prefix is None else prefix
        )

    def start_section(self, heading: str | None) -> None:
        # argparse writes "heading:"; French puts a no-break space before the colon
        super().start_section(None if heading is None else t("dockerhelp.heading", title=heading))


class LocalizedParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose own words (usage, section titles, ``-h``, the common
    mistakes) are the kit's messages; used by ``%docker`` and the ``layerlab`` command."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(add_help=False, **kwargs)
        self._positionals.title = t("dockerhelp.positionals")
        self._optionals.title = t("dockerhelp.options")
        self.add_argument("-h", "--help", action="help", help=t("dockerhelp.help"))

    def error(self, message: str) -> Any:
        self.print_usage()
        self.exit(
            2, t("dockerhelp.error", prog=self.prog, message=argparse_message(message)) + "\n"
        )


def parse(magic: Any, line: str) -> Any:
    """IPython's ``parse_argstring``, its mistakes said in the learner's language."""
    from IPython.core.error import UsageError
    from IPython.core.magic_arguments import parse_argstring

    try:
        return parse_argstring(magic, line)
    except UsageError as exc:
        raise UsageError(argparse_message(str(exc))) from None
