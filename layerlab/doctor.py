"""``layerlab doctor``: can the labs run here, and if not, what to fix.

Each check gives a status: ``ok``; ``warn`` (the labs run, something is missing that a
later lab or a nicer view needs); ``fail`` (the labs cannot run). The report is ok when
nothing failed; ``layerlab doctor`` exits non-zero otherwise.
"""

from __future__ import annotations

import html
import importlib.util
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from layerlab import i18n
from layerlab.config import settings
from layerlab.context import human_size
from layerlab.engine import connect, describe_host, owner
from layerlab.errors import LayerlabError
from layerlab.i18n import t

if TYPE_CHECKING:
    from docker import APIClient

#: Base images the labs build FROM; ``layerlab images save`` bundles these by default.
LAB_BASE_IMAGES: Final = ("python:3.13-alpine",)

#: Free space under which builds start failing with "no space left on device".
LOW_DISK_BYTES: Final = 2 * 1000**3
NO_DISK_BYTES: Final = 500 * 1000**2

Status = Literal["ok", "warn", "fail"]
_MARK: Final = {"ok": "✓", "warn": "!", "fail": "✗"}
_COLOR: Final = {"ok": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e"}


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(slots=True)
class DoctorReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def text(self) -> str:
        width = max((len(c.name) for c in self.checks), default=0)
        lines = []
        for check in self.checks:
            lines.append(f"{_MARK[check.status]} {check.name:<{width}}  {check.detail}")
            if check.fix and check.status != "ok":
                lines.append(f"  {'':<{width}}  → {check.fix}")
        lines.append(t("doctor.verdict_ok" if self.ok else "doctor.verdict_fail"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = []
        for check in self.checks:
            fix = (
                f"<br><small>→ {html.escape(check.fix)}</small>"
                if check.fix and check.status != "ok"
                else ""
            )
            rows.append(
                f"<tr><td style='color:{_COLOR[check.status]};font-weight:600'>"
                f"{_MARK[check.status]}</td><td>{html.escape(check.name)}</td>"
                f"<td>{html.escape(check.detail)}{fix}</td></tr>"
            )
        verdict = t("doctor.verdict_ok" if self.ok else "doctor.verdict_fail")
        return f"<table>{''.join(rows)}</table><p><b>{html.escape(verdict)}</b></p>"


def diagnose(base_images: tuple[str, ...] = LAB_BASE_IMAGES) -> DoctorReport:
    """Run every check; never raises for a missing piece (that is what it reports)."""
    report = DoctorReport()
    engine_check, api = _engine()
    report.checks.append(engine_check)
    if api is None:
        skipped = t("doctor.not_checked")
        for key in ("doctor.builders", "doctor.base_images", "doctor.disk"):
            report.checks.append(Check(t(key), "fail", skipped))
    else:
        report.checks.append(_builders())
        report.checks.append(_base_images(api, base_images))
        report.checks.append(_disk(api))
    report.checks.append(_registry(settings().registry))
    report.checks.append(_widgets())
    report.checks.append(_namespace())
    report.checks.append(_limits())
    return report


def _engine() -> tuple[Check, Any]:
    name = t("doctor.engine")
    try:
        client = connect(timeout=10)
        version = client.version()
    except LayerlabError as exc:
        return Check(name, "fail", str(exc), t("doctor.engine_fix")), None
    except Exception as exc:  # noqa: BLE001 - the engine answered the ping but not this
        return Check(name, "fail", f"{describe_host()}: {exc}", t("doctor.engine_fix")), None
    product = "Podman" if "podman" in str(version.get("Components", "")).lower() else "Docker"
    detail = t(
        "doctor.engine_detail",
        product=product,
        version=version.get("Version", "?"),
        api=version.get("ApiVersion", "?"),
        platform=f"{version.get('Os', '?')}/{version.get('Arch', '?')}",
        host=describe_host(),
    )
    return Check(name, "ok", detail), client.api


def _builders() -> Check:
    from layerlab.builders import select_builder

    name = t("doctor.builders")
    working = ["classic"]
    reason = ""
    try:
        from layerlab.builders import buildkit  # not in every version of the kit
    except ImportError:
        reason = "not in this version of layerlab"
    else:
        cli = buildkit.find_buildkit_cli()
        if cli is not None:
            working.append("buildkit")
        else:
            reason = buildkit.no_buildkit_message()
    try:
        chosen = select_builder(settings().builder).name
    except LayerlabError as exc:
        return Check(name, "fail", str(exc), "set c.Layerlab.builder = 'auto'")
    detail = f"{', '.join(working)} (builds use {chosen})"
    if "buildkit" not in working:
        return Check(name, "warn", detail, t("doctor.no_buildkit", reason=reason.strip()))
    return Check(name, "ok", detail)


def _base_images(api: APIClient, wanted: tuple[str, ...]) -> Check:
    from docker.errors import ImageNotFound

    name = t("doctor.base_images")
    missing = []
    for image in wanted:
        try:
            api.inspect_image(image)
        except ImageNotFound:
            missing.append(image)
    if missing:
        return Check(
            name,
            "fail",
            t("doctor.base_missing", images=", ".join(missing)),
            t("doctor.base_fix", image=missing[0]),
        )
    return Check(name, "ok", ", ".join(wanted))


def _disk(api: APIClient) -> Check:
    name = t("doctor.disk")
    usage = api.df()
    # the engine's own total, each layer counted once (what `docker system df` shows);
    # summing the images' sizes counts a base layer once per image built on it
    images = int(usage.get("LayersSize") or 0)
    cache = sum(int(c.get("Size") or 0) for c in usage.get("BuildCache") or [])
    root = str(api.info().get("DockerRootDir") or "")
    local = os.environ.get("DOCKER_HOST", "unix://").startswith("unix://")
    if not (local and root and Path(root).is_dir()):
        # a remote engine (DinD sidecar, TLS): its disk is not ours to measure
        detail = t("doctor.disk_usage", images=human_size(images), cache=human_size(cache))
        return Check(name, "ok", detail)
    free = shutil.disk_usage(root).free
    detail = t(
        "doctor.disk_free",
        free=human_size(free),
        path=root,
        images=human_size(images),
        cache=human_size(cache),
    )
    if free < NO_DISK_BYTES:
        return Check(name, "fail", detail, t("doctor.disk_fix"))
    if free < LOW_DISK_BYTES:
        return Check(name, "warn", detail, t("doctor.disk_fix"))
    return Check(name, "ok", detail)


def registry_url(registry: str) -> str:
    """The URL of a registry's API root: plain HTTP on loopback, HTTPS elsewhere."""
    host = registry.split("/", 1)[0]
    if host in ("docker.io", "index.docker.io"):
        host = "registry-1.docker.io"
    local = host.startswith(("127.", "localhost", "[::1]"))
    return f"{'http' if local else 'https'}://{host}/v2/"


def _registry(registry: str) -> Check:
    name = t("doctor.registry")
    url = registry_url(registry)
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - http(s) only
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code  # 401 from Docker Hub still means "it answers"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Check(name, "warn", f"{registry}: {reason}", t("doctor.registry_fix"))
    if status in (200, 401):
        return Check(name, "ok", f"{registry} answers ({url})")
    return Check(name, "warn", f"{registry}: HTTP {status}", t("doctor.registry_fix"))


def _widgets() -> Check:
    name = t("doctor.widgets")
    for package in ("ipywidgets", "jupyterlab_widgets"):
        if importlib.util.find_spec(package) is None:
            return Check(
                name,
                "warn",
                t("doctor.widgets_missing", package=package),
                t("doctor.widgets_fix"),
            )
    from importlib.metadata import version

    return Check(name, "ok", f"jupyterlab_widgets {version('jupyterlab_widgets')}")


def _namespace() -> Check:
    from layerlab.names import namespace

    prefix = namespace()
    key = "doctor.namespace_in_use" if prefix else "doctor.no_namespace"
    return Check(t("doctor.namespace"), "ok", t(key, namespace=prefix, owner=owner()))


def _limits() -> Check:
    config = settings()
    limits = [
        f"{t(f'doctor.limit.{key}')} {value}"
        for key, value in (
            (
                "timeout",
                i18n.seconds(config.build_timeout_s, None) if config.build_timeout_s else "",
            ),
            ("memory", human_size(config.build_memory_mb * 1e6) if config.build_memory_mb else ""),
            ("cpus", i18n.decimal(config.build_cpus, None) if config.build_cpus else ""),
            ("context", human_size(config.context_max_mb * 1e6)),
            ("containers", str(config.max_containers) if config.max_containers else ""),
            ("ports", config.allowed_ports),
        )
        if value
    ]
    return Check(t("doctor.limits"), "ok", ", ".join(limits) or t("doctor.no_limits"))
