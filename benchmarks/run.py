"""layerlab against the docker CLI (or the raw SDK), measured side by side in one run.

Run from the repository root::

    .venv/bin/python -m benchmarks.run            # full run: warm-up, then 5 A/B pairs
    .venv/bin/python -m benchmarks.run --pairs 9  # more pairs on a noisy machine
    .venv/bin/python -m benchmarks.run --smoke    # each figure once, tiny sizes (the tests)

Every figure is measured as pairs, alternately (kit, reference, kit, reference, ...) after
one warm-up of each, and the table shows the medians and their ratio. Every image the
benchmark builds carries ``org.layerlab.bench=<run id>`` and is removed at the end, also
after Ctrl-C. See benchmarks/README.md for what each row measures.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

BENCH_LABEL = "org.layerlab.bench"
#: Debian's 20.10 CLI: it matches the engine and drives both builders without the 28.x
#: client's deprecation banner for the legacy builder (which would be extra output to
#: print, not a different build).
DEFAULT_CLI = "/usr/bin/docker"
BASE_IMAGE = os.environ.get("LAYERLAB_BASE_IMAGE", "python:3.13-alpine")
UNAVAILABLE_BUILDKIT = "n/a (BuildKit builder not available)"

Timer = Callable[[], float]
Kind = Literal["time", "added_ms", "throughput"]


# ---------------------------------------------------------------- sizes
@dataclass(frozen=True)
class Sizes:
    pairs: int
    warmup: bool
    #: iterations of the Python loop the cold build's RUN does (local work, no network)
    cold_loop: int
    output_lines: int
    layer_count: int
    #: the seed lab installs flask from PyPI; smoke mode leaves that step out
    seed_with_pip: bool


def full_sizes(pairs: int) -> Sizes:
    return Sizes(
        pairs=pairs,
        warmup=True,
        cold_loop=15_000_000,
        output_lines=100_000,
        layer_count=100,
        seed_with_pip=True,
    )


SMOKE_SIZES = Sizes(
    pairs=1, warmup=False, cold_loop=1_000, output_lines=100, layer_count=5, seed_with_pip=False
)


# ---------------------------------------------------------------- results
@dataclass
class Row:
    number: str
    figure: str
    reference: str
    target: str
    kind: Kind
    limit: float
    kit: list[float] = field(default_factory=list)
    ref: list[float] = field(default_factory=list)
    #: CPU time of this process and its children per run (hardly moved by machine load)
    kit_cpu: list[float] = field(default_factory=list)
    ref_cpu: list[float] = field(default_factory=list)
    unavailable: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def kit_median(self) -> float:
        return statistics.median(self.kit)

    @property
    def ref_median(self) -> float:
        return statistics.median(self.ref)

    def score(self) -> float:
        """The figure compared against the target (ratio, or milliseconds added)."""
        if self.kind == "added_ms":
            return (self.kit_median - self.ref_median) * 1000
        if self.kind == "throughput":
            return self.ref_median / self.kit_median  # kit throughput / raw throughput
        return self.kit_median / self.ref_median

    def meets(self) -> bool:
        if self.kind == "throughput":
            return self.score() >= self.limit
        return self.score() <= self.limit

    def cells(self) -> list[str]:
        if self.unavailable or not self.kit or not self.ref:
            reason = self.unavailable or "n/a (not measured)"
            return [self.number, self.figure, reason, "", "", self.target, "", ""]
        score = self.score()
        shown = f"+{score:.0f} ms" if self.kind == "added_ms" else f"{score:.2f}x"
        return [
            self.number,
            self.figure,
            _seconds(self.kit_median),
            _seconds(self.ref_median),
            shown,
            self.target,
            "yes" if self.meets() else "NO",
            f"{_seconds(statistics.median(self.kit_cpu))} / "
            f"{_seconds(statistics.median(self.ref_cpu))}"
            if self.kit_cpu and self.ref_cpu
            else "",
        ]

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "row": self.number,
            "figure": self.figure,
            "reference": self.reference,
            "target": self.target,
            "kit_s": self.kit,
            "reference_s": self.ref,
            "kit_cpu_s": self.kit_cpu,
            "reference_cpu_s": self.ref_cpu,
            "unavailable": self.unavailable,
            "notes": self.notes,
        }
        if self.kit and self.ref and not self.unavailable:
            data.update(score=self.score(), meets=self.meets())
        return data


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f} s"


def table(rows: list[Row]) -> str:
    headers = [
        "#",
        "figure",
        "layerlab (median)",
        "reference (median)",
        "ratio",
        "target",
        "met",
        "client CPU, layerlab / reference",
    ]
    body = [row.cells() for row in rows]
    widths = [max(len(headers[i]), *(len(cells[i]) for cells in body)) for i in range(len(headers))]
    lines = [
        " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) for cells in body]
    return "\n".join(line.rstrip() for line in lines)


# ---------------------------------------------------------------- measuring
def measure_pairs(row: Row, kit: Timer, reference: Timer, sizes: Sizes) -> None:
    """One warm-up of each side, then ``sizes.pairs`` pairs measured A B A B ..."""
    if sizes.warmup:
        kit()
        reference()
    for _ in range(sizes.pairs):
        row.kit.append(_with_cpu(kit, row.kit_cpu))
        row.ref.append(_with_cpu(reference, row.ref_cpu))
    spread = (
        f"kit {_seconds(min(row.kit))}..{_seconds(max(row.kit))}, "
        f"reference {_seconds(min(row.ref))}..{_seconds(max(row.ref))} "
        f"over {len(row.kit)} pairs"
    )
    row.notes.insert(0, spread)


def _cpu_now() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _with_cpu(action: Timer, into: list[float]) -> float:
    started = _cpu_now()
    elapsed = action()
    into.append(_cpu_now() - started)
    return elapsed


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class Bench:
    """Holds the run id, the work folder, and what every figure shares."""

    def __init__(self, sizes: Sizes, cli: str, run_id: str, extra_labels: dict[str, str]) -> None:
        from layerlab.engine import connect, kit_labels

        self.sizes = sizes
        self.cli = cli
        self.run_id = run_id
        self.workdir = Path(tempfile.mkdtemp(prefix=f"layerlab-bench-{run_id}-"))
        #: passed to api.build(labels=...); the kit adds its own kit/session/owner labels
        self.bench_labels = {BENCH_LABEL: run_id, **extra_labels}
        #: what the engine receives from the kit (api.build leaves the session label off
        #: images): the CLI and the raw SDK get the same labels, so both sides ask the
        #: engine for the same build steps (checked after rows 1 and 3, see label_check)
        try:
            self.engine_labels = kit_labels(self.bench_labels, session=False)
        except TypeError:  # an older kit_labels without the keyword
            self.engine_labels = kit_labels(self.bench_labels)
        self.client = connect(timeout=600)
        #: the SDK stubs leave history() & co untyped
        self.api: Any = self.client.api
        #: where the kit's text view prints: the cost of rendering, not of a terminal
        self.null = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - closed in cleanup

    def tag(self, name: str) -> str:
        return f"layerlab-bench-{name}-{self.run_id}"

    def context(self, name: str, files: dict[str, str]) -> Path:
        folder = self.workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        for relative, text in files.items():
            (folder / relative).write_text(text, encoding="utf-8")
        return folder

    # ---- the two sides of a build figure
    def kit_build(
        self, context: Path, tag: str, builder: str, *, no_cache: bool = False, listener: Any = None
    ) -> Timer:
        from layerlab import api
        from layerlab.views import TextProgress

        def run() -> float:
            # what %docker_build shows in text mode, printed to nowhere
            view = listener if listener is not None else TextProgress(stream=self.null)
            return timed(
                lambda: api.build(
                    context,
                    tags=[tag],
                    builder=builder,
                    no_cache=no_cache,
                    labels=self.bench_labels,
                    listeners=[view],
                )
            )

        return run

    def cli_build(
        self, context: Path, tag: str, *, buildkit: bool, no_cache: bool = False
    ) -> Timer:
        command = [self.cli, "build", "-t", tag, "--force-rm"]
        if buildkit:
            command.append("--progress=plain")
        if no_cache:
            command.append("--no-cache")
        for key, value in self.engine_labels.items():
            command += ["--label", f"{key}={value}"]
        command.append(str(context))
        env = {**os.environ, "DOCKER_BUILDKIT": "1" if buildkit else "0"}

        def run() -> float:
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, check=False)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                tail = done.stderr.decode(errors="replace")[-800:]
                raise RuntimeError(f"{' '.join(command)} failed:\n{tail}")
            return elapsed

        return run

    def raw_build(self, context: Path, tag: str, *, no_cache: bool = False) -> Callable[[], int]:
        """Iterate the SDK's decoded stream and discard it; returns the output lines seen."""

        def run() -> int:
            lines = 0
            for message in self.api.build(
                path=str(context),
                tag=tag,
                nocache=no_cache,
                rm=True,
                forcerm=True,
                labels=self.engine_labels,
                decode=True,
            ):
                stream = message.get("stream")
                if stream:
                    lines += stream.count("\n")
                if "error" in message:
                    raise RuntimeError(f"raw build failed: {message['error']}")
            return lines

        return run

    def cleanup(self) -> int:
        """Remove every image this run labelled; returns how many were removed."""
        from docker.errors import APIError

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


