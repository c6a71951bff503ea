"""Per-learner namespaces: learners type short names, the engine stores them apart."""

from __future__ import annotations

from typing import Any

import pytest

from layerlab import names


@pytest.fixture
def alice(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "Alice.Martin@School")


def test_no_namespace_outside_a_hub(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert names.namespace() == ""
    assert names.to_engine("python-hello-world:latest") == "python-hello-world:latest"


def test_hub_user_becomes_a_lower_case_namespace(alice: None) -> None:
    ns = names.namespace()
    assert ns == names.namespace_for("Alice.Martin@School")
    assert ns.startswith("alice-martin-school_")
    assert names.to_engine("python-hello-world:latest") == f"{ns}/python-hello-world:latest"
    assert names.to_learner(f"{ns}/python-hello-world:latest") == "python-hello-world:latest"


def test_registry_host_stays_in_front(alice: None) -> None:
    ns = names.namespace()
    engine = names.to_engine("127.0.0.1:5000/python-hello-world:latest")
    assert engine == f"127.0.0.1:5000/{ns}/python-hello-world:latest"
    assert names.to_learner(engine) == "127.0.0.1:5000/python-hello-world:latest"
    assert names.to_engine("localhost/app:1") == f"localhost/{ns}/app:1"


def test_already_namespaced_names_are_left_alone(alice: None) -> None:
    name = f"{names.namespace()}/app:1"
    assert names.to_engine(name) == name


def test_setting_overrides_the_hub_user(ip: Any, alice: None) -> None:
    ip.run_line_magic("config", "Layerlab.namespace = 'Group 7'")
    assert names.namespace() == names.namespace_for("Group 7")
    assert names.namespace().startswith("group-7_")
