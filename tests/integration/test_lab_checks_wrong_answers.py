"""Every check cell of labs 03-05, run against a *wrong* answer on the real engine: it must
say so (a ✗ verdict, falsy) in one friendly message, never with a traceback.

Each test rebuilds the situation of one exercise with the learner's mistake, calls the
same ``layerlab.check`` function the notebook's check cell calls, and (where it costs
nothing more) the right answer too, so a check that always fails would be caught as well.
Builds run no pip install: a local ``RUN`` stands in, the check does not care.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from layerlab import api, check, engine_ops
from layerlab.build import BuildResult
from layerlab.check import Verdict
from tests.conftest import BASE_IMAGE, TEST_RUN, unique_tag

pytestmark = pytest.mark.integration

SLIM = "python:3.13-slim"
FULL = "python:3.13"

#: lab 03's copy-first.Dockerfile, with a local step in place of pip install
COPY_FIRST = f"""FROM {BASE_IMAGE}
WORKDIR /app
COPY . .
RUN echo "installing for {TEST_RUN}" > /installed.txt
CMD ["python", "app.py"]
"""


@pytest.fixture
def size_bases(engine: Any) -> dict[str, float]:
    """Sizes (MB) of the stand-ins lab 05 builds on; missing ones fail the test loudly."""
    sizes: dict[str, float] = {}
    for name in (BASE_IMAGE, SLIM, FULL):
        found = engine.images.list(name=name)
        if not found:
            pytest.fail(f"{name} is missing: run scripts/standin-variants.sh", pytrace=False)
        sizes[name] = found[0].attrs["Size"] / 1e6
    return sizes


def build(context: Path, name: str, dockerfile: str = "Dockerfile", **options: Any) -> BuildResult:
    return api.build(
        context, tags=[unique_tag(name)], dockerfile=dockerfile, builder="classic", **options
    )


def assert_says_not_yet(verdict: Verdict, capsys: pytest.CaptureFixture[str]) -> str:
    printed = capsys.readouterr()
    assert not verdict, f"the check accepted a wrong answer: {verdict!r}"
    assert printed.out.startswith("✗ Not yet: "), printed.out
    assert "Next: " in printed.out, "a failed check should say what to look at next"
    assert "could not run" not in printed.out, "the check crashed instead of judging"
    assert "Traceback" not in printed.out + printed.err
    return printed.out


def assert_says_well_done(verdict: Verdict, capsys: pytest.CaptureFixture[str]) -> None:
    printed = capsys.readouterr()
    assert verdict, printed.out
    assert printed.out.startswith("✓ Well done: "), printed.out


# ---------------------------------------------------------------- lab 03
def unique_app(workdir: Path, request: pytest.FixtureRequest) -> None:
    """An app.py no other test has: a first build never reuses another test's layers."""
    (workdir / "app.py").write_text(f"print('{request.node.name} {TEST_RUN}')\n")


@pytest.fixture
def copy_first_rebuild(workdir: Path, ip: Any, request: pytest.FixtureRequest) -> BuildResult:
    """Lab 03, first exercise: README.md changed, copy-first rebuilt."""
    unique_app(workdir, request)
    (workdir / "Dockerfile").write_text(COPY_FIRST, encoding="utf-8")
    build(workdir, "lab03-copy-first")
    (workdir / "README.md").write_text("Lab 03\n", encoding="utf-8")
    return build(workdir, "lab03-copy-first")


