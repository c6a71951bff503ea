"""Where learners meet on a shared engine: another learner's identical edit is in the
build cache, another learner's identical layer is in the registry, another learner's prune
is running. A learner whose prediction is right must still pass, told why; a wrong
prediction must still fail; a prune waits for the other one instead of failing."""

from __future__ import annotations

from typing import Any

import pytest

from layerlab import check
from layerlab.build import BuildResult, BuildStep
from layerlab.cache import CacheReport
from layerlab.engine_ops import summarize_push


def _result(copy_status: str, reused: tuple[str, ...] = ()) -> BuildResult:
    steps = [
        BuildStep(1, "FROM python:3.13-alpine", status="base"),
        BuildStep(2, "RUN pip install flask", status="cached"),
        BuildStep(3, 'CMD ["python","app.py"]', status="cached"),
        BuildStep(4, "COPY app.py /app.py", status=copy_status),  # type: ignore[arg-type]
    ]
    report = CacheReport(first_miss_step=None, reused_files=reused)
    return BuildResult("classic", ["app"], ".", "Dockerfile", steps=steps, cache_report=report)


def test_a_copy_from_another_learners_identical_edit_counts_as_rebuilt(ip: Any) -> None:
    verdict = check.steps_cached(_result("cached", reused=("app.py",)), rebuilt=["COPY"])
    assert verdict
    assert "already held a layer with exactly this content" in str(verdict)
    assert "another learner's identical edit" in str(verdict)


def test_a_copy_from_the_cache_without_changed_files_is_still_wrong(ip: Any) -> None:
    assert not check.steps_cached(_result("cached"), rebuilt=["COPY"])
    # a wrong prediction stays wrong, reused files or not
    assert not check.steps_cached(_result("cached", reused=("app.py",)), rebuilt=["RUN"])
    assert check.steps_cached(_result("built"), rebuilt=["COPY"])


def _push(mounted_from: str, repository: str = "127.0.0.1:5000/bea/app") -> Any:
    events = [
        {"status": "Layer already exists", "id": "base1"},
        {"status": "Layer already exists", "id": "base2"},
        {"status": f"Mounted from {mounted_from}", "id": "new"},
    ]
    return summarize_push(f"{repository}:latest", events)


def test_a_layer_mounted_from_another_learner_is_new_to_this_one(
    ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "bea")
    summary = _push("marie-curie_0a1b2c3d/app")
    assert summary.mounted_from == {"new": "marie-curie_0a1b2c3d/app"}
    assert summary.from_others == ["new"]
    verdict = check.push_reused(summary, new_layers=1)
    assert verdict
    assert "Another learner had pushed this very layer first" in str(verdict)
    assert not check.push_reused(summary, new_layers=0)


def test_a_layer_mounted_from_ones_own_repository_was_already_there(
    ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "bea")
    summary = _push("bea/python-hello-world")
    assert summary.from_others == []
    assert check.push_reused(summary, new_layers=0)
    assert not check.push_reused(summary, new_layers=1)


def test_one_person_mounts_are_layers_already_there(
    ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    summary = _push("python-hello-world", repository="127.0.0.1:5000/python-goodbye-world")
    assert summary.from_others == []
    assert check.push_reused(summary, new_layers=0)
    assert not check.push_reused(summary, new_layers=1)


def test_french_notes(ip: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ip.run_line_magic("config", "Layerlab.language = 'fr'")
    from layerlab import i18n

    i18n.set_language("fr")
    monkeypatch.setenv("JUPYTERHUB_USER", "bea")
    verdict = check.push_reused(_push("marie/app"), new_layers=1)
    assert "Une autre personne du cours avait déjà publié cette couche" in str(verdict)
    verdict = check.steps_cached(_result("cached", reused=("app.py",)), rebuilt=["COPY"])
    assert "vient quand même du cache" in str(verdict)


def _engine_refusal(message: str) -> Exception:
    from docker.errors import APIError

    return APIError("409 Client Error", explanation=message)


def test_a_prune_waits_for_another_learners_prune() -> None:
    """Fault injection: the engine refuses a prune while another runs (HTTP 409)."""
    from layerlab.engine_ops import _pruned

    calls: list[dict[str, Any]] = []

    def prune(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        if len(calls) < 3:
            raise _engine_refusal("a prune operation is already running")
        return {"ContainersDeleted": ["abc"], "SpaceReclaimed": 0}

    assert _pruned(prune, filters={"label": ["x"]}) == {
        "ContainersDeleted": ["abc"],
        "SpaceReclaimed": 0,
    }
    assert calls == [{"filters": {"label": ["x"]}}] * 3


def test_a_prune_refused_for_another_reason_is_not_retried() -> None:
    from docker.errors import APIError

    from layerlab.engine_ops import _pruned

    calls = 0

    def prune(**_kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        raise _engine_refusal("invalid filter 'x'")

    with pytest.raises(APIError):
        _pruned(prune)
    assert calls == 1
