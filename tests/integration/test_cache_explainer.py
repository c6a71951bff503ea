"""The cache explainer on the real engine (classic builder): every report must name the
step the engine itself rebuilt first, and the right reason for it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from layerlab.build import BuildResult
from layerlab.cache import CacheReport
from tests.conftest import BASE_IMAGE, TEST_RUN, new_kernel, unique_tag

pytestmark = pytest.mark.integration

# Steps: 1 FROM, 2 ARG, 3 RUN, 4 COPY, 5 CMD.
DOCKERFILE = f"""FROM {BASE_IMAGE}
ARG GREETING=hello
RUN echo "$GREETING from {TEST_RUN}" > /greeting.txt
COPY . /app/
CMD ["python", "/app/app.py"]
"""


@pytest.fixture
def app_context(workdir: Path, request: pytest.FixtureRequest) -> Path:
    """A small context: app.py (copied), notes.txt (left out by .dockerignore).

    app.py holds the test's name and run id, so the first build can never reuse layers
    from another test or an earlier run."""
    (workdir / "app.py").write_text(f"print('{request.node.name} {TEST_RUN}')\n", encoding="utf-8")
    (workdir / "notes.txt").write_text("draft\n", encoding="utf-8")
    (workdir / ".dockerignore").write_text("notes.txt\n", encoding="utf-8")
    (workdir / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    return workdir


def build(ip: Any, line: str) -> BuildResult:
    result = ip.run_line_magic("docker_build", f"--builder classic -q {line}")
    assert isinstance(result, BuildResult)
    return result


def report_of(result: BuildResult) -> CacheReport:
    assert isinstance(result.cache_report, CacheReport)
    return result.cache_report


def engine_rebuilt_steps(log: str) -> tuple[int, ...]:
    """The steps the engine did *not* take from its cache, read from its own log (FROM
    and the kit's appended LABEL steps left out)."""
    rebuilt: list[int] = []
    step: int | None = None
    cached = False

    def close() -> None:
        if step is not None and not cached:
            rebuilt.append(step)

    for line in log.splitlines():
        match = re.match(r"^Step (\d+)/\d+ : (\S+)", line)
        if match:
            close()
            keyword = match.group(2).upper()
            is_kit_label = " : LABEL org.layerlab." in line
            step = None if keyword == "FROM" or is_kit_label else int(match.group(1))
            cached = False
        elif line.strip() == "---> Using cache":
            cached = True
    close()
    return tuple(rebuilt)


def assert_agrees_with_engine(result: BuildResult) -> CacheReport:
    report = report_of(result)
    assert report.rebuilt_steps == engine_rebuilt_steps(result.log)
    return report


def test_edited_copied_file_is_named(engine: Any, ip: Any, app_context: Path) -> None:
    tag = unique_tag("cache-file")
    first = assert_agrees_with_engine(build(ip, f"-t {tag} ."))
    assert first.reason == "first_build"  # (ARG and RUN may reuse other tests' layers)

    (app_context / "app.py").write_text(f"print('edited {TEST_RUN}')\n", encoding="utf-8")
    report = assert_agrees_with_engine(build(ip, f"-t {tag} ."))

    assert report.first_miss_step == 4
    assert report.reason == "files_changed"
    assert report.changed_files == ("app.py",)
    assert report.rebuilt_after == (("", 5),)
    assert "app.py" in str(report)
    assert "The later step (5) was rebuilt" in str(report)


def test_changed_instruction(engine: Any, ip: Any, app_context: Path) -> None:
    tag = unique_tag("cache-instruction")
    build(ip, f"-t {tag} .")
    edited = DOCKERFILE.replace("> /greeting.txt", "> /hello.txt")
    (app_context / "Dockerfile").write_text(edited, encoding="utf-8")
    report = assert_agrees_with_engine(build(ip, f"-t {tag} ."))

    assert report.first_miss_step == 3
    assert report.reason == "instruction_changed"
    assert report.previous_instruction is not None
    assert report.previous_instruction.endswith("> /greeting.txt")
    assert report.rebuilt_after == (("", 4), ("", 5))


def test_change_in_ignored_file_rebuilds_nothing(engine: Any, ip: Any, app_context: Path) -> None:
    tag = unique_tag("cache-ignored")
    build(ip, f"-t {tag} .")
    (app_context / "notes.txt").write_text(f"rewritten {TEST_RUN}\n", encoding="utf-8")
    result = build(ip, f"-t {tag} .")
    report = assert_agrees_with_engine(result)

    assert result.cache_hits == 4
    assert report.all_cached
    assert report.first_miss_step is None
    assert "notes.txt" not in str(report)
    assert "all 4 steps came from the cache" in str(report)


def test_changed_build_arg(engine: Any, ip: Any, app_context: Path) -> None:
    tag = unique_tag("cache-arg")
    build(ip, f"-t {tag} .")
    report = assert_agrees_with_engine(build(ip, f"-t {tag} --build-arg GREETING=hi-{TEST_RUN} ."))

    assert report.first_miss_step == 3
    assert report.reason == "build_args_changed"
    assert [change.name for change in report.changed_build_args] == ["GREETING"]
    assert report.changed_build_args[0].before == "hello"
    assert "GREETING" in str(report)


def test_no_cache(engine: Any, ip: Any, app_context: Path) -> None:
    tag = unique_tag("cache-nocache")
    build(ip, f"-t {tag} .")
    result = build(ip, f"-t {tag} --no-cache .")
    report = assert_agrees_with_engine(result)

    assert result.cache_hits == 0
    assert report.reason == "no_cache"
    assert report.first_miss_step == 2
    assert report.rebuilt_steps == (2, 3, 4, 5)
    assert "--no-cache" in str(report)


def test_base_image_tag_moved_to_another_image(engine: Any, ip: Any, workdir: Path) -> None:
    # Two small bases from the stand-in; a third name points at one, then the other.
    bases: dict[str, str] = {}
    for variant in ("a", "b"):
        folder = workdir / f"base-{variant}"
        folder.mkdir()
        (folder / "Dockerfile").write_text(
            f"FROM {BASE_IMAGE}\nLABEL org.layerlab.test.variant={variant}-{TEST_RUN}\n",
            encoding="utf-8",
        )
        made = build(ip, f"-t {unique_tag(f'cache-base-{variant}')} {folder}")
        assert made.image_id is not None
        bases[variant] = made.image_id
    moving = unique_tag("cache-base")
    engine.api.tag(bases["a"], moving, "latest")

    app = workdir / "app"
    app.mkdir()
    (app / "Dockerfile").write_text(
        f'FROM {moving}\nRUN echo built on the base > /base.txt\nCMD ["cat", "/base.txt"]\n',
        encoding="utf-8",
    )
    tag = unique_tag("cache-on-base")
    build(ip, f"-t {tag} {app}")
    engine.api.tag(bases["b"], moving, "latest")
    report = assert_agrees_with_engine(build(ip, f"-t {tag} {app}"))

    assert report.first_miss_step == 2
    assert report.reason == "base_changed"
    assert report.base_image == moving
    assert report.base_id is not None
    assert bases["b"].removeprefix("sha256:").startswith(report.base_id)
    assert report.previous_base_id is not None
    assert bases["a"].removeprefix("sha256:").startswith(report.previous_base_id)
    assert "base image" in str(report)


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_a_new_kernel_still_knows_why_the_cache_broke(
    ip: Any,
    app_context: Path,
    builder: str,
    monkeypatch: pytest.MonkeyPatch,
    fingerprints_of_this_run: Path,
) -> None:
    # the learner restarts the kernel (or comes back the next day), edits app.py and
    # rebuilds: the explainer compares with the last build of that Dockerfile, made by
    # the kernel before (remembered in the user's cache folder)
    tag = unique_tag(f"cache-new-kernel-{builder}")
    ip.run_line_magic("docker_build", f"--builder {builder} -q -t {tag} .")
    assert fingerprints_of_this_run.exists()
    new_kernel(monkeypatch)  # an empty session: no build of this kernel to compare with
    (app_context / "app.py").write_text(f"print('next day {TEST_RUN}')\n", encoding="utf-8")
    result = ip.run_line_magic("docker_build", f"--builder {builder} -q -t {tag} .")
    report = report_of(result)
    assert report.cause == ("files_changed", "app.py")
    if builder == "classic":
        assert report.rebuilt_steps == engine_rebuilt_steps(result.log)