# ---------------------------------------------------------------- the figures
def seed_files(sizes: Sizes) -> dict[str, str]:
    # the seed lab of the notebooks and tests (tests/conftest.py: APP_PY, SEED_DOCKERFILE)
    app = (
        'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/")\n'
        'def hello():\n    return "hello world!"\n\n\nif __name__ == "__main__":\n'
        '    app.run(host="0.0.0.0")\n'
    )
    pip = "RUN pip install flask\n" if sizes.seed_with_pip else ""
    dockerfile = f'FROM {BASE_IMAGE}\n{pip}CMD ["python","app.py"]\nCOPY app.py /app.py\n'
    return {"app.py": app, "Dockerfile": dockerfile}


def cold_files(sizes: Sizes) -> dict[str, str]:
    # a Python-level loop: CPU work inside the build container, no network
    run = f'RUN python3 -c "print(sum(i * i for i in range({sizes.cold_loop})))"'
    return {"Dockerfile": f"FROM {BASE_IMAGE}\n{run}\n"}


def builder_rows(bench: Bench, builder: str, numbers: tuple[str, str]) -> list[Row]:
    buildkit = builder == "buildkit"
    env = "DOCKER_BUILDKIT=1" if buildkit else "DOCKER_BUILDKIT=0"
    progress = " --progress=plain" if buildkit else ""
    cli = f"{env} {bench.cli} build{progress}"
    targets = (1.05, 1.02) if buildkit else (1.00, 1.02)
    cached = Row(
        numbers[0],
        f"cached rebuild, seed lab, {builder}",
        cli,
        f"<= {targets[0]:.2f}x",
        "time",
        targets[0],
    )
    cold = Row(
        numbers[1],
        f"cold build (--no-cache, local RUN), {builder}",
        f"{cli} --no-cache",
        f"<= {targets[1]:.2f}x",
        "time",
        targets[1],
    )
    if buildkit:
        reason = buildkit_unavailable()
        if reason:
            cached.unavailable = cold.unavailable = reason
            return [cached, cold]

    seed = bench.context(f"seed-{builder}", seed_files(bench.sizes))
    if bench.sizes.seed_with_pip:
        # fill the cache once (this RUN reaches PyPI); the figure is the cached rebuild
        bench.kit_build(seed, bench.tag(f"seed-{builder}"), builder)()
    measure_pairs(
        cached,
        bench.kit_build(seed, bench.tag(f"seed-{builder}"), builder),
        bench.cli_build(seed, bench.tag(f"seed-{builder}-cli"), buildkit=buildkit),
        bench.sizes,
    )

    cached.notes += label_check(
        bench, bench.tag(f"seed-{builder}"), bench.tag(f"seed-{builder}-cli")
    )

    work = bench.context(f"cold-{builder}", cold_files(bench.sizes))
    measure_pairs(
        cold,
        bench.kit_build(work, bench.tag(f"cold-{builder}"), builder, no_cache=True),
        bench.cli_build(work, bench.tag(f"cold-{builder}-cli"), buildkit=buildkit, no_cache=True),
        bench.sizes,
    )
    return [cached, cold]


