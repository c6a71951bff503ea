"""Two learners on one engine each run ``--name hello-web`` on their own ``lab_port(1)``,
at the same time: both run, each sees and acts on their own, never the other's."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from layerlab import check, engine_ops, lab_port
from layerlab.errors import LayerlabError
from layerlab.lab_ports import port_for
from layerlab.names import namespace_for
from tests.conftest import BASE_IMAGE, TEST_RUN

pytestmark = pytest.mark.integration

#: a plain hub name and one that is no valid Docker namespace as it is
ALICE = f"alice-{TEST_RUN}"
BEA = f"Béa.Martin+{TEST_RUN}@example.org"
#: a tiny web server in the base image: the page says whose container answers
SERVE = (
    "sh -c 'mkdir -p /w && echo page-of-{who} > /w/index.html"
    " && cd /w && exec python -m http.server 5000'"
)
TAGS = {ALICE: "alice", BEA: "bea"}
ENGINE_NAMES = {user: f"{namespace_for(user)}.hello-web" for user in TAGS}


def _learner_with_port(port: int) -> str:
    """A hub name whose first lab port is ``port`` (names meet on a block 1 in 4,000)."""
    for i in itertools.count():
        name = f"carl{i}-{TEST_RUN}"
        if port_for(1, learner=namespace_for(name)) == port:
            return name
    raise AssertionError  # pragma: no cover - itertools.count() never ends


class Learners:
    """The two learners' kernel (one shell, the hub user switched between cells)."""

    def __init__(self, ip: Any, engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ip, self.engine, self.monkeypatch = ip, engine, monkeypatch
        self.ports: dict[str, int] = {}
        self.runs: dict[str, Any] = {}

    def be(self, user: str) -> None:
        self.monkeypatch.setenv("JUPYTERHUB_USER", user)

    def docker(self, line: str) -> Any:
        return self.ip.run_line_magic("docker", line)

    def status(self, user: str) -> str:
        return str(self.engine.containers.get(self.runs[user].id).status)


def _start_both(lab: Learners) -> None:
    """Both learners run the lab's line, with the same --name, one after the other."""
    for user, who in TAGS.items():
        lab.be(user)
        lab.ports[user] = lab_port(1)
        line = f"run -d -p {lab.ports[user]}:5000 --name hello-web {BASE_IMAGE} "
        lab.runs[user] = lab.docker(line + SERVE.format(who=who))
        assert lab.runs[user].name == "hello-web"
        assert "hello-web" in str(lab.runs[user])
        assert namespace_for(user) not in str(lab.runs[user])
    if lab.ports[ALICE] == lab.ports[BEA]:  # pragma: no cover - 1 in 4,000: the names met
        pytest.fail(f"{ALICE} and {BEA} hash onto one block: change one of the names")


def _each_has_their_own(lab: Learners) -> None:
    """Both run at once, each under its engine name, on its port, listed as hello-web."""
    for user, who in TAGS.items():
        container = lab.engine.containers.get(ENGINE_NAMES[user])
        assert container.id == lab.runs[user].id
        assert container.status == "running"
        assert container.labels["org.layerlab.owner"] == user
        lab.be(user)
        assert check.container_running("hello-web")
        assert check.container_answers(lab.ports[user], f"page-of-{who}", timeout=30)
        assert lab.runs[user].host_port(5000) == lab.ports[user]
    for me, other in ((ALICE, BEA), (BEA, ALICE)):
        lab.be(me)
        listed = {row["name"]: row for row in lab.docker("ps").records}
        assert listed["hello-web"]["id"] == lab.runs[me].id
        assert listed[ENGINE_NAMES[other]]["id"] == lab.runs[other].id
        assert [row["name"] for row in lab.docker("ps --mine").records] == ["hello-web"]
        own_log = lab.engine.containers.get(lab.runs[me].id).logs().decode()
        assert engine_ops.logs("hello-web") == own_log


def _the_other_is_refused(lab: Learners) -> None:
    """Alice may not touch bea's container, by its engine name or by its id."""
    lab.be(ALICE)
    for line in (
        f"stop {ENGINE_NAMES[BEA]}",
        f"kill {ENGINE_NAMES[BEA]}",
        f"rm -f {ENGINE_NAMES[BEA]}",
        f"rm -f {lab.runs[BEA].short_id}",
    ):
        with pytest.raises(LayerlabError) as caught:
            lab.docker(line)
        rendered = caught.value._render_traceback_()
        assert len(rendered) == 1, rendered
        assert f"belongs to {BEA}, another learner" in rendered[0], line
    assert lab.status(BEA) == "running"


def _a_meeting_on_one_block_is_told(lab: Learners) -> None:
    """A third learner whose name falls on bea's ports is told so, in one line."""
    lab.be(_learner_with_port(lab.ports[BEA]))
    with pytest.raises(LayerlabError) as caught:
        lab_port(1)
    rendered = caught.value._render_traceback_()
    assert len(rendered) == 1, rendered
    assert f"port {lab.ports[BEA]}, your lab_port(1), is already published by" in rendered[0]
    assert f"{ENGINE_NAMES[BEA]}, a container of {BEA}" in rendered[0]


def _stop_and_rm_act_on_ones_own(lab: Learners) -> None:
    lab.be(ALICE)
    lab.docker("stop -t 1 hello-web")
    assert lab.status(ALICE) == "exited"
    assert lab.status(BEA) == "running"
    lab.docker("rm hello-web")
    assert not lab.engine.containers.list(all=True, filters={"id": lab.runs[ALICE].id})
    assert lab.status(BEA) == "running"
    with pytest.raises(LayerlabError, match="no container 'hello-web'"):
        lab.docker("logs hello-web")

    # bea's leftovers name it as she does; a variable holding her run stands for it
    lab.be(BEA)
    assert "hello-web" in engine_ops.leftovers().containers
    assert not check.nothing_left()
    lab.ip.user_ns["web"] = lab.runs[BEA]
    lab.docker("rm -f web")
    assert not lab.engine.containers.list(all=True, filters={"id": lab.runs[BEA].id})


def test_two_learners_each_run_their_own_hello_web(
    engine: Any, ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = Learners(ip, engine, monkeypatch)
    try:
        _start_both(lab)
        _each_has_their_own(lab)
        _the_other_is_refused(lab)
        _a_meeting_on_one_block_is_told(lab)
        _stop_and_rm_act_on_ones_own(lab)
    finally:
        for run in lab.runs.values():
            for container in engine.containers.list(all=True, filters={"id": run.id}):
                container.remove(force=True)
