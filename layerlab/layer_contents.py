"""What is inside each layer: files added, modified and deleted, and the space an image
wastes, computed as dive computes it.

The image is streamed from the engine (the image-get API, i.e. ``docker save``) through
:mod:`tarfile` in stream mode: nothing is unpacked to disk, and memory holds one layer's
file list (plus the stacked tree of paths), never file contents.

Efficiency follows dive's ``filetree.Efficiency`` exactly (dive 0.13):

* every *leaf* node of every layer's tree is visited (files, symlinks, empty directories,
  whiteouts), keyed by its path (a whiteout ``a/.wh.b`` is keyed ``/a/b``);
* its size is the tar header's size; a whiteout counts 0 when it deletes a file and, when
  it deletes a directory, the sizes of everything under that directory in the layers below;
* per path dive keeps the sum of the sizes seen (``CumulativeSize``) and the smallest one;
* score = Σ smallest size per path / Σ cumulative size per path (1.0 when both are 0);
* wasted bytes = Σ cumulative size of the paths seen in two layers or more (the kept copy
  counts too: that is dive's ``inefficientBytes``);
* opaque-directory markers (``.wh..wh..opq``) are ignored by dive's tree: ignored here too
  for the score; the file listing still reports the directory as replaced.
"""

from __future__ import annotations

import contextlib
import enum
import json
import posixpath
import tarfile
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from layerlab.errors import EngineError
from layerlab.i18n import t
from layerlab.tar_stream import ByteSource, Member, members

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from layerlab.image_layers import Layer, LayerStack

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_DOUBLE_WHITEOUT = ".wh..wh."
_CHUNK = 1 << 20
_MAX_HISTORIES = 512


