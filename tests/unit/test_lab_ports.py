"""``layerlab.lab_port(n)``: the original lab's ports for one person, the instructor's
allowed ports when set, a block of ports of one's own in a classroom."""

from __future__ import annotations

from typing import Any

import pytest

from layerlab import classroom, lab_port
from layerlab.errors import LayerlabError, LimitReached
from layerlab.lab_ports import CLASSROOM_PORTS, PORTS_PER_LEARNER, port_for
from layerlab.names import namespace_for
from tests.unit.test_namespaces import TRICKY


@pytest.fixture
def single(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)


def test_one_person_gets_the_original_labs_ports(single: None) -> None:
    assert [lab_port(1), lab_port(2)] == [5001, 5002]
    assert lab_port() == 5001


def test_allowed_ports_give_their_nth_port(ip: Any, single: None) -> None:
    ip.run_line_magic("config", "Layerlab.allowed_ports = '6000, 7000-7010'")
    assert [lab_port(n) for n in (1, 2, 3)] == [6000, 7000, 7001]
    for n in (1, 2, 3):  # always accepted by %docker run's limit
        classroom.check_run_allowed([lab_port(n)], 0)


def test_too_few_allowed_ports_say_so_in_one_line(ip: Any, single: None) -> None:
    ip.run_line_magic("config", "Layerlab.allowed_ports = '6000'")
    assert lab_port(1) == 6000
    with pytest.raises(LayerlabError) as caught:
        lab_port(2)
    rendered = caught.value._render_traceback_()
    assert len(rendered) == 1
    assert "(6000) holds 1 ports: too few for app 2" in rendered[0]


@pytest.mark.parametrize("spec", ["5000-", "abc", "6000-5000", "0-10", "5000-70000", "50 00x"])
def test_a_bad_allowed_ports_setting_is_one_line(ip: Any, single: None, spec: str) -> None:
    ip.run_line_magic("config", f"Layerlab.allowed_ports = {spec!r}")
    with pytest.raises(LimitReached) as caught:
        lab_port(1)
    rendered = caught.value._render_traceback_()
    assert len(rendered) == 1
    assert "is not a port range" in rendered[0]


@pytest.mark.parametrize("n", [0, -1, PORTS_PER_LEARNER + 1, 1.0, "1", True, None])
def test_a_bad_app_number_is_one_line(single: None, n: Any) -> None:
    with pytest.raises(LayerlabError) as caught:
        lab_port(n)
    rendered = caught.value._render_traceback_()
    assert len(rendered) == 1
    assert f"from 1 to {PORTS_PER_LEARNER}, not {n!r}" in rendered[0]


def test_french_messages(ip: Any, single: None) -> None:
    ip.run_line_magic("config", "Layerlab.language = 'fr'")
    with pytest.raises(LayerlabError, match="prend le numéro d'une application, de 1 à"):
        lab_port(0)


@pytest.mark.parametrize("user", TRICKY)
def test_a_learner_gets_a_block_of_their_own_in_the_classroom_range(user: str) -> None:
    learner = namespace_for(user)
    ports = [port_for(n, learner=learner) for n in range(1, PORTS_PER_LEARNER + 1)]
    low, high = CLASSROOM_PORTS
    assert all(low <= port <= high for port in ports), ports
    assert ports == list(range(ports[0], ports[0] + PORTS_PER_LEARNER))  # one block
    assert (ports[0] - low) % PORTS_PER_LEARNER == 0
    assert port_for(1, learner=learner) == ports[0]  # stable: nothing stored, nothing random


def test_learners_spread_over_the_blocks() -> None:
    """Two given learners share a block with odds of 1 in 4,000: among the tricky names
    (52 learners, 1,326 pairs) at most a couple of pairs may meet; many more would mean
    the hash does not spread them."""
    firsts = [port_for(1, learner=namespace_for(user)) for user in TRICKY if namespace_for(user)]
    assert len(set(firsts)) >= len(firsts) - 2
    blocks = (CLASSROOM_PORTS[1] - CLASSROOM_PORTS[0] + 1) // PORTS_PER_LEARNER
    assert blocks == 4000  # the figure the module's text gives


def test_in_a_classroom_the_allowed_ports_hold_each_learners_block() -> None:
    allowed = classroom.allowed_port_ranges("5000-5099")
    for user in ("alice", "bob", "Marie.Curie@example.org"):
        learner = namespace_for(user)
        ports = [port_for(n, learner=learner, allowed=allowed) for n in (1, 2)]
        assert all(5000 <= port <= 5099 for port in ports)
        assert ports[1] == ports[0] + 1
        assert (ports[0] - 5000) % PORTS_PER_LEARNER == 0
        classroom.check_run_allowed(ports, 0)


def test_a_range_of_ones_own_gives_its_first_ports() -> None:
    """An instructor who gives a learner a range one block wide gives them those ports."""
    allowed = classroom.allowed_port_ranges(f"7100-{7100 + PORTS_PER_LEARNER - 1}")
    assert [port_for(n, learner="alice", allowed=allowed) for n in (1, 2)] == [7100, 7101]


def test_the_registrys_port_is_left_out(ip: Any, single: None) -> None:
    """The kit's registry listens on 127.0.0.1:5000: a lab app there would fight it."""
    ip.run_line_magic("config", "Layerlab.allowed_ports = '5000-5099'")
    assert [lab_port(1), lab_port(2)] == [5001, 5002]
    ip.run_line_magic("config", "Layerlab.registry = 'docker.io/teacher'")
    assert [lab_port(1), lab_port(2)] == [5000, 5001]


def test_no_learners_block_holds_the_registrys_port() -> None:
    allowed = classroom.allowed_port_ranges("5000-5099")
    for user in TRICKY:
        ports = [
            port_for(n, learner=namespace_for(user), allowed=allowed, taken=5000)
            for n in (1, 2, 3, 4, 5)
        ]
        assert 5000 not in ports
        assert all(5001 <= port <= 5099 for port in ports)
        assert len(set(ports)) == len(ports)