def label_check(bench: Bench, kit_tag: str, cli_tag: str) -> list[str]:
    """A warning when the kit's image and the CLI's carry different labels (unfair race)."""
    kit_labels = bench.api.inspect_image(kit_tag)["Config"].get("Labels") or {}
    cli_labels = bench.api.inspect_image(cli_tag)["Config"].get("Labels") or {}
    if kit_labels == cli_labels:
        return []
    differing = sorted(set(kit_labels.items()) ^ set(cli_labels.items()))
    return [f"WARNING: the kit's and the CLI's images differ in labels: {differing}"]


def buildkit_unavailable() -> str | None:
    """Why the kit's BuildKit builder cannot run here, or None when it can."""
    try:
        # by name: the module may not exist yet (the kit's BuildKit builder is optional)
        importlib.import_module("layerlab.builders.buildkit")
    except ImportError:
        return UNAVAILABLE_BUILDKIT
    from layerlab.builders import select_builder
    from layerlab.errors import LayerlabError

    try:
        select_builder("buildkit")
    except LayerlabError as exc:
        return f"n/a (BuildKit builder: {str(exc).splitlines()[0]})"
    return None


LOAD_EXT_SCRIPT = textwrap.dedent("""
    import sys, time
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    if sys.argv[1] == "load":
        started = time.perf_counter()
        shell.run_line_magic("load_ext", "layerlab")
        print(f"{(time.perf_counter() - started) * 1000:.2f}")
""")


