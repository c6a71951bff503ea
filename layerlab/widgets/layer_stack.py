"""The layer-stack view: an image drawn as a pile of layers, newest on top.

Bar lengths follow the size on a log scale, so a 200 MB layer and a 156-byte one are
both visible (the exact size is printed beside every bar); metadata-only layers (CMD,
ENV, …) are thin lines; the base image's layers are grouped at the bottom under its
name. Given two images, the layers they share are marked on both stacks.

The view renders ``LayerStack`` records only; it never calls the engine.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any, Literal

import ipywidgets as widgets

from layerlab.context import human_size
from layerlab.i18n import layer_counts, t, tn
from layerlab.image_layers import shared_layers
from layerlab.views import layers_text

if TYPE_CHECKING:
    from layerlab.image_layers import Layer, LayerStack

Scale = Literal["log", "linear"]

OWN_COLOR = "#0969da"
BASE_COLOR = "#8c959f"
SHARED_COLOR = "#8250df"
#: sizes below this are drawn as the shortest bar on the log scale
_LOG_FLOOR_BYTES = 100
_MIN_BAR_PCT = 1.5
#: and never thinner than this, whatever the bar column's width (linear scale: a 156-byte
#: layer next to a 100 MB one stays visible)
_MIN_BAR_PX = 4
#: the bar column: the same width on every row of a stack, 220px when there is room,
#: narrower in a narrow notebook
_BAR_COLUMN = "flex:none;width:clamp(60px,30%,220px)"
_MONO = "font-family:var(--jp-code-font-family,monospace);font-size:12px"
#: one width for the size and "metadata" columns, in px so both line up whatever the
#: font size, and wide enough for "métadonnées" and "1023.9 MB"
_LABEL_COLUMN = "width:84px;flex:none;text-align:right"
#: the command takes the rest of the row and ends in "…" rather than wrap (the title
#: attribute holds it in full). width:0 keeps its unwrapped text out of the row's
#: min-content width: otherwise the whole view refuses to shrink below the longest
#: command and a narrow notebook panel cuts it off
_COMMAND_COLUMN = (
    "flex:1 1 0;width:0;min-width:0;overflow:hidden;white-space:nowrap;text-overflow:ellipsis"
)


def bar_percent(size: int, largest: int, scale: Scale = "log") -> float:
    """Bar length in percent of the widest bar; every non-empty layer stays visible."""
    if size <= 0 or largest <= 0:
        return 0.0
    if scale == "linear":
        return max(_MIN_BAR_PCT, 100.0 * size / largest)
    top = math.log10(max(largest, _LOG_FLOOR_BYTES * 10))
    bottom = math.log10(_LOG_FLOOR_BYTES)
    value = math.log10(max(size, _LOG_FLOOR_BYTES))
    return max(_MIN_BAR_PCT, 100.0 * (value - bottom) / (top - bottom))


def shared_entries(first: LayerStack, second: LayerStack) -> int:
    """How many history entries, from the bottom, two stacks have in common.

    Entries must agree on command, size and (when both are known) id; the count of
    filesystem layers among them never exceeds what the images' diff ids prove shared.
    """
    proven = shared_layers(first, second) if first.diff_ids and second.diff_ids else None
    count = 0
    filesystem = 0
    for mine, theirs in zip(reversed(first.layers), reversed(second.layers), strict=False):
        if mine.created_by != theirs.created_by or mine.size_bytes != theirs.size_bytes:
            break
        if "<missing>" not in (mine.id, theirs.id) and mine.id != theirs.id:
            break
        if not mine.empty:
            filesystem += 1
            if proven is not None and filesystem > proven:
                break
        count += 1
    return count


def _label(layer: Layer) -> str:
    return layer.instruction or layer.created_by or t("stack.no_command")


def layer_row_html(
    layer: Layer, largest: int, *, scale: Scale = "log", shared: bool = False
) -> str:
    kind = "base" if layer.from_base else "own"
    color = SHARED_COLOR if shared else (BASE_COLOR if layer.from_base else OWN_COLOR)
    label = _label(layer)
    shown = label if len(label) <= 90 else label[:87] + "…"
    chip = ""
    if shared:
        chip = (
            f"<span style='color:#ffffff;background:{SHARED_COLOR};border-radius:8px;"
            f"padding:0 6px;font-size:11px;margin-right:4px'>"
            f"{html.escape(t('stack.shared_chip'))}</span>"
        )
    attributes = (
        f"class='layerlab-layer' data-kind='{kind}' data-empty='{str(layer.empty).lower()}' "
        f"data-shared='{str(shared).lower()}' data-size='{layer.size_bytes}' "
        f"title='{html.escape(layer.created_by, quote=True)}'"
    )
    if layer.empty:
        # metadata only: a thin line, no size column worth reading
        return (
            f"<div {attributes} style='display:flex;align-items:center;gap:8px;"
            f"min-height:14px;color:#6e7781;font-size:11px'>"
            f"<div style='{_BAR_COLUMN}'><div style='height:2px;width:100%;"
            f"background:{color};opacity:.45'></div></div>"
            f"<span style='{_LABEL_COLUMN}'>"
            f"{html.escape(t('stack.metadata'))}</span>"
            f"<span style='{_COMMAND_COLUMN}'>{chip}"
            f"<code style='{_MONO};font-size:11px'>{html.escape(shown)}</code>"
            "</span></div>"
        )
    width = bar_percent(layer.size_bytes, largest, scale)
    return (
        f"<div {attributes} style='display:flex;align-items:center;gap:8px;min-height:22px'>"
        f"<div style='{_BAR_COLUMN};background:#d0d7de40;border-radius:3px'>"
        f"<div style='height:16px;width:{width:.1f}%;min-width:{_MIN_BAR_PX}px;"
        f"background:{color};border-radius:3px'>"
        "</div></div>"
        f"<span style='{_LABEL_COLUMN};font-variant-numeric:"
        f"tabular-nums'>{html.escape(human_size(layer.size_bytes))}</span>"
        f"<span style='{_COMMAND_COLUMN}'>{chip}"
        f"<code style='{_MONO}'>{html.escape(shown)}</code></span></div>"
    )


def _group_html(css_class: str, label: str, rows: list[str], border: str) -> str:
    return (
        f"<div class='{css_class}' style='border:{border};border-radius:6px;"
        f"padding:4px 8px;margin:4px 0'>"
        f"<div class='{css_class}-label' style='font-weight:600;color:#57606a;"
        f"margin-bottom:2px'>{html.escape(label)}</div>{''.join(rows)}</div>"
    )


def stack_html(
    stack: LayerStack, *, largest: int | None = None, scale: Scale = "log", shared_count: int = 0
) -> str:
    """One image as a stack; the bottom ``shared_count`` entries are marked shared."""
    biggest = (
        largest
        if largest is not None
        else max((layer.size_bytes for layer in stack.layers), default=0)
    )
    total = len(stack.layers)
    own_rows: list[str] = []
    base_rows: list[str] = []
    for position, layer in enumerate(stack.layers):
        shared = total - position <= shared_count  # counted from the bottom
        row = layer_row_html(layer, biggest, scale=scale, shared=shared)
        (base_rows if layer.from_base else own_rows).append(row)
    title = t(
        "stack.title",
        image=stack.image,
        size=human_size(stack.total_bytes),
        **layer_counts(sum(not layer.empty for layer in stack.layers), total),
    )
    heading = (
        f"<div class='layerlab-stack-title' style='font-weight:700;margin-bottom:4px'>"
        f"{html.escape(title)}</div>"
    )
    parts = [heading]
    if base_rows:
        own_bytes = sum(layer.size_bytes for layer in stack.own_layers)
        parts.append(
            _group_html(
                "layerlab-own-group",
                t(
                    "stack.own_group",
                    size=human_size(own_bytes),
                    **layer_counts(
                        sum(not layer.empty for layer in stack.own_layers), len(own_rows)
                    ),
                ),
                own_rows,
                f"1px solid {OWN_COLOR}66",
            )
        )
        base_bytes = sum(layer.size_bytes for layer in stack.base_layers)
        parts.append(
            _group_html(
                "layerlab-base-group",
                t(
                    "stack.base_group",
                    name=stack.base_image or "?",
                    **layer_counts(
                        sum(not layer.empty for layer in stack.base_layers), len(base_rows)
                    ),
                    size=human_size(base_bytes),
                ),
                base_rows,
                f"1px dashed {BASE_COLOR}",
            )
        )
    else:
        parts.extend(own_rows)
    return (
        f"<div class='layerlab-stack' data-image='{html.escape(stack.image, quote=True)}' "
        # side by side while each gets 360px, stacked one under the other when narrower
        f"style='flex:1 1 360px;min-width:0;max-width:100%'>{''.join(parts)}</div>"
    )


def shared_text(first: LayerStack, second: LayerStack) -> str:
    count = shared_layers(first, second)
    if count == 0 and shared_entries(first, second) == 0:
        return t("stack.none_shared", first=first.image, second=second.image)
    entries = shared_entries(first, second)
    size = sum(layer.size_bytes for layer in first.layers[len(first.layers) - entries :])
    return tn("stack.shared", count, first=first.image, second=second.image, size=human_size(size))


def layer_stack_html(stacks: tuple[LayerStack, ...], scale: Scale = "log") -> str:
    largest = max((layer.size_bytes for stack in stacks for layer in stack.layers), default=0)
    shared = shared_entries(stacks[0], stacks[1]) if len(stacks) == 2 else 0
    drawn = "".join(
        stack_html(stack, largest=largest, scale=scale, shared_count=shared) for stack in stacks
    )
    footer = [t("stack.scale_log" if scale == "log" else "stack.scale_linear")]
    if len(stacks) == 2:
        footer.insert(0, shared_text(stacks[0], stacks[1]))
    notes = "".join(
        f"<div class='layerlab-stack-note' style='color:#57606a'>{html.escape(note)}</div>"
        for note in footer
    )
    return (
        # line-height: the HTML widget sets 28px (one widget row) for its content
        f"<div class='layerlab-layers-view' style='font-size:13px;line-height:1.45;"
        f"max-width:100%;"
        f"overflow-x:auto'>"
        f"<div style='display:flex;gap:8px 24px;flex-wrap:wrap'>{drawn}</div>{notes}</div>"
    )


class LayerStackView(widgets.VBox):
    """One image's layers as a stack, or two images side by side with shared layers."""

    def __init__(self, *stacks: LayerStack, scale: Scale = "log", **kwargs: Any) -> None:
        if not 1 <= len(stacks) <= 2:
            raise ValueError("LayerStackView shows one or two layer stacks")
        self.stacks: tuple[LayerStack, ...] = stacks
        self.drawing = widgets.HTML()
        self.scale_toggle = widgets.ToggleButtons(
            options=[(t("stack.log_word"), "log"), (t("stack.linear_word"), "linear")],
            value=scale,
            description=t("stack.scale"),
            style={"button_width": "70px"},
        )
        self.scale_toggle.observe(self._scale_changed, names="value")
        super().__init__(children=(self.drawing, self.scale_toggle), **kwargs)
        self.add_class("layerlab-layer-stack-view")
        self._draw()

    @property
    def scale(self) -> Scale:
        return "linear" if self.scale_toggle.value == "linear" else "log"

    @property
    def shared(self) -> int:
        """Filesystem layers the two images share (0 for a single image)."""
        return shared_layers(*self.stacks) if len(self.stacks) == 2 else 0

    def _scale_changed(self, _change: dict[str, Any]) -> None:
        self._draw()

    def _draw(self) -> None:
        self.drawing.value = layer_stack_html(self.stacks, self.scale)

    def __repr__(self) -> str:
        text = "\n\n".join(layers_text(stack) for stack in self.stacks)
        if len(self.stacks) == 2:
            text += "\n\n" + shared_text(*self.stacks)
        return text

    def _repr_html_(self) -> str:
        return layer_stack_html(self.stacks, self.scale)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self._repr_html_()
        return bundle
