"""Per-learner container names: ``hello-web`` typed by a learner is ``namespace.hello-web``
on a shared engine, one-to-one, and shown back as ``hello-web``."""

from __future__ import annotations

from typing import Any

import pytest

from layerlab import engine_ops, names
from layerlab.errors import LayerlabError
from layerlab.names import CONTAINER_NAME, namespace_for
from tests.unit.test_namespaces import TRICKY

#: names a learner may give a container, the awkward ones included
CONTAINER_NAMES = ["hello-web", "hello-web-2", "web", "a.b", "x_y", "0", "ab", "A.b-C_d", "a" * 200]
#: a sample of TRICKY (every one of them would be 52 x 9 = 468 cases per test)
USERS = list(dict.fromkeys([user for user in TRICKY if user.strip()] + ["hello-web"]))


def _as(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    """Be ``user`` (through the setting: a lone surrogate cannot go in the environment)."""
    from layerlab.config import settings

    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    settings().namespace = user


def test_without_a_namespace_nothing_changes(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _as(monkeypatch, "")
    for name in [*CONTAINER_NAMES, "alice.hello-web", "/hello-web"]:
        assert names.container_to_engine(name) == name
        assert names.container_to_learner(name) == name.lstrip("/")
        assert names.resolve_container(name) == name  # no engine asked: nothing to map


@pytest.mark.parametrize("user", USERS)
def test_round_trip_and_valid_engine_names(
    ip: Any, monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    _as(monkeypatch, user)
    ns = namespace_for(user)
    for name in CONTAINER_NAMES:
        engine_name = names.container_to_engine(name)
        assert engine_name == f"{ns}.{name}"
        assert CONTAINER_NAME.match(engine_name), engine_name
        assert "/" not in engine_name  # never read as an image reference's path
        assert names.container_to_learner(engine_name) == name
        assert names.container_to_learner("/" + engine_name) == name  # as the engine lists it


def test_one_to_one_across_learners_and_names(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No two (learner, name) pairs give the same engine name, even when a learner types a
    name that looks like another learner's engine name."""
    typed = [*CONTAINER_NAMES, *(f"{namespace_for(u)}.web" for u in USERS[:10])]
    seen: dict[str, tuple[str, str]] = {}
    for user in USERS:
        _as(monkeypatch, user)
        for name in typed:
            engine_name = names.container_to_engine(name)
            assert engine_name not in seen, (engine_name, seen.get(engine_name), (user, name))
            seen[engine_name] = (user, name)
    assert len(seen) == len(USERS) * len(typed)


def test_another_learners_container_is_shown_as_the_engine_has_it(
    ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as(monkeypatch, "bob")
    bobs = names.container_to_engine("hello-web")
    _as(monkeypatch, "Alice.Martin@School")
    assert names.container_to_learner(bobs) == "bob.hello-web"
    assert names.container_to_engine("bob.hello-web") == f"{names.namespace()}.bob.hello-web"
    # a namespace that is a prefix of another ("bob" / "bobby") does not strip it
    _as(monkeypatch, "bob")
    assert names.container_to_learner("bobby.hello-web") == "bobby.hello-web"


def test_the_hub_user_gives_the_namespace_too(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _as(monkeypatch, "")
    monkeypatch.setenv("JUPYTERHUB_USER", "Marie.Curie@example.org")
    assert names.container_to_engine("web") == f"{namespace_for('Marie.Curie@example.org')}.web"


@pytest.mark.parametrize("bad", ["", "-web", ".web", "_web", "w", "hello web", "héllo", "a/b"])
def test_a_bad_name_is_refused_as_typed(ip: Any, monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    for user in ("", "alice"):
        _as(monkeypatch, user)
        with pytest.raises(LayerlabError) as caught:
            engine_ops.container_engine_name(bad)
        rendered = caught.value._render_traceback_()
        assert len(rendered) == 1
        assert f"{bad!r} is not a valid container name" in rendered[0]


def test_a_good_name_is_accepted(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _as(monkeypatch, "alice")
    assert engine_ops.container_engine_name("hello-web") == "alice.hello-web"
    _as(monkeypatch, "")
    assert engine_ops.container_engine_name("hello-web") == "hello-web"