def load_ext_row(bench: Bench) -> Row:
    row = Row(
        "5",
        "%load_ext layerlab in a fresh IPython",
        "a fresh IPython alone",
        "<= 50 ms added",
        "added_ms",
        50.0,
    )
    in_process_ms: list[float] = []

    def process(load: bool) -> Timer:
        command = [sys.executable, "-c", LOAD_EXT_SCRIPT, "load" if load else "plain"]

        def run() -> float:
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            elapsed = time.perf_counter() - started
            if load:
                in_process_ms.append(float(done.stdout.strip().splitlines()[-1]))
            return elapsed

        return run

    measure_pairs(row, process(load=True), process(load=False), bench.sizes)
    row.notes.append(
        f"load_ext alone, timed inside the process: median "
        f"{statistics.median(in_process_ms):.1f} ms"
    )
    return row


def chatty_files(lines: int) -> dict[str, str]:
    run = f"RUN python3 -c \"for i in range({lines}): print('line', i)\""
    return {"Dockerfile": f"FROM {BASE_IMAGE}\n{run}\n"}


def build_view_listener(null: Any) -> tuple[Any, str]:
    """The widget build view when there is one (never displayed), else text to nowhere."""
    from layerlab.views import TextProgress

    text = "parser + recorder + TextProgress (to /dev/null)"
    try:
        from layerlab.widgets.build_view import BuildView
    except ImportError:
        return TextProgress(stream=null), text
    try:
        view = BuildView(quiet=False)
    except Exception as exc:  # noqa: BLE001 - a view still being written must not stop the run
        return TextProgress(stream=null), f"{text}; BuildView failed: {type(exc).__name__}"
    return view, "parser + recorder + widget BuildView (not displayed)"


def output_row(bench: Bench) -> Row:
    lines = bench.sizes.output_lines
    row = Row(
        "6",
        f"build printing {lines:,} lines, kernel-side handling",
        "raw APIClient.build(decode=True), discarded",
        ">= 0.80x throughput",
        "throughput",
        0.80,
    )
    context = bench.context("chatty", chatty_files(lines))
    raw = bench.raw_build(context, bench.tag("chatty-raw"), no_cache=True)
    seen: dict[str, list[int]] = {"kit": [], "raw": []}
    _, described = build_view_listener(bench.null)

    def kit() -> float:
        from layerlab import api

        listener, _ = build_view_listener(bench.null)
        started = time.perf_counter()
        result = api.build(
            context,
            tags=[bench.tag("chatty")],
            builder="classic",
            no_cache=True,
            labels=bench.bench_labels,
            listeners=[listener],
        )
        elapsed = time.perf_counter() - started
        seen["kit"].append(result.log_store.lines)
        return elapsed

    def reference() -> float:
        started = time.perf_counter()
        seen["raw"].append(raw())
        return time.perf_counter() - started

    measure_pairs(row, kit, reference, bench.sizes)
    median_kit, median_raw = statistics.median(row.kit), statistics.median(row.ref)
    row.notes.append(f"kit side: {described}")
    row.notes.append(
        f"throughput: kit {lines / median_kit:,.0f} lines/s, raw {lines / median_raw:,.0f} lines/s"
    )
    if min(seen["kit"]) < lines or min(seen["raw"]) < lines:
        row.notes.append(
            f"WARNING: fewer lines than printed (kit log {min(seen['kit'])}, "
            f"raw {min(seen['raw'])})"
        )
    # peak memory in separate, untimed builds: tracemalloc slows Python down
    row.notes.append(
        f"peak Python memory (tracemalloc): kit {_peak_mb(kit):.1f} MB, "
        f"raw {_peak_mb(reference):.1f} MB"
    )
    return row


