"""What this notebook's session made, so clean-ups ask before touching anything else.

"Mine" (the owner label) is a person, not a notebook: as root on a machine without
JupyterHub it covers every image any earlier run made as root. A prune or a
``%docker_cleanup`` that would remove images or containers the kit did not make in this
kernel's session therefore stops and names them, and goes ahead only with ``--force``.

Containers carry the session label; images do not (a label that changes per kernel would
break the build cache), so the images this session built are remembered here, by id,
within a bounded record.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from layerlab import i18n
from layerlab.errors import LayerlabError
from layerlab.i18n import t

if TYPE_CHECKING:
    from collections.abc import Iterable

i18n.register(
    {
        "session.needs_force": {
            "en": "{command} would also remove {count} of your {what} that this notebook's "
            "session did not make ({examples}). Look first ({look}), then add --force "
            "to remove them",
            "fr": "{command} supprimerait aussi {count} de vos {what} que la session de ce "
            "notebook n'a pas créé(e)s ({examples}). Regardez d'abord ({look}), puis ajoutez "
            "--force pour les supprimer",
        },
        "session.what_images": {"en": "images", "fr": "images"},
        "session.what_containers": {"en": "containers", "fr": "conteneurs"},
        "session.what_both": {"en": "images or containers", "fr": "images ou conteneurs"},
    }
)

#: the most image ids remembered (a session builds far fewer; the record cannot grow past it)
_REMEMBERED = 2000
_made: OrderedDict[str, None] = OrderedDict()


def remember_image(image_id: str | None) -> None:
    """Note that the kit built (or rebuilt from the cache) ``image_id`` in this session."""
    if not image_id:
        return
    _made[image_id] = None
    _made.move_to_end(image_id)
    while len(_made) > _REMEMBERED:
        _made.popitem(last=False)


def made_here(image_id: str) -> bool:
    return image_id in _made


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

    return [
        ",".join(n.lstrip("/") for n in s.get("Names") or []) or _short(str(s["Id"]))
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
        t(
            "session.needs_force",
            command=command,
            count=len(shown),
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
    from layerlab.docker_cli import _api, _errors, engine_error, scope_filters

    api = _api()
    labels = scope_filters()
    try:
        containers = api.containers(all=True, filters={"label": labels, "status": "exited"})
        image_summaries: list[dict[str, Any]] = []
        if images:
            filters: dict[str, Any] = {"label": labels}
            if not all_images:
                filters["dangling"] = True
            used = {str(c.get("ImageID")) for c in api.containers(all=True)}
            image_summaries = [s for s in api.images(filters=filters) if s["Id"] not in used]
    except _errors() as exc:
        raise engine_error(exc) from None
    command = "%docker image prune" if images else "%docker container prune"
    look = "%docker_images" if images else "%docker ps -a --mine"
    refuse(command, foreign_images(image_summaries), foreign_containers(containers), look)
