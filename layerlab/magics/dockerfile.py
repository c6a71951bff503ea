"""``%%dockerfile [PATH]``: check a Dockerfile, then write it (like ``%%writefile``)."""

from __future__ import annotations

import sys

from IPython.core.magic import Magics, cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments

from layerlab import dockerfile as model
from layerlab.config import settings
from layerlab.i18n import t, tn
from layerlab.magics._args import parse


@magics_class
class DockerfileMagics(Magics):
    @no_var_expand  # a Dockerfile is full of $VAR: keep the line literal too
    @magic_arguments()
    @argument(
        "path",
        nargs="?",
        default="Dockerfile",
        help=t("dockerfilehelp.path"),
    )
    @argument("-a", "--append", action="store_true", help=t("dockerfilehelp.append"))
    @argument("--no-lint", action="store_true", help=t("dockerfilehelp.no_lint"))
    @cell_magic
    def dockerfile(self, line: str, cell: str) -> None:
        """Check the cell as a Dockerfile and write it verbatim (UTF-8).

        Nothing is written when the text is refused: the previous file stays as it was.
        """
        args = parse(self.dockerfile, line)
        outcome = model.write(
            args.path, cell, allow_outside=settings().allow_write_outside, append=args.append
        )
        if args.append and outcome.existed:  # like %%writefile -a: say it appended
            count = len(outcome.dockerfile.instructions)
            print(tn("df.appending", count, path=args.path))
        else:
            print(outcome.message(args.path))
        for warning in outcome.dockerfile.warnings:
            print(t("df.warning", message=warning), file=sys.stderr)
        if settings().lint and not args.no_lint:
            _advise(outcome.dockerfile)


def _advise(dockerfile: model.Dockerfile) -> None:
    from layerlab.errors import DockerfileError
    from layerlab.lint import hadolint_binary, lint
    from layerlab.magics._display import show

    config = settings()
    report = lint(
        dockerfile, binary=hadolint_binary(config.hadolint_path), ignored=config.lint_ignored
    )
    if report:
        show(report)
    if report.failed(config.lint_failure_threshold):
        raise DockerfileError(t("lint.failed", threshold=config.lint_failure_threshold))
