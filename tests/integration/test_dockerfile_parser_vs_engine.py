"""The kit's Dockerfile parser against the real engine, on a corpus of Dockerfiles.

Every ``tests/data/dockerfiles/<case>.Dockerfile`` is built by Engine 20.10 with both
builders (classic: ``DOCKER_BUILDKIT=0 docker build``; BuildKit: ``DOCKER_BUILDKIT=1
docker build --progress=plain``, the 20.10 client, which is what the kit drives). The
test checks, per case and builder, that

* the engine still does what ``cases.toml`` says (accept or refuse), and
* ``layerlab.dockerfile`` accepts exactly what the engine accepts and refuses the rest at
  the line the engine names (or, when its message names none, the line ``cases.toml``
  gives from the engine's parser rules), and
* for the LABELs of an accepted file, the kit reads the values the engine stored in the
  image (this is what proves how continuation lines are joined).

Parse errors happen before any step runs, so the corpus is mostly ``FROM scratch`` with
instructions that need no shell: the whole run takes a few seconds.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from layerlab import dockerfile
from layerlab.errors import DockerfileError
from tests.conftest import TEST_LABEL, TEST_RUN

CORPUS = Path(__file__).parents[1] / "data" / "dockerfiles"
CASES: dict[str, dict[str, Any]] = tomllib.loads((CORPUS / "cases.toml").read_text("utf-8"))
BUILDERS = ("classic", "buildkit")
#: The 20.10 client: the ``docker`` first on PATH may be a newer one without buildx.
DOCKER = os.environ.get("LAYERLAB_DOCKER_CLI", "/usr/bin/docker")
#: What the engine says when it refuses a Dockerfile (anything else is a broken run).
REFUSALS = (
    "failed to parse",
    "dockerfile parse error",
    "failed to create LLB definition",
    "requires BuildKit",
    "no build stage in current context",
    "cannot be empty",
    "failed to process",
)
_LINE = re.compile(r"parse error (?:on )?line (\d+)")


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    line: int | None = None
    detail: str = ""
    labels: dict[str, str] | None = None


CASE_LABEL = "org.layerlab.test-case"


def _tag(case: str, builder: str) -> str:
    return f"layerlab-test-corpus-{case}-{builder}-{TEST_RUN}"


def engine_verdict(client: Any, case: str, builder: str, context: Path) -> Verdict:
    """Build the case with the real engine; the image it made is read, then removed."""
    env = {**os.environ, "DOCKER_BUILDKIT": "1" if builder == "buildkit" else "0"}
    tag = _tag(case, builder)
    command = [DOCKER, "build", "--no-cache", "--force-rm", "--progress=plain"]
    # a label of the case's own: two cases never make the very same image (BuildKit's are
    # reproducible), so removing one case's image cannot pull the other's from under its
    # export, which Engine 20.10 reports as "failed to get digest sha256:…"
    command += ["--label", f"{TEST_LABEL}={TEST_RUN}", "--label", f"{CASE_LABEL}={tag}"]
    command += ["-t", tag]
    command += ["-f", str(CORPUS / f"{case}.Dockerfile"), str(context)]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        if not any(marker in output for marker in REFUSALS):
            pytest.fail(f"{case} ({builder}): the build failed for another reason:\n{output}")
        match = _LINE.search(output)
        detail = next(line for line in output.splitlines() if any(m in line for m in REFUSALS))
        return Verdict(accepted=False, line=int(match.group(1)) if match else None, detail=detail)
    labels = dict(client.images.get(tag).labels or {})
    labels.pop(TEST_LABEL, None)
    labels.pop(CASE_LABEL, None)
    # the session's teardown removes any image left (they carry the test label)
    with contextlib.suppress(docker.errors.APIError):
        client.images.remove(tag)
    return Verdict(accepted=True, labels=labels)


def kit_verdict(case: str, builder: str) -> Verdict:
    """What the kit says before sending the same file to ``builder``."""
    text = (CORPUS / f"{case}.Dockerfile").read_bytes().decode("utf-8")
    try:
        parsed = dockerfile.parse(text)
    except DockerfileError as error:
        return Verdict(accepted=False, line=error.line, detail=error.message)
    features = parsed.buildkit_features()
    if builder == "classic" and features:
        line, feature = features[0]
        return Verdict(accepted=False, line=line, detail=f"{feature} needs BuildKit")
    return Verdict(accepted=True, labels=_simple_labels(parsed))


def _simple_labels(parsed: dockerfile.Dockerfile) -> dict[str, str] | None:
    """The LABELs as the kit reads them, when they are plain name=value words."""
    labels: dict[str, str] = {}
    for instruction in parsed.by_keyword("LABEL"):
        words = instruction.arguments.split()
        if any(c in instruction.arguments for c in "\"'$" + parsed.escape) or not all(
            "=" in w for w in words
        ):
            return None
        for word in words:
            name, _, value = word.partition("=")
            labels[name] = value
    return labels


@pytest.fixture(scope="module")
def results(
    docker_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Verdict]:
    """Every case built by both builders, a few at a time."""
    assert shutil.which(DOCKER), f"the 20.10 docker client {DOCKER} is missing"
    context = tmp_path_factory.mktemp("corpus-context")
    for name in ("a", "b"):
        (context / name).write_text(f"{name}\n", encoding="utf-8")
    jobs = [
        (case, builder)
        for case, spec in CASES.items()
        for builder in BUILDERS
        if not str(spec[builder]).startswith("not sent")
    ]
    with ThreadPoolExecutor(max_workers=6) as pool:
        verdicts = pool.map(
            lambda job: engine_verdict(docker_client, job[0], job[1], context), jobs
        )
        return dict(zip(jobs, verdicts, strict=True))


def test_the_corpus_has_a_file_for_each_case() -> None:
    files = {path.name.removesuffix(".Dockerfile") for path in CORPUS.glob("*.Dockerfile")}
    assert files == set(CASES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_kit_agrees_with_the_engine(
    case: str, builder: str, results: dict[tuple[str, str], Verdict]
) -> None:
    spec = CASES[case]
    kit = kit_verdict(case, builder)
    if str(spec[builder]).startswith("not sent"):
        # Never sent to this builder (see cases.toml): the kit must refuse it before.
        assert not kit.accepted, f"{case}: the kit would send it to {builder}: {spec[builder]}"
        assert kit.line == spec.get("line")
        return
    engine = results[case, builder]
    assert engine.accepted == (spec[builder] == "accept"), (
        f"{case} ({builder}): the engine no longer does what cases.toml says: {engine.detail}"
    )
    assert kit.accepted == engine.accepted, (
        f"{case} ({builder}): engine {'accepts' if engine.accepted else 'refuses'} "
        f"({engine.detail}), kit {'accepts' if kit.accepted else 'refuses'} ({kit.detail})"
    )
    if not engine.accepted:
        if engine.line is not None:
            assert spec.get("line") == engine.line, f"{case}: cases.toml names another line"
        assert kit.line == spec.get("line"), f"{case} ({builder}): kit says {kit.detail}"
    elif kit.labels is not None and engine.labels is not None:
        stored = {name: engine.labels.get(name) for name in kit.labels}
        assert stored == kit.labels, f"{case} ({builder}): LABEL values differ"
