"""Text and HTML renderings of the files in each layer and of a two-image diff.

What a terminal, nbval, nbconvert's HTML and GitHub show; the widget
(``layerlab.widgets.layer_files``) renders the same view-model interactively.
"""

from __future__ import annotations

import html
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from layerlab.i18n import percent as percent_text
from layerlab.i18n import size as size_text
from layerlab.i18n import t
from layerlab.layer_contents import Change

if TYPE_CHECKING:
    from collections.abc import Iterable

    from layerlab.layer_contents import FileChange, ImageDiff, ImageFiles, LayerFiles

MARK = {Change.ADDED: "+", Change.MODIFIED: "~", Change.DELETED: "-"}
COLOR = {Change.ADDED: "#1a7f37", Change.MODIFIED: "#9a6700", Change.DELETED: "#cf222e"}
WASTED_BG = "#fff1e5"
_ORDER = {Change.DELETED: 0, Change.MODIFIED: 1, Change.ADDED: 2}


@dataclass
class FilesViewModel:
    """What the view shows: which changes, of which layer, how many rows."""

    files: ImageFiles
    show: frozenset[Change] = field(default_factory=lambda: frozenset(Change))
    layer: int | None = None  # None: every layer
    limit: int = 15
    only_wasted: bool = False

    def layers(self) -> list[LayerFiles]:
        """Top layer first, as ``docker history`` shows them."""
        chosen = [
            layer for layer in self.files.layers if self.layer is None or layer.index == self.layer
        ]
        return list(reversed(chosen))

    def rows(self, layer: LayerFiles) -> tuple[list[FileChange], int]:
        """The changes to list (deletions first, then largest), and how many are left out."""
        chosen = [
            change
            for change in layer.changes
            if change.change in self.show and (change.wasted or not self.only_wasted)
        ]
        chosen.sort(key=lambda c: (_ORDER[c.change], not c.wasted, -c.size, c.path))
        return chosen[: self.limit], max(0, len(chosen) - self.limit)


def title(files: ImageFiles) -> str:
    return t(
        "lf.title",
        image=files.image,
        count=len(files.layers),
        size=size_text(files.size_bytes),
        wasted=size_text(files.wasted_bytes),
        score=percent_text(files.efficiency),
    )


def layer_heading(layer: LayerFiles) -> str:
    command = layer.created_by if len(layer.created_by) <= 70 else layer.created_by[:67] + "..."
    counts = t(
        "lf.counts",
        added=len(layer.of(Change.ADDED)),
        modified=len(layer.of(Change.MODIFIED)),
        deleted=len(layer.of(Change.DELETED)),
    )
    heading = t("lf.layer", index=layer.index, size=size_text(layer.size_bytes), command=command)
    return f"{heading} ({counts})"


def files_text(files: ImageFiles | FilesViewModel) -> str:
    model = files if isinstance(files, FilesViewModel) else FilesViewModel(files)
    lines = [title(model.files)]
    for layer in model.layers():
        lines.append(layer_heading(layer))
        rows, left_out = model.rows(layer)
        if not rows:
            lines.append("    " + t("lf.none"))
        for change in rows:
            wasted = "  ⚠" if change.wasted else ""
            folder = "/" if change.is_dir else ""
            lines.append(
                f"  {MARK[change.change]} {size_text(change.size):>10}  "
                f"{change.path}{folder}{wasted}"
            )
        if left_out:
            lines.append("    " + t("lf.more", count=left_out))
    if model.files.inefficiencies and model.layer is None:
        lines.append(t("lf.waste_title"))
        lines.extend(
            f"  {size_text(waste.size):>10}  x{waste.count}  {waste.path}"
            for waste in model.files.inefficiencies[: model.limit]
        )
    return "\n".join(lines)


