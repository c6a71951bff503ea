"""An image as a stack of layers: ``docker history`` turned into plain records.

Like dive's Layer: strip ``/bin/sh -c`` and ``#(nop)``, mark metadata-only entries
(CMD, ENV, ...), and say which layers came with the ``FROM`` image.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from layerlab.errors import EngineError
from layerlab.i18n import t

if TYPE_CHECKING:
    from collections.abc import Sequence

    from docker import DockerClient

    from layerlab.build import BuildResult

_SHELL_PREFIX = re.compile(r"^/bin/sh -c\s+")
_NOP = re.compile(r"^#\(nop\)\s*")
_BUILDKIT_SUFFIX = re.compile(r"\s*# buildkit$")
#: Docker writes ``LABEL org.layerlab.kit=layerlab``; Podman (buildah) quotes both sides
_KIT_LABEL = re.compile(r'^LABEL "?org\.layerlab\.(kit|session|owner|test|lab)"?=')
_METADATA = frozenset(
    {
        "CMD",
        "ENV",
        "LABEL",
        "EXPOSE",
        "ENTRYPOINT",
        "USER",
        "WORKDIR",
        "VOLUME",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
        "ARG",
        "ONBUILD",
        "MAINTAINER",
    }
)


def clean_created_by(created_by: str) -> str:
    """``/bin/sh -c #(nop)  CMD ["python"]`` → ``CMD ["python"]``; RUN lines get ``RUN``."""
    text = _BUILDKIT_SUFFIX.sub("", created_by.strip())
    had_shell = bool(_SHELL_PREFIX.match(text))
    text = _SHELL_PREFIX.sub("", text)
    if _NOP.match(text):
        return _NOP.sub("", text).strip()
    if had_shell:
        return f"RUN {text.strip()}"
    if text.startswith("RUN /bin/sh -c "):  # BuildKit writes the keyword before the shell
        return "RUN " + text.removeprefix("RUN /bin/sh -c ").strip()
    if text.startswith("|"):  # classic builder with build args: "|1 NAME=value /bin/sh -c …"
        return "RUN " + _SHELL_PREFIX.sub("", re.sub(r"^\|\d+ (\S+=\S*\s+)*", "", text)).strip()
    return text


def _is_kit_label(entry: dict[str, Any]) -> bool:
    return bool(_KIT_LABEL.match(clean_created_by(str(entry.get("CreatedBy", "")))))


@dataclass(frozen=True, slots=True)
class Layer:
    index: int  # 0 = bottom of the stack
    id: str  # image id of this step, or "<missing>"
    created_by: str
    size_bytes: int
    empty: bool  # metadata only: adds no files
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
    layers: list[Layer]  # newest first, like docker history
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

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        from layerlab.views import layers_text

        printer.text(layers_text(self))

    def _repr_html_(self) -> str:
        from layerlab.widgets.layer_stack import layer_stack_html

        return layer_stack_html((self,))


def _client(*, verify: bool = False) -> DockerClient:
    """The engine's client; ``verify``: ping it first (once per public call: a ping per
    request cost a 100-layer stack a fifth of its time)."""
    from layerlab.engine import connect

    return connect(verify=verify)


def _inspect(image: str) -> dict[str, Any]:
    from docker.errors import ImageNotFound

    try:
        return dict(_client(verify=True).api.inspect_image(image))
    except ImageNotFound:
        raise EngineError(t("engine.no_such_image", image=image)) from None


def _history_key(entry: dict[str, Any]) -> tuple[str, int, int]:
    return (
        str(entry.get("CreatedBy", "")),
        int(entry.get("Created", 0) or 0),
        int(entry.get("Size", 0) or 0),
    )


@functools.lru_cache(maxsize=512)
def _history_keys(host: str, image: str) -> list[tuple[str, int, int]]:
    """The history of the image with id ``image`` (immutable) on the engine at ``host``."""
    del host  # part of the cache key only: another engine has other images
    return [_history_key(entry) for entry in _client().api.history(image)]


def find_base(
    image: str, history: Sequence[dict[str, Any]], candidates: Sequence[str] = ()
) -> str | None:
    """The tagged local image whose history is the longest strict bottom part of ``history``.

    Docker does not record which image a build started FROM; an image whose whole history
    sits at the bottom of this one's is the best answer the engine can give.
    """
    found = _find_base(image, history, candidates)
    return found[0] if found else None