class Change(enum.StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Entry:
    """One member of a layer tar, as dive sees it (whiteouts keyed by the path they delete)."""

    path: str  # absolute, cleaned: "/etc/hosts"
    size: int
    is_dir: bool = False
    whiteout: bool = False
    leaf: bool = True
    fingerprint: int = 0  # size, mode, mtime, link target, type: "did this file change?"


@dataclass(frozen=True, slots=True)
class LayerContents:
    """What one layer tar holds; depends only on the layer's content (its diff id)."""

    diff_id: str
    entries: tuple[Entry, ...]
    opaque_dirs: tuple[str, ...] = ()
    tar_bytes: int = 0

    @property
    def size_bytes(self) -> int:
        """Bytes of file content (dive's layer size)."""
        return sum(entry.size for entry in self.entries if not entry.whiteout)


def split_whiteout(name: str) -> tuple[str, bool, bool]:
    """``(path, is_whiteout, is_opaque_marker)`` for a tar member name.

    ``etc/.wh.passwd`` → ``("/etc/passwd", True, False)``; ``app/.wh..wh..opq`` →
    ``("/app", False, True)``; anything else → ``("/" + cleaned name, False, False)``.
    """
    path = "/" + posixpath.normpath(name).lstrip("/")
    path = path.removesuffix("/.") if path != "/." else "/"
    parent, base = posixpath.split(path)
    if base.startswith(_DOUBLE_WHITEOUT):
        return parent, False, True
    if base.startswith(WHITEOUT):
        return posixpath.join(parent, base[len(WHITEOUT) :]), True, False
    return path, False, False


def _fingerprint(member: TarHeader) -> int:
    return hash((member.size, member.mode, int(member.mtime), member.linkname, member.type))


class TarHeader(Protocol):
    """What ``read_layer`` needs of a tar member (``tar_stream.Member``, ``TarInfo``)."""

    name: str
    size: int
    mode: int
    linkname: str

    @property
    def mtime(self) -> Any: ...

    @property
    def type(self) -> bytes: ...

    def isdir(self) -> bool: ...


def _member_path(name: str) -> tuple[str, bool, bool]:
    """``split_whiteout`` for a member name, without ``normpath`` for the common clean name
    (``usr/lib/x.py``, ``usr/lib/``): no empty segment and no segment starting with a dot,
    so neither a whiteout nor ``.``/``..``; a leading ``./`` (``tar -C dir .``, as layers
    made by ``docker import`` have) is dropped first. ``("", False, False)`` for the root."""
    clean = name.removeprefix("./").rstrip("/")
    if clean and "//" not in clean and "/." not in "/" + clean:
        return "/" + clean.lstrip("/"), False, False
    if posixpath.normpath(name) in {".", "/"}:
        return "", False, False
    return split_whiteout(name)


def read_layer(tar: Iterable[TarHeader], diff_id: str = "", tar_bytes: int = 0) -> LayerContents:
    """The entries of one layer tar, from its headers (contents are skipped, not read)."""
    raw: list[tuple[str, int, bool, bool, int]] = []
    opaque: list[str] = []
    parents: set[str] = set()
    for member in tar:
        path, whiteout, is_opaque = _member_path(member.name)
        if not path:
            continue
        if is_opaque:
            opaque.append(path)
            continue
        raw.append((path, member.size, member.isdir(), whiteout, _fingerprint(member)))
        parent = path.rpartition("/")[0]
        while parent and parent not in parents:
            parents.add(parent)
            parent = parent.rpartition("/")[0]
    entries = tuple(
        Entry(path, size, is_dir, whiteout, leaf=path not in parents or whiteout, fingerprint=fp)
        for path, size, is_dir, whiteout, fp in raw
    )
    return LayerContents(diff_id, entries, tuple(opaque), tar_bytes)


class LayerCache:
    """Analysed layers by diff id, least recently used dropped first.

    Layers are content-addressed: a base layer shared by many images (and by every
    learner's image on the engine) is analysed once per process. Bounded by the number of
    file entries held, so memory stays flat however many images are looked at.
    """

    def __init__(self, max_entries: int = 250_000) -> None:
        self.max_entries = max_entries
        self._layers: OrderedDict[str, LayerContents] = OrderedDict()
        self._held = 0
        self.hits = 0
        self.misses = 0
        self.analysed = 0  # layers parsed and stored
        #: commands of each image's layers (small), so a fully cached image needs no stream
        self.histories: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def get(self, diff_id: str) -> LayerContents | None:
        layer = self._layers.get(diff_id)
        if layer is None:
            self.misses += 1
            return None
        self.hits += 1
        self._layers.move_to_end(diff_id)
        return layer

    def peek(self, diff_id: str) -> LayerContents | None:
        return self._layers.get(diff_id)

    def put(self, layer: LayerContents) -> None:
        if not layer.diff_id or layer.diff_id in self._layers:
            return
        self._layers[layer.diff_id] = layer
        self.analysed += 1
        self._held += len(layer.entries)
        while self._held > self.max_entries and len(self._layers) > 1:
            _, dropped = self._layers.popitem(last=False)
            self._held -= len(dropped.entries)

    def remember_history(self, image_id: str, commands: Iterable[str]) -> None:
        self.histories[image_id] = tuple(commands)
        self.histories.move_to_end(image_id)
        while len(self.histories) > _MAX_HISTORIES:
            self.histories.popitem(last=False)

    def clear(self) -> None:
        self._layers.clear()
        self.histories.clear()
        self._held = 0

    def __len__(self) -> int:
        return len(self._layers)

    def layers(self) -> list[LayerContents]:
        """The layers held, least recently used first."""
        return list(self._layers.values())

    def __contains__(self, diff_id: object) -> bool:
        return diff_id in self._layers


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    size: int  # for a deletion: the bytes it hides (they still ship in the layer below)
    change: Change
    is_dir: bool = False
    wasted: bool = False  # dive counts this path as inefficient


@dataclass(frozen=True, slots=True)
class Waste:
    """One of dive's inefficiencies: a path seen in ``count`` layers, ``size`` bytes in all."""

    path: str
    count: int
    size: int


@dataclass(slots=True)
class LayerFiles:
    index: int  # 0 = bottom layer
    diff_id: str
    created_by: str
    size_bytes: int
    changes: list[FileChange]

    def of(self, change: Change) -> list[FileChange]:
        return [c for c in self.changes if c.change is change]


@dataclass
class ImageFiles:
    """Files per layer (bottom first), and dive's wasted bytes and efficiency score."""

    image: str
    image_id: str
    layers: list[LayerFiles]
    size_bytes: int
    wasted_bytes: int
    efficiency: float
    inefficiencies: list[Waste]  # largest first
    final: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)  # path: size, fp

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        from layerlab.layer_views import files_text

        printer.text(files_text(self))

    def _repr_html_(self) -> str:
        from layerlab.layer_views import files_html

        return files_html(self)


