"""The ``layerlab`` command, for instructors and for checking a machine before class.

    layerlab doctor
    layerlab cleanup [--all-learners | --learner NAME] [--older-than HOURS] [--dry-run]
    layerlab images save BUNDLE [IMAGES...]
    layerlab images load BUNDLE

``--config FILE`` reads the same ``c.Layerlab.*`` settings as the learners' kernels (for
example ``deploy/ipython_config.py``), so cleanup sees the class's extra labels.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from layerlab.errors import LayerlabError
from layerlab.i18n import t

if TYPE_CHECKING:
    from collections.abc import Sequence

    from layerlab.bundles import Progress


def _parser() -> argparse.ArgumentParser:
    from layerlab.magics._args import LocalizedParser

    parser = LocalizedParser(prog="layerlab", description=t("clihelp.description"))
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar=t("helpmeta.file"),
        help=t("clihelp.config"),
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar=t("helpmeta.command"), parser_class=LocalizedParser
    )
    commands.add_parser("doctor", help=t("clihelp.doctor"))

    cleanup = commands.add_parser("cleanup", help=t("clihelp.cleanup"))
    who = cleanup.add_mutually_exclusive_group()
    who.add_argument("--all-learners", action="store_true", help=t("clihelp.all_learners"))
    who.add_argument("--learner", metavar=t("helpmeta.name"), help=t("clihelp.learner"))
    cleanup.add_argument(
        "--older-than", type=float, metavar=t("helpmeta.hours"), help=t("clihelp.older_than")
    )
    cleanup.add_argument("--dry-run", action="store_true", help=t("clihelp.dry_run"))

    images = commands.add_parser("images", help=t("clihelp.images"))
    bundle_commands = images.add_subparsers(
        dest="images_command", required=True, parser_class=LocalizedParser
    )
    save = bundle_commands.add_parser("save", help=t("clihelp.save"))
    save.add_argument("bundle", type=Path)
    save.add_argument("images", nargs="*", help=t("clihelp.save_images"))
    load = bundle_commands.add_parser("load", help=t("clihelp.load"))
    load.add_argument("bundle", type=Path)
    return parser


def _apply_config(path: Path) -> None:
    from traitlets.config.loader import PyFileConfigLoader

    from layerlab import config

    if not path.is_file():
        raise LayerlabError(f"no config file at {path}")
    loaded = PyFileConfigLoader(path.name, str(path.parent.resolve())).load_config()
    config.settings().update_config(loaded)


class _ProgressLine:
    """Progress on one line in a terminal; every 10 % in a log file."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        from layerlab.context import human_size

        percent = 100 * done // total if total else 100
        text = f"{self.label}: {human_size(done)} of {human_size(total)} ({percent}%)"
        if self.stream.isatty():
            self.stream.write(f"\r{text}")
        elif percent // 10 != self.last_tenth:
            self.last_tenth = percent // 10
            self.stream.write(text + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.stream.isatty():
            self.stream.write("\n")


def _doctor() -> int:
    from layerlab.doctor import diagnose

    report = diagnose()
    print(report.text())
    return 0 if report.ok else 1


def _cleanup(args: argparse.Namespace) -> int:
    from layerlab.classroom import cleanup

    report = cleanup(
        args.learner,
        all_learners=args.all_learners,
        older_than_hours=args.older_than,
        dry_run=args.dry_run,
    )
    print(report.text())
    return 0 if report.ok else 1


def _images(args: argparse.Namespace) -> int:
    from layerlab import bundles
    from layerlab.doctor import LAB_BASE_IMAGES

    progress: Progress
    if args.images_command == "save":
        images = args.images or list(LAB_BASE_IMAGES)
        progress = line = _ProgressLine(f"saving {', '.join(images)}", sys.stderr)
        result = bundles.save(args.bundle, images, progress)
    else:
        progress = line = _ProgressLine(f"loading {args.bundle}", sys.stderr)
        result = bundles.load(args.bundle, progress)
    line.end()
    print(repr(result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.config is not None:
            _apply_config(args.config)
        if args.command == "doctor":
            return _doctor()
        if args.command == "cleanup":
            return _cleanup(args)
        return _images(args)
    except LayerlabError as exc:
        # one line for a mistake or a missing engine, never a traceback
        print(f"layerlab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
