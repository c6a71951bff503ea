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
    assert run.arguments == "apk add curl git"
    assert (run.line, run.end_line) == (7, 10)
    assert parsed.by_keyword("ENV")[0].arguments == "A=$HOME"


def test_backtick_escape_directive() -> None:
    parsed = dockerfile.parse("# escape=`\nFROM x\nRUN echo a `\n  b\n")
    assert parsed.by_keyword("RUN")[0].arguments == "echo a b"


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


@pytest.mark.parametrize(
    ("line", "instruction"),
    [
        ("CMD ['python', 'app.py']", "CMD"),
        ('ENTRYPOINT ["python", "app.py"', "ENTRYPOINT"),
        ('RUN ["echo", "hi",]', "RUN"),
    ],
)
def test_malformed_json_form_is_refused(line: str, instruction: str) -> None:
    error = refusal(f"FROM x\n{line}\n")
    assert error.line == 2
    assert f"{instruction} looks like JSON form" in str(error)


def test_json_form_must_hold_strings() -> None:
    assert "list of strings" in str(refusal('FROM x\nCMD ["python", 3]\n'))


def test_copy_of_a_bracketed_file_name_is_not_json() -> None:
    dockerfile.parse("FROM x\nCOPY [abc].txt /dst/\n")


def test_dangling_continuation_is_refused() -> None:
    error = refusal("FROM x\nRUN echo hi \\\n")
    assert error.line == 2
    assert "continuation" in str(error)


def test_instruction_without_arguments_is_refused() -> None:
    assert "RUN needs an argument" in str(refusal("FROM x\nRUN\n"))


def test_several_cmd_is_a_warning_naming_the_last() -> None:
    parsed = dockerfile.parse('FROM x\nCMD ["a"]\nRUN true\nCMD ["b"]\n')
    assert len(parsed.warnings) == 1
    assert "only the last one, line 4, takes effect" in parsed.warnings[0]


def test_buildkit_only_features_are_found() -> None:
    parsed = dockerfile.parse(
        "FROM x\nRUN --mount=type=cache,target=/root/.cache pip install flask\n"
        "RUN <<EOF\necho one\nCOPPY not an instruction inside a heredoc\nEOF\n"
        "COPY --link a /a\n"
    )
    assert parsed.buildkit_features() == [
        (2, "RUN --mount"),
        (3, "the heredoc in RUN (<<)"),
        (7, "COPY --link"),
    ]


def test_unclosed_heredoc_is_refused() -> None:
    assert "never closed" in str(refusal("FROM x\nRUN <<EOF\necho\n"))


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
    cell = 'FROM python:3.13-alpine\nENV GREETING=$HOME {not_a_python_var}\nCMD ["python"]\n'
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
