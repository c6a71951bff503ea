"""Whiteouts, changes per layer and dive's efficiency math, on tars built here."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from layerlab import i18n
from layerlab.layer_contents import (
    Change,
    LayerCache,
    LayerContents,
    _member_path,
    analyse,
    diff,
    read_layer,
    read_saved,
    split_whiteout,
)
from layerlab.layer_views import files_text
from layerlab.tar_stream import ByteSource, _header, _number
from layerlab.tar_stream import members as tar_members

Member = tuple[str, int] | tuple[str, str]  # (name, size) for a file, (name, "dir")


def layer_tar(*members: Member) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, what in members:
            info = tarfile.TarInfo(name)
            if what == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                assert isinstance(what, int)
                info.size = what
                tar.addfile(info, io.BytesIO(b"x" * what))
    return out.getvalue()


def layer(diff_id: str, *members: Member) -> LayerContents:
    data = layer_tar(*members)
    return read_layer(tar_members(ByteSource([data])), diff_id, len(data))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("etc/hosts", ("/etc/hosts", False, False)),
        ("./etc/hosts", ("/etc/hosts", False, False)),
        ("etc/.wh.passwd", ("/etc/passwd", True, False)),
        (".wh.secret.txt", ("/secret.txt", True, False)),
        ("app/.wh..wh..opq", ("/app", False, True)),
        ("usr/lib/", ("/usr/lib", False, False)),
    ],
)
def test_whiteout_names(name: str, expected: tuple[str, bool, bool]) -> None:
    assert split_whiteout(name) == expected


def test_file_written_then_deleted_is_all_waste() -> None:
    files = analyse(
        "img",
        "id",
        [
            layer("sha256:a", ("big", 1000), ("keep", 300)),
            layer("sha256:b", (".wh.big", 0)),
        ],
    )
    # dive: /big seen twice (1000, then a whiteout of a file: 0) → min 0, cumulative 1000
    assert files.wasted_bytes == 1000
    assert files.efficiency == 300 / 1300
    assert [(w.path, w.count, w.size) for w in files.inefficiencies] == [("/big", 2, 1000)]
    top = files.layers[1]
    assert [(c.path, c.change, c.size, c.wasted) for c in top.changes] == [
        ("/big", Change.DELETED, 1000, True)
    ]
    assert files.size_bytes == 1300
    assert "/big" not in files.final


def test_overwritten_file_counts_both_copies_as_dive_does() -> None:
    files = analyse(
        "img",
        "id",
        [layer("sha256:a", ("f", 100), ("g", 10)), layer("sha256:b", ("f", 50))],
    )
    assert files.wasted_bytes == 150  # dive's inefficientBytes: the kept copy counts too
    assert files.efficiency == (50 + 10) / (150 + 10)
    assert files.layers[1].changes[0].change is Change.MODIFIED
    assert files.layers[0].of(Change.ADDED)[0].path == "/f"
    assert files.final["/f"][0] == 50


def test_deleted_folder_counts_its_content_once_not_as_waste() -> None:
    files = analyse(
        "img",
        "id",
        [
            layer("sha256:a", ("d", "dir"), ("d/x", 10), ("d/y", 20)),
            layer("sha256:b", (".wh.d", 0)),
        ],
    )
    # dive visits leaves only: /d was no leaf below, so its whiteout (size 30) is alone
    assert files.wasted_bytes == 0
    assert files.efficiency == 1.0
    deleted = files.layers[1].changes[0]
    assert (deleted.path, deleted.size, deleted.change) == ("/d", 30, Change.DELETED)
    assert deleted.is_dir
    assert not files.final


def test_opaque_folder_is_listed_as_replaced_but_ignored_in_the_score() -> None:
    files = analyse(
        "img",
        "id",
        [
            layer("sha256:a", ("app", "dir"), ("app/old", 40)),
            layer("sha256:b", ("app", "dir"), ("app/.wh..wh..opq", 0), ("app/new", 5)),
        ],
    )
    changes = {(c.path, c.change) for c in files.layers[1].changes}
    assert ("/app", Change.DELETED) in changes
    assert ("/app/new", Change.ADDED) in changes
    assert files.wasted_bytes == 0
    assert files.efficiency == 1.0


def test_an_empty_image_scores_one() -> None:
    files = analyse("img", "id", [layer("sha256:a", ("etc", "dir"))])
    assert files.efficiency == 1.0
    assert files.wasted_bytes == 0


def test_cache_is_bounded_by_entries_and_drops_the_oldest() -> None:
    cache = LayerCache(max_entries=3)
    first = layer("sha256:1", ("a", 1), ("b", 1))
    second = layer("sha256:2", ("c", 1), ("d", 1))
    cache.put(first)
    assert cache.get("sha256:1") is first
    cache.put(second)
    assert "sha256:1" not in cache
    assert cache.get("sha256:2") is second
    assert (cache.hits, cache.misses) == (2, 0)
    assert cache.get("sha256:1") is None
    assert cache.misses == 1


def chunked(data: bytes, size: int = 700) -> list[bytes]:
    """The stream cut in odd-sized chunks, as the engine's HTTP chunks fall anywhere."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def saved_image(layers: list[bytes], layout: str) -> bytes:
    """A ``docker save`` tar: Engine 20.10 (``<id>/layer.tar``) or OCI (``blobs/``)."""
    import hashlib

    out = io.BytesIO()
    diff_ids = ["sha256:" + hashlib.sha256(data).hexdigest() for data in layers]
    config = {
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"/bin/sh -c step {i}"} for i in range(len(layers))],
    }
    config_bytes = json.dumps(config).encode()
    config_name = "blobs/sha256/cfg" if layout == "oci" else "cfg.json"
    names = [
        f"blobs/sha256/{d.split(':')[1]}" if layout == "oci" else f"v1id{i}/layer.tar"
        for i, d in enumerate(diff_ids)
    ]
    manifest = json.dumps([{"Config": config_name, "Layers": names}]).encode()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in [*zip(names, layers, strict=True), (config_name, config_bytes)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    return out.getvalue()


@pytest.mark.parametrize("layout", ["docker-20.10", "oci"])
def test_saved_image_layouts_are_read_in_one_pass(layout: str) -> None:
    import hashlib

    tars = [layer_tar(("a", 3)), layer_tar(("b", 4))]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    saved = read_saved(chunked(saved_image(tars, layout)), diff_ids, LayerCache())
    assert len(saved.layers) == 2
    manifest = saved.jsons["manifest.json"]
    paths = [saved.layers[name].entries[0].path for name in manifest[0]["Layers"]]
    assert paths == ["/a", "/b"]


def test_a_cached_layer_is_skipped_by_its_size_and_checked_by_the_manifest() -> None:
    import hashlib

    tars = [layer_tar(("a", 3)), layer_tar(("b", 4), ("c", 20_000))]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    cache = LayerCache()
    cache.put(LayerContents(diff_ids[0], (), tar_bytes=len(tars[0])))
    saved = read_saved(chunked(saved_image(tars, "docker-20.10")), diff_ids, cache)
    assert saved.guessed == {"v1id0/layer.tar": diff_ids[0]}
    assert list(saved.layers) == ["v1id1/layer.tar"]
    unguessed = read_saved(chunked(saved_image(tars, "docker-20.10")), diff_ids, cache, guess=False)
    assert not unguessed.guessed
    assert len(unguessed.layers) == 2


def test_a_wrong_size_guess_is_caught_by_the_manifest() -> None:
    import hashlib

    from layerlab.layer_contents import _assemble, _order

    tars = [layer_tar(("a", 3)), layer_tar(("b", 4))]  # two tars of the same size
    assert len(tars[0]) == len(tars[1])
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    cache = LayerCache()
    cache.put(LayerContents(diff_ids[0], (), tar_bytes=len(tars[0])))
    saved = read_saved(chunked(saved_image(tars, "docker-20.10")), diff_ids, cache)
    order = _order(saved, diff_ids)
    assert order is not None
    assert _assemble(saved, order, diff_ids, cache) is None  # so layer_files reads again


def test_diff_of_two_images() -> None:
    v1 = analyse("v1", "1", [layer("sha256:a", ("app.py", 10), ("old.txt", 3), ("same", 1))])
    v2 = analyse("v2", "2", [layer("sha256:b", ("app.py", 12), ("new.txt", 4), ("same", 1))])
    changes = diff(v1, v2)
    assert [(c.path, c.change) for c in changes.changes] == [
        ("/app.py", Change.MODIFIED),
        ("/new.txt", Change.ADDED),
        ("/old.txt", Change.DELETED),
    ]
    assert not diff(v1, v1).changes


def test_text_view_in_french_uses_french_units_and_spaces() -> None:
    files = analyse(
        "img", "id", [layer("sha256:a", ("big", 1_500_000)), layer("sha256:b", (".wh.big", 0))]
    )
    i18n.set_language("fr")
    try:
        text = files_text(files)
    finally:
        i18n.set_language("auto")
    assert "1,5\u202fMo" in text
    assert "img\u00a0: 2 couches" in text
    assert "efficacité 0,0\u00a0%" in text
    i18n.set_language("en")
    try:
        assert "1.5 MB" in files_text(files)
    finally:
        i18n.set_language("auto")


@pytest.mark.parametrize(
    "tar_format", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]
)
def test_header_walker_reads_what_tarfile_reads(tar_format: int) -> None:
    out = io.BytesIO()
    long_dir = "usr/lib/" + "d" * 90
    names = [f"{long_dir}/file-{i}.py" for i in range(3)]
    if tar_format != tarfile.USTAR_FORMAT:
        names.append("usr/share/é" + "x" * 120)
    with tarfile.open(fileobj=out, mode="w", format=tar_format) as tar:
        for i, name in enumerate(names):
            info = tarfile.TarInfo(name)
            info.size = 1000 * i + 1
            tar.addfile(info, io.BytesIO(b"y" * info.size))
        link = tarfile.TarInfo("usr/bin/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/" + long_dir if tar_format != tarfile.USTAR_FORMAT else "/usr"
        tar.addfile(link)
        hard = tarfile.TarInfo("usr/bin/hard")
        hard.type = tarfile.LNKTYPE
        hard.linkname = names[0] if tar_format != tarfile.USTAR_FORMAT else "usr/bin/link"
        tar.addfile(hard)
    data = out.getvalue()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        expected = [(m.name, m.size, m.type, m.linkname) for m in tar]
    source = ByteSource(chunked(data, 333))
    got = [(m.name, m.size, m.type, m.linkname) for m in tar_members(source)]
    assert got == expected
    assert source.position <= len(data)


@pytest.mark.parametrize(
    "name",
    [
        "usr/lib/x.py",
        "usr/lib/",
        "./usr/lib/x.py",
        "./usr/",
        "/usr/bin/env",
        "usr//lib/x",
        "usr/./lib",
        "usr/lib/../bin",
        "etc/.bashrc",
        "etc/.wh.passwd",
        "app/.wh..wh..opq",
        ".wh.top",
        "..x/y",
    ],
)
def test_the_fast_name_path_agrees_with_split_whiteout(name: str) -> None:
    assert _member_path(name) == split_whiteout(name)


@pytest.mark.parametrize("name", [".", "./", "/"])
def test_the_root_entry_is_recognised(name: str) -> None:
    assert _member_path(name) == ("", False, False)


@pytest.mark.parametrize(
    "field",
    [
        b"0000644\0",
        b"  755 \0\0",
        b"\0" * 8,
        b"00000001750\0",
        bytes([0o200]) + (8 << 30).to_bytes(11, "big"),  # base-256: an 8 GiB size
        bytes([0o377]) + b"\xff" * 10 + b"\xfe",  # base-256, negative (a time before 1970)
    ],
)
def test_numbers_are_read_as_tarfile_reads_them(field: bytes) -> None:
    header = bytearray(tarfile.TarInfo("f").tobuf(tarfile.GNU_FORMAT))
    header[124 : 124 + len(field)] = field
    header[124 + len(field) : 136] = b"\0" * (12 - len(field))
    frombuf = tarfile.TarInfo.frombuf(fix_checksum(header), "utf-8", "surrogateescape")
    assert _number(bytes(header[124:136])) == frombuf.size


def fix_checksum(header: bytearray) -> bytes:
    header[148:156] = b" " * 8
    header[148:155] = b"%06o\0" % sum(header)
    return bytes(header)


def test_a_folder_written_as_a_plain_file_with_a_slash_is_a_folder() -> None:
    info = tarfile.TarInfo("usr/lib/")
    info.type = tarfile.AREGTYPE
    parsed = _header(info.tobuf(tarfile.USTAR_FORMAT))
    assert (parsed.name, parsed.type) == ("usr/lib", tarfile.DIRTYPE)


def test_a_gnu_header_access_time_is_not_read_as_a_name_prefix() -> None:
    # GNU headers keep atime/ctime where ustar keeps the name prefix; Go's archive/tar (and
    # so dive) reads the name alone, tarfile would prepend the octal time
    header = bytearray(tarfile.TarInfo("etc/hosts").tobuf(tarfile.GNU_FORMAT))
    header[345:357] = b"14712345670\0"
    assert _header(fix_checksum(header)).name == "etc/hosts"


def test_a_header_without_the_ustar_magic_is_checked_by_tarfile() -> None:
    header = bytearray(tarfile.TarInfo("old").tobuf(tarfile.USTAR_FORMAT))
    header[257:265] = b"\0" * 8  # V7: no magic
    assert _header(fix_checksum(header)).name == "old"
    header[0:3] = b"new"  # the checksum no longer matches
    with pytest.raises(tarfile.HeaderError):
        _header(bytes(header))


def test_history_pairs_file_layers_with_docker_history_records() -> None:
    from layerlab.image_layers import Layer, LayerStack
    from layerlab.layer_contents import history_of

    files = analyse(
        "img",
        "id",
        [layer("sha256:a", ("a", 1)), layer("sha256:b", ("b", 2))],
        ["ADD rootfs.tar /", "RUN make"],
    )
    records = [
        Layer(3, "<missing>", 'CMD ["app"]', 0, empty=True, from_base=False),
        Layer(2, "<missing>", "RUN make", 2, empty=False, from_base=False),
        Layer(1, "<missing>", "ENV A=1", 0, empty=True, from_base=True),
        Layer(0, "<missing>", "ADD rootfs.tar /", 1, empty=False, from_base=True),
    ]
    paired = history_of(files, LayerStack("img", "id", records))
    assert {index: record.index for index, record in paired.items()} == {0: 0, 1: 2}
    assert paired[0].from_base
    assert not paired[1].from_base