class _Node:
    """A node of the stacked tree (dive's StackTreeRange), for sizes of deleted folders."""

    __slots__ = ("children", "fingerprint", "is_dir", "size")

    def __init__(self) -> None:
        self.size = 0
        self.is_dir = False
        self.fingerprint = 0
        self.children: dict[str, _Node] | None = None

    def total(self) -> int:
        """Size of this node and everything under it (dive's sizer over the subtree)."""
        total, stack = 0, [self]
        while stack:
            node = stack.pop()
            total += node.size
            if node.children:
                stack.extend(node.children.values())
        return total


class _Tree:
    """The stacked tree, with every node also indexed by its path ("/a/b"): a lookup is
    one dict access rather than a walk from the root."""

    def __init__(self) -> None:
        self.root = _Node()
        self._nodes: dict[str, _Node] = {"": self.root}

    def get(self, path: str) -> _Node | None:
        return self._nodes.get(path.rstrip("/"))

    def _node(self, path: str) -> _Node:
        node = self._nodes.get(path)
        if node is None:
            parent_path, _, name = path.rpartition("/")
            parent = self._node(parent_path)
            if parent.children is None:
                parent.children = {}
            node = parent.children[name] = _Node()
            self._nodes[path] = node
        return node

    def add(self, entry: Entry) -> None:
        node = self._node(entry.path.rstrip("/"))
        node.size, node.is_dir, node.fingerprint = entry.size, entry.is_dir, entry.fingerprint

    def remove(self, path: str) -> None:
        path = path.rstrip("/")
        node = self._nodes.get(path)
        if node is None or node is self.root:
            return
        parent_path, _, name = path.rpartition("/")
        parent = self._nodes[parent_path]
        if parent.children:
            parent.children.pop(name, None)
        stack = [(path, node)]
        while stack:
            current_path, current = stack.pop()
            del self._nodes[current_path]
            for child_name, child in (current.children or {}).items():
                stack.append((f"{current_path}/{child_name}", child))

    def files(self) -> Iterator[tuple[str, _Node]]:
        for path, node in self._nodes.items():
            if node is not self.root:
                yield path, node


