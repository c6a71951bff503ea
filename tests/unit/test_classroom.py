"""Classroom pieces that need no engine: limits, reports, the CLI's plumbing, deploy files."""

from __future__ import annotations

import py_compile
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs

from layerlab import cli, i18n
from layerlab.classroom import (
    CleanupItem,
    CleanupReport,
    allowed_port_ranges,
    check_run_allowed,
    own_tags,
)
from layerlab.config import Layerlab, settings
from layerlab.doctor import Check, DoctorReport, diagnose, registry_url
from layerlab.errors import LayerlabError, LimitReached

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
CLOSED_PORT_HOST = "tcp://127.0.0.1:9"  # discard port: nothing listens there


@pytest.fixture
def config(ip: Any) -> Layerlab:
    return settings()


# ---------------------------------------------------------------- limits
@pytest.mark.parametrize(
    ("spec", "ranges"),
    [
        ("", []),
        ("5000-5099", [(5000, 5099)]),
        ("5000-5099, 8888", [(5000, 5099), (8888, 8888)]),
    ],
)
def test_allowed_ports_setting_reads_ranges(spec: str, ranges: list[tuple[int, int]]) -> None:
    assert allowed_port_ranges(spec) == ranges


@pytest.mark.parametrize("spec", ["50x0", "6000-5000", "0-10", "70000"])
def test_a_bad_allowed_ports_setting_is_one_line(spec: str) -> None:
    with pytest.raises(LimitReached) as caught:
        allowed_port_ranges(spec)
    assert "\n" not in str(caught.value)
    assert repr(spec) in str(caught.value)


def test_run_limits_name_the_limit_hit(config: Layerlab) -> None:
    check_run_allowed([8080, None], running_count=50)  # no limits set: anything goes
    config.max_containers = 2
    config.allowed_ports = "5000-5099"
    check_run_allowed([5000, 5099], running_count=1)
    with pytest.raises(LimitReached, match=r"2 running containers, the most this class"):
        check_run_allowed([5000], running_count=2)
    with pytest.raises(LimitReached, match=r"port 80 is outside .*\(5000-5099\).*-p 5000:5000"):
        check_run_allowed([80], running_count=0)
    with pytest.raises(LimitReached, match="name the host port"):
        check_run_allowed([None], running_count=0)
    rendered = LimitReached("x")._render_traceback_()
    assert len(rendered) == 1


def test_limit_messages_follow_the_language(config: Layerlab) -> None:
    config.max_containers = 1
    config.language = "fr"
    limit_hit = "1 conteneur en marche\u202f; la classe en autorise 1 au plus"
    with pytest.raises(LimitReached, match=limit_hit):
        check_run_allowed([], running_count=1)


# ---------------------------------------------------------------- cleanup model
def test_own_tags_keep_other_learners_tags_of_a_shared_image() -> None:
    tags = ["alice/app:latest", "bob/copy:1", "127.0.0.1:5000/alice/app:latest"]
    assert own_tags(tags, "alice") == ["alice/app:latest", "127.0.0.1:5000/alice/app:latest"]
    assert own_tags(["app:latest", "<none>:<none>"], "alice") == ["app:latest"]
    assert own_tags(tags, None) == tags


def test_cleanup_report_says_what_went(ip: Any) -> None:
    image = CleanupItem("image", "sha256:1", "alice/app:latest", "alice", 0, 2_000_000)
    container = CleanupItem("container", "c1", "web", "alice", 0)
    report = CleanupReport("alice", dry_run=True, removed=[container, image])
    report.reclaimed_bytes = image.size
    assert report.containers == [container]
    assert report.images == [image]
    assert report.summary().startswith("Would remove 1 container and 1 image of alice")
    assert "alice/app:latest" in report.text()
    assert "<code>alice/app:latest</code>" in report._repr_html_()
    assert CleanupReport("bob", dry_run=False).summary() == "Nothing to clean up for bob."
    failed = CleanupReport("bob", dry_run=False, failed=[(image, "image is in use")])
    assert not failed.ok
    assert "image is in use" in failed.text()


