"""An image as a stack of layers: ``docker history`` turned into plain records.

Like dive's Layer: strip ``/bin/sh -c`` and ``#(nop)``, mark metadata-only entries
(CMD, ENV, ...), and say which layers came with the ``FROM`` image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from layerlab.errors import EngineError
from layerlab.i18n import t

if TYPE_CHECKING:
    from collections.abc import Sequence

_SHELL_PREFIX = re.compile(r"^/bin/sh -c\s+")
_NOP = re.compile(r"^#\(nop\)\s*")
_BUILDKIT_SUFFIX = re.compile(r"\s*# buildkit$")
_KIT_LABEL = re.compile(r"^LABEL org\.layerlab\.(kit|session|owner|test)=")
_METADATA = frozenset({"CMD", "ENV", "LABEL", "EXPOSE", "ENTRYPOINT", "USER", "WORKDIR",
                       "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "ARG", "ONBUILD",
                       "MAINTAINER"})


def clean_created_by(created_by: str) -> str:
    """``/bin/sh -c #(nop)  CMD ["python"]`` → ``CMD ["python"]``; RUN lines get ``RUN``."""
    text = _BUILDKIT_SUFFIX.sub("", created_by.strip())
    had_shell = bool(_SHELL_PREFIX.match(text))
    text = _SHELL_PREFIX.sub("", text)
    if _NOP.match(text):
        return _NOP.sub("", text).strip()
    if had_shell:
        return f"RUN {text.strip()}"
    if text.startswith("|"):  # classic builder with build args: "|1 NAME=value /bin/sh -c …"
        return "RUN " + _SHELL_PREFIX.sub("", re.sub(r"^\|\d+ (\S+=\S*\s+)*", "", text)).strip()
    return text


def _is_kit_label(entry: dict[str, Any]) -> bool:
    return bool(_KIT_LABEL.match(clean_created_by(str(entry.get("CreatedBy", "")))))


@dataclass(frozen=True, slots=True)
class Layer:
    index: int                 # 0 = bottom of the stack
    id: str                    # image id of this step, or "<missing>"
    created_by: str
    size_bytes: int
    empty: bool                # metadata only: adds no files
    from_base: bool
    created: int = 0
    instruction: str | None = None
    tags: tuple[str, ...] = ()
    comment: str = ""

    @property
    def keyword(self) -> str:
        return self.created_by.split(maxsplit=1)[0].upper() if self.created_by else ""


@dataclass
class LayerStack:
    image: str
    image_id: str
    layers: list[Layer]        # newest first, like docker history
    base_image: str | None = None
    diff_ids: tuple[str, ...] = field(default=(), repr=False)

    @property
    def total_bytes(self) -> int:
        return sum(layer.size_bytes for layer in self.layers)

    @property
    def base_layers(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.from_base]

    @property
    def own_layers(self) -> list[Layer]:
        return [layer for layer in self.layers if not layer.from_base]

    def __iter__(self) -> Any:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        from layerlab.views import layers_text

        printer.text(layers_text(self))

    def _repr_html_(self) -> str:
        from layerlab.views import layers_html

        return layers_html(self)


def _client() -> Any:
    from layerlab.engine import connect

    return connect()


def _inspect(image: str) -> dict[str, Any]:
    from docker.errors import ImageNotFound

    try:
        return dict(_client().api.inspect_image(image))
    except ImageNotFound:
        raise EngineError(t("engine.no_such_image", image=image)) from None


def find_base(image_attrs: dict[str, Any], candidates: Sequence[str] = ()) -> str | None:
    """The local image whose layers are the longest strict prefix of this image's layers."""
    layers = tuple(image_attrs.get("RootFS", {}).get("Layers", []))
    best: tuple[int, str] | None = None
    names: list[str] = list(candidates)
    if not names:
        for summary in _client().api.images():
            names.extend(tag for tag in summary.get("RepoTags") or [] if tag != "<none>:<none>")
    for name in names:
        try:
            other = _client().api.inspect_image(name)
        except Exception:  # noqa: BLE001 - an unreadable candidate is simply not the base
            continue
        if other.get("Id") == image_attrs.get("Id"):
            continue
        other_layers = tuple(other.get("RootFS", {}).get("Layers", []))
        if other_layers and len(other_layers) < len(layers) and layers[: len(other_layers)] == (
            other_layers
        ):
            if best is None or len(other_layers) > best[0]:
                best = (len(other_layers), name)
        elif other_layers == layers and other.get("Created", "") < image_attrs.get("Created", ""):
            # e.g. an image that only adds metadata on top of its base
            if best is None:
                best = (len(other_layers), name)
    return best[1] if best else None


def layers(image: str, *, base: str | None = None,
           instructions: Sequence[str] | None = None,
           show_kit_labels: bool = False) -> LayerStack:
    """The layers of ``image`` (newest first). ``base`` names the FROM image when known;
    otherwise the kit looks for the local image it was built on."""
    attrs = _inspect(image)
    history: list[dict[str, Any]] = list(_client().api.history(image))
    if not show_kit_labels:
        # the classic builder stores the kit's own labels as LABEL entries on top
        history = [entry for entry in history if not _is_kit_label(entry)]
    base_name = base or find_base(attrs)
    base_count = 0
    if base_name:
        base_count = len(_client().api.history(base_name))
    total = len(history)
    records: list[Layer] = []
    # history is newest first; index 0 in our records is the bottom of the stack
    own_instructions = list(instructions or [])
    own_total = total - base_count
    for position, entry in enumerate(history):
        index = total - 1 - position
        created_by = clean_created_by(str(entry.get("CreatedBy", "")))
        size = int(entry.get("Size", 0) or 0)
        keyword = created_by.split(maxsplit=1)[0].upper() if created_by else ""
        from_base = index < base_count
        own_index = index - base_count
        instruction = None
        if not from_base and own_instructions and len(own_instructions) == own_total:
            instruction = own_instructions[own_index]
        records.append(Layer(
            index=index,
            id=str(entry.get("Id", "<missing>")),
            created_by=created_by,
            size_bytes=size,
            empty=size == 0 and keyword in _METADATA,
            from_base=from_base,
            created=int(entry.get("Created", 0) or 0),
            instruction=instruction,
            tags=tuple(entry.get("Tags") or ()),
            comment=str(entry.get("Comment", "") or ""),
        ))
    return LayerStack(image=image, image_id=str(attrs.get("Id", "")), layers=records,
                      base_image=base_name,
                      diff_ids=tuple(attrs.get("RootFS", {}).get("Layers", [])))


def shared_layers(first: LayerStack, second: LayerStack) -> int:
    """How many filesystem layers (from the bottom) two images have in common."""
    count = 0
    for a, b in zip(first.diff_ids, second.diff_ids, strict=False):
        if a != b:
            break
        count += 1
    return count