def analyse(
    image: str,
    image_id: str,
    layers: Iterable[LayerContents],
    created_by: Iterable[str] = (),
) -> ImageFiles:
    """Stack the layers (bottom first): per-layer changes and dive's efficiency."""
    tree = _Tree()
    cumulative: dict[str, int] = {}
    smallest: dict[str, int] = {}
    counts: dict[str, int] = {}
    commands = list(created_by)
    result: list[LayerFiles] = []
    per_layer: list[list[tuple[Entry, int, Change | None, bool]]] = []
    total_size = 0
    layer_list = list(layers)
    for index, layer in enumerate(layer_list):
        rows: list[tuple[Entry, int, Change | None, bool]] = []
        total_size += layer.size_bytes
        for entry in layer.entries:
            below = tree.get(entry.path)
            if entry.whiteout:
                deleted = 0 if below is None else below.total()
                # dive: a whiteout counts what it deletes only when that was a folder
                size = deleted if below is not None and below.is_dir else 0
                was_dir = below is not None and below.is_dir
                rows.append(
                    (entry, deleted, Change.DELETED if below is not None else None, was_dir)
                )
            else:
                size = entry.size
                change = Change.ADDED if below is None else Change.MODIFIED
                rows.append((entry, entry.size, None if entry.is_dir else change, entry.is_dir))
            if entry.leaf:
                cumulative[entry.path] = cumulative.get(entry.path, 0) + size
                previous = smallest.get(entry.path)
                smallest[entry.path] = size if previous is None else min(previous, size)
                counts[entry.path] = counts.get(entry.path, 0) + 1
        opaque_rows = []
        for folder in layer.opaque_dirs:
            below = tree.get(folder)
            if below is not None and below.children:
                opaque_rows.append(FileChange(folder, below.total(), Change.DELETED, True))
        # dive's Stack: whiteouts remove, everything else is added over what was there
        for entry in layer.entries:
            if entry.whiteout:
                tree.remove(entry.path)
            else:
                tree.add(entry)
        per_layer.append(rows)
        result.append(
            LayerFiles(
                index=index,
                diff_id=layer.diff_id,
                created_by=commands[index] if index < len(commands) else "",
                size_bytes=layer.size_bytes,
                changes=opaque_rows,
            )
        )
    inefficient = {path for path, count in counts.items() if count > 1}
    for layer_files, rows in zip(result, per_layer, strict=True):
        layer_files.changes.extend(
            FileChange(entry.path, size, change, is_dir, entry.path in inefficient)
            for entry, size, change, is_dir in rows
            if change is not None
        )
        layer_files.changes.sort(key=lambda c: c.path)
    minimum = sum(smallest.values())
    discovered = sum(cumulative.values())
    wastes = sorted(
        (Waste(path, counts[path], cumulative[path]) for path in inefficient),
        key=lambda w: (-w.size, w.path),
    )
    final = {path: (node.size, node.fingerprint) for path, node in tree.files() if not node.is_dir}
    return ImageFiles(
        image=image,
        image_id=image_id,
        layers=result,
        size_bytes=total_size,
        wasted_bytes=sum(w.size for w in wastes),
        efficiency=1.0 if discovered == 0 else minimum / discovered,
        inefficiencies=wastes,
        final=final,
    )


def _is_layer_member(name: str, diff_hexes: set[str]) -> bool:
    if name.endswith("/layer.tar"):  # Engine ≤ 24: <v1 id>/layer.tar
        return True
    # OCI layout (Engine ≥ 25): blobs/sha256/<digest>, the digest of an uncompressed layer
    return name.startswith("blobs/sha256/") and name.rsplit("/", 1)[-1] in diff_hexes


@dataclass
class _Saved:
    layers: dict[str, LayerContents] = field(default_factory=dict)  # member name → layer
    guessed: dict[str, str] = field(default_factory=dict)  # member name → diff id reused
    jsons: dict[str, Any] = field(default_factory=dict)


def read_saved(
    chunks: Iterable[bytes],
    diff_ids: list[str],
    cache: LayerCache | None = None,
    *,
    guess: bool = True,
) -> _Saved:
    """Read a ``docker save`` tar in one pass.

    A layer already in ``cache`` is skipped without parsing: in the 20.10 layout the tar
    does not name a layer by its diff id before its content, so a cached layer of this
    image with the same tar size is assumed and the assumption checked against
    ``manifest.json`` at the end (the caller reads again without guessing if it was wrong).
    """
    saved = _Saved()
    hexes = {d.split(":", 1)[-1] for d in diff_ids}
    by_size: dict[int, list[str]] = {}
    if cache is not None and guess:
        for diff_id in diff_ids:
            known = cache.peek(diff_id)
            if known is not None and known.tar_bytes:
                by_size.setdefault(known.tar_bytes, []).append(diff_id)
    source = ByteSource(chunks)
    for member in members(source):
        if not member.isfile():
            continue
        if _is_layer_member(member.name, hexes):
            _read_layer_member(source, member, saved, cache, by_size)
        elif member.name.endswith(".json") or (
            member.name.startswith("blobs/") and member.size < _CHUNK
        ):
            with contextlib.suppress(ValueError):
                saved.jsons[member.name] = json.loads(member.read())
    return saved


