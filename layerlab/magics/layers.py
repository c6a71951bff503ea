"""``%docker_layers IMAGE [--diff OTHER]``: the files in each layer, as dive shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from layerlab.i18n import t

if TYPE_CHECKING:
    from layerlab.layer_contents import ImageDiff, ImageFiles


@magics_class
class LayerFilesMagics(Magics):
    @magic_arguments()
    @argument("image", help=t("historyhelp.image"))
    @argument("--diff", default=None, metavar="OTHER", help=t("layershelp.diff"))
    @line_magic
    def docker_layers(self, line: str) -> Any:
        """Files added, modified and deleted by each layer; wasted space and efficiency."""
        from layerlab.layer_contents import diff, layer_files

        args = parse_argstring(self.docker_layers, line)
        files = layer_files(args.image)
        changes = None
        if args.diff is not None:
            changes = diff(files, layer_files(args.diff))
        return _view(files, changes)


def _view(files: ImageFiles, changes: ImageDiff | None) -> Any:
    from layerlab.magics._display import use_widgets

    if use_widgets():
        try:
            from layerlab.widgets.layer_files import LayerFilesView
        except ImportError:
            pass
        else:
            return LayerFilesView(files, changes)
    return files if changes is None else [files, changes]
