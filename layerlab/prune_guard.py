"""Clean-ups ask before touching what this notebook's session did not make.

"Mine" (the owner label) is a person, not a notebook: as root on a machine without
JupyterHub it covers every image any earlier run made as root. A prune or a
``%docker_cleanup`` that would remove images or containers the kit did not make in this
kernel's session therefore stops and names them, and goes ahead only with ``--force``.
What the session made is in ``layerlab.session`` (containers: their session label).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layerlab.errors import LayerlabError
from layerlab.i18n import t, tn
from layerlab.session import current

if TYPE_CHECKING:
    from collections.abc import Iterable


def made_here(image_id: str) -> bool:
    return current().made_here(image_id)


def _short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


def foreign_images(summaries: Iterable[dict[str, Any]]) -> list[str]:
    """Names (or short ids) of the images among ``summaries`` not made in this session."""
    found = []
    for summary in summaries:
        if made_here(str(summary["Id"])):
            continue
        tags = [tag for tag in summary.get("RepoTags") or [] if tag != "<none>:<none>"]
        found.append(tags[0] if tags else _short(str(summary["Id"])))
    return found


def foreign_containers(summaries: Iterable[dict[str, Any]]) -> list[str]:
    from layerlab.engine import LABEL_SESSION, SESSION_ID
    from layerlab.names import container_to_learner

    return [
        ",".join(container_to_learner(n) for n in s.get("Names") or []) or _short(str(s["Id"]))
        for s in summaries
        if (s.get("Labels") or {}).get(LABEL_SESSION) != SESSION_ID
    ]


def refuse(command: str, images: list[str], containers: list[str], look: str) -> None:
    """Raise the one-line "add --force" error when anything foreign would go."""
    if not images and not containers:
        return
    what = "both" if images and containers else ("images" if images else "containers")
    shown = [*containers, *images]
    examples = ", ".join(shown[:3]) + (", …" if len(shown) > 3 else "")
    raise LayerlabError(
        tn(
            "session.needs_force",
            len(shown),
            command=command,
            what=t(f"session.what_{what}"),
            examples=examples,
            look=look,
        )
    )


def check_prune(*, images: bool, all_images: bool, force: bool) -> None:
    """Before ``%docker image/container/system prune``: refuse, unless ``force``, when the
    prune would remove what this session did not make."""
    if force:
        return
    from layerlab.engine import scope_labels
    from layerlab.engine_ops import engine_api, engine_error, engine_errors

    api = engine_api()
    labels = scope_labels()
    try:
        containers = api.containers(all=True, filters={"label": labels, "status": "exited"})
        image_summaries: list[dict[str, Any]] = []
        if images:
            filters: dict[str, Any] = {"label": labels}
            if not all_images:
                filters["dangling"] = True
            used = {str(c.get("ImageID")) for c in api.containers(all=True)}
            image_summaries = [s for s in api.images(filters=filters) if s["Id"] not in used]
    except engine_errors() as exc:
        raise engine_error(exc) from None
    command = "%docker image prune" if images else "%docker container prune"
    look = "%docker_images" if images else "%docker ps -a --mine"
    refuse(command, foreign_images(image_summaries), foreign_containers(containers), look)
