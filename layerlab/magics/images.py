"""``%docker_images`` and ``%docker_history``: the lab's ``image ls`` and ``history``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from layerlab.i18n import t
from layerlab.magics._args import parse

if TYPE_CHECKING:
    from layerlab.image_list import IdList, ImageTable


@magics_class
class ImageMagics(Magics):
    @magic_arguments()
    @argument("reference", nargs="?", default=None, help=t("imageshelp.reference"))
    @argument("-a", "--all", action="store_true", help=t("imageshelp.all"))
    @argument("-q", "--quiet", action="store_true", help=t("imageshelp.quiet"))
    @line_magic
    def docker_images(self, line: str) -> ImageTable | IdList:
        """List your images (``--all``: every image on the engine), like ``docker image ls``."""
        from layerlab.image_list import images

        args = parse(self.docker_images, line)
        quiet: bool = args.quiet
        return images(args.reference, everything=args.all, quiet=quiet)

    @magic_arguments()
    @argument("image", help=t("historyhelp.image"))
    @argument("other", nargs="?", default=None, help=t("historyhelp.other"))
    @argument("--base", default=None, help=t("historyhelp.base"))
    @line_magic
    def docker_history(self, line: str) -> Any:
        """Show an image's layers, newest on top, like ``docker history``."""
        from layerlab import layers

        args = parse(self.docker_history, line)
        stack = layers(args.image, base=args.base)
        if args.other is None:
            return _layer_view(stack)
        other = layers(args.other)
        return _layer_view(stack, other)


def _layer_view(*stacks: Any) -> Any:
    from layerlab.magics._display import use_widgets

    if use_widgets():
        try:
            from layerlab.widgets.layer_stack import LayerStackView
        except ImportError:
            pass
        else:
            return LayerStackView(*stacks)
    return stacks[0] if len(stacks) == 1 else list(stacks)