def _tree_html(rows: Iterable[FileChange]) -> str:
    """Changes grouped by folder, as nested lists (a file tree)."""
    folders: dict[str, list[FileChange]] = {}
    for change in rows:
        folders.setdefault(posixpath.dirname(change.path), []).append(change)
    parts = []
    for folder in sorted(folders):
        items = []
        for change in folders[folder]:
            background = f"background:{WASTED_BG};" if change.wasted else ""
            tip = f" title='{html.escape(t('lf.wasted_mark'))}'" if change.wasted else ""
            if change.change is Change.DELETED:
                tip = f" title='{html.escape(t('lf.deleted_note'))}'"
            name = posixpath.basename(change.path) + ("/" if change.is_dir else "")
            items.append(
                f"<li style='{background}'{tip}><span style='color:{COLOR[change.change]};"
                f"font-weight:600'>{MARK[change.change]}</span> <code>{html.escape(name)}</code>"
                f" <span style='color:#57606a'>{html.escape(size_text(change.size))}</span>"
                f"{' ⚠' if change.wasted else ''}</li>"
            )
        parts.append(
            f"<li><code>{html.escape(folder)}/</code>"
            f"<ul style='margin:0'>{''.join(items)}</ul></li>"
        )
    return f"<ul style='list-style:none;margin:0;padding-left:1em'>{''.join(parts)}</ul>"


def files_html(files: ImageFiles | FilesViewModel) -> str:
    model = files if isinstance(files, FilesViewModel) else FilesViewModel(files)
    sections = []
    for layer in model.layers():
        rows, left_out = model.rows(layer)
        body = _tree_html(rows) if rows else f"<i>{html.escape(t('lf.none'))}</i>"
        more = f"<div><i>{html.escape(t('lf.more', count=left_out))}</i></div>" if left_out else ""
        sections.append(
            f"<details open><summary><code>{html.escape(layer_heading(layer))}</code></summary>"
            f"{body}{more}</details>"
        )
    waste = ""
    if model.files.inefficiencies and model.layer is None:
        rows_html = "".join(
            f"<tr style='background:{WASTED_BG}'><td>{html.escape(size_text(w.size))}</td>"
            f"<td>x{w.count}</td><td><code>{html.escape(w.path)}</code></td></tr>"
            for w in model.files.inefficiencies[: model.limit]
        )
        waste = f"<b>{html.escape(t('lf.waste_title'))}</b><table>{rows_html}</table>"
    return (
        f"<div class='layerlab-layer-files'><b>{html.escape(title(model.files))}</b>"
        f"{''.join(sections)}{waste}</div>"
    )


def diff_text(result: ImageDiff, limit: int = 40) -> str:
    if not result.changes:
        return t("lf.diff_same", first=result.first, second=result.second)
    lines = [t("lf.diff_title", first=result.first, second=result.second, count=len(result))]
    for change in result.changes[:limit]:
        size = (
            size_text(change.size_after)
            if change.change is not Change.DELETED
            else size_text(change.size_before)
        )
        lines.append(f"  {MARK[change.change]} {size:>10}  {change.path}")
    if len(result.changes) > limit:
        lines.append("    " + t("lf.more", count=len(result.changes) - limit))
    return "\n".join(lines)


def diff_html(result: ImageDiff, limit: int = 200) -> str:
    if not result.changes:
        return f"<div>{html.escape(diff_text(result))}</div>"
    heading = t("lf.diff_title", first=result.first, second=result.second, count=len(result))
    rows = "".join(
        f"<tr><td style='color:{COLOR[c.change]};font-weight:600'>{MARK[c.change]} "
        f"{html.escape(t('lf.' + c.change.value))}</td>"
        f"<td>{html.escape(size_text(c.size_before))} → {html.escape(size_text(c.size_after))}"
        f"</td><td><code>{html.escape(c.path)}</code></td></tr>"
        for c in result.changes[:limit]
    )
    more = ""
    if len(result.changes) > limit:
        more = f"<i>{html.escape(t('lf.more', count=len(result.changes) - limit))}</i>"
    return (
        f"<div class='layerlab-image-diff'><b>{html.escape(heading)}</b><table><thead><tr>"
        f"<th>{html.escape(t('lf.col_change'))}</th><th>{html.escape(t('lf.col_size'))}</th>"
        f"<th>{html.escape(t('lf.col_path'))}</th></tr></thead><tbody>{rows}</tbody></table>"
        f"{more}</div>"
    )