def _find_base(
    image: str, history: Sequence[dict[str, Any]], candidates: Sequence[str] = ()
) -> tuple[str, int] | None:
    """``find_base``'s answer and the length of the base's history (the bottom entries of
    ``history`` are the base's own: no need to ask the engine for them again)."""
    client = _client(verify=True)
    keys = [_history_key(entry) for entry in history]
    names: list[str] = list(candidates)
    ids: dict[str, str] = {}
    if not names:
        # One history per distinct image (a classroom engine holds many tags of the same
        # image), and only images no bigger than this one: a base's layers are all in the
        # images built on it, so a bigger image cannot be one.
        own_size = sum(int(entry.get("Size", 0) or 0) for entry in history)
        for summary in client.api.images():
            tags = [tag for tag in summary.get("RepoTags") or [] if tag != "<none>:<none>"]
            if tags and int(summary.get("Size", 0) or 0) <= own_size:
                names.append(tags[0])
                ids[tags[0]] = str(summary["Id"])
    best: tuple[int, str] | None = None
    host = str(client.api.base_url)
    for name in names:
        if name == image:
            continue
        try:
            # by id when the listing gave one: an image's history never changes, so it is
            # read once per kernel (a bounded cache), not once per layer stack shown
            other = (
                _history_keys(host, ids[name])
                if name in ids
                else [_history_key(entry) for entry in client.api.history(name)]
            )
        except Exception:  # noqa: BLE001, S112 - an unreadable candidate is simply not the base
            continue
        if (
            0 < len(other) < len(keys)
            and keys[-len(other) :] == other
            and (best is None or len(other) > best[0])
        ):
            best = (len(other), name)
    return (best[1], best[0]) if best else None


def _base_in_history(history: Sequence[dict[str, Any]]) -> tuple[str, int] | None:
    """The nearest tagged image below the top of ``history``, and its position there.

    The classic builder links an image to its parents, so ``docker history`` already names
    the local image a build started FROM (its ``Tags``): no need to ask the engine about
    every other image. BuildKit images list their parents as ``<missing>``: None then.
    """
    for position, entry in enumerate(history[1:], start=1):
        tags = [tag for tag in entry.get("Tags") or () if tag != "<none>:<none>"]
        if tags:
            return tags[0], position
    return None


def _kit_build_for(image_id: str) -> BuildResult | None:
    """The most recent build of this session that produced ``image_id``, if any."""
    from layerlab import session

    result = session.current().latest_build_of(image_id)
    return result if result is not None and result.parsed_dockerfile is not None else None


def _base_part(
    image: str, history: list[dict[str, Any]], base: str | None
) -> tuple[str | None, list[dict[str, Any]]]:
    """The base image's name and its history entries (the bottom of ``history`` when the
    engine's own history or ``find_base`` tells; asked of the engine for a given ``base``)."""
    in_history = _base_in_history(history)
    if in_history is not None and (base is None or base == in_history[0]):
        # the base's own entries are the bottom of this image's history: no more requests
        return in_history[0], history[in_history[1] :]
    if base is None:
        found = _find_base(image, history)
        if found is None:
            return None, []
        # its history is this one's bottom entries, compared key by key
        return found[0], history[len(history) - found[1] :]
    return base, list(_client().api.history(base))


def layers(
    image: str,
    *,
    base: str | None = None,
    instructions: Sequence[str] | None = None,
    show_kit_labels: bool = False,
) -> LayerStack:
    """The layers of ``image`` (newest first). ``base`` names the FROM image when known;
    otherwise the kit looks for the local image it was built on."""
    from layerlab import names

    image = names.resolve(image)
    if base is not None:
        base = names.resolve(base)
    attrs = _inspect(image)
    history: list[dict[str, Any]] = list(_client().api.history(image))
    built = _kit_build_for(str(attrs.get("Id", "")))
    if built is not None and built.parsed_dockerfile is not None:
        parsed = built.parsed_dockerfile
        # the stage the build made: the last one, or its --target
        start_image, own = parsed.built_stage(built.target)
        if base is None and start_image and start_image.lower() != "scratch":
            base = names.resolve(start_image)
        if instructions is None:
            instructions = [ins.text for ins in own]
    base_name, base_history = _base_part(image, history, base)
    if not show_kit_labels:
        # the classic builder stores the kit's own labels as LABEL entries: bookkeeping
        history = [entry for entry in history if not _is_kit_label(entry)]
        base_history = [entry for entry in base_history if not _is_kit_label(entry)]
    base_count = len(base_history)
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
        records.append(
            Layer(
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
            )
        )
    return LayerStack(
        image=names.to_learner(image),
        image_id=str(attrs.get("Id", "")),
        layers=records,
        base_image=base_name,
        diff_ids=tuple(attrs.get("RootFS", {}).get("Layers", [])),
    )


def shared_layers(first: LayerStack, second: LayerStack) -> int:
    """How many filesystem layers (from the bottom) two images have in common."""
    count = 0
    for a, b in zip(first.diff_ids, second.diff_ids, strict=False):
        if a != b:
            break
        count += 1
    return count
