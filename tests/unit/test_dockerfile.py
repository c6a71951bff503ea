"""Parsing and checking Dockerfiles, and %%dockerfile writing them (no daemon needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from layerlab import dockerfile
from layerlab.errors import DockerfileError

SEED = (
    'FROM python:3.13-alpine\nRUN pip install flask\nCMD ["python","app.py"]\nCOPY app.py /app.py\n'
)


def refusal(text: str) -> DockerfileError:
    with pytest.raises(DockerfileError) as caught:
        dockerfile.parse(text)
    return caught.value


def test_seed_dockerfile_parses_into_four_instructions() -> None:
    parsed = dockerfile.parse(SEED)
    assert [i.keyword for i in parsed.instructions] == ["FROM", "RUN", "CMD", "COPY"]
    assert [i.line for i in parsed.instructions] == [1, 2, 3, 4]
    assert parsed.by_keyword("CMD")[0].json_args == ["python", "app.py"]
    assert parsed.base_images == ["python:3.13-alpine"]
    assert parsed.warnings == ()


def test_continuations_comments_and_directives() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n# escape=\\\n\n# a comment\nARG V=3.13\n"
        "FROM python:${V}-alpine AS base\nRUN apk add \\\n    # comment inside\n    curl \\\n"
        "    git\nENV A=$HOME\n"
    )
    parsed = dockerfile.parse(text)
    assert parsed.directives == {"syntax": "docker/dockerfile:1", "escape": "\\"}
    run = parsed.by_keyword("RUN")[0]
    # the engine joins continued lines as they are: no space added, indentation kept
    assert run.arguments == "apk add     curl     git"
    assert (run.line, run.end_line) == (7, 10)
    assert parsed.by_keyword("ENV")[0].arguments == "A=$HOME"


def test_continuation_joins_without_a_space() -> None:
    parsed = dockerfile.parse("FROM x\nRUN echo hel\\\nlo\n")
    assert parsed.by_keyword("RUN")[0].arguments == "echo hello"


def test_continuation_allows_blanks_after_the_escape_and_skips_empty_lines() -> None:
    parsed = dockerfile.parse("FROM x\nLABEL a=b \\ \t\n\n   \n# note\n  c=d\nUSER me\n")
    label = parsed.by_keyword("LABEL")[0]
    assert label.arguments == "a=b   c=d"
    assert (label.line, label.end_line) == (2, 6)
    assert parsed.by_keyword("USER")[0].line == 7
    assert any("empty line inside a continued instruction" in w for w in parsed.warnings)


def test_continuation_left_open_at_the_end_is_accepted() -> None:
    parsed = dockerfile.parse("FROM x\nLABEL a=b \\\n")
    assert parsed.by_keyword("LABEL")[0].arguments == "a=b"


def test_backtick_escape_directive() -> None:
    parsed = dockerfile.parse("# escape=`\nFROM x\nRUN echo a `\n  b\n")
    assert parsed.by_keyword("RUN")[0].arguments == "echo a   b"
    # with the backtick as escape, a backslash no longer continues a line
    error = refusal("# escape=`\nFROM x\nLABEL a=b \\\n  c=d\n")
    assert error.line == 3
    assert "'\\\\' has no =" in str(error)


def test_an_unknown_directive_ends_the_directives() -> None:
    # "# foo=bar" ends directive scanning, so "# escape=`" is a plain comment
    error = refusal("# foo=bar\n# escape=`\nFROM x\nLABEL a=b `\n  c=d\n")
    assert error.line == 4
    assert "'`' has no =" in str(error)
    assert dockerfile.parse("# foo=bar\n# escape=`\nFROM x\n").directives == {}


@pytest.mark.parametrize(
    "top", ["\n# escape=`\n", "# a comment\n# escape=`\n", "FROM x\n# escape=`\n"]
)
def test_a_directive_after_anything_else_is_a_comment(top: str) -> None:
    text = top + ("" if "FROM" in top else "FROM x\n") + "LABEL a=b\n"
    assert "escape" not in dockerfile.parse(text).directives


def test_directive_spelling_the_engine_accepts() -> None:
    parsed = dockerfile.parse("  #  ESCAPE =  `  \nFROM x\nLABEL a=b `\n  c=d\n")
    assert parsed.directives == {"escape": "`"}
    assert parsed.by_keyword("LABEL")[0].arguments == "a=b   c=d"


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("# escape=`\n# escape=\\\nFROM x\n", 2, "'escape' is given twice"),
        ("# syntax=a\n# ESCAPE=`\n# syntax=b\nFROM x\n", 3, "'syntax' is given twice"),
        ("# escape=x\nFROM x\n", 1, "invalid escape directive 'x': use \\ or `"),
    ],
)
def test_directive_mistakes(text: str, line: int, needle: str) -> None:
    error = refusal(text)
    assert error.line == line
    assert needle in str(error)


def test_lines_end_only_at_newline_and_a_bom_is_skipped() -> None:
    parsed = dockerfile.parse("\ufeffFROM x\r\nLABEL a=b \\\r\n  c=d\r\nLABEL e=f\x1cg\n")
    assert [i.line for i in parsed.instructions] == [1, 2, 4]
    assert parsed.instructions[1].arguments == "a=b   c=d"


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
def test_empty_cell_is_refused(text: str) -> None:
    assert "empty" in str(refusal(text))


def test_missing_from_is_refused_with_its_line() -> None:
    error = refusal("# comment\n\nRUN echo hi\n")
    assert error.line == 3
    assert "must start with FROM" in str(error)
    assert str(error).startswith("line 3:")


def test_arg_before_from_is_allowed_but_only_args_is_refused() -> None:
    dockerfile.parse("ARG TAG=3.13\nFROM python:${TAG}-alpine\n")
    assert "no FROM" in str(refusal("ARG TAG=3.13\n"))


def test_unknown_instruction_suggests_the_close_one() -> None:
    error = refusal("FROM x\nRUN true\nCOPPY a b\n")
    assert error.line == 3
    assert "COPPY" in str(error)
    assert "did you mean COPY?" in str(error)


def test_line_errors_come_before_instruction_errors_like_the_engine() -> None:
    # the engine reads every line (ENV's pairs) before checking instructions (COPPY)
    error = refusal("FROM x\nCOPPY a b\nENV A\n")
    assert error.line == 3
    assert "ENV needs a name and a value" in str(error)


@pytest.mark.parametrize(
    ("line", "instruction"),
    [
        ("CMD ['python', 'app.py']", "CMD"),
        ('ENTRYPOINT ["python", "app.py",]', "ENTRYPOINT"),
        ('RUN ["echo", "hi",]', "RUN"),
    ],
)
def test_malformed_json_form_is_a_warning_as_the_engine_runs_it_in_a_shell(
    line: str, instruction: str
) -> None:
    parsed = dockerfile.parse(f"FROM x\n{line}\n")
    assert parsed.instructions[1].json_args is None
    assert len(parsed.warnings) == 1
    assert f"line 2: {instruction} looks like JSON form" in parsed.warnings[0]
    assert "shell command" in parsed.warnings[0]


def test_json_form_must_hold_strings() -> None:
    assert "list of strings" in str(refusal('FROM x\nCMD ["python", 3]\n'))


def test_copy_of_a_bracketed_file_name_is_not_json() -> None:
    dockerfile.parse("FROM x\nCOPY [abc].txt /dst/\n")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("ENV A", "ENV needs a name and a value"),
        ("ENV A=1 B", "'B' has no ="),
        ("ENV =1", "empty name"),
        ("LABEL a", "LABEL needs a name and a value"),
        ("ARG", "ARG needs an argument"),
        ("EXPOSE", "EXPOSE needs an argument"),
        ("WORKDIR", "WORKDIR takes exactly one argument"),
        ("STOPSIGNAL", "STOPSIGNAL takes exactly one argument"),
        ("COPY a", "COPY needs at least a source and a destination"),
        ('COPY ["a"]', "COPY needs at least a source and a destination"),
        ("ADD --chown=1 a", "ADD needs at least a source and a destination"),
        ("COPY --foo a b", "COPY has no option --foo"),
        ("COPY --from a b", "--from needs a value"),
        ("COPY --from=x --from=y a b", "--from is given twice"),
        ("ENV --x=1 a=b", "ENV has no option --x"),
        ("COPY --link a b", "COPY has no option --link"),
        ("RUN --network=host true", "RUN has no option --network"),
        ("ONBUILD", "ONBUILD needs an argument"),
        ("ONBUILD ONBUILD RUN x", "ONBUILD is not allowed after ONBUILD"),
        ("ONBUILD from y", "FROM is not allowed after ONBUILD"),
        ("ONBUILD ENV A", "ENV needs a name and a value"),
        ("HEALTHCHECK", "HEALTHCHECK needs an argument"),
        ("HEALTHCHECK FOO x", "CMD or NONE"),
        ("HEALTHCHECK NONE x", "NONE takes no arguments"),
        ("HEALTHCHECK CMD", "CMD needs a command"),
        ("HEALTHCHECK --retries=0 CMD x", "--retries"),
        ("HEALTHCHECK --interval=10 CMD x", "--interval"),
        ("SHELL sh -c", "SHELL must be written in JSON form"),
        ('VOLUME ["/a", ""]', "VOLUME with an empty path"),
        ('VOLUME ["/a", 1]', "list of strings"),
        ("SHELL []", "SHELL needs an argument"),
    ],
)
def test_argument_rules_the_engine_checks(body: str, needle: str) -> None:
    error = refusal(f"FROM x\n{body}\n")
    assert error.line == 2
    assert needle in str(error)


@pytest.mark.parametrize(
    "body",
    [
        "USER a b",
        "MAINTAINER a b c",
        "ENV a b c",
        "LABEL a=",
        "ARG a b=1",
        "COPY [abc].txt /dst/",
        "COPY --chown=1:1 --from=x a b",
        'HEALTHCHECK --interval=1m30s --retries=3 CMD ["true"]',
        "HEALTHCHECK NONE",
        "ONBUILD COPPY a b",
        "EXPOSE 80 443/udp",
        "from x AS my-stage.2",
        'SHELL ["sh"] trailing text after the JSON is ignored',
        "ARG --x=1 A",
        "STOPSIGNAL --x 9",
        "HEALTHCHECK --foo=1 NONE",
    ],
)
def test_what_the_engine_accepts_the_kit_accepts(body: str) -> None:
    dockerfile.parse(f"FROM x\n{body}\n")


@pytest.mark.parametrize(
    ("first", "needle"),
    [
        ("FROM", "FROM takes an image"),
        ("FROM x y", "FROM takes an image"),
        ("FROM x AS", "FROM takes an image"),
        ("FROM x AS 1bad", "invalid stage name '1bad'"),
    ],
)
def test_from_rules(first: str, needle: str) -> None:
    error = refusal(f"{first}\n")
    assert error.line == 1
    assert needle in str(error)


@pytest.mark.parametrize("body", ["RUN", "CMD", "ENTRYPOINT"])
def test_a_command_less_instruction_is_accepted_with_a_warning(body: str) -> None:
    parsed = dockerfile.parse(f"FROM x\n{body}\n")
    assert parsed.warnings == (f"line 2: {body} without a command",)


def test_several_cmd_is_a_warning_naming_the_last() -> None:
    parsed = dockerfile.parse('FROM x\nCMD ["a"]\nRUN true\nCMD ["b"]\n')
    assert len(parsed.warnings) == 1
    assert "only the last one, line 4, takes effect" in parsed.warnings[0]


def test_buildkit_only_features_are_found() -> None:
    parsed = dockerfile.parse(
        "FROM x\nRUN --mount=type=cache,target=/root/.cache pip install flask\n"
        "COPY --chmod=644 a /a\n"
    )
    assert parsed.buildkit_features() == [(2, "RUN --mount"), (3, "COPY --chmod")]


def test_heredocs_need_an_external_frontend() -> None:
    text = (
        "FROM x\nRUN --mount=type=cache,target=/root/.cache pip install flask\n"
        "RUN <<EOF\necho one\nCOPPY not an instruction inside a heredoc\nEOF\n"
        "COPY --link a /a\n"
    )
    # Engine 20.10's own frontend reads the body as instructions
    error = refusal(text)
    assert error.line == 4
    assert "unknown instruction 'echo'" in str(error)
    assert "a heredoc? <<EOF needs BuildKit" in str(error)
    parsed = dockerfile.parse("# syntax=docker/dockerfile:1\n" + text)
    assert parsed.buildkit_features() == [
        (3, "RUN --mount"),
        (4, "the heredoc in RUN (<<)"),
        (8, "COPY --link"),
    ]
    builtin = text.replace("COPY --link", "COPY")  # --link: external frontends only
    assert dockerfile.parse(builtin, heredocs=True).by_keyword("RUN")[1].heredocs == ("EOF",)


def test_heredoc_terminators() -> None:
    text = (
        "# syntax=docker/dockerfile:1\nFROM x\n"
        "RUN <<-END cat && python3 - <<'PY'\n\t\techo\n\tEND\nprint(1)\nPY\nUSER me\n"
    )
    parsed = dockerfile.parse(text)
    run = parsed.by_keyword("RUN")[0]
    assert run.heredocs == ("END", "PY")
    assert (run.line, run.end_line) == (3, 7)
    assert parsed.by_keyword("USER")[0].line == 8
    # without the dash, a tab-indented terminator does not close the heredoc
    error = refusal("# syntax=docker/dockerfile:1\nFROM x\nRUN <<END\necho\n\tEND\n")
    assert error.line == 3
    assert "<<END is never closed" in str(error)


def test_only_args_is_refused_before_it_can_reach_the_engine() -> None:
    # Engine 20.10's BuildKit crashes the daemon on it (see parse)
    error = refusal("ARG A=1\nARG B\n")
    assert error.line == 2
    assert "no FROM" in str(error)


def test_instruction_before_from_is_refused_in_order() -> None:
    error = refusal("ARG A\nLABEL a=b\nCOPPY x y\n")
    assert error.line == 2
    assert "must start with FROM" in str(error)


# ---------------------------------------------------------------- writing
def test_write_refuses_outside_the_working_folder(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match="outside the working folder"):
        dockerfile.write("../elsewhere/Dockerfile", SEED, cwd=tmp_path)
    with pytest.raises(DockerfileError, match="outside the working folder"):
        dockerfile.write("/tmp/layerlab-abs/Dockerfile", SEED, cwd=tmp_path)
    assert not (tmp_path.parent / "elsewhere").exists()
    outcome = dockerfile.write(
        tmp_path.parent / "ok" / "Dockerfile", SEED, cwd=tmp_path, allow_outside=True
    )
    assert outcome.path.read_text(encoding="utf-8") == SEED


# ---------------------------------------------------------------- the %%dockerfile magic
@pytest.fixture
def magic(ip: Any, workdir: Path) -> Any:
    def run(line: str, cell: str) -> Any:
        return ip.run_cell_magic("dockerfile", line, cell)

    return run


def test_magic_writes_verbatim_and_says_so(
    magic: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cell = 'FROM python:3.13-alpine\nENV GREETING="$HOME {not_a_python_var}"\nCMD ["python"]\n'
    magic("--no-lint", cell)  # hadolint's advice is tested in test_lint.py
    assert (workdir / "Dockerfile").read_text(encoding="utf-8") == cell
    assert capsys.readouterr().out.strip() == "Writing Dockerfile (3 instructions)"
    magic("--no-lint", cell)
    assert capsys.readouterr().out.strip() == "Overwriting Dockerfile (3 instructions)"


def test_magic_keeps_dollar_vars_in_the_path_literal(magic: Any, workdir: Path) -> None:
    magic("sub/$NAME/Dockerfile", SEED)
    assert (workdir / "sub" / "$NAME" / "Dockerfile").read_text(encoding="utf-8") == SEED


def test_magic_refusal_leaves_the_previous_file_intact(magic: Any, workdir: Path) -> None:
    magic("", SEED)
    with pytest.raises(DockerfileError) as caught:
        magic("", "RUN echo no from\n")
    assert (workdir / "Dockerfile").read_text(encoding="utf-8") == SEED
    rendered = caught.value._render_traceback_()
    assert len(rendered) == 1
    assert "line 1" in rendered[0]
    assert "Traceback" not in rendered[0]


def test_magic_warns_about_several_cmd(magic: Any, capsys: pytest.CaptureFixture[str]) -> None:
    magic("", 'FROM x\nCMD ["a"]\nCMD ["b"]\n')
    assert "only the last one, line 3, takes effect" in capsys.readouterr().err


def test_magic_append(magic: Any, workdir: Path) -> None:
    magic("", "FROM x\n")
    magic("-a", "RUN true\n")
    assert (workdir / "Dockerfile").read_text(encoding="utf-8") == "FROM x\nRUN true\n"


def test_magic_messages_follow_the_language(
    ip: Any, magic: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_line_magic("config", 'Layerlab.language = "fr"')
    magic("--no-lint", SEED)
    assert capsys.readouterr().out.strip() == "Écriture de Dockerfile (4 instructions)"
    with pytest.raises(DockerfileError, match="doit commencer par FROM"):
        magic("", "RUN x\n")


def test_magic_writes_single_quoted_json_and_warns(
    magic: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the engine runs it as a shell command: written as the engine would take it, with a warning
    cell = "FROM x\nCMD ['python', 'app.py']\n"
    magic("", cell)
    assert (workdir / "Dockerfile").read_text(encoding="utf-8") == cell
    err = capsys.readouterr().err
    assert "line 2: CMD looks like JSON form but is not valid JSON" in err
    assert len(err.strip().splitlines()) == 1


def test_json_form_opens_no_heredoc() -> None:
    text = '# syntax=docker/dockerfile:1\nFROM x\nRUN ["sh", "-c", "cat <<EOF"]\nUSER me\n'
    parsed = dockerfile.parse(text)
    assert parsed.by_keyword("RUN")[0].heredocs == ()
    assert parsed.by_keyword("USER")[0].line == 4


def test_copy_with_single_quotes_is_a_file_list_not_a_warning() -> None:
    assert dockerfile.parse("FROM x\nCOPY ['a', 'b']\n").warnings == ()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('LABEL description="My app', 'the quote " is never closed'),
        ("USER 'me", "the quote ' is never closed"),
        ('COPY "a b" /x', "'\"a': the quote \" is never closed"),
        ('ENV A="a\\"', 'the quote " is never closed'),
        ("ENV A=${B", "bad substitution"),
        ("ENV A=${B:x}", "bad substitution"),
        ("ENV A=${}", "bad substitution"),
        ("WORKDIR ${DIR:-/app", "bad substitution"),
    ],
)
def test_words_the_engine_cannot_expand(body: str, needle: str) -> None:
    error = refusal(f"FROM x\n{body}\n")
    assert error.line == 2
    assert needle in str(error)


@pytest.mark.parametrize(
    "body",
    [
        'ENV A="a \'b" B=\'x"y\' C=\\"',
        "LABEL a=$ b=${X:+y} c=${X:-z} d=$HOME",
        'CMD echo "unclosed',  # CMD is left to the shell: the engine does not expand it
        'RUN echo "unclosed',
    ],
)
def test_words_the_engine_expands(body: str) -> None:
    dockerfile.parse(f"FROM x\n{body}\n")


def test_expansion_is_checked_after_every_instruction_rule() -> None:
    # the engine checks all instructions (COPPY, line 3) before it expands words (line 2)
    assert refusal('FROM x\nLABEL a="b\nCOPPY a b\n').line == 3


def test_backtick_escape_applies_to_expansion() -> None:
    dockerfile.parse('# escape=`\nFROM x\nENV A="a`"b"\n')
    assert "never closed" in str(refusal('FROM x\nENV A="a`"b"\n'))


MULTI_STAGE = """\
FROM python:3.13-alpine AS Deps
RUN pip install flask
FROM deps AS test
RUN python -c 'import flask'
FROM scratch AS empty
FROM deps
COPY app.py /app.py
"""


def test_stages_are_named_as_the_engine_compares_them() -> None:
    parsed = dockerfile.parse(MULTI_STAGE)
    assert [(name, image) for name, image, _ in parsed.stages()] == [
        ("deps", "python:3.13-alpine"),
        ("test", "deps"),
        ("empty", "scratch"),
        ("", "deps"),
    ]
    assert parsed.has_stage("DEPS")
    assert parsed.has_stage("test")
    assert not parsed.has_stage("final")


@pytest.mark.parametrize(
    ("target", "image", "instructions"),
    [
        # the last stage, via "deps": deps's instructions are in its history too
        (None, "python:3.13-alpine", ["RUN pip install flask", "COPY app.py /app.py"]),
        ("deps", "python:3.13-alpine", ["RUN pip install flask"]),
        ("Test", "python:3.13-alpine", ["RUN pip install flask", "RUN python -c 'import flask'"]),
        ("empty", "scratch", []),
    ],
)
def test_the_built_stage_follows_stage_names_to_an_image(
    target: str | None, image: str, instructions: list[str]
) -> None:
    start, own = dockerfile.parse(MULTI_STAGE).built_stage(target)
    assert start == image
    assert [instruction.text for instruction in own] == instructions


def test_an_unknown_target_is_refused_before_the_engine_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from layerlab import api

    def no_engine(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the engine was asked")

    monkeypatch.setattr(api, "connect", no_engine)
    (tmp_path / "Dockerfile").write_text(MULTI_STAGE, encoding="utf-8")
    with pytest.raises(DockerfileError, match=r"no stage named 'final'.*: deps, test, empty"):
        api.build(tmp_path, target="final")
