"""``%docker_images`` / ``%docker images``: the learner's images first, on a shared engine.

A classroom or CI engine holds hundreds of images, most of them someone else's, many
``<none>`` leftovers of rebuilds. By default the list shows the images the kit built for
this learner ("mine": the kit's label and ``org.layerlab.owner`` = this learner, see the
README's *Whose images*), with one line summarising their dangling ones and one line
counting what is hidden. ``everything=True`` (``-a/--all``) lists every image, like
``docker image ls -a``.

A name pattern (``learner*``, ``python:3.13-*``) matches the learner's short names with
or without a registry host, so ``127.0.0.1:5000/learner-hello`` is listed under
``learner*``; with a pattern, images that are nobody's (base images such as
``python:3.13-alpine``) are listed too, other learners' are not.
"""

from __future__ import annotations

import fnmatch
import html
from typing import TYPE_CHECKING, Any, Literal, overload

from layerlab.i18n import t, tn
from layerlab.views import Table

if TYPE_CHECKING:
    from collections.abc import Mapping

_NONE = "<none>:<none>"


class ImageTable(Table):
    """The image table, with summary lines under it (dangling, hidden)."""

    def __init__(
        self,
        headers: list[str],
        rows: list[list[str]],
        records: list[dict[str, Any]],
        notes: list[str],
    ) -> None:
        super().__init__(headers, rows, records)
        self.notes = notes

    @property
    def ids(self) -> IdList:
        """Short image ids, once each, in the table's order (what ``-q`` prints)."""
        return IdList(dict.fromkeys(str(r["id"]).removeprefix("sha256:")[:12] for r in self))

    def __repr__(self) -> str:
        return "\n".join([super().__repr__(), *self.notes])

    def _repr_html_(self) -> str:
        notes = "".join(
            f"<div class='layerlab-images-note' style='color:#57606a'>{html.escape(note)}</div>"
            for note in self.notes
        )
        return f"<div class='layerlab-images'>{super()._repr_html_()}{notes}</div>"


class IdList(list[str]):
    """Ids as ``-q`` gives them: one per line when shown, space-separated inside a
    command (``ids = %docker ps -q`` then ``%docker stop $ids``)."""

    def __str__(self) -> str:
        return " ".join(self)

    def __repr__(self) -> str:
        return "\n".join(self)

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(repr(self))


def is_mine(labels: Mapping[str, str] | None) -> bool:
    """Made by the kit for this learner (and carrying the configured extra labels)."""
    from layerlab.engine import scope_labels

    found = labels or {}
    for wanted in scope_labels():
        key, _, value = wanted.partition("=")
        if found.get(key) != value:
            return False
    return True


def is_kit_made(labels: Mapping[str, str] | None) -> bool:
    from layerlab.engine import LABEL_KIT

    return (labels or {}).get(LABEL_KIT) == "layerlab"


def _without_registry(name: str) -> str:
    from layerlab.references import split_registry

    return split_registry(name)[1]


def matches(name: str, pattern: str) -> bool:
    """``learner*`` matches ``learner-hello:latest`` and ``127.0.0.1:5000/learner-hello:v1``;
    a pattern without a tag matches every tag, as the CLI's reference filter does."""
    repository, _, _ = name.rpartition(":")
    candidates = {name, _without_registry(name), repository, _without_registry(repository)}
    return any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates)


def _choose(
    tags: list[str], labels: Mapping[str, str], pattern: str | None, *, everything: bool
) -> tuple[str, list[str]]:
    """Whether an image is "shown" (with which names), "hidden", "dangling" or "skipped"."""
    if everything:
        return "shown", tags
    if pattern is not None:
        tags = [tag for tag in tags if matches(tag, pattern)]
        nobodys = not is_kit_made(labels)
        return ("shown" if tags and (nobodys or is_mine(labels)) else "skipped"), tags
    if not is_mine(labels):
        return "hidden", tags
    return ("shown" if tags else "dangling"), tags


@overload
def images(
    pattern: str | None = None, *, everything: bool = False, quiet: Literal[False] = False
) -> ImageTable: ...
@overload
def images(
    pattern: str | None = None, *, everything: bool = False, quiet: bool
) -> ImageTable | IdList: ...
def images(
    pattern: str | None = None, *, everything: bool = False, quiet: bool = False
) -> ImageTable | IdList:
    """The learner's images (``everything``: all of the engine's), as a table or, with
    ``quiet``, as ids."""
    from layerlab import names
    from layerlab.context import human_size
    from layerlab.engine import is_podman
    from layerlab.engine_ops import engine_api, engine_error, engine_errors
    from layerlab.i18n import ago

    try:
        summaries = engine_api().images(all=everything)
    except engine_errors() as exc:
        raise engine_error(exc) from None
    podman = is_podman()
    rows: list[list[str]] = []
    records: list[dict[str, Any]] = []
    hidden = 0
    dangling: list[dict[str, Any]] = []
    for summary in sorted(summaries, key=lambda s: -int(s.get("Created", 0))):
        labels = summary.get("Labels") or {}
        tags = [names.to_learner(tag, podman=podman) for tag in summary.get("RepoTags") or []]
        tags = [tag for tag in tags if tag != _NONE]
        verdict, tags = _choose(tags, labels, pattern, everything=everything)
        if verdict == "hidden":
            hidden += 1
        elif verdict == "dangling":
            dangling.append(summary)
        if verdict != "shown":
            continue
        short = str(summary["Id"]).removeprefix("sha256:")[:12]
        for tag in tags or [_NONE]:
            repository, _, version = tag.rpartition(":")
            rows.append(
                [
                    repository,
                    version,
                    short,
                    ago(int(summary.get("Created", 0))),
                    human_size(int(summary.get("Size", 0))),
                ]
            )
            records.append(
                {
                    "repository": repository,
                    "tag": version,
                    "id": summary["Id"],
                    "created": summary.get("Created"),
                    "size": summary.get("Size"),
                    "labels": labels,
                }
            )
    notes: list[str] = []
    if not rows and pattern is None and not everything:
        notes.append(t("images.none_mine"))
    if dangling:
        size = sum(int(s.get("Size", 0)) for s in dangling)
        notes.append(tn("images.dangling", len(dangling), size=human_size(size)))
    if hidden:
        notes.append(tn("images.hidden", hidden))
    headers = ["table.repository", "table.tag", "table.image_id", "table.created", "table.size"]
    table = ImageTable([t(key) for key in headers], rows, records, notes)
    return table.ids if quiet else table