def _read_layer_member(
    source: ByteSource,
    member: Member,
    saved: _Saved,
    cache: LayerCache | None,
    by_size: dict[int, list[str]],
) -> None:
    name = member.name
    if name.startswith("blobs/") and cache is not None:
        known = cache.get("sha256:" + name.rsplit("/", 1)[-1])
        if known is not None:
            saved.layers[name] = known
            return
    candidates = by_size.get(member.size, [])
    if len(candidates) == 1:
        saved.guessed[name] = candidates[0]
        return
    saved.layers[name] = read_layer(members(source, member.size), tar_bytes=member.size)


def _order(saved: _Saved, diff_ids: list[str]) -> list[str] | None:
    """Member names of the layers, bottom first, from the saved ``manifest.json``."""
    manifest = saved.jsons.get("manifest.json")
    if isinstance(manifest, list) and manifest:
        names = [str(name) for name in manifest[0].get("Layers", [])]
        if len(names) == len(diff_ids):
            return names
    return None


def _history(saved: _Saved) -> list[str]:
    """Commands of the history entries that made a filesystem layer, bottom first."""
    from layerlab.image_layers import clean_created_by

    manifest = saved.jsons.get("manifest.json")
    config: Any = None
    if isinstance(manifest, list) and manifest:
        config = saved.jsons.get(str(manifest[0].get("Config", "")))
    if not isinstance(config, dict):
        return []
    return [
        clean_created_by(str(entry.get("created_by", "")))
        for entry in config.get("history", [])
        if not entry.get("empty_layer")
    ]


def _client() -> Any:
    from layerlab.engine import connect

    return connect()


#: The default cache of this process (bounded; see ``LayerCache``).
DEFAULT_CACHE = LayerCache()


def _assemble(
    saved: _Saved, order: list[str], diff_ids: list[str], cache: LayerCache
) -> list[LayerContents] | None:
    """The layers bottom first, cached by diff id; None when a guessed layer was wrong."""
    contents = []
    for name, diff_id in zip(order, diff_ids, strict=True):
        if name in saved.guessed:
            layer = cache.get(diff_id) if saved.guessed[name] == diff_id else None
            if layer is None:
                return None
        else:
            parsed = saved.layers[name]
            layer = LayerContents(diff_id, parsed.entries, parsed.opaque_dirs, parsed.tar_bytes)
            cache.put(layer)
        contents.append(layer)
    return contents


def layer_files(image: str, *, cache: LayerCache | None = None) -> ImageFiles:
    """Files per layer of ``image`` and dive's wasted bytes / efficiency score."""
    from docker.errors import APIError, ImageNotFound

    from layerlab import names

    cache = DEFAULT_CACHE if cache is None else cache
    engine_name = names.resolve(image)
    client = _client()
    try:
        attrs = client.api.inspect_image(engine_name)
    except ImageNotFound:
        raise EngineError(t("engine.no_such_image", image=image)) from None
    diff_ids = [str(d) for d in attrs.get("RootFS", {}).get("Layers", [])]
    image_id = str(attrs.get("Id", ""))
    known = [cache.peek(diff_id) for diff_id in diff_ids]
    if image_id in cache.histories and all(layer is not None for layer in known):
        # every layer analysed before: no need to ask the engine for the image at all
        cached = [layer for layer in known if layer is not None]
        for diff_id in diff_ids:
            cache.get(diff_id)
        return analyse(names.to_learner(engine_name), image_id, cached, cache.histories[image_id])
    commands: list[str] = []
    contents: list[LayerContents] | None = None
    for guess in (True, False):
        try:
            # measured: parsing in the receiving thread beats a receiving thread plus a
            # parsing one on a busy 2-core machine (the GIL hand-overs cost more)
            chunks = client.api.get_image(engine_name, chunk_size=_CHUNK)
            saved = read_saved(chunks, diff_ids, cache, guess=guess)
        except (APIError, tarfile.TarError) as exc:
            raise EngineError(t("lf.unreadable", image=image, reason=exc)) from None
        order = _order(saved, diff_ids)
        if order is None:
            raise EngineError(t("lf.unreadable", image=image, reason="manifest.json"))
        commands = _history(saved)
        contents = _assemble(saved, order, diff_ids, cache)
        if contents is not None:
            break
    if contents is None:  # pragma: no cover - the second pass never guesses
        raise EngineError(t("lf.unreadable", image=image, reason="layers"))
    cache.remember_history(image_id, commands)
    return analyse(names.to_learner(engine_name), image_id, contents, commands)


