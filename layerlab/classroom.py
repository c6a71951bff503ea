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

from layerlab import i18n
from layerlab.config import settings
from layerlab.context import human_size
from layerlab.engine import (
    LABEL_KIT,
    LABEL_OWNER,
    LABEL_SESSION,
    SESSION_ID,
    connect,
    owner,
    slug,
)
from layerlab.errors import LayerlabError
from layerlab.i18n import t

if TYPE_CHECKING:
    from collections.abc import Iterable

i18n.register(
    {
        "classroom.max_containers": {
            "en": "you already have {count} running container(s), the most this class "
            "allows is {limit}. Stop one first (%docker ps, then %docker stop NAME)",
            "fr": "vous avez déjà {count} conteneur(s) en marche, la classe en permet "
            "{limit} au plus. Arrêtez-en un d'abord (%docker ps, puis %docker stop NOM)",
        },
        "classroom.port_refused": {
            "en": "port {port} is outside the ports this class may publish ({allowed}). "
            "Choose one of those, e.g. -p {example}:5000",
            "fr": "le port {port} est hors des ports que la classe peut publier "
            "({allowed}). Choisissez-en un, par ex. -p {example}:5000",
        },
        "classroom.port_needed": {
            "en": "this class publishes only ports {allowed}: name the host port, "
            "e.g. -p {example}:5000",
            "fr": "cette classe ne publie que les ports {allowed} : indiquez le port "
            "de l'hôte, par ex. -p {example}:5000",
        },
        "classroom.bad_ports_setting": {
            "en": "the allowed_ports setting {spec!r} is not a port range: write e.g. "
            "'5000-5099' or '5000-5099,8888' (ask your instructor)",
            "fr": "le réglage allowed_ports {spec!r} n'est pas une plage de ports : "
            "écrivez par ex. '5000-5099' ou '5000-5099,8888' (demandez à l'enseignant)",
        },
        "classroom.nothing": {
            "en": "Nothing to clean up for {who}.",
            "fr": "Rien à nettoyer pour {who}.",
        },
        "classroom.summary": {
            "en": "{verb} {containers} container(s) and {images} image(s) of {who} "
            "(images of {reclaimed} in all, counting base layers they share).",
            "fr": "{verb} {containers} conteneur(s) et {images} image(s) de {who} "
            "(images de {reclaimed} en tout, couches de base partagées comprises).",
        },
        "classroom.removed": {"en": "Removed", "fr": "Supprimé"},
        "classroom.would_remove": {"en": "Would remove", "fr": "Supprimerait"},
        "classroom.everyone": {"en": "every learner", "fr": "tous les apprenants"},
        "classroom.failures": {
            "en": "{count} could not be removed:",
            "fr": "{count} n'ont pas pu être supprimés :",
        },
    }
)


class LimitReached(LayerlabError):  # noqa: N818 - reads as a state, like EngineUnavailable
    """A classroom limit set by the instructor refused the operation."""


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
            t("classroom.max_containers", count=running_count, limit=config.max_containers)
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
    filters = {"label": [f"{LABEL_KIT}=layerlab", f"{LABEL_OWNER}={learner or owner()}"]}
    return len(connect().api.containers(filters=filters))


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
        verb = t("classroom.would_remove" if self.dry_run else "classroom.removed")
        return t(
            "classroom.summary",
            verb=verb,
            containers=len(self.containers),
            images=len(self.images),
            who=self.who,
            reclaimed=human_size(self.reclaimed_bytes),
        )

    def text(self) -> str:
        lines = [f"  {item.kind:<9} {item.name:<50} {item.owner}" for item in self.removed]
        if self.failed:
            lines.append(t("classroom.failures", count=len(self.failed)))
            lines.extend(f"  {item.kind} {item.name}: {reason}" for item, reason in self.failed)
        lines.append(self.summary())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{item.kind}</td><td><code>{html.escape(item.name)}</code></td>"
            f"<td>{html.escape(item.owner)}</td></tr>"
            for item in self.removed
        )
        failed = "".join(
            f"<li><code>{html.escape(item.name)}</code>: {html.escape(reason)}</li>"
            for item, reason in self.failed
        )
        table = f"<table>{rows}</table>" if rows else ""
        failures = f"<ul style='color:#cf222e'>{failed}</ul>" if failed else ""
        return f"<div>{table}{failures}<p>{html.escape(self.summary())}</p></div>"


def _scope(learner: str | None, all_learners: bool) -> list[str]:
    """Label filters (ANDed by the engine): the kit's things, of one learner or all of
    them, narrowed by the instructor's extra labels (a course, a test run)."""
    filters = [f"{LABEL_KIT}=layerlab"]
    if not all_learners:
        filters.append(f"{LABEL_OWNER}={learner or owner()}")
    filters.extend(f"{key}={value}" for key, value in settings().extra_labels.items())
    return filters


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

    api: Any = connect().api  # docker-py's low-level client is untyped
    labels = _scope(learner, all_learners)
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
    from layerlab import session

    def due(item: CleanupItem) -> bool:
        return cutoff is None or item.created <= cutoff

    session.refuse(
        "%docker_cleanup",
        [item.name for item in images if due(item) and not session.made_here(item.id)],
        [item.name for item in containers if due(item) and not item.this_session],
        "%docker_cleanup --dry-run",
    )


def _remove(api: Any, item: CleanupItem, report: CleanupReport, learner: str | None) -> None:
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
    labels = summary.get("Labels") or {}
    names = summary.get("Names") or [str(summary["Id"])[:12]]
    return CleanupItem(
        kind="container",
        id=str(summary["Id"]),
        name=str(names[0]).lstrip("/"),
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
    prefix = slug(learner) + "/"
    mine = [tag for tag in real if _repository_path(tag).startswith(prefix)]
    return mine or real


def _repository_path(tag: str) -> str:
    """``127.0.0.1:5000/alice/app:1`` → ``alice/app:1`` (the registry host dropped)."""
    first, sep, rest = tag.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return rest
    return tag


def _remove_image(api: Any, item: CleanupItem, learner: str | None) -> None:
    """Remove an image by its tags (the last one deletes it), or by id when untagged.

    Never ``force``: an image another learner tagged too, or one a container still
    uses, must survive; the engine refuses and we report it.
    """
    tags = own_tags(item.tags, learner)
    for tag in tags:
        api.remove_image(tag)
    if not tags:
        api.remove_image(item.id)
