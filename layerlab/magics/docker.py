"""``%docker …``: the docker CLI's everyday commands, spelled the same, run by the kit.

The kernel needs no ``docker`` binary: each command is parsed here and handed to
``layerlab.engine_ops``. A typo gives one usage line (``UsageError``), an engine refusal
one ``LayerlabError`` line: never a traceback.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from layerlab import i18n
from layerlab.i18n import t
from layerlab.magics._args import LocalizedParser, argparse_message

#: Spelling of the CLI's management commands (``image ls``) → the kit's command names.
_GROUPS: dict[str, dict[str, str]] = {
    "container": {
        "ls": "ps",
        "list": "ps",
        "ps": "ps",
        "run": "run",
        "logs": "logs",
        "stop": "stop",
        "rm": "rm",
        "remove": "rm",
        "prune": "container-prune",
    },
    "image": {
        "ls": "images",
        "list": "images",
        "rm": "rmi",
        "remove": "rmi",
        "prune": "image-prune",
        "history": "history",
        "tag": "tag",
        "push": "push",
        "pull": "pull",
        "build": "build",
    },
    "system": {"prune": "system-prune"},
}


class _Help(Exception):  # noqa: N818 - a control-flow signal, not an error
    """``-h`` was given: the help text is printed, nothing else runs."""


class _Parser(LocalizedParser):
    """argparse that reports mistakes as one UsageError line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(t("dockerhelp.error", prog=self.prog, message=argparse_message(message)))

    def exit(self, _status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise UsageError(message.strip())
        raise _Help


def _build_parser() -> _Parser:  # noqa: PLR0915 - one statement per CLI option
    """The ``%docker`` parser, its help in the current language."""
    parser = _Parser(prog="%docker")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = commands.add_parser("run", prog="%docker run", help=t("dockerhelp.run"))
    run.add_argument("-d", "--detach", action="store_true", help=t("dockerhelp.run.detach"))
    run.add_argument(
        "-p",
        "--publish",
        action="append",
        default=[],
        metavar=t("dockerhelp.meta.host_container"),
        help=t("dockerhelp.run.publish"),
    )
    run.add_argument(
        "--name", default=None, metavar=t("dockerhelp.meta.name"), help=t("dockerhelp.run.name")
    )
    run.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        metavar=t("dockerhelp.meta.name_value"),
        help=t("dockerhelp.run.env"),
    )
    run.add_argument(
        "-l",
        "--label",
        action="append",
        default=[],
        metavar=t("dockerhelp.meta.key_value"),
        help=t("dockerhelp.run.label"),
    )
    run.add_argument("--rm", action="store_true", help=t("dockerhelp.run.rm"))
    run.add_argument("--init", action="store_true", help=t("dockerhelp.run.init"))
    run.add_argument("--wait", action="store_true", help=t("dockerhelp.run.wait"))
    run.add_argument(
        "--wait-timeout",
        type=float,
        default=30.0,
        metavar=t("dockerhelp.meta.seconds"),
        help=t("dockerhelp.run.wait_timeout"),
    )
    run.add_argument("image", metavar=t("dockerhelp.meta.image"), help=t("dockerhelp.run.image"))
    run.add_argument(
        "cmd",
        nargs=argparse.REMAINDER,
        metavar=t("dockerhelp.meta.command"),
        help=t("dockerhelp.run.cmd"),
    )

    ps = commands.add_parser("ps", prog="%docker ps", help=t("dockerhelp.ps"))
    ps.add_argument("-a", "--all", action="store_true", help=t("dockerhelp.ps.all"))
    ps.add_argument("--mine", action="store_true", help=t("dockerhelp.ps.mine"))
    ps.add_argument("-q", "--quiet", action="store_true", help=t("dockerhelp.quiet"))

    logs = commands.add_parser("logs", prog="%docker logs", help=t("dockerhelp.logs"))
    logs.add_argument(
        "-n",
        "--tail",
        type=int,
        default=None,
        metavar=t("dockerhelp.meta.lines"),
        help=t("dockerhelp.logs.tail"),
    )
    logs.add_argument("name", metavar=t("dockerhelp.meta.name"), help=t("dockerhelp.logs.name"))

    stop = commands.add_parser("stop", prog="%docker stop", help=t("dockerhelp.stop"))
    stop.add_argument(
        "-t",
        "--time",
        type=int,
        default=10,
        metavar=t("dockerhelp.meta.seconds"),
        help=t("dockerhelp.stop.time"),
    )
    stop.add_argument("--all", action="store_true", help=t("dockerhelp.all_running"))
    stop.add_argument("names", nargs="*", metavar=t("dockerhelp.meta.name"))

    kill = commands.add_parser("kill", prog="%docker kill", help=t("dockerhelp.kill"))
    kill.add_argument(
        "-s",
        "--signal",
        default="KILL",
        metavar=t("dockerhelp.meta.signal"),
        help=t("dockerhelp.kill.signal"),
    )
    kill.add_argument("--all", action="store_true", help=t("dockerhelp.all_running"))
    kill.add_argument("names", nargs="*", metavar=t("dockerhelp.meta.name"))

    rm = commands.add_parser("rm", prog="%docker rm", help=t("dockerhelp.rm"))
    rm.add_argument("-f", "--force", action="store_true", help=t("dockerhelp.rm.force"))
    rm.add_argument("--all", action="store_true", help=t("dockerhelp.rm.all"))
    rm.add_argument("names", nargs="*", metavar=t("dockerhelp.meta.name"))

    tag = commands.add_parser("tag", prog="%docker tag", help=t("dockerhelp.tag"))
    tag.add_argument("source", metavar=t("dockerhelp.meta.source_image"))
    tag.add_argument("targets", nargs="+", metavar=t("dockerhelp.meta.target_image"))

    push = commands.add_parser("push", prog="%docker push", help=t("dockerhelp.push"))
    push.add_argument("name", metavar=t("dockerhelp.meta.reference"))

    pull = commands.add_parser("pull", prog="%docker pull", help=t("dockerhelp.pull"))
    pull.add_argument("name", metavar=t("dockerhelp.meta.reference"))

    images = commands.add_parser("images", prog="%docker images", help=t("dockerhelp.images"))
    images.add_argument(
        "reference",
        nargs="?",
        default=None,
        metavar=t("dockerhelp.meta.reference"),
        help=t("dockerhelp.images.reference"),
    )
    images.add_argument("-a", "--all", action="store_true", help=t("dockerhelp.images.all"))
    images.add_argument("-q", "--quiet", action="store_true", help=t("dockerhelp.quiet"))

    history = commands.add_parser("history", prog="%docker history", help=t("dockerhelp.history"))
    history.add_argument(
        "image", metavar=t("dockerhelp.meta.image"), help=t("dockerhelp.history.image")
    )
    history.add_argument(
        "other",
        nargs="?",
        default=None,
        metavar=t("dockerhelp.meta.other_image"),
        help=t("dockerhelp.history.other"),
    )

    rmi = commands.add_parser("rmi", prog="%docker rmi", help=t("dockerhelp.rmi"))
    rmi.add_argument("-f", "--force", action="store_true", help=t("dockerhelp.rmi.force"))
    rmi.add_argument("names", nargs="+", metavar=t("dockerhelp.meta.image"))

    for name in ("image-prune", "container-prune", "system-prune"):
        prune = commands.add_parser(
            name,
            prog=f"%docker {name.replace('-', ' ')}",
            help=t(f"dockerhelp.{name.replace('-', '_')}"),
        )
        prune.add_argument("-f", "--force", action="store_true", help=t("dockerhelp.prune.force"))
        if name != "container-prune":
            prune.add_argument("-a", "--all", action="store_true", help=t("dockerhelp.prune.all"))
    return parser