def read_from_layers(image: str, path: str, *, max_bytes: int = 1 << 20) -> dict[int, bytes]:
    """The content of ``path`` in every layer of ``image`` that holds it (layer index →
    bytes, at most ``max_bytes`` each), even when a later layer deleted it: what anyone
    who pulls the image can read back (``docker save`` and a tar tool are enough)."""
    from docker.errors import ImageNotFound

    from layerlab import names

    engine_name = names.resolve(image)
    wanted = split_whiteout(path)[0]
    client = _client()
    try:
        diff_ids = [str(d) for d in client.api.inspect_image(engine_name)["RootFS"]["Layers"]]
    except ImageNotFound:
        raise EngineError(t("engine.no_such_image", image=image)) from None
    hexes = {d.split(":", 1)[-1] for d in diff_ids}
    found: dict[str, bytes] = {}
    saved = _Saved()
    source = ByteSource(client.api.get_image(engine_name, chunk_size=_CHUNK))
    for member in members(source):
        if not member.isfile():
            continue
        if _is_layer_member(member.name, hexes):
            for entry in members(source, member.size):
                if entry.isfile() and split_whiteout(entry.name) == (wanted, False, False):
                    found[member.name] = entry.read(max_bytes)
        elif member.name.endswith(".json"):
            with contextlib.suppress(ValueError):
                saved.jsons[member.name] = json.loads(member.read())
    order = _order(saved, diff_ids) or []
    return {index: found[name] for index, name in enumerate(order) if name in found}


def history_of(files: ImageFiles, stack: LayerStack) -> dict[int, Layer]:
    """The ``docker history`` record (``layerlab.layers``) of each filesystem layer.

    ``files.layers[i]`` is the i-th history entry that made a filesystem layer; the records
    of ``stack`` (from ``layers(image, show_kit_labels=True)``) are paired with them in
    order by their cleaned command, skipping the metadata-only entries.
    """
    records = sorted(stack.layers, key=lambda layer: layer.index)
    paired: dict[int, Layer] = {}
    position = 0
    for layer_files in files.layers:
        while position < len(records) and records[position].created_by != layer_files.created_by:
            position += 1
        if position == len(records):
            break
        paired[layer_files.index] = records[position]
        position += 1
    return paired


@dataclass(frozen=True, slots=True)
class FileDiff:
    path: str
    change: Change  # added in the second image, deleted from it, or modified
    size_before: int
    size_after: int


@dataclass
class ImageDiff:
    """Files that differ between two images (``first`` → ``second``)."""

    first: str
    second: str
    changes: list[FileDiff]

    def __len__(self) -> int:
        return len(self.changes)

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        from layerlab.layer_views import diff_text

        printer.text(diff_text(self))

    def _repr_html_(self) -> str:
        from layerlab.layer_views import diff_html

        return diff_html(self)


def diff(first: ImageFiles, second: ImageFiles) -> ImageDiff:
    """Files that differ between two images' final filesystems.

    Compared on size, mode, modification time, link target and type (the tar headers):
    reading file contents would cost a full extraction. A file rewritten with the same
    bytes therefore shows as modified (its time changed), as it does in ``docker diff``.
    """
    changes: list[FileDiff] = []
    for path in sorted(first.final.keys() | second.final.keys()):
        before, after = first.final.get(path), second.final.get(path)
        if before is None and after is not None:
            changes.append(FileDiff(path, Change.ADDED, 0, after[0]))
        elif after is None and before is not None:
            changes.append(FileDiff(path, Change.DELETED, before[0], 0))
        elif before is not None and after is not None and before != after:
            changes.append(FileDiff(path, Change.MODIFIED, before[0], after[0]))
    return ImageDiff(first.image, second.image, changes)
