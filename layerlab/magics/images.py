"""``%docker_images`` and ``%docker_history``: the lab's ``image ls`` and ``history``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from layerlab.magics._args import parse

if TYPE_CHECKING:
    from layerlab.views import Table


@magics_class
class ImageMagics(Magics):
    @magic_arguments()
    @argument("reference", nargs="?", default=None, help="Only images matching this name.")
    @argument("-a", "--all", action="store_true", help="Show intermediate images too.")
    @argument("--mine", action="store_true", help="Only images the kit built for you.")
    @line_magic
    def docker_images(self, line: str) -> Table:
        """List the engine's images, like ``docker image ls``."""
        from layerlab import api

        args = parse(self.docker_images, line)
        return api.images(args.reference, all_images=args.all, mine=args.mine)

    @magic_arguments()
    @argument("image", help="Image name or id.")
    @argument("other", nargs="?", default=None, help="A second image, to compare layers.")
    @argument("--base", default=None, help="The FROM image, when the kit cannot find it.")
    @line_magic
    def docker_history(self, line: str) -> Any:
        """Show an image's layers, newest on top, like ``docker history``."""
        from layerlab.layers import layers

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
