"""``%docker_cleanup`` and ``%layerlab_doctor``: tidy up after yourself, and check the setup."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from layerlab.i18n import t
from layerlab.magics._args import parse


@magics_class
class ClassroomMagics(Magics):
    @magic_arguments()
    @argument("--dry-run", action="store_true", help=t("cleanuphelp.dry_run"))
    @argument(
        "--older-than", type=float, default=None, metavar="HOURS", help=t("cleanuphelp.older_than")
    )
    @argument(
        "--force",
        action="store_true",
        help=t("cleanuphelp.force"),
    )
    @line_magic
    def docker_cleanup(self, line: str) -> Any:
        """Remove your containers and images (only the ones the kit made for you)."""
        from layerlab.classroom import cleanup

        args = parse(self.docker_cleanup, line)
        return cleanup(older_than_hours=args.older_than, dry_run=args.dry_run, force=args.force)

    @line_magic
    def layerlab_doctor(self, _line: str) -> Any:
        """Check the engine, builders, base images, disk and widgets the labs need."""
        from layerlab.doctor import diagnose

        return diagnose()