#: one parser per language, built on first use (two at most)
_PARSERS: dict[str, _Parser] = {}


def _parser() -> _Parser:
    language = i18n.language()
    parser = _PARSERS.get(language)
    if parser is None:
        parser = _PARSERS[language] = _build_parser()
    return parser


_PARSER_COMMANDS = (
    "run",
    "ps",
    "logs",
    "stop",
    "kill",
    "rm",
    "tag",
    "push",
    "pull",
    "images",
    "history",
    "rmi",
    "image-prune",
    "container-prune",
    "system-prune",
)
#: How the commands are spelled to learners (in messages).
COMMANDS = tuple(command.replace("-", " ") for command in _PARSER_COMMANDS)


def _normalize(words: list[str]) -> list[str]:
    """``image ls`` → ``images``, ``container prune`` → ``container-prune`` …"""
    if not words:
        raise UsageError(t("docker.usage_none", commands=", ".join(COMMANDS)))
    first = words[0]
    if first in _GROUPS and len(words) > 1 and not words[1].startswith("-"):
        mapped = _GROUPS[first].get(words[1])
        if mapped is None:
            raise UsageError(
                t(
                    "docker.usage_unknown",
                    command=f"{first} {words[1]}",
                    commands=", ".join(COMMANDS),
                )
            )
        words = [mapped, *words[2:]]
    command = words[0]
    if command == "build":
        raise UsageError(t("docker.usage_build"))
    known = {*_PARSER_COMMANDS, "-h", "--help"}
    if command not in known:
        raise UsageError(t("docker.usage_unknown", command=command, commands=", ".join(COMMANDS)))
    return words


