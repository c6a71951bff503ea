"""%docker_build's flags mirror `docker image build`; the magic only parses and hands off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from layerlab import api, references
from layerlab.errors import LayerlabError


@pytest.fixture
def calls(ip: Any, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Capture what the magic hands to the core (the core itself is tested elsewhere)."""
    seen: list[dict[str, Any]] = []

    def capture(context: str, **kwargs: Any) -> str:
        seen.append({"context": context, **kwargs})
        return "result"

    monkeypatch.setattr(api, "build", capture)
    return seen


def test_defaults(ip: Any, calls: list[dict[str, Any]]) -> None:
    assert ip.run_line_magic("docker_build", "") == "result"
    call = calls[0]
    assert call["context"] == "."
    assert call["tags"] == []
    assert call["dockerfile"] == "Dockerfile"
    assert call["no_cache"] is False
    assert call["pull"] is False  # the base image on the engine is used as is
    assert call["builder"] is None  # → %config Layerlab.builder
    assert call["build_args"] == {}
    assert call["target"] is None  # the last stage


def test_cli_style_flags(ip: Any, calls: list[dict[str, Any]]) -> None:
    ip.run_line_magic(
        "docker_build",
        "-t a -t b:2 -f docker/Dockerfile.dev --no-cache --pull --build-arg X=1 "
        "--build-arg Y=two=2 --builder classic --target deps -q ctx",
    )
    call = calls[0]
    assert call["context"] == "ctx"
    assert call["tags"] == ["a", "b:2"]
    assert call["dockerfile"] == "docker/Dockerfile.dev"
    assert call["no_cache"] is True
    assert call["target"] == "deps"
    assert call["pull"] is True
    assert call["build_args"] == {"X": "1", "Y": "two=2"}
    assert call["builder"] == "classic"


def test_dollar_in_build_arg_is_not_expanded(ip: Any, calls: list[dict[str, Any]]) -> None:
    ip.user_ns["HOME_VALUE"] = "expanded"
    ip.run_line_magic("docker_build", "--build-arg GREETING=$HOME_VALUE .")
    assert calls[0]["build_args"] == {"GREETING": "$HOME_VALUE"}


def test_unknown_flag_is_a_usage_error(ip: Any, calls: list[dict[str, Any]]) -> None:
    with pytest.raises(UsageError):
        ip.run_line_magic("docker_build", "--frobnicate .")
    with pytest.raises(UsageError):
        ip.run_line_magic("docker_build", "--builder podman .")
    assert calls == []


def test_bad_build_arg_is_one_clear_line(
    ip: Any, calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAYERLAB_UNSET_VAR", raising=False)
    with pytest.raises(LayerlabError, match="--build-arg needs KEY=VALUE"):
        ip.run_line_magic("docker_build", "--build-arg LAYERLAB_UNSET_VAR .")
    monkeypatch.setenv("LAYERLAB_SET_VAR", "from-env")
    ip.run_line_magic("docker_build", "--build-arg LAYERLAB_SET_VAR .")
    assert calls[-1]["build_args"] == {"LAYERLAB_SET_VAR": "from-env"}


def test_tags_are_normalized_like_the_engine_stores_them() -> None:
    assert references.with_default_tag("python-hello-world") == "python-hello-world:latest"
    assert references.with_default_tag("127.0.0.1:5000/hello") == "127.0.0.1:5000/hello:latest"
    assert references.with_default_tag("hello:1.0") == "hello:1.0"


def test_secret_looking_build_args_are_flagged() -> None:
    warnings = api.secret_warnings({"DB_PASSWORD": "x", "VERSION": "1", "API_TOKEN": "y"}, "img")
    assert len(warnings) == 2
    assert "DB_PASSWORD" in warnings[0]
    assert "%docker_history img" in warnings[0]


def test_missing_context_or_dockerfile_is_one_line(ip: Any, workdir: Path) -> None:
    with pytest.raises(LayerlabError, match="is not a folder"):
        ip.run_line_magic("docker_build", "nowhere")
    with pytest.raises(LayerlabError, match="no Dockerfile at") as caught:
        ip.run_line_magic("docker_build", ".")
    assert len(caught.value._render_traceback_()) == 1
