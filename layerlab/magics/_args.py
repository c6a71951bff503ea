"""The magics' argument mistakes in the learner's language.

argparse (standard library) words its errors in English; the common ones are matched here
and said with the kit's messages instead, the others pass through unchanged.
"""

from __future__ import annotations

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


def parse(magic: Any, line: str) -> Any:
    """IPython's ``parse_argstring``, its mistakes said in the learner's language."""
    from IPython.core.error import UsageError
    from IPython.core.magic_arguments import parse_argstring

    try:
        return parse_argstring(magic, line)
    except UsageError as exc:
        raise UsageError(argparse_message(str(exc))) from None
