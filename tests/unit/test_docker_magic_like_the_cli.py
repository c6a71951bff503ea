"""``%docker`` as a learner types it from a terminal habit: several names, ``-q``,
``--all``, ``--wait``, and shell syntax a magic cannot run. No engine needed."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

from layerlab import i18n
from layerlab.batch import Batch
from layerlab.engine_ops import ContainerRun
from layerlab.errors import EngineError
from layerlab.image_list import IdList, matches
from layerlab.magics._shell_syntax import shell_syntax_message
from layerlab.magics.docker import _container_names, parse_docker_line


@pytest.fixture(autouse=True)
def english() -> Any:
    i18n.set_language("en")
    yield
    i18n.set_language("auto")


def test_several_names_for_rmi_rm_stop_kill_and_tag() -> None:
    rmi = parse_docker_line("rmi learner-hello learner-goodbye 127.0.0.1:5000/learner-hello")
    rm = parse_docker_line("rm -f web web-2")
    kill = parse_docker_line("kill -s TERM web web-2")
    tag = parse_docker_line("tag learner-hello 127.0.0.1:5000/learner-hello learner-hello:v1")
    assert rmi is not None
    assert rm is not None
    assert kill is not None
    assert tag is not None
    assert rmi.names == ["learner-hello", "learner-goodbye", "127.0.0.1:5000/learner-hello"]
    assert (rm.names, rm.force) == (["web", "web-2"], True)
    assert (kill.names, kill.signal) == (["web", "web-2"], "TERM")
    assert tag.targets == ["127.0.0.1:5000/learner-hello", "learner-hello:v1"]


@pytest.mark.parametrize(
    ("line", "command"),
    [("stop --all", "stop"), ("kill --all", "kill"), ("rm -f --all", "rm"), ("rm --all", "rm")],
)
def test_all_replaces_the_shell_substitution(line: str, command: str) -> None:
    args = parse_docker_line(line)
    assert args is not None
    assert args.command == command
    assert args.all
    assert args.names == []


@pytest.mark.parametrize(
    ("line", "quiet", "everything"),
    [
        ("ps -q", True, False),
        ("ps -aq", True, True),
        ("images -q", True, False),
        ("image ls -q", True, False),
        ("images --all", False, True),
    ],
)
def test_quiet_lists_like_the_cli(line: str, *, quiet: bool, everything: bool) -> None:
    args = parse_docker_line(line)
    assert args is not None
    assert args.quiet is quiet
    assert args.all is everything


def test_run_wait_is_a_flag_so_the_image_is_not_taken_as_its_value() -> None:
    args = parse_docker_line("run -d -p 5001:5000 --wait learner-hello")
    assert args is not None
    assert (args.wait, args.image, args.wait_timeout) == (True, "learner-hello", 30.0)
    longer = parse_docker_line("run -d --wait --wait-timeout 5 learner-hello")
    assert longer is not None
    assert longer.wait_timeout == 5.0


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        (
            "stop $(docker ps -q)",
            [
                "$(docker ps -q) is shell command substitution",
                "ids = %docker ps -q",
                "$ids",
                "stop --all",
            ],
        ),
        ("rm -f $(docker ps -aq)", ["ids = %docker ps -aq", "%docker rm $ids", "rm --all"]),
        (
            "rmi `docker images -q`",
            ["`docker images -q`", "ids = %docker images -q", "%docker rmi $ids"],
        ),
        ("stop web && docker rm web", ["&& chains commands", "its own line"]),
        ("stop web; rm web", ["; chains commands"]),
        ("ps -q | xargs docker stop", ["a pipe (|)", "rows = %docker ps"]),
        ("logs web > out.txt", ["redirection (>)", "out = %docker logs"]),
    ],
)
def test_shell_syntax_is_one_line_saying_what_to_write(line: str, fragments: list[str]) -> None:
    with pytest.raises(UsageError) as caught:
        parse_docker_line(line)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    if "$(" not in line and "`" not in line:
        assert "--all" not in message


@pytest.mark.parametrize(
    "line",
    [
        "run --rm img sh -c 'echo a | wc -l && echo $(date)'",
        'run --rm img sh -c "ls > /dev/null; true"',
        "run -d -p 127.0.0.1:5001:5000 img",
        r"run --rm img echo a\;b",
    ],
)
def test_quoted_shell_syntax_is_for_the_container(line: str) -> None:
    assert shell_syntax_message(line) is None


def test_shell_syntax_messages_in_french() -> None:
    i18n.set_language("fr")
    with pytest.raises(UsageError, match="substitution de commande du shell"):
        parse_docker_line("stop $(docker ps -q)")


def test_a_variable_holding_a_run_stands_for_its_container() -> None:
    web = ContainerRun(id="f" * 64, name="quirky_darwin", image="learner-hello")
    namespace = {"web": web, "other": 3}
    assert _container_names(["web", "other", "hello-web"], namespace) == [
        "quirky_darwin",
        "other",
        "hello-web",
    ]


def test_run_says_how_to_use_the_container_by_name() -> None:
    named = ContainerRun(id="a" * 64, name="web", image="learner-hello")
    chosen = ContainerRun(id="b" * 64, name="quirky_darwin", image="x", named_by_engine=True)
    assert "%docker logs web" in str(named)
    assert "The engine named it quirky_darwin" in str(chosen)
    assert "web = %docker run -d --name web" in str(chosen)


def test_ids_show_one_per_line_and_expand_space_separated() -> None:
    ids = IdList(["0123456789ab", "ba9876543210"])
    assert repr(ids) == "0123456789ab\nba9876543210"
    assert f"%docker stop {ids}" == "%docker stop 0123456789ab ba9876543210"
    assert ids == ["0123456789ab", "ba9876543210"]


def test_batch_reports_each_failure_and_errors_only_when_nothing_worked() -> None:
    some = Batch("rmi", done=["Untagged: b:latest"], failed=[("a", "no image 'a'")])
    some.raise_if_all_failed()
    assert str(some) == "Untagged: b:latest\nError: no image 'a'"
    none = Batch("rmi", failed=[("a", "no image 'a'"), ("c", "no image 'c'")])
    with pytest.raises(EngineError) as caught:
        none.raise_if_all_failed()
    assert str(caught.value) == "no image 'a'\nno image 'c'"


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("learner-hello:latest", "learner*", True),
        ("127.0.0.1:5000/learner-hello:latest", "learner*", True),
        ("127.0.0.1:5000/learner-hello:v1", "learner-hello", True),
        ("python:3.13-alpine", "python", True),
        ("python:3.13-alpine", "python:3.13-*", True),
        ("python-hello-world:latest", "python:*", False),
        ("other:latest", "learner*", False),
    ],
)
def test_patterns_match_names_with_or_without_a_registry(
    name: str, pattern: str, *, expected: bool
) -> None:
    assert matches(name, pattern) is expected


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("stop", "name at least one container, or --all"),
        ("kill", "name at least one container, or --all"),
        ("rm -f", "name at least one container, or --all"),
        ("stop --all web", "give container names or --all, not both"),
        ("rm -f --all web", "give container names or --all, not both"),
    ],
)
def test_names_or_all_is_one_usage_line(line: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        parse_docker_line(line)
