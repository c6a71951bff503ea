"""The cache explainer on hand-made build results (no daemon): one test per reason, and
the rule that the report always agrees with the engine's step statuses."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from layerlab import i18n
from layerlab.build import BuildResult, BuildStep
from layerlab.cache import (
    ArgChange,
    CacheReport,
    definitions,
    explain,
    fingerprint_of,
    remember,
)
from layerlab.context import matching_files, sent_files
from layerlab.dockerfile import parse
from layerlab.instructions import copy_sources

BASE = "python:3.13-alpine"
APP_DOCKERFILE = f"""FROM {BASE}
ARG GREETING=hello
RUN echo "$GREETING" > /greeting.txt
COPY app.py /app/
CMD ["python", "/app/app.py"]
"""
#: FROM, ARG, RUN, COPY, CMD
ALL_CACHED = "Bcccc"
STATUS = {"B": "base", "c": "cached", "b": "built", "f": "failed", "-": "built"}


@pytest.fixture(autouse=True)
def english() -> object:
    i18n.set_language("en")
    yield None
    i18n.set_language("auto")


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("print('hello')\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text(APP_DOCKERFILE, encoding="utf-8")
    return tmp_path


def classic(
    root: Path,
    statuses: str,
    text: str | None = None,
    *,
    base_id: str = "aaaaaaaaaaaa",
    build_args: dict[str, str] | None = None,
    no_cache: bool = False,
    status: str = "succeeded",
) -> BuildResult:
    """A result shaped like the classic builder's: one step per instruction, numbered over
    the whole Dockerfile, the FROM step carrying the base image id the engine printed.
    ``statuses`` has one letter per step: B base, c cached, b built, f failed, - an ARG
    before FROM (the recorder marks it built; the engine never caches it)."""
    text = text if text is not None else (root / "Dockerfile").read_text(encoding="utf-8")
    (root / "Dockerfile").write_text(text, encoding="utf-8")
    parsed = parse(text)
    result = BuildResult(
        builder="classic",
        tags=["app:latest"],
        context=str(root),
        dockerfile=str(root / "Dockerfile"),
        build_args=dict(build_args or {}),
        no_cache=no_cache,
        status=status,  # type: ignore[arg-type]
        image_id="sha256:" + "f" * 64 if status == "succeeded" else None,
    )
    result.parsed_dockerfile = parsed
    total = len(parsed.instructions)
    for number, (instruction, letter) in enumerate(
        zip(parsed.instructions, statuses, strict=False), start=1
    ):
        step = BuildStep(number=number, instruction=instruction.text, total=total)
        step.status = STATUS[letter]  # type: ignore[assignment]
        if instruction.keyword == "FROM":
            step.layer_id = base_id
        result.steps.append(step)
    return result


def no_engine(reference: str) -> str | None:
    raise AssertionError(f"the explainer asked the engine about {reference}")


def explain_all(results: list[BuildResult]) -> CacheReport:
    """Explain each build in turn against the ones before it (as api.build does)."""
    history: list[BuildResult] = []
    report: CacheReport | None = None
    for result in results:
        report = explain(result, history, resolve_base=no_engine)
        history.append(result)
    assert report is not None
    return report


# ---------------------------------------------------------------- one test per reason
def test_first_build_of_a_dockerfile_says_so(context: Path) -> None:
    report = explain_all([classic(context, "Bccbb")])

    assert report.first_miss_step == 4
    assert report.reason == "first_build"
    assert report.instruction == "COPY app.py /app/"
    assert report.rebuilt_after == (("", 5),)
    assert "first build of this Dockerfile" in str(report)
    assert "The later step (5) was rebuilt" in str(report)


def test_rebuild_with_nothing_changed_is_all_cached(context: Path) -> None:
    report = explain_all([classic(context, "Bbbbb"), classic(context, ALL_CACHED)])

    assert report.first_miss_step is None
    assert report.reason is None
    assert report.all_cached
    assert report.cached_steps == 4
    assert str(report) == "Cache: all 4 steps came from the cache; nothing they depend on changed."


def test_no_cache_is_the_reason_even_on_a_first_build(context: Path) -> None:
    report = explain_all([classic(context, "Bbbbb", no_cache=True)])

    assert report.reason == "no_cache"
    assert report.first_miss_step == 2
    assert report.rebuilt_steps == (2, 3, 4, 5)
    assert "--no-cache" in str(report)


def test_changed_instruction_names_the_old_text(context: Path) -> None:
    first = classic(context, "Bbbbb")
    edited = APP_DOCKERFILE.replace('echo "$GREETING"', 'echo "$GREETING!"')
    report = explain_all([first, classic(context, "Bcbbb", edited)])

    assert report.reason == "instruction_changed"
    assert report.first_miss_step == 3
    assert report.previous_instruction == 'RUN echo "$GREETING" > /greeting.txt'
    assert report.rebuilt_after == (("", 4), ("", 5))
    text = str(report)
    assert 'it was: RUN echo "$GREETING" > /greeting.txt' in text
    assert "Every later step (4, 5) was rebuilt because of it" in text


def test_new_instruction_at_the_end_is_an_instruction_change(context: Path) -> None:
    longer = APP_DOCKERFILE + "EXPOSE 5000\n"
    report = explain_all([classic(context, "Bbbbb"), classic(context, "Bccccb", longer)])

    assert report.reason == "instruction_changed"
    assert report.first_miss_step == 6
    assert report.previous_instruction is None
    assert "new since the last build" in str(report)
    assert "last step" in str(report)


def test_edited_copied_file_is_named(context: Path) -> None:
    first = classic(context, "Bbbbb")
    explain(first, [], resolve_base=no_engine)
    (context / "app.py").write_text("print('hello world')\n", encoding="utf-8")
    second = classic(context, "Bccbb")
    report = explain(second, [first], resolve_base=no_engine)

    assert report.reason == "files_changed"
    assert report.first_miss_step == 4
    assert report.changed_files == ("app.py",)
    assert "changed since the last build: app.py" in str(report)


def test_permission_change_counts_as_a_file_change(context: Path) -> None:
    first = classic(context, "Bbbbb")
    explain(first, [], resolve_base=no_engine)
    (context / "app.py").chmod(0o755)
    report = explain(classic(context, "Bccbb"), [first], resolve_base=no_engine)

    assert report.reason == "files_changed"
    assert report.changed_files == ("app.py",)


def test_files_excluded_by_dockerignore_are_never_reported(context: Path) -> None:
    text = APP_DOCKERFILE.replace("COPY app.py /app/", "COPY . /app/")
    (context / ".dockerignore").write_text("notes.txt\nDockerfile\n", encoding="utf-8")
    (context / "notes.txt").write_text("draft\n", encoding="utf-8")
    first = classic(context, "Bbbbb", text)
    explain(first, [], resolve_base=no_engine)
    second = classic(context, "Bccbb", text)
    (context / "notes.txt").write_text("draft 2\n", encoding="utf-8")
    (context / "app.py").write_text("print('changed')\n", encoding="utf-8")
    (context / "Dockerfile").write_text(text + "\n", encoding="utf-8")  # ignored, too
    report = explain(second, [first], resolve_base=no_engine)

    assert report.changed_files == ("app.py",)
    assert "notes.txt" not in str(report)


def test_change_only_in_an_ignored_file_is_never_blamed(context: Path) -> None:
    # If the engine rebuilt a COPY . anyway (say its cache was pruned), the kit must not
    # name an ignored file as the reason: it says it does not know.
    text = APP_DOCKERFILE.replace("COPY app.py /app/", "COPY . /app/")
    (context / ".dockerignore").write_text("notes.txt\n", encoding="utf-8")
    (context / "notes.txt").write_text("draft\n", encoding="utf-8")
    first = classic(context, "Bbbbb", text)
    explain(first, [], resolve_base=no_engine)
    (context / "notes.txt").write_text("draft 2\n", encoding="utf-8")
    report = explain(classic(context, "Bccbb", text), [first], resolve_base=no_engine)

    assert report.reason == "unknown"
    assert report.changed_files == ()
    assert "notes.txt" not in str(report)
    assert "prune" in str(report)


def test_changed_base_image_is_the_reason(context: Path) -> None:
    report = explain_all(
        [
            classic(context, "Bbbbb", base_id="aaaaaaaaaaaa"),
            classic(context, "Bbbbb", base_id="bbbbbbbbbbbb"),
        ]
    )

    assert report.reason == "base_changed"
    assert report.first_miss_step == 2
    assert report.base_image == BASE
    assert (report.previous_base_id, report.base_id) == ("aaaaaaaaaaaa", "bbbbbbbbbbbb")
    assert f"base image {BASE} is now a different image (aaaaaaaaaaaa → bbbbbbbbbbbb)" in str(
        report
    )


def test_a_new_from_line_is_named_as_such(context: Path) -> None:
    slim = APP_DOCKERFILE.replace(f"FROM {BASE}", "FROM python:3.13-slim")
    report = explain_all(
        [
            classic(context, "Bbbbb", base_id="aaaaaaaaaaaa"),
            classic(context, "Bbbbb", slim, base_id="cccccccccccc"),
        ]
    )

    assert report.reason == "base_changed"
    assert (report.previous_base_image, report.base_image) == (BASE, "python:3.13-slim")
    assert f"the FROM line changed: the base image was {BASE}, it is now python:3.13-slim" in (
        str(report)
    )


def test_base_is_not_blamed_when_earlier_steps_came_from_the_cache(context: Path) -> None:
    # Cached steps prove the engine found layers on this base: the miss has another cause.
    first = classic(context, "Bbbbb", base_id="aaaaaaaaaaaa")
    explain(first, [], resolve_base=no_engine)
    (context / "app.py").write_text("print('v2')\n", encoding="utf-8")
    report = explain(
        classic(context, "Bccbb", base_id="cccccccccccc"), [first], resolve_base=no_engine
    )

    assert report.reason == "files_changed"


def test_short_and_full_ids_of_one_base_are_the_same_image(context: Path) -> None:
    report = explain_all(
        [
            classic(context, "Bbbbb", base_id="abcdef123456"),
            classic(
                context,
                "Bcccb",
                APP_DOCKERFILE.replace('app.py"]', 'app.py", "-u"]'),
                base_id="sha256:abcdef123456" + "0" * 52,
            ),
        ]
    )

    assert report.reason == "instruction_changed"


def test_changed_build_arg_used_by_run(context: Path) -> None:
    report = explain_all(
        [
            classic(context, "Bbbbb"),
            classic(context, "Bcbbb", build_args={"GREETING": "bonjour"}),
        ]
    )

    assert report.reason == "build_args_changed"
    assert report.first_miss_step == 3
    assert report.changed_build_args == (ArgChange("GREETING", "hello", "bonjour"),)
    assert "GREETING ('hello' → 'bonjour')" in str(report)


def test_secret_looking_build_arg_values_are_not_printed(
    context: Path, fingerprints_of_this_run: Path
) -> None:
    text = APP_DOCKERFILE.replace("ARG GREETING=hello", "ARG API_TOKEN")
    report = explain_all(
        [
            classic(context, "Bbbbb", text, build_args={"API_TOKEN": "s3cr3t-one"}),
            classic(context, "Bcbbb", text, build_args={"API_TOKEN": "s3cr3t-two"}),
        ]
    )

    assert report.reason == "build_args_changed"
    assert "API_TOKEN" in str(report)
    assert "s3cr3t" not in str(report)
    assert "s3cr3t" not in report._repr_html_()
    # nor kept anywhere: fingerprints outlive the kernel (on disk)
    assert "s3cr3t" not in repr(report.changed_build_args)
    assert "s3cr3t" not in fingerprints_of_this_run.read_text(encoding="utf-8")


def test_undeclared_build_arg_is_not_blamed(context: Path) -> None:
    # The engine ignores build args no ARG declares: they cannot break the cache.
    report = explain_all(
        [
            classic(context, "Bbbbb"),
            classic(context, "Bcbbb", build_args={"UNUSED": "1"}),
        ]
    )

    assert report.reason == "unknown"


def test_build_arg_not_used_by_a_copy_is_not_blamed_for_it(context: Path) -> None:
    text = APP_DOCKERFILE.replace("ARG GREETING=hello\n", "").replace(
        "COPY app.py /app/", "COPY app.py /app/\nARG LATE=1"
    )
    report = explain_all(
        [
            classic(context, "Bbbbbb", text),
            classic(context, "Bcbbbb", text, build_args={"LATE": "2"}),
        ]
    )

    # LATE is declared after the COPY: not in scope for it.
    assert report.first_miss_step == 3
    assert report.reason == "unknown"


def test_arg_before_from_is_never_a_cache_miss(context: Path) -> None:
    text = f'ARG BASE={BASE}\nFROM $BASE\nRUN echo hi\nCMD ["sh"]\n'
    report = explain_all([classic(context, "-Bbb", text), classic(context, "-Bcc", text)])

    assert report.first_miss_step is None
    assert report.cacheable_steps == 2


def test_previous_build_failed_at_the_step(context: Path) -> None:
    failed = classic(context, "Bccf", status="failed")
    report = explain_all([failed, classic(context, "Bccbb")])

    assert report.reason == "unknown"
    assert report.previous_stopped_at == 4
    assert "stopped at step 4" in str(report)


def test_previous_build_stopped_before_the_step(context: Path) -> None:
    failed = classic(context, "Bcf", status="failed")
    history = [failed]  # never explained: api.build records failed builds as they are
    report = explain(classic(context, "Bcbbb"), history, resolve_base=no_engine)

    assert report.first_miss_step == 3
    assert report.reason == "unknown"
    assert report.previous_stopped_at == 3


def test_build_of_another_context_or_builder_is_not_compared(context: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "app.py").write_text("x\n", encoding="utf-8")
    elsewhere = classic(other, "Bbbbb", APP_DOCKERFILE)
    buildkit = classic(context, "Bbbbb")
    buildkit.builder = "buildkit"
    report = explain_all([elsewhere, buildkit, classic(context, "Bccbb")])

    assert report.reason == "first_build"


# ---------------------------------------------------------------- agreeing with the engine
@pytest.mark.parametrize(
    "statuses",
    ["Bcccc", "Bbbbb", "Bcbbb", "Bccbb", "Bcccb", "Bccbc", "Bbcbc"],
)
def test_report_follows_the_engine_statuses(context: Path, statuses: str) -> None:
    report = explain_all([classic(context, "Bbbbb"), classic(context, statuses)])

    built = tuple(n for n, letter in enumerate(statuses, start=1) if letter == "b")
    assert report.rebuilt_steps == built
    assert report.first_miss_step == (built[0] if built else None)
    later_cached = tuple(
        n for n, letter in enumerate(statuses, start=1) if letter == "c" and built and n > built[0]
    )
    assert tuple(number for _stage, number in report.cached_after) == later_cached


# ---------------------------------------------------------------- BuildKit-shaped results
def buildkit_result(
    root: Path,
    text: str,
    steps: list[tuple[str, int, str, str]],
    build_args: dict[str, str] | None = None,
) -> BuildResult:
    """BuildKit reports no CMD/ARG/ENV steps, numbers steps per stage and gives no base id."""
    result = BuildResult(
        builder="buildkit",
        tags=["app:latest"],
        context=str(root),
        dockerfile=str(root / "Dockerfile"),
        status="succeeded",
        image_id="sha256:" + "e" * 64,
        build_args=dict(build_args or {}),
    )
    result.parsed_dockerfile = parse(text)
    for stage, number, instruction, status in steps:
        step = BuildStep(number=number, instruction=instruction, stage=stage)
        step.status = status  # type: ignore[assignment]
        result.steps.append(step)
    return result


MULTI_STAGE = f"""FROM {BASE} AS build
ARG FLAVOUR=plain
RUN echo $FLAVOUR > /flavour
FROM {BASE} AS app
COPY app.py /app/
COPY --from=build /flavour /flavour
CMD ["python", "/app/app.py"]
"""


def test_buildkit_stages_and_base_lookup(context: Path) -> None:
    bases = {BASE: "sha256:" + "1" * 64}

    def steps(app_copy: str, from_build: str) -> list[tuple[str, int, str, str]]:
        return [
            ("build", 1, f"FROM {BASE}", "base"),
            ("app", 1, f"FROM {BASE}", "base"),
            ("build", 2, "RUN echo $FLAVOUR > /flavour", "cached"),
            ("app", 2, "COPY app.py /app/", app_copy),
            ("app", 3, "COPY --from=build /flavour /flavour", from_build),
        ]

    first = buildkit_result(context, MULTI_STAGE, steps("built", "built"))
    explain(first, [], resolve_base=bases.get)
    fingerprint = fingerprint_of(first)
    assert fingerprint is not None
    assert fingerprint.bases["app"].image_id == "1" * 64
    (context / "app.py").write_text("print('v2')\n", encoding="utf-8")
    second = buildkit_result(context, MULTI_STAGE, steps("built", "built"))
    report = explain(second, [first], resolve_base=bases.get)

    assert report.first_miss_step == 2
    assert report.first_miss_stage == "app"
    assert report.reason == "files_changed"
    assert report.changed_files == ("app.py",)
    assert report.rebuilt_after == (("app", 3),)
    assert "step 2 of stage app" in str(report)


def test_buildkit_build_arg_in_a_named_stage(context: Path) -> None:
    def steps(run: str) -> list[tuple[str, int, str, str]]:
        return [
            ("build", 1, f"FROM {BASE}", "base"),
            ("app", 1, f"FROM {BASE}", "base"),
            ("build", 2, "RUN echo $FLAVOUR > /flavour", run),
            ("app", 2, "COPY app.py /app/", "cached"),
            ("app", 3, "COPY --from=build /flavour /flavour", run),
        ]

    bases = {BASE: "sha256:" + "1" * 64}
    first = buildkit_result(context, MULTI_STAGE, steps("built"))
    explain(first, [], resolve_base=bases.get)
    second = buildkit_result(context, MULTI_STAGE, steps("built"), build_args={"FLAVOUR": "hot"})
    report = explain(second, [first], resolve_base=bases.get)

    assert report.reason == "build_args_changed"
    assert report.first_miss_stage == "build"
    assert report.changed_build_args == (ArgChange("FLAVOUR", "plain", "hot"),)
    assert report.rebuilt_after == (("app", 3),)
    assert report.cached_after == (("app", 2),)
    assert "still came from the cache" in str(report)


# ---------------------------------------------------------------- words and HTML
def test_report_speaks_french(context: Path) -> None:
    report = explain_all(
        [classic(context, "Bbbbb"), classic(context, "Bcbbb", build_args={"GREETING": "salut"})]
    )
    i18n.set_language("fr")

    text = str(report)
    assert "l'étape 3" in text
    assert "un argument de construction utilisé par cette étape a changé" in text
    assert "reconstruites à cause d'elle" in text


def test_html_is_escaped_and_tagged_with_the_reason(context: Path) -> None:
    edited = APP_DOCKERFILE.replace('echo "$GREETING"', 'echo "<b>$GREETING</b>"')
    report = explain_all([classic(context, "Bbbbb"), classic(context, "Bcbbb", edited)])

    page = report._repr_html_()
    assert "data-reason='instruction_changed'" in page
    assert "<b>$GREETING</b>" not in page
    assert "&lt;b&gt;$GREETING&lt;/b&gt;" in page


# ---------------------------------------------------------------- building blocks
def test_copy_sources() -> None:
    assert copy_sources("COPY app.py /app/") == ["app.py"]
    assert copy_sources("COPY --chown=1000:1000 a.txt b.txt /dst/") == ["a.txt", "b.txt"]
    assert copy_sources('COPY ["my file.txt", "/dst/"]') == ["my file.txt"]
    assert copy_sources("COPY --from=build /out /out") == []
    assert copy_sources("ADD https://example.org/x.tar.gz /x") == []
    assert copy_sources("COPY $SRC /dst", {"SRC": "src"}) == ["src"]
    assert copy_sources("RUN echo") == []


def test_copy_source_matching_follows_docker_globs() -> None:
    files = ["app.py", "lib/util.py", "lib/deep/x.txt", "notes.txt", ".env"]
    assert matching_files(files, ["*.py"]) == ["app.py"]
    assert matching_files(files, ["lib"]) == ["lib/util.py", "lib/deep/x.txt"]
    assert matching_files(files, ["./lib/"]) == ["lib/util.py", "lib/deep/x.txt"]
    assert matching_files(files, ["lib/*/x.txt"]) == ["lib/deep/x.txt"]
    assert matching_files(files, ["."]) == files
    assert matching_files(files, ["[^a]*.txt"]) == ["notes.txt"]
    assert matching_files(files, ["*"]) == files  # a folder matched by * is copied whole


def test_sent_files_drop_what_dockerignore_excludes(tmp_path: Path) -> None:
    for name in ("app.py", "notes.txt", "Dockerfile", ".dockerignore"):
        (tmp_path / name).write_text(name, encoding="utf-8")
    (tmp_path / ".dockerignore").write_text(
        "notes.txt\nDockerfile\n.dockerignore\n", encoding="utf-8"
    )

    assert sent_files(tmp_path, str(tmp_path / "Dockerfile")) == ["app.py"]


def test_fingerprint_lives_as_long_as_its_result(context: Path) -> None:
    result = classic(context, "Bbbbb")
    fingerprint = remember(result, resolve_base=no_engine)
    assert fingerprint_of(result) is fingerprint
    assert fingerprint.steps[3].files is not None
    assert set(fingerprint.steps[3].files) == {"app.py"}

    from layerlab import cache

    key = id(result)
    assert key in cache._FINGERPRINTS
    del result
    gc.collect()
    assert key not in cache._FINGERPRINTS


# ---------------------------------------------------------------- issue 15: the learner's lines
def with_lines(result: BuildResult) -> BuildResult:
    """The steps with their Dockerfile lines, as the recorder sets them."""
    assert result.parsed_dockerfile is not None
    for step, instruction in zip(result.steps, result.parsed_dockerfile.instructions, strict=False):
        step.line = instruction.line
    return result


def test_env_and_arg_definitions_read_every_form() -> None:
    parsed = parse(
        'FROM x\nENV A=1 B="two words"\nENV OLD legacy value\nARG NAME\nARG N=3\nRUN true\n'
    )
    assert definitions(parsed, 6) == (
        ("ENV", "A", "1"),
        ("ENV", "B", "two words"),
        ("ENV", "OLD", "legacy value"),
        ("ARG", "NAME", None),
        ("ARG", "N", "3"),
    )
    assert definitions(parsed, 2) == (("ENV", "A", "1"), ("ENV", "B", "two words"))
    assert definitions(parsed, None) == ()


def test_changed_env_line_names_the_variable_old_and_new(context: Path) -> None:
    text = "FROM python:3.13-alpine\nENV MODE=dev\nRUN echo $MODE > /mode\n"
    before = with_lines(classic(context, "Bcc", text))
    after = with_lines(classic(context, "Bbb", text.replace("dev", "prod")))
    report = explain_all([before, after])
    assert report.cause == ("variable_changed", "ENV MODE")
    assert "ENV MODE ('dev' → 'prod')" in str(report)


def test_changed_file_whose_copy_came_from_the_cache_is_a_content_hit(context: Path) -> None:
    text = "FROM python:3.13-alpine\nCOPY app.py /app.py\nRUN cat /app.py\n"
    before = with_lines(classic(context, "Bcc", text))
    explain(before, [], resolve_base=no_engine)
    (context / "app.py").write_text("print('restored')\n", encoding="utf-8")
    after = with_lines(classic(context, "Bcc", text))
    report = explain(after, [before], resolve_base=no_engine)
    assert report.all_cached
    assert report.cause == ("files_reused", "app.py")
    assert "app.py changed since your last build, but the engine already held a layer" in str(
        report
    )
    # the copy came from the cache (another learner built that content), the RUN did not
    (context / "app.py").write_text("print('another')\n", encoding="utf-8")
    below_report = explain(
        with_lines(classic(context, "Bcb", text)), [before, after], resolve_base=no_engine
    )
    assert below_report.cause == ("files_reused", "app.py")
    assert below_report.first_miss_step == 3
    assert "it had no layer yet for this step on top of it" in str(below_report)
