"""Classroom limits and cleanup on a shared engine.

Limits are settings an instructor puts in a config file (``c.Layerlab.max_containers``,
``c.Layerlab.allowed_ports``, ...). The build limits are applied by ``layerlab.api.build``;
the run limits are checked here, by ``check_run_allowed``, which ``%docker run`` calls
before it creates a container.

Cleanup finds what to remove by *label*, never by name: everything the kit creates
carries ``org.layerlab.kit`` and ``org.layerlab.owner``, so one learner's cleanup cannot
touch another learner's images, nor anything the kit did not make.
"""

from __future__ import annotations

import contextlib
import html
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from layerlab.config import settings
from layerlab.context import human_size
from layerlab.engine import LABEL_OWNER, LABEL_SESSION, SESSION_ID, connect, owner, scope_labels
from layerlab.errors import LimitReached
from layerlab.i18n import t, tn
from layerlab.references import split_registry

if TYPE_CHECKING:
    from collections.abc import Iterable

    from docker import APIClient


# ---------------------------------------------------------------- limits
def allowed_port_ranges(spec: str | None = None) -> list[tuple[int, int]]:
    """The ``allowed_ports`` setting as inclusive ranges (empty list: any port)."""
    text = settings().allowed_ports if spec is None else spec
    ranges: list[tuple[int, int]] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        low, sep, high = part.partition("-")
        try:
            first, last = int(low), int(high if sep else low)
        except ValueError:
            raise LimitReached(t("classroom.bad_ports_setting", spec=text)) from None
        if not 1 <= first <= last <= 65535:
            raise LimitReached(t("classroom.bad_ports_setting", spec=text))
        ranges.append((first, last))
    return ranges


def check_run_allowed(ports: Iterable[int | None], running_count: int) -> None:
    """Refuse, in one line, a ``run`` that breaks the class's limits.

    ``ports`` are the *host* ports the container would publish (``None`` or 0: the
    engine would choose one); ``running_count`` is how many containers the learner has
    running now (see ``running_containers``).
    """
    config = settings()
    if config.max_containers and running_count >= config.max_containers:
        raise LimitReached(
            tn("classroom.max_containers", running_count, limit=config.max_containers)
        )
    ranges = allowed_port_ranges()
    if not ranges:
        return
    allowed = ", ".join(f"{low}-{high}" if low != high else str(low) for low, high in ranges)
    example = ranges[0][0]
    for port in ports:
        if not port:
            raise LimitReached(t("classroom.port_needed", allowed=allowed, example=example))
        if not any(low <= port <= high for low, high in ranges):
            raise LimitReached(
                t("classroom.port_refused", port=port, allowed=allowed, example=example)
            )


def check_run(ports: Iterable[int | None]) -> None:
    """``check_run_allowed`` for this learner, counting their running containers only
    when a container limit is set (one engine call saved otherwise)."""
    running = running_containers() if settings().max_containers else 0
    check_run_allowed(ports, running)


def running_containers(learner: str | None = None) -> int:
    """How many containers the kit runs for ``learner`` (default: this learner)."""
    return len(connect().api.containers(filters={"label": scope_labels(learner)}))


# ---------------------------------------------------------------- cleanup
@dataclass(frozen=True, slots=True)
class CleanupItem:
    kind: Literal["container", "image"]
    id: str
    name: str
    owner: str
    created: int
    size: int = 0
    tags: tuple[str, ...] = ()
    #: a container of this kernel's session (images carry no session label)
    this_session: bool = False


@dataclass(slots=True)
class CleanupReport:
    """What a cleanup removed (or, with ``dry_run``, would remove)."""

    who: str
    dry_run: bool
    removed: list[CleanupItem] = field(default_factory=list)
    failed: list[tuple[CleanupItem, str]] = field(default_factory=list)
    reclaimed_bytes: int = 0

    @property
    def containers(self) -> list[CleanupItem]:
        return [item for item in self.removed if item.kind == "container"]

    @property
    def images(self) -> list[CleanupItem]:
        return [item for item in self.removed if item.kind == "image"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        if not self.removed and not self.failed:
            return t("classroom.nothing", who=self.who)
        return t(
            "classroom.summary.dry_run" if self.dry_run else "classroom.summary.removed",
            containers=tn("count.containers", len(self.containers)),
            images=tn("count.images", len(self.images)),
            who=self.who,
            reclaimed=human_size(self.reclaimed_bytes),
        )

    def text(self) -> str:
        lines = [
            f"  {t(f'kind.{item.kind}'):<9} {item.name:<50} {item.owner}" for item in self.removed
        ]
        if self.failed:
            lines.append(tn("classroom.failures", len(self.failed)))
            lines.extend(
                "  "
                + t("classroom.failure", kind=t(f"kind.{item.kind}"), name=item.name, reason=reason)
                for item, reason in self.failed
            )
        lines.append(self.summary())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(t(f'kind.{item.kind}'))}</td>"
            f"<td><code>{html.escape(item.name)}</code></td>"
            f"<td>{html.escape(item.owner)}</td></tr>"
            for item in self.removed
        )
        failed = "".join(
            "<li>"
            + html.escape(
                t("classroom.failure", kind=t(f"kind.{item.kind}"), name=item.name, reason=reason)
            )
            + "</li>"
            for item, reason in self.failed
        )
        table = f"<table>{rows}</table>" if rows else ""
        failures = f"<ul style='color:#cf222e'>{failed}</ul>" if failed else ""
        return f"<div>{table}{failures}<p>{html.escape(self.summary())}</p></div>"


