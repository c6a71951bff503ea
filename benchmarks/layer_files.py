"""Layer-file analysis against ``docker save`` and dive, measured side by side in one run.

Run from the repository root::

    /work/venv/bin/python -m benchmarks.layer_files            # 15 rounds
    /work/venv/bin/python -m benchmarks.layer_files --rounds 21 --image python:3.13-slim
    /work/venv/bin/python -m benchmarks.layer_files --smoke    # 3 rounds (the tests)

Rows:

1. ``layerlab.layer_files(IMAGE)`` with an empty cache | ``docker save IMAGE > /dev/null``
   | ``dive --source docker IMAGE --ci --json F``: one round runs all three, the order
   rotating every round so all see the same machine load. Targets: ≤ 1.2x save, < dive.
2. second analysis of an image that shares IMAGE's layers (cache holds IMAGE's layers)
   | first analysis of that image (empty cache). Target ≤ 0.2x.
3. ``%%dockerfile`` cell with hadolint | the same cell with ``--no-lint`` (added ms;
   target ≤ 100 ms).

Figures: median and interquartile range (Q1..Q3) of each side. The one image this builds
carries ``org.layerlab.bench=<run id>`` (plus ``--label``) and is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

BENCH_LABEL = "org.layerlab.bench"
DOCKER_CLI = "/usr/bin/docker"
DEFAULT_IMAGE = os.environ.get("LAYERLAB_BASE_IMAGE", "python:3.13-alpine")

Timer = Callable[[], float]


def timed(action: Callable[[], object]) -> Timer:
    def run() -> float:
        started = time.perf_counter()
        action()
        return time.perf_counter() - started

    return run


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def rotate(timers: list[Timer], rounds: int) -> list[list[float]]:
    """Each round runs every timer once; the first one changes every round."""
    results: list[list[float]] = [[] for _ in timers]
    for round_index in range(rounds):
        for offset in range(len(timers)):
            which = (round_index + offset) % len(timers)
            results[which].append(timers[which]())
    return results


def fmt(values: list[float], unit: float = 1.0, suffix: str = "s") -> str:
    q1, median, q3 = quartiles(values)
    return f"{median * unit:7.3f} {suffix} (IQR {q1 * unit:.3f}..{q3 * unit:.3f})"


def dive_binary() -> str:
    beside = Path(sys.executable).with_name("dive")
    return str(beside) if beside.exists() else "dive"


@contextlib.contextmanager
def shared_base_image(base: str, labels: dict[str, str]) -> Iterator[str]:
    """A small image built on ``base`` (classic builder), removed afterwards."""
    import docker

    client = docker.from_env(timeout=300)
    tag = f"layerlab-bench-lf-{labels[BENCH_LABEL]}"
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "Dockerfile").write_text(
            f"FROM {base}\nRUN head -c 200000 /dev/urandom > /app.bin\n", encoding="utf-8"
        )
        client.images.build(path=folder, tag=tag, labels=labels, rm=True)
    try:
        yield tag
    finally:
        with contextlib.suppress(Exception):
            client.images.remove(tag, force=True)
        client.close()


def row_stream(image: str, rounds: int) -> list[str]:
    from layerlab.layer_contents import LayerCache, layer_files

    out_json = Path(tempfile.gettempdir()) / f"layerlab-bench-dive-{os.getpid()}.json"

    def save() -> None:
        subprocess.run(
            [DOCKER_CLI, "save", image],
            stdout=subprocess.DEVNULL,
            check=True,
        )

    def dive() -> None:
        subprocess.run(
            [dive_binary(), "--source", "docker", image, "--ci", "--json", str(out_json)],
            capture_output=True,
            check=False,
        )

    timers = [
        timed(lambda: layer_files(image, cache=LayerCache())),
        timed(save),
        timed(dive),
    ]
    for timer in timers:  # warm-up
        timer()
    kit, saved, dived = rotate(timers, rounds)
    out_json.unlink(missing_ok=True)
    m_kit, m_save, m_dive = (statistics.median(v) for v in (kit, saved, dived))
    return [
        f"1. layer files of {image}, {rounds} rounds (fresh cache each time)",
        f"   layerlab.layer_files   {fmt(kit)}",
        f"   docker save >/dev/null {fmt(saved)}",
        f"   dive --ci --json       {fmt(dived)}",
        (
            f"   ratio vs docker save: {m_kit / m_save:.2f}x (target <= 1.2x); "
            f"vs dive: {m_kit / m_dive:.2f}x (target < 1.0x)"
        ),
    ]


def row_shared_base(image: str, rounds: int, labels: dict[str, str]) -> list[str]:
    from layerlab.layer_contents import LayerCache, layer_files

    with shared_base_image(image, labels) as derived:
        warm = LayerCache()
        layer_files(image, cache=warm)

        warm_layers = warm.layers()

        def second_analysis() -> None:
            cache = LayerCache()
            for layer in warm_layers:
                cache.put(layer)
            layer_files(derived, cache=cache)

        timers = [timed(second_analysis), timed(lambda: layer_files(derived, cache=LayerCache()))]
        for timer in timers:
            timer()
        shared, first = rotate(timers, rounds)
    ratio = statistics.median(shared) / statistics.median(first)
    return [
        f"2. image on {image}'s layers, {rounds} rounds",
        f"   second (base layers cached) {fmt(shared)}",
        f"   first (empty cache)         {fmt(first)}",
        f"   ratio: {ratio:.2f}x (target <= 0.2x)",
    ]


def row_hadolint(rounds: int) -> list[str]:
    from IPython.core.interactiveshell import InteractiveShell

    from layerlab.magics import register

    shell = InteractiveShell.instance()
    register(shell)
    cell = "FROM python\nCOPY app.py /app.py\nRUN pip install flask\nCMD python app.py\n"
    with tempfile.TemporaryDirectory() as folder:
        here = Path.cwd()
        os.chdir(folder)
        try:
            with Path(os.devnull).open("w") as sink, contextlib.redirect_stdout(sink):
                timers = [
                    timed(lambda: shell.run_cell_magic("dockerfile", "", cell)),  # type: ignore[no-untyped-call]
                    timed(
                        lambda: shell.run_cell_magic("dockerfile", "--no-lint", cell)  # type: ignore[no-untyped-call]
                    ),
                ]
                for timer in timers:
                    timer()
                linted, plain = rotate(timers, rounds)
        finally:
            os.chdir(here)
    added = [a - b for a, b in zip(linted, plain, strict=True)]
    return [
        f"3. %%dockerfile cell, {rounds} rounds",
        f"   with hadolint {fmt(linted, 1000, 'ms')}",
        f"   --no-lint     {fmt(plain, 1000, 'ms')}",
        f"   added by hadolint: {statistics.median(added) * 1000:.1f} ms (target <= 100 ms)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--image", default=DEFAULT_IMAGE)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="3 rounds, to check it works")
    parser.add_argument("--run-id", default=uuid.uuid4().hex[:10])
    parser.add_argument("--label", action="append", default=[], help="extra KEY=VALUE label")
    args = parser.parse_args(argv)
    rounds = 3 if args.smoke else max(args.rounds, 15)
    labels = {BENCH_LABEL: args.run_id}
    labels.update(dict(item.split("=", 1) for item in args.label))
    lines = [
        *row_stream(args.image, rounds),
        *row_shared_base(args.image, rounds, labels),
        *row_hadolint(rounds),
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
