"""Exercise checks: one call per exercise, a short friendly verdict, never a traceback.

Each check prints its verdict in the kit's language (what is right, or what to look at
next) and returns a ``Verdict``, true when the answer is right, so a notebook can also
``assert check.image_exists("python-hello-world")``.
"""

from __future__ import annotations

import functools
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec

from layerlab import i18n
from layerlab.i18n import t

if TYPE_CHECKING:
    from docker import APIClient

i18n.register(
    {
        "check.ok": {"en": "✓ Well done: {text}", "fr": "✓ Bravo : {text}"},
        "check.fail": {"en": "✗ Not yet: {text}", "fr": "✗ Pas encore : {text}"},
        "check.hint": {"en": "  Next: {text}", "fr": "  À essayer : {text}"},
        "check.crashed": {
            "en": "the check itself could not run ({error})",
            "fr": "la vérification n'a pas pu s'exécuter ({error})",
        },
        # image_exists
        "check.image.ok": {
            "en": "the image {name} is on the engine ({short_id}, {size}).",
            "fr": "l'image {name} est sur le moteur ({short_id}, {size}).",
        },
        "check.image.missing": {
            "en": "there is no image called {name} on the engine.",
            "fr": "aucune image nommée {name} sur le moteur.",
        },
        "check.image.build": {
            "en": "build it with %docker_build -t {name} . (or %docker tag "
            "an existing image){similar}",
            "fr": "construisez-la avec %docker_build -t {name} . (ou "
            "étiquetez une image existante avec %docker tag){similar}",
        },
        "check.image.similar": {
            "en": "; images with a close name: {names}",
            "fr": " ; images au nom proche : {names}",
        },
        # container_running
        "check.running.ok": {
            "en": "the container {name} is running ({image}).",
            "fr": "le conteneur {name} tourne ({image}).",
        },
        "check.running.stopped": {
            "en": "the container {name} exists but is {state}.",
            "fr": "le conteneur {name} existe mais son état est {state}.",
        },
        "check.running.stopped_hint": {
            "en": "read why with %docker logs {name}, then start a new one with %docker run",
            "fr": "lisez pourquoi avec %docker logs {name}, puis lancez-"
            "en un autre avec %docker run",
        },
        "check.running.missing": {
            "en": "there is no container called {name}.",
            "fr": "aucun conteneur nommé {name}.",
        },
        "check.running.missing_hint": {
            "en": "start one with %docker run -d --name {name} IMAGE",
            "fr": "lancez-en un avec %docker run -d --name {name} IMAGE",
        },
        # container_answers
        "check.http.ok": {"en": "{url} answers {body!r}.", "fr": "{url} répond {body!r}."},
        "check.http.silent": {
            "en": "nothing answers at {url} (waited {seconds:g}s).",
            "fr": "rien ne répond à {url} (attente de {seconds:g} s).",
        },
        "check.http.silent_hint": {
            "en": "is the container running (%docker ps), and was it started with -p {port}:5000?",
            "fr": "le conteneur tourne-t-il (%docker ps), et a-t-il été "
            "lancé avec -p {port}:5000 ?",
        },
        "check.http.other": {
            "en": "{url} answers {body!r}, which does not contain {text!r}.",
            "fr": "{url} répond {body!r}, sans contenir {text!r}.",
        },
        "check.http.other_hint": {
            "en": "is it the right port, and was the image rebuilt after changing app.py?",
            "fr": "est-ce le bon port, et l'image a-t-elle été "
            "reconstruite après la modification de app.py ?",
        },
        "check.http.status": {
            "en": "{url} answers with HTTP error {status}.",
            "fr": "{url} répond par l'erreur HTTP {status}.",
        },
        # steps_cached
        "check.steps.not_result": {
            "en": "this is not a build result ({kind}).",
            "fr": "ce n'est pas un résultat de construction ({kind}).",
        },
        "check.steps.not_result_hint": {
            "en": "keep what %docker_build returns: result = %docker_build -t NAME .",
            "fr": "gardez ce que renvoie %docker_build : resultat = %docker_build -t NOM .",
        },
        "check.steps.ok_all": {
            "en": "all {count} steps came from the cache.",
            "fr": "les {count} étapes viennent toutes du cache.",
        },
        "check.steps.ok": {
            "en": "rebuilt: step {rebuilt}; the other {cached} came from the cache.",
            "fr": "refaite(s) : étape {rebuilt} ; les {cached} autres viennent du cache.",
        },
        "check.steps.unexpected_built": {
            "en": "step {number} ({instruction}) was rebuilt.",
            "fr": "l'étape {number} ({instruction}) a été refaite.",
        },
        "check.steps.unexpected_cached": {
            "en": "step {number} ({instruction}) came from the cache.",
            "fr": "l'étape {number} ({instruction}) vient du cache.",
        },
        "check.steps.hint": {
            "en": "a step is rebuilt when it or anything before it changed: "
            "compare your Dockerfile and files with the previous build",
            "fr": "une étape est refaite quand elle, ou une étape avant elle, "
            "a changé : comparez votre Dockerfile et vos fichiers avec la "
            "construction précédente",
        },
        # image_smaller_than
        "check.size.ok": {
            "en": "{name} weighs {size}, under {limit}.",
            "fr": "{name} pèse {size}, moins de {limit}.",
        },
        "check.size.big": {
            "en": "{name} weighs {size}, over {limit}.",
            "fr": "{name} pèse {size}, plus de {limit}.",
        },
        "check.size.hint": {
            "en": "see where the bytes are with %docker_history {name}",
            "fr": "voyez où sont les octets avec %docker_history {name}",
        },
        # image_has_label
        "check.label.ok": {
            "en": "{name} has the label {label}={value}.",
            "fr": "{name} porte l'étiquette {label}={value}.",
        },
        "check.label.missing": {
            "en": "{name} has no label {label}.",
            "fr": "{name} ne porte pas d'étiquette {label}.",
        },
        "check.label.other": {
            "en": "{name} has {label}={actual}, not {label}={value}.",
            "fr": "{name} porte {label}={actual}, et non {label}={value}.",
        },
        "check.label.hint": {
            "en": 'add LABEL {label}="..." to the Dockerfile and build again',
            "fr": 'ajoutez LABEL {label}="..." au Dockerfile et reconstruisez',
        },
        # in_registry
        "check.registry.ok": {
            "en": "the registry holds {reference} ({digest}).",
            "fr": "le registre contient {reference} ({digest}).",
        },
        "check.registry.missing": {
            "en": "the registry has no {reference}.",
            "fr": "le registre ne contient pas {reference}.",
        },
        "check.registry.hint": {
            "en": "tag the image with that name, then %docker push {reference}",
            "fr": "étiquetez l'image avec ce nom, puis %docker push {reference}",
        },
        # push_reused
        "check.push.not_summary": {
            "en": "this is not a push summary ({kind}).",
            "fr": "ce n'est pas un bilan de publication ({kind}).",
        },
        "check.push.not_summary_hint": {
            "en": "keep what %docker push returns: pushed = %docker push NAME",
            "fr": "gardez ce que renvoie %docker push : publie = %docker push NOM",
        },
        "check.push.ok": {
            "en": "{new} layer(s) sent, the other {existing} were already in the registry.",
            "fr": "{new} couche(s) envoyée(s), les {existing} autres étaient déjà "
            "dans le registre.",
        },
        "check.push.wrong": {
            "en": "{pushed} layer(s) sent and {existing} already present; expected {new} sent.",
            "fr": "{pushed} couche(s) envoyée(s) et {existing} déjà présente(s) ; "
            "attendu : {new} envoyée(s).",
        },
        "check.push.hint": {
            "en": "push the image once before the change, then again after "
            "rebuilding: only the changed layer travels",
            "fr": "publiez l'image une fois avant la modification, puis après "
            "la reconstruction : seule la couche modifiée voyage",
        },
        # layers_shared
        "check.shared.ok": {
            "en": "{first} and {second} share their {count} bottom layers.",
            "fr": "{first} et {second} partagent leurs {count} couches du bas.",
        },
        "check.shared.few": {
            "en": "{first} and {second} share {count} layer(s); expected at least {expected}.",
            "fr": "{first} et {second} partagent {count} couche(s) ; attendu : "
            "au moins {expected}.",
        },
        "check.shared.hint": {
            "en": "start both Dockerfiles with the same lines (FROM, RUN ...) "
            "and put what differs last",
            "fr": "commencez les deux Dockerfiles par les mêmes lignes (FROM, "
            "RUN ...) et placez ce qui diffère à la fin",
        },
        # nothing_left
        "check.clean.ok": {
            "en": "no container or image made here is left.",
            "fr": "il ne reste aucun conteneur ni aucune image créés ici.",
        },
        "check.clean.left": {"en": "still there: {what}.", "fr": "encore là : {what}."},
        "check.clean.hint": {
            "en": "%docker rm -f NAME for containers, %docker rmi NAME for images",
            "fr": "%docker rm -f NOM pour les conteneurs, %docker rmi NOM pour les images",
        },
        "check.clean.containers": {"en": "containers {names}", "fr": "conteneurs {names}"},
        "check.clean.images": {"en": "images {names}", "fr": "images {names}"},
    }
)

