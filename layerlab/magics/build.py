"""``%docker_build``: flags mirror ``docker image build`` so CLI habits carry over."""

from __future__ import annotations

from typing import TYPE_CHECKING

from IPython.core.magic import Magics, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments

from layerlab.i18n import t
from layerlab.magics._args import parse

if TYPE_CHECKING:
    from layerlab.build import BuildResult

# The core (layerlab.api and what it pulls in) is imported on the first build, not at
# %load_ext: loading the extension stays cheap.


@magics_class
class BuildMagics(Magics):
    @magic_arguments()
    @argument("context", nargs="?", default=".", help=t("buildhelp.context"))
    @argument(
        "-t",
        "--tag",
        action="append",
        default=[],
        help=t("buildhelp.tag"),
    )
    @argument(
        "-f",
        "--file",
        default="Dockerfile",
        help=t("buildhelp.file"),
    )
    @argument("--no-cache", action="store_true", help=t("buildhelp.no_cache"))
    @argument(
        "--pull",
        action="store_true",
        help=t("buildhelp.pull"),
    )
    @argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=t("buildhelp.build_arg"),
    )
    @argument(
        "--target",
        default=None,
        metavar=t("buildhelp.meta.stage"),
        help=t("buildhelp.target"),
    )
    @argument(
        "--builder",
        choices=["classic", "buildkit", "auto"],
        default=None,
        help=t("buildhelp.builder"),
    )
    @argument("-q", "--quiet", action="store_true", help=t("buildhelp.quiet"))
    @argument(
        "--force",
        action="store_true",
        help=t("buildhelp.force"),
    )
    @no_var_expand
    @line_magic
    def docker_build(self, line: str) -> BuildResult:
        """Build an image from a Dockerfile, showing each step live.

        Returns a ``BuildResult``: ``result.steps``, ``result.cache_hits``,
        ``result.image_id``, ``result.log`` …  A failed build raises ``BuildFailed``.
        """
        from layerlab import api
        from layerlab.magics._display import build_view

        args = parse(self.docker_build, line)
        build_args = api.parse_build_args(args.build_arg)
        view = build_view(quiet=args.quiet)
        return api.build(
            args.context,
            tags=args.tag,
            dockerfile=args.file,
            build_args=build_args,
            no_cache=args.no_cache,
            pull=args.pull,
            target=args.target,
            builder=args.builder,
            force=args.force,
            listeners=[view],
        )
