"""Thirty learners build the seed lab at once on one engine.

Each learner is a separate Python process with its own ``JUPYTERHUB_USER`` (the
namespace is per process, as it is per kernel on a hub). The processes import the kit
and connect first, then all start building on one signal, so the wall time measures the
builds, not the imports. The same thirty builds (other learner names, so the engine
cannot reuse the first run's per-learner LABEL layers) then run one after another.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from layerlab import api
from layerlab.engine import LABEL_OWNER
from tests.conftest import TEST_LABEL, TEST_RUN, unique_tag

pytestmark = pytest.mark.integration

LEARNERS = 30

WORKER = """
import json, sys, time
from layerlab import api
from layerlab.config import settings
from layerlab.engine import connect

job = json.loads(sys.argv[1])
settings().extra_labels = {job["label"]: job["run"]}
connect()
print("ready", flush=True)
sys.stdin.readline()
started = time.time()
try:
    result = api.build(job["context"], tags=[job["tag"]], builder="classic", notify=print)
except Exception as exc:
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
else:
    print(json.dumps({
        "tags": result.tags, "engine_tags": result.engine_tags, "image_id": result.image_id,
        "statuses": [s.status for s in result.steps], "start": started, "end": time.time(),
    }), flush=True)
"""


def learner(prefix: str, index: int) -> str:
    return f"{prefix}{index:02d}-{TEST_RUN}"


def run_concurrently(context: Path, tag: str) -> tuple[list[dict[str, Any]], float]:
    job = json.dumps({"label": TEST_LABEL, "run": TEST_RUN, "context": str(context), "tag": tag})
    workers = []
    for index in range(LEARNERS):
        env = {**_environ(), "JUPYTERHUB_USER": learner("learner-", index)}
        workers.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, job],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:  # the starting signal, as close together as we can
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, _ = worker.communicate(timeout=300)
        results.append(json.loads(out.strip().splitlines()[-1]))
    succeeded = [r for r in results if "error" not in r]
    wall = (
        max(r["end"] for r in succeeded) - min(r["start"] for r in succeeded) if succeeded else 0.0
    )
    return results, wall


def _environ() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key != "JUPYTERHUB_USER"}


def test_thirty_learners_build_the_seed_lab_at_once(
    engine: Any, ip: Any, seed_context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = unique_tag("hello")
    # the first build of the seed lab on an engine runs pip; every later one is cached
    monkeypatch.setenv("JUPYTERHUB_USER", f"warmup-{TEST_RUN}")
    api.build(seed_context, tags=[tag], builder="classic", notify=lambda _: None)

    results, concurrent_wall = run_concurrently(seed_context, tag)
    failures = [r["error"] for r in results if "error" in r]
    assert failures == []
    engine_tags = [r["engine_tags"][0] for r in results]
    assert engine_tags == [f"{learner('learner-', i)}/{tag}:latest" for i in range(LEARNERS)]
    assert len(set(engine_tags)) == LEARNERS
    assert all(r["tags"] == [f"{tag}:latest"] for r in results)  # what each learner typed
    assert all(r["statuses"] == ["base", "cached", "cached", "cached"] for r in results)
    for index, result in enumerate(results):
        image = engine.images.get(result["engine_tags"][0])
        assert image.id == result["image_id"]
        assert image.labels[LABEL_OWNER] == learner("learner-", index)
        assert image.labels[TEST_LABEL] == TEST_RUN

    started = time.monotonic()
    for index in range(LEARNERS):
        monkeypatch.setenv("JUPYTERHUB_USER", learner("serial-", index))
        serial = api.build(seed_context, tags=[tag], builder="classic", notify=lambda _: None)
        assert serial.engine_tags == [f"{learner('serial-', index)}/{tag}:latest"]
    sequential_wall = time.monotonic() - started

    print(
        f"\n{LEARNERS} seed-lab builds: concurrent {concurrent_wall:.1f}s wall, "
        f"one after another {sequential_wall:.1f}s "
        f"(ratio {sequential_wall / max(concurrent_wall, 1e-6):.2f})"
    )
