"""layerlab against the docker CLI (or the raw stream), measured side by side in one run.

Run from the repository root::

    .venv/bin/python -m benchmarks.run                 # full run: 15 pairs per row
    .venv/bin/python -m benchmarks.run --only 8        # one row (repeatable)
    .venv/bin/python -m benchmarks.run --smoke         # every row, tiny sizes (the tests)
    .venv/bin/python -m benchmarks.run --save          # also results/<date>-<host>-<HHMM>.txt

Every row is measured as pairs (kit, reference) after a warm-up of each, in alternating
order (kit first in even pairs, the reference first in odd ones), and shows the median
with the interquartile range of each side and of the ratio; a row meets its target only
when the ratio's upper quartile does. Fairness checks (same labels, same image, same
builder on both sides) are printed under the table; a failed one, or a row without a
number, makes the run exit 1 (and, with ``--smoke``, so does a row more than 3x off its
target). Every image the benchmark makes carries ``org.layerlab.bench=<run id>`` and is
removed at the end, also after Ctrl-C. See benchmarks/README.md for what each row measures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import io
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.stats import Row, failures, quartiles, table

BENCH_LABEL = "org.layerlab.bench"
#: Debian's 20.10 CLI: it matches the engine and drives both builders without the 28.x
#: client's deprecation banner for the legacy builder (which would be extra output to
#: print, not a different build).
DEFAULT_CLI = "/usr/bin/docker"
BASE_IMAGE = os.environ.get("LAYERLAB_BASE_IMAGE", "python:3.13-alpine")
ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
#: the module of the layer-analysis rows, included when it exists (see _extra_figures)
LAYER_FILES_MODULE = "benchmarks.layer_files"

Timer = Callable[[], float]
Figure = tuple[set[str], Callable[[], list[Row]]]


# ---------------------------------------------------------------- sizes
@dataclass(frozen=True)
class Sizes:
    pairs: int
    warmup: bool
    #: iterations of the Python loop the cold build's RUN does (local work, no network)
    cold_loop: int
    output_lines: int
    layer_count: int
    #: tagged images on the engine for the layer-stack row (a classroom)
    crowd: int
    #: fresh kernels for the first-build row (each pair starts one)
    first_build_pairs: int
    #: kernels for the notes of row 8 (no pause; an empty BuildKit probe cache)
    extra_kernels: int
    #: the seed lab installs flask from PyPI; smoke mode leaves that step out
    seed_with_pip: bool
    smoke: bool = False


def full_sizes(pairs: int) -> Sizes:
    return Sizes(
        pairs=pairs,
        warmup=True,
        cold_loop=5_000_000,
        output_lines=100_000,
        layer_count=100,
        crowd=200,
        first_build_pairs=pairs,
        extra_kernels=3,
        seed_with_pip=True,
    )


SMOKE_SIZES = Sizes(
    pairs=1,
    warmup=True,
    cold_loop=1_000,
    output_lines=100_000,  # fewer lines cost less than the CPU clock's 10 ms tick
    layer_count=5,
    crowd=20,
    first_build_pairs=1,
    extra_kernels=0,
    seed_with_pip=False,
    smoke=True,
)


# ---------------------------------------------------------------- measuring
def measure_pairs(
    row: Row, kit: Timer, reference: Timer, sizes: Sizes, pairs: int = 0, *, warmup: bool = True
) -> None:
    """A warm-up of each side, then pairs in alternating order (kit first in even pairs)."""
    if sizes.warmup and warmup:
        kit()
        reference()
    for index in range(pairs or sizes.pairs):
        if index % 2 == 0:
            row.kit.append(kit())
            row.ref.append(reference())
        else:
            row.ref.append(reference())
            row.kit.append(kit())


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _spread_note(row: Row) -> None:
    if row.measured:
        unit = " (CPU per 100,000 lines)" if row.unit == "cpu" else ""
        row.notes.insert(
            0,
            f"min..max{unit}: kit {min(row.kit):.4f}..{max(row.kit):.4f} s, reference "
            f"{min(row.ref):.4f}..{max(row.ref):.4f} s over {len(row.kit)} pairs",
        )


class Bench:
    """Holds the run id, the work folder, and what every figure shares."""

    def __init__(self, sizes: Sizes, cli: str, run_id: str, extra_labels: dict[str, str]) -> None:
        from layerlab.engine import connect, kit_labels

        self.sizes = sizes
        self.cli = cli
        self.run_id = run_id
        self.workdir = Path(tempfile.mkdtemp(prefix=f"layerlab-bench-{run_id}-"))
        #: passed to api.build(labels=...); the kit adds its own kit/owner labels
        self.bench_labels = {BENCH_LABEL: run_id, **extra_labels}
        #: what the engine receives from the kit (api.build leaves the session label off
        #: images): the CLI and the raw SDK get the same labels, so both sides ask the
        #: engine for the same build steps (checked, see label_check)
        self.engine_labels = kit_labels(self.bench_labels, session=False)
        #: in a kernel the bench labels are in the Dockerfile (LABEL), the kit adds its own
        self.kernel_labels = kit_labels({}, session=False)
        self.client = connect(timeout=600)
        #: the SDK stubs leave history() & co untyped
        self.api: Any = self.client.api
        #: where the kit's text view prints: the cost of rendering, not of a terminal
        self.null = io.StringIO() if sizes.smoke else Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115
        self._kernels: list[Any] = []

    def tag(self, name: str) -> str:
        return f"layerlab-bench-{name}-{self.run_id}"

    def context(self, name: str, files: dict[str, str]) -> Path:
        folder = self.workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        for relative, text in files.items():
            (folder / relative).write_text(text, encoding="utf-8")
        return folder

    # ---- kernels
    def kernel(self, env: dict[str, str] | None = None) -> Any:
        """A fresh kernel with this worktree's layerlab, and the kit loaded."""
        from benchmarks.kernel import Kernel

        python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # An installed kit has its bytecode compiled; this machine's environment sets
        # PYTHONDONTWRITEBYTECODE, which would make every kernel compile layerlab from
        # source. The run's kernels share a bytecode folder instead (the warm-ups fill it).
        base.update(PYTHONPATH=python_path, PYTHONPYCACHEPREFIX=str(self.workdir / "pycache"))
        kernel = Kernel(self.workdir, {**base, **(env or {})})
        self._kernels.append(kernel)
        return kernel

    def stop_kernel(self, kernel: Any) -> None:
        with contextlib.suppress(Exception):
            kernel.shutdown()
        with contextlib.suppress(ValueError):
            self._kernels.remove(kernel)

    # ---- the two sides of a build figure
    def kit_build(
        self, context: Path, tag: str, builder: str, *, no_cache: bool = False
    ) -> tuple[Timer, dict[str, Any]]:
        """``api.build`` in this process with the text view; the last result is kept."""
        from layerlab import api
        from layerlab.views import TextProgress

        last: dict[str, Any] = {}

        def run() -> float:
            view = TextProgress(stream=self.null)
            started = time.perf_counter()
            result = api.build(
                context,
                tags=[tag],
                builder=builder,
                no_cache=no_cache,
                labels=self.bench_labels,
                listeners=[view],
            )
            elapsed = time.perf_counter() - started
            last["result"] = result
            return elapsed

        return run, last

    def cli_command(
        self, context: Path, tag: str, *, buildkit: bool, labels: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        command = [self.cli, "build", "-t", tag, "--force-rm"]
        if buildkit:
            command.append("--progress=plain")
        for key, value in labels.items():
            command += ["--label", f"{key}={value}"]
        command.append(str(context))
        return command, {**os.environ, "DOCKER_BUILDKIT": "1" if buildkit else "0"}

    def cli_build(
        self,
        context: Path,
        tag: str,
        *,
        buildkit: bool,
        no_cache: bool = False,
        labels: dict[str, str] | None = None,
    ) -> tuple[Timer, dict[str, Any]]:
        command, env = self.cli_command(
            context, tag, buildkit=buildkit, labels=self.engine_labels if labels is None else labels
        )
        if no_cache:
            command.insert(-1, "--no-cache")
        last: dict[str, Any] = {}

        def run() -> float:
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, check=False)
            elapsed = time.perf_counter() - started
            output = (done.stdout + done.stderr).decode(errors="replace")
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed:\n{output[-800:]}")
            last["output"] = output
            return elapsed

        return run, last

    def image(self, tag: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api.inspect_image(tag)
        return result

    def cleanup(self) -> int:
        """Stop the kernels, remove every image this run labelled; returns how many."""
        from docker.errors import APIError

        for kernel in list(self._kernels):
            self.stop_kernel(kernel)
        removed = 0
        for _ in range(3):  # an image can be a parent of another: retry what was left
            left = self.api.images(filters={"label": f"{BENCH_LABEL}={self.run_id}"})
            if not left:
                break
            for image in left:
                try:
                    self.api.remove_image(image["Id"], force=True)
                    removed += 1
                except APIError:
                    continue
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.null.close()
        return removed


# ---------------------------------------------------------------- fairness checks
def label_check(row: Row, bench: Bench, kit_tag: str, ref_tag: str) -> None:
    """Same labels on the kit's image and the reference's (else the engine did other steps)."""
    kit = bench.image(kit_tag)["Config"].get("Labels") or {}
    ref = bench.image(ref_tag)["Config"].get("Labels") or {}
    differing = sorted(set(kit.items()) ^ set(ref.items()))
    row.add_check(
        "same labels", kit == ref and bool(kit), f"differ: {differing}" if differing else ""
    )


def same_image_check(row: Row, bench: Bench, kit_tag: str, ref_tag: str, *, cached: bool) -> None:
    """Both sides made the same image: for a cached rebuild the same filesystem layers
    (``RootFS.Layers``) and command (the classic builder's image ids still differ: the CLI
    and the SDK send the context with other tar headers, so each side has its own cache
    chain); for a --no-cache build the same steps (history length and command)."""
    kit, ref = bench.image(kit_tag), bench.image(ref_tag)
    same_cmd = kit["Config"].get("Cmd") == ref["Config"].get("Cmd")
    if cached:
        kit_layers, ref_layers = kit["RootFS"].get("Layers"), ref["RootFS"].get("Layers")
        row.add_check(
            "same image",
            same_cmd and kit_layers == ref_layers,
            f"{len(kit_layers or [])} and {len(ref_layers or [])} layers"
            + (", same id" if kit["Id"] == ref["Id"] else ""),
        )
        return
    kit_history, ref_history = bench.api.history(kit_tag), bench.api.history(ref_tag)
    row.add_check(
        "same image steps",
        same_cmd and len(kit_history) == len(ref_history),
        f"{len(kit_history)} and {len(ref_history)} history entries",
    )


_BUILDKIT_OUTPUT = re.compile(r"^#\d+ \[internal\] load build definition", re.MULTILINE)
_CLASSIC_OUTPUT = re.compile(r"^Step 1/\d+ : ", re.MULTILINE)


def builder_check(row: Row, kit_builder: str | None, cli_output: str, builder: str) -> None:
    """The kit used ``builder``, and so did the CLI (BuildKit prints ``#N`` vertices, the
    classic builder ``Step N/M``)."""
    # (which vertex number BuildKit gives the Dockerfile varies: .dockerignore may be #1)
    if _BUILDKIT_OUTPUT.search(cli_output):
        cli_builder = "buildkit"
    else:
        cli_builder = "classic" if _CLASSIC_OUTPUT.search(cli_output) else "?"
    row.add_check(
        "same builder",
        kit_builder == builder == cli_builder,
        f"kit {kit_builder}, CLI {cli_builder}, expected {builder}",
    )


# ---------------------------------------------------------------- lab files
def seed_files(sizes: Sizes, label: str = "") -> dict[str, str]:
    # the seed lab of the notebooks and tests (tests/conftest.py: APP_PY, SEED_DOCKERFILE)
    app = (
        'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/")\n'
        'def hello():\n    return "hello world!"\n\n\nif __name__ == "__main__":\n'
        '    app.run(host="0.0.0.0")\n'
    )
    pip = "RUN pip install flask\n" if sizes.seed_with_pip else ""
    dockerfile = f'FROM {BASE_IMAGE}\n{label}{pip}CMD ["python","app.py"]\nCOPY app.py /app.py\n'
    return {"app.py": app, "Dockerfile": dockerfile}


def cold_files(sizes: Sizes) -> dict[str, str]:
    # a Python-level loop: CPU work inside the build container, no network
    run = f'RUN python3 -c "print(sum(i * i for i in range({sizes.cold_loop})))"'
    return {"Dockerfile": f"FROM {BASE_IMAGE}\n{run}\n"}


def chatty_files(lines: int, label: str) -> dict[str, str]:
    run = f"RUN python3 -c \"for i in range({lines}): print('line', i)\""
    return {"Dockerfile": f"FROM {BASE_IMAGE}\n{label}{run}\n"}


def layer_files(count: int) -> dict[str, str]:
    # COPY makes a filesystem layer without running a container: a quick 100-layer image
    files = {f"f{index:03d}": f"layer {index}\n" for index in range(count)}
    copies = "".join(f"COPY f{index:03d} /layers/\n" for index in range(count))
    files["Dockerfile"] = f"FROM {BASE_IMAGE}\n{copies}"
    return files


def _label_line(bench: Bench) -> str:
    return "".join(f'LABEL {key}="{value}"\n' for key, value in bench.bench_labels.items())


# ---------------------------------------------------------------- rows 1-4: api.build
def builder_rows(bench: Bench, builder: str, numbers: tuple[str, str]) -> list[Row]:
    buildkit = builder == "buildkit"
    env = "DOCKER_BUILDKIT=1" if buildkit else "DOCKER_BUILDKIT=0"
    progress = " --progress=plain" if buildkit else ""
    cli = f"{env} {bench.cli} build{progress}"
    cached = Row(numbers[0], f"api.build cached rebuild, seed lab, {builder}", cli, "time", 1.10)
    cold = Row(
        numbers[1],
        f"api.build cold build (--no-cache, local RUN), {builder}",
        f"{cli} --no-cache",
        "time",
        1.05,
    )
    if buildkit and (reason := buildkit_unavailable()):
        cached.unavailable = cold.unavailable = reason
        return [cached, cold]

    seed = bench.context(f"seed-{builder}", seed_files(bench.sizes))
    kit_tag, cli_tag = bench.tag(f"seed-{builder}"), bench.tag(f"seed-{builder}-cli")
    kit, kit_last = bench.kit_build(seed, kit_tag, builder)
    ref, ref_last = bench.cli_build(seed, cli_tag, buildkit=buildkit)
    if bench.sizes.seed_with_pip:
        kit()  # fill the cache once (this RUN reaches PyPI); the figure is the cached rebuild
    measure_pairs(cached, kit, ref, bench.sizes)
    label_check(cached, bench, kit_tag, cli_tag)
    same_image_check(cached, bench, kit_tag, cli_tag, cached=True)
    builder_check(cached, kit_last["result"].builder, ref_last["output"], builder)

    work = bench.context(f"cold-{builder}", cold_files(bench.sizes))
    kit_tag, cli_tag = bench.tag(f"cold-{builder}"), bench.tag(f"cold-{builder}-cli")
    kit, kit_last = bench.kit_build(work, kit_tag, builder, no_cache=True)
    ref, ref_last = bench.cli_build(work, cli_tag, buildkit=buildkit, no_cache=True)
    measure_pairs(cold, kit, ref, bench.sizes)
    label_check(cold, bench, kit_tag, cli_tag)
    same_image_check(cold, bench, kit_tag, cli_tag, cached=False)
    builder_check(cold, kit_last["result"].builder, ref_last["output"], builder)
    return [cached, cold]


def buildkit_unavailable() -> str | None:
    """Why the kit's BuildKit builder cannot run here, or None when it can."""
    from layerlab.builders import select_builder
    from layerlab.errors import LayerlabError

    try:
        select_builder("buildkit")
    except LayerlabError as exc:
        return f"n/a (BuildKit builder: {str(exc).splitlines()[0]})"
    return None


# ---------------------------------------------------------------- row 5: %load_ext
# ---------------------------------------------------------------- kernel rows
RESULT_CELL = (
    "import json as _bench_json\n"
    "print(_bench_json.dumps({'builder': _.builder, 'image_id': _.image_id,"
    " 'tags': _.engine_tags, 'lines': _.log_store.lines, 'status': _.status}))"
)


def _kernel_result(kernel: Any) -> dict[str, Any]:
    done = kernel.check(RESULT_CELL)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def widget_rows(bench: Bench, kernel: Any) -> list[Row]:
    """%docker_build of the cached seed lab in a kernel, widget view on a real comm."""
    rows = []
    for number, builder in (("6", "classic"), ("7", "buildkit")):
        buildkit = builder == "buildkit"
        row = Row(
            number,
            f"%docker_build in a kernel, widget view, cached seed lab, {builder}",
            f"DOCKER_BUILDKIT={int(buildkit)} {bench.cli} build"
            + (" --progress=plain" if buildkit else ""),
            "time",
            1.25,
        )
        rows.append(row)
        if buildkit and (reason := buildkit_unavailable()):
            row.unavailable = reason
            continue
        seed = bench.context(f"kseed-{builder}", seed_files(bench.sizes, _label_line(bench)))
        kit_tag, cli_tag = bench.tag(f"kseed-{builder}"), bench.tag(f"kseed-{builder}-cli")
        cell = f"%docker_build {seed} -t {kit_tag} --builder {builder}"
        comms: list[int] = []
        statuses: set[str] = set()

        def kit(cell: str = cell, comms: list[int] = comms, statuses: set[str] = statuses) -> float:
            done = kernel.run(cell)
            comms.append(done.comm_messages)
            statuses.add(done.status if done.status == "ok" else f"{done.status}: {done.error}")
            return float(done.wall_s)

        ref, ref_last = bench.cli_build(
            seed, cli_tag, buildkit=buildkit, labels=bench.kernel_labels
        )
        if bench.sizes.seed_with_pip:
            kit()  # fill the cache once (pip reaches PyPI)
        measure_pairs(row, kit, ref, bench.sizes)
        result = _kernel_result(kernel)
        row.add_check("every kit build succeeded", statuses == {"ok"}, ", ".join(statuses))
        row.add_check(
            "widget view attached to the comm",
            min(comms) > 0,
            f"{min(comms)}..{max(comms)} comm messages per build",
        )
        kit_engine_tag = result["tags"][0]
        label_check(row, bench, kit_engine_tag, cli_tag)
        same_image_check(row, bench, kit_engine_tag, cli_tag, cached=True)
        builder_check(row, result["builder"], ref_last["output"], builder)
    return rows


#: Seconds between the %load_ext cell and the first build: a learner reads the next cell
#: (in the labs, a %%dockerfile cell comes in between) before running the build.
THINK_S = 2.0


def first_build_rows(bench: Bench) -> list[Row]:
    """Row 5 (the %load_ext cell) and row 8 (the first build after it), in fresh kernels."""
    load = Row(
        "5",
        "%load_ext layerlab cell in a fresh kernel",
        "an empty cell in the same kernel",
        "added_ms",
        50.0,
    )
    first = Row(
        "8",
        f"first %docker_build in a fresh kernel, {THINK_S:g} s after %load_ext, default builder",
        f"DOCKER_BUILDKIT=1 {bench.cli} build --progress=plain (a first build: a new process)",
        "time",
        1.5,
    )
    if reason := buildkit_unavailable():
        load.unavailable = first.unavailable = reason
        return [load, first]
    seed = bench.context("first", seed_files(bench.sizes, _label_line(bench)))
    kit_tag, cli_tag = bench.tag("first"), bench.tag("first-cli")
    results: list[dict[str, Any]] = []
    from layerlab.builders import probe

    probe_cached = probe.cache_file().exists()

    def first_build(
        env: dict[str, str] | None = None, think_s: float = THINK_S, into: Row | None = load
    ) -> float:
        kernel = bench.kernel(env)
        try:
            kernel.check("1")  # the kernel's own first cell, untimed
            cells = ["pass", "%load_ext layerlab"]
            if into is not None and len(into.kit) % 2:
                cells.reverse()
            timings = {cell: kernel.check(cell).wall_s for cell in cells}
            if into is not None:
                into.kit.append(timings["%load_ext layerlab"])
                into.ref.append(timings["pass"])
            time.sleep(think_s)
            done = kernel.run(f"%docker_build {seed} -t {kit_tag}")
            if done.status != "ok":
                raise RuntimeError(f"first build failed: {done.error}")
            results.append(_kernel_result(kernel))
            return float(done.wall_s)
        finally:
            bench.stop_kernel(kernel)

    ref, ref_last = bench.cli_build(seed, cli_tag, buildkit=True, labels=bench.kernel_labels)
    # the warm-up compiles the bytecode and leaves the probe's answers in the user's cache;
    # a smoke run skips it (the rows before it did both)
    measure_pairs(
        first,
        first_build,
        ref,
        bench.sizes,
        pairs=bench.sizes.first_build_pairs,
        warmup=not bench.sizes.smoke,
    )
    if not bench.sizes.smoke:  # the warm-up kernel's %load_ext is not a figure
        del load.kit[0], load.ref[0]
    label_check(first, bench, results[-1]["tags"][0], cli_tag)
    same_image_check(first, bench, results[-1]["tags"][0], cli_tag, cached=True)
    builders = {result["builder"] for result in results}
    builder_check(
        first,
        builders.pop() if len(builders) == 1 else str(builders),
        ref_last["output"],
        "buildkit",
    )
    first.notes.append(
        f"BuildKit probe cache {probe.cache_file()}: "
        f"{'present' if probe_cached else 'empty'} before the run, filled by the warm-up"
    )
    for label, empty_cache, think_s in (
        ("right after %load_ext (no pause)", False, 0.0),
        (f"with an EMPTY probe cache ({THINK_S:g} s pause)", True, THINK_S),
    ):
        extra = []
        for index in range(bench.sizes.extra_kernels):
            folder = {"XDG_CACHE_HOME": str(bench.workdir / f"empty-{index}")}
            extra.append(first_build(folder if empty_cache else None, think_s, None))
        if extra:
            low, middle, high = quartiles(extra)
            first.notes.append(
                f"the same first build {label}: median {middle * 1000:.0f} ms "
                f"[{low * 1000:.0f}-{high * 1000:.0f}] over {len(extra)} kernels"
            )
    return [load, first]


def cpu_rows(bench: Bench, kernel: Any) -> list[Row]:
    """Kernel CPU for a build printing N lines, against reading the raw stream.

    Each side's CPU is divided by the lines it received: BuildKit's daemon rate-limits a
    step's log, so how many of the printed lines reach a client depends on the machine's
    load, and differs from build to build (the classic builder delivers them all).
    """
    lines = bench.sizes.output_lines
    rows = []
    for number, builder in (("9", "classic"), ("10", "buildkit")):
        buildkit = builder == "buildkit"
        reference = (
            f"reading DOCKER_BUILDKIT=1 {bench.cli} build --progress=plain's pipe, discarded"
            if buildkit
            else "iterating APIClient.build(decode=True), discarded"
        )
        row = Row(
            number,
            f"kernel CPU per 100,000 output lines, %docker_build widget view, {builder}",
            reference,
            "cpu",
            3.0,
            unit="cpu",
        )
        rows.append(row)
        if buildkit and (reason := buildkit_unavailable()):
            row.unavailable = reason
            continue
        context = bench.context(f"chatty-{builder}", chatty_files(lines, _label_line(bench)))
        kit_tag, raw_tag = bench.tag(f"chatty-{builder}"), bench.tag(f"chatty-{builder}-raw")
        cell = f"%docker_build {context} -t {kit_tag} --builder {builder} --no-cache"
        # The same build printing nothing: its CPU is the build's fixed cost (parsing, the
        # context, the views, starting the CLI), subtracted on both sides so the figure is
        # the cost of the lines alone, whatever their number (10,000 in a smoke run)
        quiet = bench.context(f"quiet-{builder}", chatty_files(0, _label_line(bench)))
        quiet_cell = (
            f"%docker_build {quiet} -t {bench.tag(f'quiet-{builder}')} --builder {builder} "
            "--no-cache"
        )
        seen: dict[str, list[int]] = {"kit": [], "raw": [], "comm": []}
        walls: dict[str, list[float]] = {"kit": [], "raw": []}

        def kit(
            cell: str = cell,
            quiet_cell: str = quiet_cell,
            seen: dict[str, list[int]] = seen,
            walls: dict[str, list[float]] = walls,
        ) -> float:
            fixed = kernel.run(quiet_cell, precise_cpu=True)
            done = kernel.run(cell, precise_cpu=True)
            if done.status != "ok" or fixed.status != "ok":
                raise RuntimeError(f"chatty build failed: {done.error or fixed.error}")
            received = int(_kernel_result(kernel)["lines"])
            seen["kit"].append(received)
            seen["comm"].append(done.comm_messages)
            walls["kit"].append(float(done.wall_s))
            cpu = max(0.0, float(done.kernel_cpu_s) - float(fixed.kernel_cpu_s))
            return cpu * 100_000 / max(received, 1)

        reader = _raw_cli_reader if buildkit else _raw_sdk_reader
        raw = reader(bench, context, raw_tag)
        raw_quiet = reader(bench, quiet, bench.tag(f"quiet-{builder}-raw"))

        def ref(
            raw: Callable[[], int] = raw,
            raw_quiet: Callable[[], int] = raw_quiet,
            seen: dict[str, list[int]] = seen,
            walls: dict[str, list[float]] = walls,
        ) -> float:
            started = time.thread_time()
            raw_quiet()
            fixed = time.thread_time() - started
            started, wall = time.thread_time(), time.perf_counter()
            received = raw()
            cpu = max(0.0, time.thread_time() - started - fixed)
            seen["raw"].append(received)
            walls["raw"].append(time.perf_counter() - wall)
            return cpu * 100_000 / max(received, 1)

        measure_pairs(row, kit, ref, bench.sizes)
        result = _kernel_result(kernel)
        # classic: every printed line reaches both sides; BuildKit: a share of them
        # (rate-limited), enough for a per-line figure
        least = lines if not buildkit else lines // 10
        row.add_check(
            "both sides got the output",
            min(seen["kit"]) >= least and min(seen["raw"]) >= least,
            f"kit log {min(seen['kit'])}..{max(seen['kit'])} lines, raw "
            f"{min(seen['raw'])}..{max(seen['raw'])}, printed {lines}; at least {least}",
        )
        row.add_check(
            "widget view attached to the comm",
            min(seen["comm"]) > 0,
            f"{min(seen['comm'])}..{max(seen['comm'])} comm messages per build",
        )
        label_check(row, bench, result["tags"][0], raw_tag)
        row.add_check("same builder", result["builder"] == builder, f"kit {result['builder']}")
        row.notes.append(
            f"wall time of the same builds: kit {quartiles(walls['kit'])[1]:.2f} s, raw "
            f"{quartiles(walls['raw'])[1]:.2f} s (median; the container printing dominates)"
        )
        row.notes.append(
            f"{lines:,} lines printed; CPU above the same build printing nothing, divided by "
            "the lines each side received, per 100,000"
        )
    return rows


def _raw_sdk_reader(bench: Bench, context: Path, tag: str) -> Callable[[], int]:
    def run() -> int:
        count = 0
        for message in bench.api.build(
            path=str(context),
            tag=tag,
            nocache=True,
            rm=True,
            forcerm=True,
            labels=bench.kernel_labels,
            decode=True,
        ):
            stream = message.get("stream")
            if stream:
                count += stream.count("\n")
            if "error" in message:
                raise RuntimeError(f"raw build failed: {message['error']}")
        return count

    return run


def _raw_cli_reader(bench: Bench, context: Path, tag: str) -> Callable[[], int]:
    command, env = bench.cli_command(context, tag, buildkit=True, labels=bench.kernel_labels)
    command.insert(-1, "--no-cache")

    def run() -> int:
        count = 0
        with subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as process:
            assert process.stdout is not None
            for _line in process.stdout:
                count += 1
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed")
        return count

    return run


def kernel_rows(bench: Bench, wanted: set[str]) -> list[Row]:
    """Rows 6, 7, 9, 10 share one kernel (its first build is row 8's business)."""
    kernel = bench.kernel()
    try:
        kernel.check("%load_ext layerlab")
        rows: list[Row] = []
        if not wanted or wanted & {"6", "7"}:
            rows += widget_rows(bench, kernel)
        if not wanted or wanted & {"9", "10"}:
            rows += cpu_rows(bench, kernel)
        return rows
    finally:
        bench.stop_kernel(kernel)


# ---------------------------------------------------------------- row 11: layer stack
def layer_row(bench: Bench) -> Row:
    count, crowd = bench.sizes.layer_count, bench.sizes.crowd
    row = Row(
        "11",
        f"layer stack of a {count}-layer BuildKit image, no --base, {crowd} tagged images",
        f"{bench.cli} history",
        "time",
        2.0,
    )
    if reason := buildkit_unavailable():
        row.unavailable = reason
        return row
    context = bench.context("layers", layer_files(count))
    tag = bench.tag("layers")
    # built by the CLI: the kit has no record of its Dockerfile, as for an image a learner
    # built in another session or pulled
    bench.cli_build(context, tag, buildkit=True)[0]()
    crowd_source = bench.tag("crowd-source")
    bench.cli_build(
        bench.context("crowd", seed_files(replace(bench.sizes, seed_with_pip=False))),
        crowd_source,
        buildkit=False,
    )[0]()
    crowd_tags = [f"{bench.tag('crowd')}:{index}" for index in range(crowd)]
    for crowd_tag in crowd_tags:
        repository, _, version = crowd_tag.rpartition(":")
        bench.api.tag(crowd_source, repository, version)
    try:
        widget = _layer_widget()
        stacks: list[Any] = []

        def kit() -> float:
            from layerlab import layers

            def show() -> None:
                stack = layers(tag)
                if widget is not None:
                    widget(stack).get_state()
                stacks.append(stack)

            return timed(show)

        history_lines: list[int] = []

        def reference() -> float:
            started = time.perf_counter()
            done = subprocess.run(
                [bench.cli, "history", tag], capture_output=True, text=True, check=True
            )
            elapsed = time.perf_counter() - started
            history_lines.append(len(done.stdout.splitlines()) - 1)
            return elapsed

        measure_pairs(row, kit, reference, bench.sizes)
        stack = stacks[-1]
        tagged = sum(len(image.get("RepoTags") or []) for image in bench.api.images())
        row.add_check(
            "same image, every layer",
            len(stack.layers) == history_lines[-1],
            f"kit {len(stack.layers)} layers, docker history {history_lines[-1]} lines",
        )
        row.add_check(
            "the base was found", stack.base_image == BASE_IMAGE, f"base {stack.base_image}"
        )
        row.notes.append(
            "kit side: layerlab.layers.layers()"
            + (" + LayerStackView state" if widget else "")
            + f"; {tagged} tags on the engine during the row ({crowd} of them this row's)"
        )
    finally:
        for crowd_tag in crowd_tags:
            with contextlib.suppress(Exception):
                bench.api.remove_image(crowd_tag)
    return row


def _layer_widget() -> Any:
    try:
        from layerlab.widgets.layer_stack import LayerStackView
    except ImportError:
        return None
    return LayerStackView


# ---------------------------------------------------------------- more rows
def _extra_figures(bench: Bench) -> list[Figure]:
    """Rows from ``benchmarks/layer_files.py`` when it exists.

    The contract: the module defines ``ROW_NUMBERS`` (the row numbers it makes, for
    ``--only``) and ``rows(bench: Bench) -> list[benchmarks.stats.Row]``, measuring with
    ``benchmarks.run.measure_pairs(row, kit, reference, bench.sizes)`` and recording its
    fairness checks with ``row.add_check(name, ok, detail)``.
    """
    try:
        module = importlib.import_module(LAYER_FILES_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == LAYER_FILES_MODULE:
            return []
        raise
    numbers = {str(number) for number in module.ROW_NUMBERS}
    return [(numbers, lambda: list(module.rows(bench)))]


# ---------------------------------------------------------------- machine
def machine(bench: Bench) -> list[str]:
    from layerlab.engine import engine_info

    cpu_model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    info = engine_info()
    engine_details = bench.client.info()
    clis = []
    for cli in dict.fromkeys([bench.cli, shutil.which("docker") or bench.cli]):
        version = subprocess.run(
            [cli, "version", "--format", "{{.Client.Version}}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        clis.append(f"{cli} {version}")
    return [
        f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, host {socket.gethostname()}",
        (
            f"machine: {os.cpu_count()} CPUs ({cpu_model}), {memory} memory, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
        ),
        (
            f"engine: Docker Engine {info['version']} (API {info['api']}), storage "
            f"{engine_details.get('Driver', '?')}, {engine_details.get('Images', '?')} images"
        ),
        f"docker CLIs: {'; '.join(clis)} (reference: {bench.cli})",
        (
            "builders: classic = docker SDK APIClient.build(decode=True) in-process; "
            f"buildkit = {buildkit_unavailable() or _buildkit_description()}"
        ),
        f"load average at start: {_loadavg()}",
    ]


def _buildkit_description() -> str:
    from layerlab.builders import select_builder

    cli = getattr(select_builder("buildkit"), "cli", None)
    return cli.describe() if cli is not None else "layerlab BuildKitBuilder"


def _loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])
    return "?"


def results_path(only: list[str] | None = None, now: dt.datetime | None = None) -> Path:
    """``<date>-<host>-<HHMM>.txt`` (UTC; a saved run is never overwritten by a later one
    the same day); a run of some rows only gets ``-rows-<numbers>`` added."""
    moment = now or dt.datetime.now(dt.UTC)
    rows = f"-rows-{'-'.join(sorted(set(only), key=lambda n: n.zfill(3)))}" if only else ""
    return RESULTS / f"{moment:%Y-%m-%d}-{socket.gethostname()}-{moment:%H%M}{rows}.txt"


# ---------------------------------------------------------------- main
def _interrupt_on_sigterm() -> None:
    def handler(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@contextlib.contextmanager
def bench_session(bench: Bench) -> Iterator[Bench]:
    try:
        yield bench
    finally:
        # also on Ctrl-C / SIGTERM: nothing this run built may stay on the shared engine
        with contextlib.suppress(KeyboardInterrupt):
            removed = bench.cleanup()
            print(
                f"removed {removed} benchmark image(s) labelled {BENCH_LABEL}={bench.run_id}",
                file=sys.stderr,
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="every row with tiny sizes and 2 pairs; fails on a row far off its target",
    )
    parser.add_argument("--pairs", type=int, default=15, help="pairs per row (15)")
    parser.add_argument("--cli", default=DEFAULT_CLI, help=f"docker CLI ({DEFAULT_CLI})")
    parser.add_argument(
        "--only", action="append", default=[], metavar="ROW", help="only these rows; repeatable"
    )
    parser.add_argument("--run-id", default=None, help="label value for this run's images")
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one more label on every image (tests pass their test label)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument(
        "--save",
        action="store_true",
        help="also save the whole output in benchmarks/results/<date>-<host>-<HHMM>.txt",
    )
    parser.add_argument(
        "--note", default="", help="a line about the conditions, saved with the output"
    )
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    return args


def figures(bench: Bench, wanted: set[str]) -> list[Figure]:
    return [
        ({"1", "2"}, lambda: builder_rows(bench, "classic", ("1", "2"))),
        ({"3", "4"}, lambda: builder_rows(bench, "buildkit", ("3", "4"))),
        ({"6", "7", "9", "10"}, lambda: kernel_rows(bench, wanted)),
        ({"5", "8"}, lambda: first_build_rows(bench)),
        ({"11"}, lambda: [layer_row(bench)]),
        *_extra_figures(bench),
    ]


def run_rows(bench: Bench, wanted: set[str]) -> list[Row]:
    rows: list[Row] = []
    for numbers, figure in figures(bench, wanted):
        if wanted and not numbers & wanted:
            continue
        started = time.perf_counter()
        made = figure()
        for row in made:
            _spread_note(row)
        print(
            f"  rows {', '.join(r.number for r in made)} done "
            f"({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
        rows += [row for row in made if not wanted or row.number in wanted]
    return sorted(rows, key=lambda r: (int(r.number) if r.number.isdigit() else 999, r.number))


def report(rows: list[Row], problems: list[str]) -> list[str]:
    lines = [
        table(rows),
        "",
        "Each side: median [lower quartile - upper quartile]; the ratio is taken pair by pair.",
        "met: the ratio's upper quartile is within the target. Rows 9-10 compare CPU seconds",
        "per 100,000 lines (kernel process against reader thread); the others wall time.",
        "",
    ]
    for row in rows:
        lines += [f"[{row.number}] fairness {check.describe()}" for check in row.checks]
        lines += [f"[{row.number}] {note}" for note in row.notes]
    lines += [f"load average at end: {_loadavg()}", ""]
    lines += [f"FAILED: {problem}" for problem in problems]
    lines.append("result: " + ("FAILED" if problems else "ok"))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from layerlab import i18n
    from layerlab.config import settings

    i18n.set_language("en")
    settings().view = "text"
    sizes = SMOKE_SIZES if args.smoke else full_sizes(args.pairs)
    labels = dict(pair.split("=", 1) for pair in args.label)
    bench = Bench(sizes, args.cli, args.run_id or uuid.uuid4().hex[:10], labels)
    _interrupt_on_sigterm()
    output: list[str] = []

    def say(*lines: str) -> None:
        output.extend(lines)
        print("\n".join(lines), flush=True)

    with bench_session(bench):
        if args.note:
            say(f"note: {args.note}")
        say(*machine(bench))
        mode = f"{sizes.pairs} pairs per row after a warm-up, order alternated"
        say(f"run {bench.run_id}: " + ("smoke: tiny sizes, 1 pair" if args.smoke else mode))
        command = shlex.join(argv if argv is not None else sys.argv[1:])
        say(f"command: python -m benchmarks.run {command}", "")
        rows = run_rows(bench, set(args.only))
        problems = failures(rows, smoke=args.smoke)
        say(*report(rows, problems))
    if args.json:
        data = {"run": bench.run_id, "rows": [r.as_json() for r in rows]}
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        target = results_path(args.only)
        target.write_text("\n".join(output) + "\n", encoding="utf-8")
        print(f"saved {target}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