def parse_docker_line(line: str) -> argparse.Namespace | None:
    """Parse a ``%docker`` line; None when only help was asked for (and printed)."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(t("docker.usage_quotes", detail=exc)) from None
    from layerlab.magics._shell_syntax import shell_syntax_message

    refused = shell_syntax_message(line)
    if refused is not None:
        raise UsageError(refused)
    words = _normalize(words)
    try:
        args = _parser().parse_args(words)
    except _Help:
        return None
    if args.command in ("stop", "kill", "rm"):
        if not args.names and not args.all:
            raise UsageError(t("docker.usage_names", command=args.command))
        if args.names and args.all:
            raise UsageError(t("docker.usage_names_and_all", command=args.command))
    return args


def _labels(pairs: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if not key:
            raise UsageError(t("docker.bad_label", pair=pair))
        labels[key] = value
    return labels


@magics_class
class DockerMagics(Magics):
    @line_magic
    def docker(self, line: str) -> Any:
        """Run a docker CLI command through the kit: ``%docker run -d -p 5001:5000 IMAGE``,
        ``ps``, ``logs``, ``stop``, ``rm``, ``tag``, ``push``, ``pull``, ``images``,
        ``history``, ``rmi``, ``image prune``, ``container prune``, ``system prune``.
        ``%docker COMMAND -h`` shows a command's options."""
        args = parse_docker_line(line)
        if args is None:
            return None
        return run_command(args, self.shell.user_ns if self.shell is not None else None)


def _container_names(names: list[str], namespace: dict[str, Any] | None) -> list[str]:
    """``web`` → the name of the container in the variable ``web`` (``web = %docker run …``),
    when there is such a variable; other words are container names or ids as typed."""
    from layerlab.engine_ops import ContainerRun

    if not namespace:
        return names
    return [
        namespace[name].name if isinstance(namespace.get(name), ContainerRun) else name
        for name in names
    ]


def _print_batch(batch: Any) -> None:
    """Print what a several-names command did, like the CLI: done lines on stdout, one
    error line per failed name on stderr; an error only when nothing was done."""
    batch.raise_if_all_failed()
    for line in batch.done:
        print(line)
    for line in batch.error_lines():
        print(line, file=sys.stderr)
    for line in batch.notes:
        print(line)


def run_command(  # noqa: C901, PLR0911, PLR0912, PLR0915 - one branch per docker command
    args: argparse.Namespace, namespace: dict[str, Any] | None = None
) -> Any:
    """Call ``layerlab.engine_ops`` for a parsed line; return what the cell should show."""
    from layerlab import batch, engine_ops, references

    if args.command in ("stop", "kill", "rm"):
        args.names = _container_names(args.names, namespace)
    elif args.command == "logs":
        args.name = _container_names([args.name], namespace)[0]

    match args.command:
        case "run":
            from layerlab.engine_ops import parse_env

            started = engine_ops.run(
                args.image,
                args.cmd or None,
                name=args.name,
                detach=args.detach,
                publish=args.publish,
                env=parse_env(args.env),
                labels=_labels(args.label),
                remove=args.rm,
                init=args.init,
            )
            if args.detach:
                if args.wait:
                    from layerlab.waiting import wait_published

                    print(wait_published(started, timeout=args.wait_timeout))
                return started
            print(started.output or "", end="")
            if started.exit_code:
                print(started, file=sys.stderr)
            return None
        case "ps":
            table = engine_ops.ps(all_containers=args.all, mine=args.mine)
            if args.quiet:
                from layerlab.image_list import IdList

                return IdList(engine_ops.short(str(row["id"])) for row in table.records)
            return table
        case "logs":
            print(engine_ops.logs(args.name, tail=args.tail), end="")
            return None
        case "stop":
            names = batch.targets("stop", args.names, everything=args.all, running_only=True)
            _print_batch(batch.stop(names, timeout=args.time))
            return None
        case "kill":
            names = batch.targets("kill", args.names, everything=args.all, running_only=True)
            _print_batch(batch.kill(names, signal=args.signal))
            return None
        case "rm":
            if args.all:
                _print_batch(batch.rm_all(force=args.force))
            else:
                _print_batch(batch.rm(args.names, force=args.force))
            return None
        case "tag":
            _print_batch(batch.tag(args.source, args.targets))
            return None
        case "push":
            repository, _ = references.split(args.name)
            print(t("docker.push_refers", repository=repository))
            return engine_ops.push(
                args.name,
                on_layer=lambda layer, status: print(
                    t("docker.push_layer", layer=layer, status=engine_ops.push_status_words(status))
                ),
            )
        case "pull":
            digest = engine_ops.pull(args.name)
            print(t("docker.pull_summary", reference=args.name, digest=digest or "-"))
            return None
        case "images":
            from layerlab.image_list import images

            return images(args.reference, everything=args.all, quiet=args.quiet)
        case "history":
            from layerlab import layers
            from layerlab.magics.images import _layer_view

            stacks = [layers(args.image)]
            if args.other is not None:
                stacks.append(layers(args.other))
            return _layer_view(*stacks)
        case "rmi":
            _print_batch(batch.rmi(args.names, force=args.force))
            return None
        case "image-prune" | "container-prune" | "system-prune":
            from layerlab.prune_guard import check_prune

            check_prune(
                images=args.command != "container-prune",
                all_images=getattr(args, "all", False),
                force=args.force,
            )
            if args.command != "image-prune":
                print(engine_ops.container_prune())
            if args.command != "container-prune":
                print(engine_ops.image_prune(all_images=args.all))
            print(t("docker.prune_scope"))
            return None
    raise UsageError(t("docker.usage_none", commands=", ".join(COMMANDS)))
