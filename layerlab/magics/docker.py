"""``%docker …``: the docker CLI's everyday commands, spelled the same, run by the kit.

The kernel needs no ``docker`` binary: each command is parsed here and handed to
``layerlab.docker_cli``. A typo gives one usage line (``UsageError``), an engine refusal
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

i18n.register(
    {
        "docker.usage_none": {
            "en": "%docker needs a command: {commands}",
            "fr": "%docker attend une commande : {commands}",
        },
        "docker.usage_unknown": {
            "en": "%docker {command}: not a command the kit runs. Known: {commands}",
            "fr": "%docker {command} : commande inconnue du kit. Connues : {commands}",
        },
        "docker.usage_build": {
            "en": "%docker build: use %docker_build (same options) to see each step live",
            "fr": "%docker build : utilisez %docker_build (mêmes options) pour suivre chaque étape",
        },
        "docker.usage_quotes": {
            "en": "%docker: the line has an unclosed quote ({detail})",
            "fr": "%docker : la ligne contient un guillemet non fermé ({detail})",
        },
        "docker.usage_names": {
            "en": "%docker {command}: name at least one container, or --all for all of yours",
            "fr": "%docker {command} : nommez au moins un conteneur, ou --all pour tous les vôtres",
        },
        "docker.usage_names_and_all": {
            "en": "%docker {command}: give container names or --all, not both",
            "fr": "%docker {command} : donnez des noms de conteneurs ou --all, pas les deux",
        },
        "docker.push_refers": {
            "en": "The push refers to repository [{repository}]",
            "fr": "Publication vers le dépôt [{repository}]",
        },
    }
)

#: Spelling of the CLI's management commands (``image ls``) → the kit's command names.
_GROUPS: dict[str, dict[str, str]] = {
    "container": {
        "ls": "ps",
        "list": "ps",
        "ps": "ps",
        "run": "run",
        "kill": "kill",
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


class _Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one UsageError line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")

    def exit(self, _status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise UsageError(message.strip())
        raise _Help


def _build_parser() -> _Parser:  # noqa: PLR0915 - one statement per CLI option
    parser = _Parser(prog="%docker", add_help=True)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = commands.add_parser(
        "run", prog="%docker run", help="Create and start a container from an image."
    )
    run.add_argument(
        "-d", "--detach", action="store_true", help="Run in the background and return at once."
    )
    run.add_argument(
        "-p",
        "--publish",
        action="append",
        default=[],
        metavar="HOST:CONTAINER",
        help="Publish a container port (on 127.0.0.1 unless an address is given); repeatable.",
    )
    run.add_argument("--name", default=None, help="Name the container.")
    run.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Set an environment variable; repeatable.",
    )
    run.add_argument(
        "-l",
        "--label",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Add a label; repeatable.",
    )
    run.add_argument("--rm", action="store_true", help="Remove the container when it exits.")
    run.add_argument(
        "--init", action="store_true", help="Run a tiny init as PID 1 so the app gets stop signals."
    )
    run.add_argument(
        "--wait",
        action="store_true",
        help="With -d: return once every published TCP port answers (not in the docker CLI).",
    )
    run.add_argument(
        "--wait-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="How long --wait waits (default: 30).",
    )
    run.add_argument("image", help="Image to run.")
    run.add_argument(
        "cmd",
        nargs=argparse.REMAINDER,
        metavar="COMMAND",
        help="Command and arguments (default: the image's CMD).",
    )

    ps = commands.add_parser("ps", prog="%docker ps", help="List containers.")
    ps.add_argument("-a", "--all", action="store_true", help="Show stopped containers too.")
    ps.add_argument("--mine", action="store_true", help="Only containers the kit ran for you.")
    ps.add_argument("-q", "--quiet", action="store_true", help="Only the ids (a list in Python).")

    logs = commands.add_parser("logs", prog="%docker logs", help="Show a container's output.")
    logs.add_argument("-n", "--tail", type=int, default=None, help="Only the last N lines.")
    logs.add_argument("name", help="Container name or id.")

    stop = commands.add_parser("stop", prog="%docker stop", help="Stop running containers.")
    stop.add_argument(
        "-t", "--time", type=int, default=10, help="Seconds to wait before killing (default: 10)."
    )
    stop.add_argument("--all", action="store_true", help="All your running containers.")
    stop.add_argument("names", nargs="*", metavar="NAME")

    kill = commands.add_parser("kill", prog="%docker kill", help="Kill running containers.")
    kill.add_argument("-s", "--signal", default="KILL", help="Signal to send (default: KILL).")
    kill.add_argument("--all", action="store_true", help="All your running containers.")
    kill.add_argument("names", nargs="*", metavar="NAME")

    rm = commands.add_parser("rm", prog="%docker rm", help="Remove containers.")
    rm.add_argument("-f", "--force", action="store_true", help="Stop running ones first.")
    rm.add_argument(
        "--all", action="store_true", help="All your stopped containers (with -f: running too)."
    )
    rm.add_argument("names", nargs="*", metavar="NAME")

    tag = commands.add_parser("tag", prog="%docker tag", help="Give an image other names.")
    tag.add_argument("source", metavar="SOURCE_IMAGE")
    tag.add_argument("targets", nargs="+", metavar="TARGET_IMAGE")

    push = commands.add_parser("push", prog="%docker push", help="Send an image to a registry.")
    push.add_argument("name", metavar="NAME[:TAG]")

    pull = commands.add_parser("pull", prog="%docker pull", help="Fetch an image from a registry.")
    pull.add_argument("name", metavar="NAME[:TAG]")

    images = commands.add_parser("images", prog="%docker images", help="List images.")
    images.add_argument("reference", nargs="?", default=None)
    images.add_argument(
        "-a", "--all", action="store_true", help="Every image on the engine, not only yours."
    )
    images.add_argument(
        "-q", "--quiet", action="store_true", help="Only the ids (a list in Python)."
    )

    history = commands.add_parser(
        "history", prog="%docker history", help="Show an image's layers (a second image: compare)."
    )
    history.add_argument("image")
    history.add_argument("other", nargs="?", default=None)

    rmi = commands.add_parser("rmi", prog="%docker rmi", help="Remove images.")
    rmi.add_argument("-f", "--force", action="store_true", help="Remove even if in use.")
    rmi.add_argument("names", nargs="+", metavar="IMAGE")

    for name, what in (
        ("image-prune", "unused images"),
        ("container-prune", "stopped containers"),
        ("system-prune", "stopped containers and unused images"),
    ):
        prune = commands.add_parser(
            name,
            prog=f"%docker {name.replace('-', ' ')}",
            help=f"Remove the kit's {what} (yours only).",
        )
        prune.add_argument(
            "-f",
            "--force",
            action="store_true",
            help="Also what the kit made for you outside this notebook's session.",
        )
        if name != "container-prune":
            prune.add_argument(
                "-a",
                "--all",
                action="store_true",
                help="All unused images, not only dangling ones.",
            )
    return parser


_PARSER = _build_parser()
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
    from layerlab.magics._shell_syntax import shell_syntax_message

    refused = shell_syntax_message(line)
    if refused is not None:
        raise UsageError(refused)
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(t("docker.usage_quotes", detail=exc)) from None
    words = _normalize(words)
    try:
        args = _PARSER.parse_args(words)
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
            raise UsageError(f"%docker run: --label needs KEY=VALUE, got {pair!r}")
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
    from layerlab.docker_cli import ContainerRun

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
    """Call ``layerlab.docker_cli`` for a parsed line; return what the cell should show."""
    from layerlab import batch, docker_cli

    if args.command in ("stop", "kill", "rm"):
        args.names = _container_names(args.names, namespace)
    elif args.command == "logs":
        args.name = _container_names([args.name], namespace)[0]
    match args.command:
        case "run":
            from layerlab.docker_cli import parse_env

            started = docker_cli.run(
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
            table = docker_cli.ps(all_containers=args.all, mine=args.mine)
            if args.quiet:
                from layerlab.image_list import IdList

                return IdList(docker_cli.short(str(row["id"])) for row in table.records)
            return table
        case "logs":
            print(docker_cli.logs(args.name, tail=args.tail), end="")
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
            repository, _ = docker_cli.split_reference(args.name)
            print(t("docker.push_refers", repository=repository))
            return docker_cli.push(
                args.name, on_layer=lambda layer, status: print(f"{layer}: {status}")
            )
        case "pull":
            digest = docker_cli.pull(args.name)
            print(t("docker.pull_summary", reference=args.name, digest=digest or "-"))
            return None
        case "images":
            from layerlab.image_list import images

            return images(args.reference, everything=args.all, quiet=args.quiet)
        case "history":
            from layerlab.layers import layers
            from layerlab.magics.images import _layer_view

            stacks = [layers(args.image)]
            if args.other is not None:
                stacks.append(layers(args.other))
            return _layer_view(*stacks)
        case "rmi":
            _print_batch(batch.rmi(args.names, force=args.force))
            return None
        case "image-prune" | "container-prune" | "system-prune":
            from layerlab.session import check_prune

            check_prune(
                images=args.command != "container-prune",
                all_images=getattr(args, "all", False),
                force=args.force,
            )
            if args.command != "image-prune":
                print(docker_cli.container_prune())
            if args.command != "container-prune":
                print(docker_cli.image_prune(all_images=args.all))
            print(t("docker.prune_scope"))
            return None
    raise UsageError(t("docker.usage_none", commands=", ".join(COMMANDS)))