P = ParamSpec("P")


@dataclass
class Verdict:
    """The outcome of a check: true when the answer is right."""

    ok: bool
    message: str
    hint: str = ""
    #: the cell that printed it (so showing it as the cell's value does not repeat it)
    _printed_in: int | None = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        text = t("check.ok" if self.ok else "check.fail", text=self.message)
        if self.hint and not self.ok:
            text += "\n" + t("check.hint", text=self.hint)
        return text

    def __repr__(self) -> str:
        return f"<Verdict {'ok' if self.ok else 'not yet'}: {self.message}>"

    def _ipython_display_(self) -> None:
        # the check already printed this verdict in the same cell; a later cell that
        # shows the object again (``v``) prints it once more
        if self._printed_in is not None and self._printed_in == _execution_count():
            return
        print(self)


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    shell = get_ipython()
    return None if shell is None else int(shell.execution_count)


def _announce(verdict: Verdict) -> Verdict:
    print(verdict, flush=True)
    verdict._printed_in = _execution_count()  # noqa: SLF001 - the verdict's own bookkeeping, set by its module
    return verdict


def _check(function: Callable[P, Verdict]) -> Callable[P, Verdict]:
    """Print the verdict; turn any failure of the check itself into a false verdict."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Verdict:
        try:
            verdict = function(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a check must turn any failure into a verdict
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            verdict = Verdict(False, t("check.crashed", error=first))
        return _announce(verdict)

    return wrapper


def _api() -> APIClient:
    from layerlab.engine import connect

    return connect().api


def _inspect_image(name: str) -> dict[str, Any] | None:
    from docker.errors import ImageNotFound

    try:
        return dict(_api().inspect_image(name))
    except ImageNotFound:
        return None


def _short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


def _size(size: float) -> str:
    from layerlab.context import human_size

    return human_size(size)


# ---------------------------------------------------------------- images
@_check
def image_exists(name: str) -> Verdict:
    """Is there an image called ``name`` on the engine?"""
    attrs = _inspect_image(name)
    if attrs is not None:
        return Verdict(
            True,
            t(
                "check.image.ok",
                name=name,
                short_id=_short(attrs["Id"]),
                size=_size(int(attrs.get("Size", 0))),
            ),
        )
    base = name.rsplit("/", 1)[-1].split(":", 1)[0]
    similar = sorted(
        {
            tag
            for summary in _api().images()
            for tag in summary.get("RepoTags") or []
            if base and base in tag and tag != "<none>:<none>"
        }
    )[:4]
    extra = t("check.image.similar", names=", ".join(similar)) if similar else ""
    return Verdict(
        False, t("check.image.missing", name=name), t("check.image.build", name=name, similar=extra)
    )


@_check
def image_smaller_than(name: str, mb: float) -> Verdict:
    """Does the image ``name`` weigh less than ``mb`` megabytes (10⁶ bytes, like docker)?"""
    attrs = _inspect_image(name)
    if attrs is None:
        return Verdict(
            False,
            t("check.image.missing", name=name),
            t("check.image.build", name=name, similar=""),
        )
    size = int(attrs.get("Size", 0))
    limit = _size(mb * 1e6)
    if size < mb * 1e6:
        return Verdict(True, t("check.size.ok", name=name, size=_size(size), limit=limit))
    return Verdict(
        False,
        t("check.size.big", name=name, size=_size(size), limit=limit),
        t("check.size.hint", name=name),
    )


@_check
def image_has_label(name: str, key: str, value: str | None = None) -> Verdict:
    """Does the image carry the label ``key`` (with ``value``, when given)?"""
    attrs = _inspect_image(name)
    if attrs is None:
        return Verdict(
            False,
            t("check.image.missing", name=name),
            t("check.image.build", name=name, similar=""),
        )
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    hint = t("check.label.hint", label=key)
    if key not in labels:
        return Verdict(False, t("check.label.missing", name=name, label=key), hint)
    if value is not None and labels[key] != value:
        return Verdict(
            False,
            t("check.label.other", name=name, label=key, actual=labels[key], value=value),
            hint,
        )
    return Verdict(True, t("check.label.ok", name=name, label=key, value=labels[key]))


@_check
def layers_shared(first: str, second: str, at_least: int = 1) -> Verdict:
    """Do two images share at least ``at_least`` filesystem layers, from the bottom?"""
    stacks = []
    for name in (first, second):
        attrs = _inspect_image(name)
        if attrs is None:
            return Verdict(
                False,
                t("check.image.missing", name=name),
                t("check.image.build", name=name, similar=""),
            )
        stacks.append(tuple((attrs.get("RootFS") or {}).get("Layers") or ()))
    count = 0
    for mine, theirs in zip(*stacks, strict=False):
        if mine != theirs:
            break
        count += 1
    if count >= at_least:
        return Verdict(True, t("check.shared.ok", first=first, second=second, count=count))
    return Verdict(
        False,
        t("check.shared.few", first=first, second=second, count=count, expected=at_least),
        t("check.shared.hint"),
    )


# ---------------------------------------------------------------- containers
@_check
def container_running(name: str) -> Verdict:
    """Is there a running container called ``name``?"""
    from docker.errors import NotFound

    try:
        attrs = _api().inspect_container(name)
    except NotFound:
        return Verdict(
            False, t("check.running.missing", name=name), t("check.running.missing_hint", name=name)
        )
    state = attrs.get("State") or {}
    image = (attrs.get("Config") or {}).get("Image", "?")
    if state.get("Running"):
        return Verdict(True, t("check.running.ok", name=name, image=image))
    return Verdict(
        False,
        t("check.running.stopped", name=name, state=state.get("Status", "?")),
        t("check.running.stopped_hint", name=name),
    )


def _fetch(url: str) -> tuple[int, str]:
    # only loopback: the labs publish on 127.0.0.1 and a check must not reach elsewhere
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - the URL is built from a loopback host and a port
        return int(response.status), response.read(2000).decode("utf-8", "replace")


@_check
def container_answers(port: int, text: str, path: str = "/", timeout: float = 10.0) -> Verdict:
    """Does http://127.0.0.1:PORT/PATH answer with a page containing ``text``?

    Waits up to ``timeout`` seconds for the app to start (a new container needs a moment).
    """
    url = f"http://127.0.0.1:{int(port)}/{path.lstrip('/')}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, body = _fetch(url)
            break
        except urllib.error.HTTPError as exc:
            return Verdict(
                False, t("check.http.status", url=url, status=exc.code), t("check.http.other_hint")
            )
        except OSError:  # refused, reset while the app starts, timed out
            if time.monotonic() >= deadline:
                return Verdict(
                    False,
                    t("check.http.silent", url=url, seconds=timeout),
                    t("check.http.silent_hint", port=port),
                )
            time.sleep(0.25)
    shown = body.strip()[:80]
    if text in body:
        return Verdict(True, t("check.http.ok", url=url, body=shown))
    return Verdict(
        False, t("check.http.other", url=url, body=shown, text=text), t("check.http.other_hint")
    )


@_check
def nothing_left(labels: Mapping[str, str] | None = None) -> Verdict:
    """Are all containers and images made here gone? (``labels``: those carrying these
    labels; default: everything this notebook's kernel made.)"""
    from layerlab.engine_ops import leftovers

    found = leftovers(labels)
    if not found:
        return Verdict(True, t("check.clean.ok"))
    parts = []
    if found.containers:
        parts.append(t("check.clean.containers", names=", ".join(found.containers)))
    if found.images:
        parts.append(t("check.clean.images", names=", ".join(found.images)))
    return Verdict(False, t("check.clean.left", what="; ".join(parts)), t("check.clean.hint"))


# ---------------------------------------------------------------- builds and pushes
def _kind(value: object) -> str:
    return type(value).__name__


@_check
def steps_cached(result: Any, rebuilt: Iterable[str | int] = ()) -> Verdict:
    """Were exactly the steps in ``rebuilt`` run again, and all others taken from the cache?

    ``rebuilt`` names steps by keyword (``"COPY"``) or number (``4``): a learner's
    prediction. The ``FROM`` step is not counted (nothing is built for it).
    """
    from layerlab.build import BuildResult

    if not isinstance(result, BuildResult):
        return Verdict(
            False, t("check.steps.not_result", kind=_kind(result)), t("check.steps.not_result_hint")
        )
    wanted = {str(item).upper() for item in rebuilt}
    problems = []
    built_names = []
    steps = [step for step in result.steps if step.status != "base"]
    for step in steps:
        expect_built = step.keyword in wanted or str(step.number) in wanted
        if expect_built and step.cached:
            problems.append(
                t("check.steps.unexpected_cached", number=step.number, instruction=step.instruction)
            )
        elif not expect_built and not step.cached:
            problems.append(
                t("check.steps.unexpected_built", number=step.number, instruction=step.instruction)
            )
        if not step.cached:
            built_names.append(f"{step.number} ({step.keyword})")
    if problems:
        return Verdict(False, " ".join(problems), t("check.steps.hint"))
    if not built_names:
        return Verdict(True, t("check.steps.ok_all", count=len(steps)))
    return Verdict(
        True,
        t("check.steps.ok", rebuilt=", ".join(built_names), cached=len(steps) - len(built_names)),
    )


@_check
def in_registry(reference: str) -> Verdict:
    """Does the registry named in ``reference`` hold that image?"""
    from layerlab.engine_ops import in_registry as registry_digest

    digest = registry_digest(reference)
    if digest:
        return Verdict(True, t("check.registry.ok", reference=reference, digest=_short(digest)))
    return Verdict(
        False,
        t("check.registry.missing", reference=reference),
        t("check.registry.hint", reference=reference),
    )


@_check
def push_reused(summary: Any, new_layers: int = 1) -> Verdict:
    """Did the push send exactly ``new_layers`` layers, the registry holding all others?"""
    from layerlab.engine_ops import PushSummary

    if not isinstance(summary, PushSummary):
        return Verdict(
            False,
            t("check.push.not_summary", kind=_kind(summary)),
            t("check.push.not_summary_hint"),
        )
    pushed = len(summary.pushed)
    if pushed == new_layers and summary.already_present == summary.layers - new_layers:
        return Verdict(True, t("check.push.ok", new=pushed, existing=summary.already_present))
    return Verdict(
        False,
        t("check.push.wrong", pushed=pushed, existing=summary.already_present, new=new_layers),
        t("check.push.hint"),
    )