def cleanup(
    learner: str | None = None,
    *,
    all_learners: bool = False,
    older_than_hours: float | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> CleanupReport:
    """Remove the kit's containers and images of ``learner`` (default: you), then prune
    their dangling layers.

    ``all_learners`` (instructors): every learner's. ``older_than_hours``: only what was
    created at least that long ago. ``dry_run``: report, remove nothing. Without
    ``force``, refuses (one line) when it would remove images or containers this
    notebook's session did not make (see ``layerlab.session``).
    """
    from docker.errors import APIError

    api = connect().api
    labels = scope_labels(learner, all_learners=all_learners)
    who = t("classroom.everyone") if all_learners else (learner or owner())
    report = CleanupReport(who=who, dry_run=dry_run)
    cutoff = time.time() - older_than_hours * 3600 if older_than_hours is not None else None
    containers = [_container_item(s) for s in api.containers(all=True, filters={"label": labels})]
    # Newest first: an image built FROM another of the learner's images goes before it.
    images = sorted(
        (_image_item(s) for s in api.images(filters={"label": labels})),
        key=lambda item: -item.created,
    )
    if not dry_run and not force:
        _refuse_foreign(containers, images, cutoff)
    owner_of_tags = None if all_learners else (learner or owner())
    for item in [*containers, *images]:
        if cutoff is not None and item.created > cutoff:
            continue
        _remove(api, item, report, owner_of_tags)
    if not dry_run and cutoff is None:
        # old versions of the learner's images, untagged by a rebuild
        with contextlib.suppress(APIError):
            pruned = api.prune_images(filters={"dangling": True, "label": labels})
            report.reclaimed_bytes += int(pruned.get("SpaceReclaimed") or 0)
    return report


def _refuse_foreign(
    containers: list[CleanupItem], images: list[CleanupItem], cutoff: float | None
) -> None:
    from layerlab import prune_guard

    def due(item: CleanupItem) -> bool:
        return cutoff is None or item.created <= cutoff

    prune_guard.refuse(
        "%docker_cleanup",
        [item.name for item in images if due(item) and not prune_guard.made_here(item.id)],
        [item.name for item in containers if due(item) and not item.this_session],
        "%docker_cleanup --dry-run",
    )


def _remove(api: APIClient, item: CleanupItem, report: CleanupReport, learner: str | None) -> None:
    from docker.errors import APIError, NotFound

    try:
        if not report.dry_run:
            if item.kind == "container":
                api.remove_container(item.id, force=True, v=True)
            else:
                _remove_image(api, item, learner)
    except NotFound:
        return  # removed meanwhile (auto-remove, or the learner's own rm)
    except APIError as exc:
        report.failed.append((item, str(exc.explanation or exc)))
        return
    report.removed.append(item)
    report.reclaimed_bytes += item.size


def _container_item(summary: dict[str, Any]) -> CleanupItem:
    from layerlab.names import container_to_learner  # lazy, as names imports config

    labels = summary.get("Labels") or {}
    names = summary.get("Names") or [str(summary["Id"])[:12]]
    return CleanupItem(
        kind="container",
        id=str(summary["Id"]),
        name=container_to_learner(str(names[0])),
        owner=str(labels.get(LABEL_OWNER, "?")),
        created=int(summary.get("Created", 0)),
        this_session=labels.get(LABEL_SESSION) == SESSION_ID,
    )


def _image_item(summary: dict[str, Any]) -> CleanupItem:
    labels = summary.get("Labels") or {}
    tags = [tag for tag in summary.get("RepoTags") or [] if tag != "<none>:<none>"]
    return CleanupItem(
        kind="image",
        id=str(summary["Id"]),
        name=", ".join(tags) or str(summary["Id"]).removeprefix("sha256:")[:12],
        tags=tuple(tags),
        owner=str(labels.get(LABEL_OWNER, "?")),
        created=int(summary.get("Created", 0)),
        size=int(summary.get("Size", 0)),
    )


def own_tags(tags: Iterable[str], learner: str | None) -> list[str]:
    """The tags of ``learner`` among an image's tags: those under their namespace when
    there are any (another learner may have tagged the same image), else all of them."""
    real = [tag for tag in tags if tag != "<none>:<none>"]
    if learner is None:
        return real
    from layerlab.names import namespace_for  # lazy, as names imports config

    prefix = namespace_for(learner) + "/"
    mine = [tag for tag in real if split_registry(tag)[1].startswith(prefix)]
    return mine or real


def _remove_image(api: APIClient, item: CleanupItem, learner: str | None) -> None:
    """Remove an image by its tags (the last one deletes it), or by id when untagged.

    Never ``force``: an image another learner tagged too, or one a container still
    uses, must survive; the engine refuses and we report it.
    """
    tags = own_tags(item.tags, learner)
    for tag in tags:
        api.remove_image(tag)
    if not tags:
        api.remove_image(item.id)