# ---------------------------------------------------------------- doctor
def test_doctor_report_fails_when_any_check_fails(ip: Any) -> None:
    good = DoctorReport([Check("Engine", "ok", "20.10"), Check("Builders", "warn", "x", "fix")])
    assert good.ok
    assert "→ fix" in good.text()
    bad = DoctorReport([*good.checks, Check("Base images", "fail", "missing", "load")])
    assert not bad.ok
    assert bad.text().endswith("fix the ✗ lines.")
    assert "#cf222e" in bad._repr_html_()


def test_doctor_without_an_engine_says_so_and_fails(
    ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from layerlab.engine import forget_clients

    monkeypatch.setenv("DOCKER_HOST", CLOSED_PORT_HOST)
    forget_clients()
    report = diagnose()
    assert not report.ok
    engine = report.check("Docker Engine")
    assert engine.status == "fail"
    assert CLOSED_PORT_HOST in engine.detail
    assert report.check("Base images").detail == "not checked: no engine"
    assert report.check("Classroom limits").status == "ok"


@pytest.mark.parametrize(
    ("registry", "url"),
    [
        ("127.0.0.1:5000", "http://127.0.0.1:5000/v2/"),
        ("localhost:5000/class", "http://localhost:5000/v2/"),
        ("docker.io/alice", "https://registry-1.docker.io/v2/"),
        ("ghcr.io/org", "https://ghcr.io/v2/"),
    ],
)
def test_registry_url(registry: str, url: str) -> None:
    assert registry_url(registry) == url


# ---------------------------------------------------------------- CLI
def test_cli_doctor_exits_non_zero_without_an_engine(
    ip: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from layerlab.engine import forget_clients

    monkeypatch.setenv("DOCKER_HOST", CLOSED_PORT_HOST)
    forget_clients()
    assert cli.main(["doctor"]) == 1
    assert "✗ Docker Engine" in capsys.readouterr().out


def test_cli_cleanup_without_an_engine_is_one_line(
    ip: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from layerlab.engine import forget_clients

    monkeypatch.setenv("DOCKER_HOST", CLOSED_PORT_HOST)
    forget_clients()
    assert cli.main(["cleanup", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("layerlab: cannot reach a Docker Engine")
    assert err.count("\n") == 1


def test_cli_refuses_two_scopes_and_a_missing_bundle(
    ip: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["cleanup", "--all-learners", "--learner", "bob"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert cli.main(["images", "load", str(tmp_path / "absent.tar")]) == 2
    assert f"no bundle at {tmp_path / 'absent.tar'}" in capsys.readouterr().err


def test_cli_config_file_applies_the_instructors_limits(ip: Any) -> None:
    cli._apply_config(DEPLOY / "ipython_config.py")
    config = settings()
    assert config.build_timeout_s == 600
    assert config.max_containers == 3
    assert allowed_port_ranges() == [(10000, 29999)]
    assert config.extra_labels == {"org.layerlab.course": "docker-101"}
    with pytest.raises(LayerlabError, match="no config file"):
        cli._apply_config(DEPLOY / "absent.py")


# ---------------------------------------------------------------- messages
def test_classroom_messages_exist_in_english_and_french() -> None:
    keys = [key for key in i18n.all_keys() if key.startswith(("classroom.", "doctor.", "bundle."))]
    assert len(keys) > 25
    for key in keys:
        assert i18n.text(key, "fr"), key
        assert i18n.text(key, "en") != i18n.text(key, "fr") or key == "doctor.limit.ports"


# ---------------------------------------------------------------- deploy recipes
def test_deploy_python_files_compile() -> None:
    for path in (
        DEPLOY / "ipython_config.py",
        DEPLOY / "dockerspawner-dind" / "jupyterhub_config.py",
    ):
        py_compile.compile(str(path), doraise=True)


def test_docker_compose_file_runs_the_hub_with_the_recipe_config() -> None:
    compose = yaml.safe_load((DEPLOY / "dockerspawner-dind" / "docker-compose.yml").read_text())
    hub = compose["services"]["jupyterhub"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in hub["volumes"]
    assert hub["networks"] == ["layerlab-hub"]
    assert compose["networks"]["layerlab-hub"]["name"] == hub["environment"]["DOCKER_NETWORK_NAME"]
    learner = compose["services"]["learner-image"]
    assert (REPO / learner["build"]["context"].removeprefix("../../")).is_dir()
    for service in compose["services"].values():
        dockerfile = DEPLOY / "dockerspawner-dind" / service["build"]["dockerfile"]
        if not dockerfile.is_file():
            dockerfile = REPO / service["build"]["dockerfile"]
        assert dockerfile.is_file(), dockerfile


# Keys the chart's values.schema.yaml allows under singleuser and singleuser.storage
# (jupyterhub/zero-to-jupyterhub-k8s, jupyterhub/values.schema.yaml, commit 02dd73d):
# the schema sets additionalProperties: false there, so a typo fails `helm install`.
Z2JH_SINGLEUSER_KEYS = {
    "networkPolicy", "podNameTemplate", "cpu", "memory", "image", "initContainers",
    "profileList", "extraFiles", "extraEnv", "nodeSelector", "extraTolerations",
    "extraNodeAffinity", "extraPodAffinity", "extraPodAntiAffinity", "cloudMetadata", "cmd",
    "defaultUrl", "events", "extraAnnotations", "extraContainers", "extraLabels",
    "extraPodConfig", "extraResource", "fsGid", "lifecycleHooks", "networkTools",
    "serviceAccountName", "startTimeout", "storage", "allowPrivilegeEscalation", "uid",
}  # fmt: skip
Z2JH_STORAGE_KEYS = {
    "capacity", "dynamic", "extraLabels", "extraVolumeMounts", "extraVolumes",
    "homeMountPath", "static", "type",
}  # fmt: skip


def test_z2jh_values_use_only_chart_keys_and_wire_the_dind_sidecar() -> None:
    values = yaml.safe_load((DEPLOY / "z2jh" / "values.yaml").read_text())
    single = values["singleuser"]
    assert set(single) <= Z2JH_SINGLEUSER_KEYS
    assert set(single["storage"]) <= Z2JH_STORAGE_KEYS
    assert {"type", "homeMountPath"} <= set(single["storage"])  # required by the schema
    assert set(single["lifecycleHooks"]) <= {"postStart", "preStop"}
    assert all(set(f) <= {"mountPath", "data", "stringData", "binaryData", "mode"}
               for f in single["extraFiles"].values())  # fmt: skip
    assert single["extraEnv"]["DOCKER_HOST"] == "tcp://localhost:2375"
    (dind,) = single["extraContainers"]
    assert dind["securityContext"]["privileged"] is True
    assert "--host=tcp://127.0.0.1:2375" in dind["command"]  # the pod's loopback only
    mounted = {m["name"] for m in dind["volumeMounts"]}
    assert mounted <= {v["name"] for v in single["storage"]["extraVolumes"]}


def test_dind_engines_listen_on_loopback_only() -> None:
    config = (DEPLOY / "dockerspawner-dind" / "jupyterhub_config.py").read_text()
    assert '"--host=tcp://127.0.0.1:2375"' in config
    assert "0.0.0.0:2375" not in config
    assert '"DOCKER_HOST": "tcp://localhost:2375"' in config


def test_the_instructor_command_speaks_french_in_a_french_locale() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    env.update(LANG="fr_FR.UTF-8", LAYERLAB_LANG="fr")
    shown = subprocess.run(
        [sys.executable, "-m", "layerlab.cli", "cleanup", "--help"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert shown.stdout.startswith("utilisation\u00a0: layerlab cleanup")
    assert "--older-than HEURES" in shown.stdout
    assert "afficher cette aide" in shown.stdout
    mistake = subprocess.run(
        [sys.executable, "-m", "layerlab.cli", "cleanup", "--bogus"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert mistake.returncode == 2
    assert mistake.stderr.endswith("arguments non reconnus\u00a0: --bogus\n")
