"""``%docker_build``: flags mirror ``docker image build`` so CLI habits carry over."""

from __future__ import annotations

from typing import TYPE_CHECKING

from IPython.core.magic import Magics, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments

from layerlab.magics._args import parse

if TYPE_CHECKING:
    from layerlab.build import BuildResult

# The core (layerlab.api and what it pulls in) is imported on the first build, not at
# %load_ext: loading the extension stays cheap.


@magics_class
class BuildMagics(Magics):
    @magic_arguments()
    @argument("context", nargs="?", default=".", help="Build context folder (default: .).")
    @argument(
        "-t",
        "--tag",
        action="append",
        default=[],
        help="Name and optionally a tag (name:tag); repeatable.",
    )
    @argument(
        "-f",
        "--file",
        default="Dockerfile",
        help="Dockerfile path, relative to the context (default: Dockerfile).",
    )
    @argument("--no-cache", action="store_true", help="Do not use the build cache.")
    @argument(
        "--pull",
        action="store_true",
        help="Try to pull a newer base image (default: use the engine's copy).",
    )
    @argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Set a build-time variable; repeatable.",
    )
    @argument(
        "--builder",
        choices=["classic", "buildkit", "auto"],
        default=None,
        help="Which builder runs the build (default: %%config Layerlab.builder).",
    )
    @argument("-q", "--quiet", action="store_true", help="Only print the summary.")
    @argument(
        "--force",
        action="store_true",
        help="Send the build context even when it is above the size limit.",
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
            builder=args.builder,
            force=args.force,
            listeners=[view],
        )