@pytest.mark.parametrize(
    "prediction",
    [[], ["COPY"], ["RUN"], ["COPY", "CMD"]],
    ids=["no-prediction", "only-copy", "only-run", "install-cached"],
)
def test_lab03_wrong_prediction_of_the_rebuild_is_refused(
    copy_first_rebuild: BuildResult, prediction: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    out = assert_says_not_yet(check.steps_cached(copy_first_rebuild, rebuilt=prediction), capsys)
    assert "step" in out


def test_lab03_right_prediction_is_accepted(
    copy_first_rebuild: BuildResult, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    verdict = check.steps_cached(copy_first_rebuild, rebuilt=["COPY", "RUN", "CMD"])
    assert_says_well_done(verdict, capsys)


@pytest.mark.parametrize("not_a_build", [None, ["COPY", "RUN", "CMD"], "readme_build"])
def test_lab03_check_given_something_else_than_a_build_says_so(
    ip: Any, not_a_build: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """The learner skipped the build cell, or passed the prediction in its place."""
    out = assert_says_not_yet(check.steps_cached(not_a_build, rebuilt=["COPY"]), capsys)
    assert "not a build result" in out


# ---------------------------------------------------------------- lab 04
@pytest.fixture
def lab04_context(workdir: Path, ip: Any, request: pytest.FixtureRequest) -> Path:
    unique_app(workdir, request)
    (workdir / "Dockerfile").write_text(
        f'FROM {BASE_IMAGE}\nWORKDIR /app\nCOPY . .\nCMD ["python", "app.py"]\n', encoding="utf-8"
    )
    (workdir / "data").mkdir()
    (workdir / "data" / "dump.sql").write_bytes(b"INSERT INTO visits VALUES (1);\n" * 100_000)
    (workdir / ".dockerignore").write_text(".git\n**/__pycache__\nDockerfile\n.dockerignore\n")
    return workdir


def test_lab04_image_still_holding_the_data_is_refused(
    lab04_context: Path, size_bases: dict[str, float], capsys: pytest.CaptureFixture[str]
) -> None:
    """The learner ran the exercise cell without adding ``data``."""
    build(lab04_context, "lab04-app")
    capsys.readouterr()
    verdict = check.image_smaller_than(unique_tag("lab04-app"), size_bases[BASE_IMAGE] + 1)
    assert "weighs" in assert_says_not_yet(verdict, capsys)
    (lab04_context / ".dockerignore").write_text(".git\nDockerfile\n.dockerignore\ndata\n")
    build(lab04_context, "lab04-app")
    capsys.readouterr()
    verdict = check.image_smaller_than(unique_tag("lab04-app"), size_bases[BASE_IMAGE] + 1)
    assert_says_well_done(verdict, capsys)


def test_lab04_readme_still_copied_breaks_the_cache_and_is_refused(
    lab04_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The learner did not add ``*.md``: editing README.md rebuilds ``COPY . .``."""
    (lab04_context / "README.md").write_text("# Lab 04\n", encoding="utf-8")
    build(lab04_context, "lab04-app")
    with (lab04_context / "README.md").open("a", encoding="utf-8") as readme:
        readme.write("One more line.\n")
    docs_edited = build(lab04_context, "lab04-app")
    capsys.readouterr()
    out = assert_says_not_yet(check.steps_cached(docs_edited, rebuilt=[]), capsys)
    assert "COPY . ." in out


def test_lab04_check_for_a_missing_image_says_so(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The learner never built (or misspelt the name)."""
    verdict = check.image_smaller_than(unique_tag("lab04-never-built"), 200)
    assert "no image" in assert_says_not_yet(verdict, capsys)


# ---------------------------------------------------------------- lab 05
@pytest.mark.parametrize(
    "case", [(FULL, False), (BASE_IMAGE, True), (SLIM, True)], ids=["full", "alpine", "slim"]
)
def test_lab05_base_size_is_judged_as_the_lab_does(
    workdir: Path,
    size_bases: dict[str, float],
    case: tuple[str, bool],
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Lab 05's check (no heavier than the slim base): the full image is refused; the slim
    one and the alpine stand-in (smaller than slim, as the real alpine is) pass."""
    base, accepted = case
    unique_app(workdir, request)
    (workdir / "Dockerfile").write_text(
        f'FROM {base}\nWORKDIR /app\nCOPY app.py .\nCMD ["python", "app.py"]\n', encoding="utf-8"
    )
    build(workdir, "lab05-app")
    capsys.readouterr()
    verdict = check.image_smaller_than(unique_tag("lab05-app"), size_bases[SLIM] + 1)
    if accepted:
        assert verdict, capsys.readouterr().out
    else:
        assert "weighs" in assert_says_not_yet(verdict, capsys)


def test_lab05_cleanup_in_a_later_run_is_refused(
    workdir: Path, ip: Any, size_bases: dict[str, float], capsys: pytest.CaptureFixture[str]
) -> None:
    """tidy.Dockerfile left as three RUNs: the 30 MB stay in a layer."""
    (workdir / "Dockerfile").write_text(
        f"FROM {SLIM}\n"
        f"RUN head -c 30000000 /dev/urandom > /tmp/toolkit.tar && echo {TEST_RUN}\n"
        "RUN head -c 20000 /tmp/toolkit.tar > /usr/local/lib/tool.bin\n"
        "RUN rm /tmp/toolkit.tar\n",
        encoding="utf-8",
    )
    build(workdir, "lab05-tidy")
    capsys.readouterr()
    verdict = check.image_smaller_than(unique_tag("lab05-tidy"), size_bases[SLIM] + 1)
    assert "weighs" in assert_says_not_yet(verdict, capsys)


def test_lab05_single_stage_is_refused_and_two_stages_accepted(
    workdir: Path, ip: Any, size_bases: dict[str, float], capsys: pytest.CaptureFixture[str]
) -> None:
    """two-stage.Dockerfile left as the one-stage build on the full image."""
    (workdir / "hello.c").write_text(
        f'#include <stdio.h>\nint main(void) {{ puts("{TEST_RUN}"); return 0; }}\n'
    )
    compile_stage = f"FROM {FULL} AS build\nWORKDIR /src\nCOPY hello.c .\n"
    compile_stage += "RUN gcc -O2 -o /usr/local/bin/hello hello.c\n"
    (workdir / "Dockerfile").write_text(compile_stage + 'CMD ["hello"]\n', encoding="utf-8")
    build(workdir, "lab05-one-stage")
    capsys.readouterr()
    verdict = check.image_smaller_than(unique_tag("lab05-one-stage"), size_bases[SLIM] + 1)
    assert "weighs" in assert_says_not_yet(verdict, capsys)
    (workdir / "Dockerfile").write_text(
        compile_stage
        + f"\nFROM {SLIM}\nCOPY --from=build /usr/local/bin/hello /usr/local/bin/hello\n",
        encoding="utf-8",
    )
    build(workdir, "lab05-two-stage")
    capsys.readouterr()
    verdict = check.image_smaller_than(unique_tag("lab05-two-stage"), size_bases[SLIM] + 1)
    assert_says_well_done(verdict, capsys)
    # The classic builder keeps the compile stage as an untagged image without the test
    # label; it hangs below lab05-one-stage, so removing that image takes it along.
    engine_ops.rmi(unique_tag("lab05-one-stage"))


# ---------------------------------------------------------------- clean-up checks
def test_clean_up_check_names_what_is_left(
    workdir: Path, ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The learner skipped the ``%docker rmi`` cell: the lab's image is still there."""
    lab = {"org.layerlab.lab": f"test-{TEST_RUN}"}
    (workdir / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nLABEL run={TEST_RUN}\n")
    build(workdir, "lab03-leftover", labels=lab)
    capsys.readouterr()
    out = assert_says_not_yet(check.nothing_left(lab), capsys)
    assert unique_tag("lab03-leftover") in out
