"""``%docker`` line parsing, ``-p`` specs and push-stream folding: no engine needed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from IPython.core.error import UsageError

from layerlab import i18n, references
from layerlab.engine_ops import (
    PortSpec,
    parse_env,
    parse_publish,
    summarize_push,
)
from layerlab.errors import LayerlabError
from layerlab.magics.docker import parse_docker_line


@pytest.fixture(autouse=True)
def english() -> Any:
    i18n.set_language("en")
    yield
    i18n.set_language("auto")


def test_run_line_like_the_cli() -> None:
    args = parse_docker_line("run -d -p 5001:5000 --name web python-hello-world")
    assert args is not None
    assert args.command == "run"
    assert args.detach
    assert args.publish == ["5001:5000"]
    assert args.name == "web"
    assert args.image == "python-hello-world"
    assert args.cmd == []


def test_run_keeps_options_after_the_image_for_the_command() -> None:
    args = parse_docker_line("run --rm python-hello-world python -c 'print(1)' -d")
    assert args is not None
    assert args.image == "python-hello-world"
    assert args.cmd == ["python", "-c", "print(1)", "-d"]
    assert not args.detach
    assert args.rm


def test_repeatable_publish_env_and_labels() -> None:
    args = parse_docker_line(
        "run -p 5001:5000 -p 127.0.0.1:9000:9000/udp -e A=1 -e B=2 -l team=blue img"
    )
    assert args is not None
    assert args.publish == ["5001:5000", "127.0.0.1:9000:9000/udp"]
    assert args.env == ["A=1", "B=2"]
    assert args.label == ["team=blue"]


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("ps -a", "ps"),
        ("container ls", "ps"),
        ("image ls", "images"),
        ("images", "images"),
        ("image rm old", "rmi"),
        ("image prune", "image-prune"),
        ("image prune -a -f", "image-prune"),
        ("container prune -f", "container-prune"),
        ("system prune", "system-prune"),
        ("image history python-hello-world", "history"),
        ("container stop web", "stop"),
        ("container rm -f web", "rm"),
        ("container logs web", "logs"),
    ],
)
def test_management_commands_map_to_the_short_ones(line: str, command: str) -> None:
    args = parse_docker_line(line)
    assert args is not None
    assert args.command == command


def test_stop_rm_take_several_names_and_options() -> None:
    stop = parse_docker_line("stop -t 2 web web-2")
    rm = parse_docker_line("rm -f web web-2")
    assert stop is not None
    assert rm is not None
    assert (stop.names, stop.time) == (["web", "web-2"], 2)
    assert (rm.names, rm.force) == (["web", "web-2"], True)


def test_tag_push_history_arguments() -> None:
    tag = parse_docker_line("tag python-hello-world 127.0.0.1:5000/python-hello-world:v1")
    push = parse_docker_line("push 127.0.0.1:5000/python-hello-world")
    history = parse_docker_line("history a b")
    assert tag is not None
    assert push is not None
    assert history is not None
    assert (tag.source, tag.targets) == (
        "python-hello-world",
        ["127.0.0.1:5000/python-hello-world:v1"],
    )
    assert push.name == "127.0.0.1:5000/python-hello-world"
    assert (history.image, history.other) == ("a", "b")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("", "needs a command"),
        ("exec web ls", "not a command the kit runs"),
        ("image frobnicate", "not a command the kit runs"),
        ("build -t x .", "%docker_build"),
        ("run", "%docker run: the following arguments are required: IMAGE"),
        ("stop", "%docker stop"),
        ("tag onlyone", "%docker tag"),
        ("ps --bogus", "unrecognized arguments: --bogus"),
        ("logs web --tail many", "invalid int value"),
        ("run 'unclosed", "unclosed quote"),
    ],
)
def test_bad_usage_is_one_usage_error_line(line: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_docker_line(line)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message.strip()


def test_usage_errors_follow_the_language() -> None:
    i18n.set_language("fr")
    with pytest.raises(UsageError, match="commande inconnue du kit"):
        parse_docker_line("exec web ls")


def test_help_prints_and_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_docker_line("run -h") is None
    assert "--publish" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command", ["", "run", "ps", "logs", "stop", "tag", "push", "history", "image prune"]
)
def test_help_speaks_french(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.french import english_words, typography_problems

    i18n.set_language("fr")
    assert parse_docker_line(f"{command} -h".strip()) is None
    shown = capsys.readouterr().out
    assert shown.startswith("utilisation\u00a0: %docker")
    assert "afficher cette aide" in shown
    # the command names (run, tag, push …) are the CLI's own: code, not prose
    prose = re.sub(r"\{[\w,-]+\}|^ {2,}[a-z-]+(?= {2,}|$)", "", shown, flags=re.MULTILINE)
    assert not english_words(prose), prose
    assert not typography_problems(shown), shown


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("run", "%docker run\u00a0: arguments obligatoires manquants\u00a0: IMAGE"),
        ("ps --bogus", "arguments non reconnus\u00a0: --bogus"),
        ("logs web --tail many", "nombre entier attendu"),
    ],
)
def test_argparse_errors_speak_french(line: str, fragment: str) -> None:
    i18n.set_language("fr")
    with pytest.raises(UsageError) as caught:
        parse_docker_line(line)
    assert fragment in str(caught.value)


def test_other_magics_argument_errors_speak_french(ip: Any) -> None:
    i18n.set_language("fr")
    with pytest.raises(UsageError, match="arguments non reconnus\u00a0: --bogus"):
        ip.run_line_magic("docker_images", "--bogus")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("5001:5000", PortSpec(5000, "tcp", 5001, "127.0.0.1")),
        ("5000", PortSpec(5000, "tcp", None, "127.0.0.1")),
        ("0.0.0.0:8080:80", PortSpec(80, "tcp", 8080, "0.0.0.0")),  # noqa: S104 - parsing only: nothing binds
        ("127.0.0.1::5000", PortSpec(5000, "tcp", None, "127.0.0.1")),
        ("localhost:5001:5000", PortSpec(5000, "tcp", 5001, "127.0.0.1")),
        ("53:53/udp", PortSpec(53, "udp", 53, "127.0.0.1")),
    ],
)
def test_publish_specs_default_to_loopback(spec: str, expected: PortSpec) -> None:
    assert parse_publish(spec) == expected


@pytest.mark.parametrize("spec", ["", "abc", "5001:", "70000:5000", "5001:5000/icmp", "a:1:2"])
def test_bad_publish_spec_is_a_short_error(spec: str) -> None:
    with pytest.raises(LayerlabError, match="HOST_PORT:CONTAINER_PORT"):
        parse_publish(spec)


def test_env_pairs() -> None:
    assert parse_env(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(LayerlabError, match="NAME=value"):
        parse_env(["NOVALUE"])


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("python-hello-world", ("python-hello-world", "latest")),
        ("python:3.13-alpine", ("python", "3.13-alpine")),
        ("127.0.0.1:5000/app", ("127.0.0.1:5000/app", "latest")),
        ("127.0.0.1:5000/app:v1", ("127.0.0.1:5000/app", "v1")),
        ("app@sha256:abc", ("app", "sha256:abc")),
    ],
)
def test_split_reference_knows_registry_ports_from_tags(
    reference: str, expected: tuple[str, str]
) -> None:
    assert references.split(reference) == expected


#: What the engine streams for a push where the registry had 3 layers of 5 (recorded
#: from Docker 20.10 pushing to registry 2.8, trimmed of progress events).
PUSH_STREAM: list[dict[str, Any]] = [
    {"status": "The push refers to repository [127.0.0.1:5000/app]"},
    {"status": "Preparing", "progressDetail": {}, "id": "aaa"},
    {"status": "Preparing", "progressDetail": {}, "id": "bbb"},
    {"status": "Waiting", "progressDetail": {}, "id": "ccc"},
    {"status": "Pushing", "progressDetail": {"current": 512, "total": 2048}, "id": "aaa"},
    {"status": "Layer already exists", "progressDetail": {}, "id": "bbb"},
    {"status": "Pushed", "progressDetail": {}, "id": "aaa"},
    {"status": "Mounted from other", "progressDetail": {}, "id": "ccc"},
    {"status": "Layer already exists", "progressDetail": {}, "id": "ddd"},
    {"status": "Layer already exists", "progressDetail": {}, "id": "ddd"},
    {"status": "latest: digest: sha256:1234 size: 1366"},
    {"progressDetail": {}, "aux": {"Tag": "latest", "Digest": "sha256:1234", "Size": 1366}},
]


def test_push_stream_folds_into_final_layer_states() -> None:
    seen: list[tuple[str, str]] = []
    summary = summarize_push(
        "127.0.0.1:5000/app:latest", PUSH_STREAM, lambda layer, status: seen.append((layer, status))
    )
    assert summary.pushed == ["aaa"]
    assert summary.existing == ["bbb", "ddd"]
    assert summary.mounted == ["ccc"]
    assert summary.layers == 4
    assert summary.already_present == 3
    assert summary.digest == "sha256:1234"
    assert summary.error is None
    # one line per layer, when it reaches its final state
    assert seen == [
        ("bbb", "Layer already exists"),
        ("aaa", "Pushed"),
        ("ccc", "Mounted from other"),
        ("ddd", "Layer already exists"),
    ]
    assert "1 new layer sent, 2 already in the registry" in str(summary)


def test_push_stream_error_stops_the_summary() -> None:
    events = [
        *PUSH_STREAM[:3],
        {"errorDetail": {"message": "denied: access"}, "error": "denied: access"},
    ]
    summary = summarize_push("x:latest", events)
    assert summary.error == "denied: access"
    assert summary.layers == 0
