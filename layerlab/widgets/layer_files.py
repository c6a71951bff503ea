"""The files-per-layer view: pick a layer, filter added / modified / deleted files, see
sizes and the wasted ones; and, given a second image, the files that differ.

Renders ``ImageFiles`` / ``ImageDiff`` view-models only; it never calls the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from layerlab.i18n import t
from layerlab.layer_contents import Change
from layerlab.layer_views import FilesViewModel, diff_html, diff_text, files_html, files_text

if TYPE_CHECKING:
    from layerlab.layer_contents import ImageDiff, ImageFiles

_ALL = "all"


class LayerFilesView(widgets.VBox):
    """One image's layers with their files; with ``diff``, the files that differ too."""

    def __init__(self, files: ImageFiles, diff: ImageDiff | None = None, **kwargs: Any) -> None:
        self.model = FilesViewModel(files)
        self.diff = diff
        self.layer_pick = widgets.Dropdown(
            options=[(t("lf.all"), -1)]
            + [(f"{layer.index}: {layer.created_by[:60]}", layer.index) for layer in files.layers],
            value=-1,
            description=t("lf.layer_pick"),
        )
        self.filter = widgets.ToggleButtons(
            options=[
                (t("lf.all"), _ALL),
                (t("lf.added"), Change.ADDED.value),
                (t("lf.modified"), Change.MODIFIED.value),
                (t("lf.deleted"), Change.DELETED.value),
            ],
            value=_ALL,
            description=t("lf.show"),
        )
        self.wasted_only = widgets.Checkbox(value=False, description=t("lf.wasted_mark"))
        self.drawing = widgets.HTML()
        self.diff_drawing = widgets.HTML(diff_html(diff) if diff is not None else "")
        for control in (self.layer_pick, self.filter, self.wasted_only):
            control.observe(self._changed, names="value")
        super().__init__(
            children=(
                widgets.HBox((self.layer_pick, self.wasted_only)),
                self.filter,
                self.drawing,
                self.diff_drawing,
            ),
            **kwargs,
        )
        self.add_class("layerlab-layer-files-view")
        self._changed({})

    def _changed(self, _change: dict[str, Any]) -> None:
        chosen = self.filter.value
        self.model.show = frozenset(Change) if chosen == _ALL else frozenset({Change(chosen)})
        self.model.layer = None if self.layer_pick.value == -1 else int(self.layer_pick.value)
        self.model.only_wasted = bool(self.wasted_only.value)
        self.drawing.value = files_html(self.model)

    def __repr__(self) -> str:
        text = files_text(self.model)
        if self.diff is not None:
            text += "\n\n" + diff_text(self.diff)
        return text

    def _repr_html_(self) -> str:
        return str(self.drawing.value) + (diff_html(self.diff) if self.diff is not None else "")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self._repr_html_()
        return bundle