def _peak_mb(action: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def layer_files(count: int) -> dict[str, str]:
    # COPY makes a filesystem layer without running a container: a quick 100-layer image
    files = {f"f{index:03d}": f"layer {index}\n" for index in range(count)}
    copies = "".join(f"COPY f{index:03d} /layers/\n" for index in range(count))
    files["Dockerfile"] = f"FROM {BASE_IMAGE}\n{copies}"
    return files


def layer_row(bench: Bench) -> Row:
    count = bench.sizes.layer_count
    row = Row(
        "7",
        f"layer stack of a {count}-layer image",
        "APIClient.history() alone",
        "<= 2.00x",
        "time",
        2.0,
    )
    context = bench.context("layers", layer_files(count))
    tag = bench.tag("layers")
    bench.raw_build(context, tag)()  # built once, untimed
    widget = _layer_widget()
    described = "layers.layers()" + (" + LayerStackView state" if widget else "")

    def kit() -> float:
        from layerlab import layers

        def show() -> None:
            stack = layers(tag)
            if widget is not None:
                widget(stack).get_state()

        return timed(show)

    def reference() -> float:
        return timed(lambda: bench.api.history(tag))

    measure_pairs(row, kit, reference, bench.sizes)
    from layerlab import layers

    stack = layers(tag)
    row.notes.append(
        f"kit side: {described}; {len(stack.layers)} history entries, base "
        f"{stack.base_image}; {len(bench.api.images())} images on the engine"
    )
    return row


def _layer_widget() -> Any:
    try:
        from layerlab.widgets.layer_stack import LayerStackView
    except ImportError:
        return None
    return LayerStackView


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
    cli_version = subprocess.run(
        [bench.cli, "version", "--format", "{{.Client.Version}}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    buildkit = buildkit_unavailable() or _buildkit_description()
    return [
        (
            f"machine: {os.cpu_count()} CPUs ({cpu_model}), {memory} memory, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
        ),
        (
            f"engine: Docker Engine {info['version']} (API {info['api']}), storage "
            f"{engine_details.get('Driver', '?')}, {engine_details.get('Images', '?')} images"
        ),
        (
            f"reference CLI: {bench.cli} {cli_version} (DOCKER_BUILDKIT=0 for classic, "
            "=1 --progress=plain for BuildKit)"
        ),
        (
            "builders: classic = docker SDK APIClient.build(decode=True) in-process; "
            f"buildkit = {buildkit}"
        ),
        f"load average at start: {_loadavg()} (a shared machine: numbers are noisy)",
    ]


def _buildkit_description() -> str:
    from layerlab.builders import select_builder

    chosen = select_builder("buildkit")
    cli = getattr(chosen, "cli", None)
    return f"layerlab BuildKitBuilder ({cli})" if cli else "layerlab BuildKitBuilder"


def _loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])
    return "?"


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
        help="each figure once with tiny sizes (keeps the code from rotting)",
    )
    parser.add_argument("--pairs", type=int, default=5, help="A/B pairs per figure (5)")
    parser.add_argument("--cli", default=DEFAULT_CLI, help=f"docker CLI ({DEFAULT_CLI})")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ROW",
        help="run only these rows (1-7); repeatable",
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
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    return args


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
    wanted = set(args.only)
    rows: list[Row] = []
    figures: list[tuple[set[str], Callable[[], list[Row]]]] = [
        ({"1", "2"}, lambda: builder_rows(bench, "classic", ("1", "2"))),
        ({"3", "4"}, lambda: builder_rows(bench, "buildkit", ("3", "4"))),
        ({"5"}, lambda: [load_ext_row(bench)]),
        ({"6"}, lambda: [output_row(bench)]),
        ({"7"}, lambda: [layer_row(bench)]),
    ]
    with bench_session(bench):
        header = machine(bench)
        print("\n".join(header), flush=True)
        mode = (
            "smoke (tiny sizes, one pair, no warm-up)"
            if args.smoke
            else (f"{sizes.pairs} pairs after a warm-up, measured alternately")
        )
        print(f"run {bench.run_id}: {mode}\n", flush=True)
        for numbers, figure in figures:
            if wanted and not numbers & wanted:
                continue
            started = time.perf_counter()
            made = figure()
            rows += made
            for row in made:
                print(
                    f"  row {row.number} done ({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
        print(table(rows))
        print()
        for row in rows:
            for note in row.notes:
                print(f"[{row.number}] {note}")
        print(f"load average at end: {_loadavg()}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": header, "run": bench.run_id, "rows": [r.as_json() for r in rows]},
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
