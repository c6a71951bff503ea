"""The engine operations behind ``%docker``: containers, images and the registry, through
the engine's API (no docker CLI involved).

These are the operations behind ``%docker``: plain functions a script or a test can call
without IPython and without a ``docker`` binary. Everything they create carries the
kit's labels, and the prune commands only touch what the kit made for this user: a
classroom engine is shared, and one learner's prune must not delete another's images.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from layerlab import classroom, i18n, references, session
from layerlab import names as learner_names
from layerlab.config import settings
from layerlab.context import human_size
from layerlab.engine import (
    LABEL_KIT,
    LABEL_OWNER,
    LABEL_SESSION,
    SESSION_ID,
    connect,
    owner,
    scope_labels,
)
from layerlab.engine import kit_labels as engine_kit_labels
from layerlab.errors import EngineError, LayerlabError
from layerlab.i18n import t, tn
from layerlab.views import Table

if TYPE_CHECKING:
    from docker import APIClient


# ---------------------------------------------------------------- value types
@dataclass(frozen=True, slots=True)
class PortSpec:
    """One ``-p`` option: which container port to publish, and where on the host."""

    container_port: int
    protocol: str = "tcp"
    #: None: the engine picks a free port (``-p 5000``)
    host_port: int | None = None
    #: loopback unless the learner names an address: a lab app should not face the network
    host_ip: str = "127.0.0.1"

    @property
    def key(self) -> str:
        return f"{self.container_port}/{self.protocol}"

    def __str__(self) -> str:
        host = "" if self.host_port is None else str(self.host_port)
        return f"{self.host_ip}:{host}->{self.key}"


def parse_publish(spec: str) -> PortSpec:
    """``5001:5000`` → host 127.0.0.1:5001 to container 5000/tcp (also ``IP:HOST:C``,
    ``IP::C``, ``C``, ``…/udp``).

    Read by docker-py's own ``split_port`` (what ``docker run -p`` accepts); the kit adds
    what it needs on top: one port (no ranges), ``localhost`` for 127.0.0.1, a real IP
    address, and 127.0.0.1 when none is named.
    """
    import ipaddress

    from docker.utils.ports import split_port

    bad = LayerlabError(t("docker.bad_publish", spec=spec))
    text = spec.strip()
    if text.startswith("localhost:"):
        text = "127.0.0.1:" + text.removeprefix("localhost:")
    try:
        internal, external = split_port(text)
    except ValueError:
        raise bad from None
    if len(internal) != 1 or (external is not None and len(external) != 1):
        raise bad
    container, _, protocol = internal[0].partition("/")
    host_ip, host = "127.0.0.1", None
    if external:
        found = external[0]
        host_ip, host = found if isinstance(found, tuple) else ("127.0.0.1", found)
    try:
        ipaddress.ip_address(host_ip)
    except ValueError:
        raise bad from None
    ports = [int(container), int(host) if host else None]
    if any(port is not None and not 0 < port < 65536 for port in ports):
        raise bad
    return PortSpec(
        container_port=int(container),
        protocol=protocol or "tcp",
        host_port=ports[1],
        host_ip=host_ip,
    )


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not key or not sep:
            raise LayerlabError(t("docker.bad_env", spec=pair))
        env[key] = value
    return env


def short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


@dataclass
class ContainerRun:
    """A container started by :func:`run` (and, without ``-d``, what it printed)."""

    id: str
    name: str
    image: str
    #: published ports as the engine bound them: container "5000/tcp" → (host ip, host port)
    ports: dict[str, tuple[str, int]] = field(default_factory=dict)
    exit_code: int | None = None
    output: str | None = None
    #: no --name was given: the engine chose one (the learner is told which)
    named_by_engine: bool = False

    @property
    def short_id(self) -> str:
        return short(self.id)

    def host_port(self, container_port: int | str) -> int | None:
        """The host port a container port was published on (``run.host_port(5000)``)."""
        key = str(container_port) if "/" in str(container_port) else f"{container_port}/tcp"
        binding = self.ports.get(key)
        return binding[1] if binding else None

    def __str__(self) -> str:
        if self.exit_code is not None:
            return t("docker.exited", name=self.name, short_id=self.short_id, code=self.exit_code)
        ports = ", ".join(f"{ip}:{port}->{key}" for key, (ip, port) in self.ports.items())
        started = t(
            "docker.started_ports" if ports else "docker.started",
            name=self.name,
            short_id=self.short_id,
            image=self.image,
            ports=ports,
        )
        hint = "docker.named_by_engine" if self.named_by_engine else "docker.use_by_name"
        return f"{started}\n{t(hint, name=self.name)}"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(str(self))


#: Final per-layer states of a push, in the engine's own words.
PUSHED = "Pushed"
EXISTS = "Layer already exists"
MOUNTED = "Mounted from"


@dataclass
class PushSummary:
    """What a push did, layer by layer (``pushed``/``existing``/``mounted`` hold layer ids)."""

    reference: str
    pushed: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    mounted: list[str] = field(default_factory=list)
    digest: str | None = None
    size: int | None = None
    error: str | None = None
    #: mounted layer → the repository it was mounted from (as the engine names it)
    mounted_from: dict[str, str] = field(default_factory=dict)

    @property
    def from_others(self) -> list[str]:
        """Mounted layers whose repository is another learner's (a namespace in force):
        the registry had them only because another learner pushed that same content
        first (a shared engine remembers every learner's pushes and links, not sends)."""
        prefix = learner_names.namespace()
        if not prefix:
            return []
        return [
            layer
            for layer in self.mounted
            if not references.split_registry(self.mounted_from.get(layer, ""))[1].startswith(
                prefix + "/"
            )
        ]

    @property
    def layers(self) -> int:
        return len(self.pushed) + len(self.existing) + len(self.mounted)

    @property
    def already_present(self) -> int:
        """Layers the registry did not need again (already there, or mounted)."""
        return len(self.existing) + len(self.mounted)

    def __str__(self) -> str:
        mounted = tn("docker.push_mounted", len(self.mounted)) if self.mounted else ""
        return t(
            "docker.push_summary",
            reference=self.reference,
            sent=tn("count.new_layers_sent", len(self.pushed)),
            present=tn("count.layers_present", len(self.existing)),
            mounted=mounted,
            digest=short(self.digest or "-"),
        )

    def __repr__(self) -> str:
        return (
            f"<PushSummary {self.reference} pushed={len(self.pushed)} "
            f"existing={len(self.existing)} mounted={len(self.mounted)}>"
        )

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(str(self))


@dataclass(frozen=True, slots=True)
class PruneSummary:
    what: str  # "images" | "containers"
    removed: tuple[str, ...]
    space_bytes: int

    def __str__(self) -> str:
        return tn(
            f"docker.pruned.{self.what}",
            len(self.removed),
            owner=owner(),
            space=human_size(self.space_bytes),
        )

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(str(self))


@dataclass(frozen=True, slots=True)
class Leftovers:
    """Containers and images carrying some labels (what a lab or a session made)."""

    containers: tuple[str, ...]
    images: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.containers or self.images)


# ---------------------------------------------------------------- engine errors
_NO_SUCH_CONTAINER = re.compile(r"No such container: ?(\S+)", re.IGNORECASE)
_NAME_IN_USE = re.compile(r'container name "/?([^"]+)" is already in use', re.IGNORECASE)
_PORT_BUSY = re.compile(
    r"(?:Bind for \S*?:(\d+) failed: port is already allocated"
    r"|listen tcp4? \S*?:(\d+): bind: address already in use)",
    re.IGNORECASE,
)
_IMAGE_IN_USE = re.compile(
    r"(image is being used by (running|stopped) container"
    r"|container \S+ is using its referenced image)",
    re.IGNORECASE,
)
_UNREACHABLE = re.compile(
    r"connection refused|no such host|dial tcp|i/o timeout"
    r"|server gave HTTP response to HTTPS client",
    re.IGNORECASE,
)
_DENIED = re.compile(r"denied|unauthorized|authentication required", re.IGNORECASE)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else "?"


def engine_explanation(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return str(explanation or exc)


def engine_error(exc: BaseException, *, name: str = "", image: str = "") -> EngineError:
    """One learner-sized line for an engine refusal (docker-py's errors carry pages)."""
    from docker.errors import ImageNotFound, NotFound

    text = engine_explanation(exc)
    if isinstance(exc, ImageNotFound) or (
        isinstance(exc, NotFound) and "image" in text.lower() and "container" not in text.lower()
    ):
        return EngineError(t("engine.no_such_image", image=image or name))
    match = _NO_SUCH_CONTAINER.search(text)
    if match or isinstance(exc, NotFound):
        return EngineError(t("docker.no_container", name=name or (match[1] if match else "?")))
    match = _NAME_IN_USE.search(text)
    if match:
        return EngineError(
            t("docker.name_in_use", name=learner_names.container_to_learner(match[1]))
        )
    match = _PORT_BUSY.search(text)
    if match:
        port = int(match[1] or match[2])
        return EngineError(t("docker.port_busy", port=port, next_port=port + 1))
    if _IMAGE_IN_USE.search(text):
        return EngineError(t("docker.image_in_use", image=image or name))
    return EngineError(t("docker.engine_said", reason=_first_line(text)))


def engine_api() -> APIClient:
    return connect().api


def engine_errors() -> tuple[type[Exception], ...]:
    from docker.errors import APIError, DockerException

    return (APIError, DockerException)


def kit_labels(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The labels of everything this module creates: the kit's, the configured extra
    labels (a classroom's or a test run's), then the caller's."""
    return engine_kit_labels({**settings().extra_labels, **(extra or {})})


def refuse_others(name: str, *, container: bool = False) -> None:
    """Refuse, in one line, to act on an image or container another learner made.

    On a shared engine (a namespace in force) the kit's labels say whose it is; a name
    under the learner's own namespace is theirs even when it points at an image another
    learner made (removing it only removes their name). Names the kit did not label
    (base images) and names that do not exist are left to the engine's own answer.
    """
    if not learner_names.namespace():
        return
    if not container and learner_names.to_engine(name) == name:
        return  # already under the learner's namespace
    api = engine_api()
    try:
        attrs = api.inspect_container(name) if container else api.inspect_image(name)
    except engine_errors():
        return
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    maker = labels.get(LABEL_OWNER)
    if labels.get(LABEL_KIT) == "layerlab" and maker and maker != owner():
        to_learner = learner_names.container_to_learner if container else learner_names.to_learner
        raise LayerlabError(t("docker.not_yours", name=to_learner(name), owner=maker))


# ---------------------------------------------------------------- containers
def _bindings(attrs: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    found: dict[str, tuple[str, int]] = {}
    for key, bindings in ports.items():
        for binding in bindings or []:
            found.setdefault(key, (str(binding.get("HostIp", "")), int(binding["HostPort"])))
    return found


def _container_name(attrs: Mapping[str, Any]) -> str:
    """A container's name as the learner calls it (see ``names.container_to_learner``)."""
    return learner_names.container_to_learner(str(attrs.get("Name", "")))


def _listed_names(summary: Mapping[str, Any]) -> str:
    """The names of a container in an engine listing, as the learner calls them."""
    return ",".join(learner_names.container_to_learner(n) for n in summary.get("Names") or [])


def container_engine_name(name: str) -> str:
    """The engine's name for a new container the learner calls ``name`` (checked as the
    engine checks it, so a bad name is refused as the learner typed it)."""
    if not learner_names.CONTAINER_NAME.match(name):
        raise LayerlabError(t("docker.bad_container_name", name=name))
    return learner_names.container_to_engine(name)


def run(
    image: str,
    command: Sequence[str] | None = None,
    *,
    name: str | None = None,
    detach: bool = True,
    publish: Iterable[str | PortSpec] = (),
    env: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    remove: bool = False,
    init: bool = False,
) -> ContainerRun:
    """Create and start a container, like ``docker run``.

    Ports are published only as given (``publish=["5001:5000"]``), on 127.0.0.1 unless
    an address is named. With ``detach=False`` the call waits for the container to
    exit and returns its output (and removes it when ``remove``). ``name`` is the
    learner's: on a shared engine the container is ``namespace.name`` (``names``).
    """
    engine_name = container_engine_name(name) if name is not None else None
    specs = [spec if isinstance(spec, PortSpec) else parse_publish(spec) for spec in publish]
    # the instructor's limits (containers per learner, allowed ports), one line if hit
    classroom.check_run(spec.host_port for spec in specs)
    image = learner_names.resolve(image)  # the learner's own image under their namespace, if any
    api = engine_api()
    port_bindings: dict[str, list[tuple[str, int | None]]] = {}
    for spec in specs:
        port_bindings.setdefault(spec.key, []).append((spec.host_ip, spec.host_port))
    host_config = api.create_host_config(
        port_bindings={
            key: value if len(value) > 1 else value[0] for key, value in port_bindings.items()
        }
        or None,
        init=init or None,
    )
    try:
        created = api.create_container(
            image,
            command=list(command) if command else None,
            name=engine_name,
            detach=detach,
            ports=[(spec.container_port, spec.protocol) for spec in specs] or None,
            environment=dict(env or {}) or None,
            labels=kit_labels(labels),
            host_config=host_config,
        )
    except engine_errors() as exc:
        raise engine_error(exc, name=name or "", image=image) from None
    container_id = str(created["Id"])
    session.current().made.container(container_id)
    try:
        api.start(container_id)
        attrs = api.inspect_container(container_id)
    except engine_errors() as exc:
        # a container that could not start (port taken...) is useless: do not leave it
        _remove_quietly(api, container_id)
        raise engine_error(exc, name=name or "", image=image) from None
    started = ContainerRun(
        id=container_id,
        name=_container_name(attrs),
        image=learner_names.to_learner(image),
        ports=_bindings(attrs),
        named_by_engine=name is None,
    )
    if detach:
        return started
    try:
        outcome = api.wait(container_id)
        started.exit_code = int(outcome.get("StatusCode", -1))
        started.output = api.logs(container_id).decode("utf-8", "replace")
    finally:
        if remove:
            _remove_quietly(api, container_id)
    return started


def _remove_quietly(api: APIClient, container_id: str) -> None:
    try:
        api.remove_container(container_id, force=True)
    except engine_errors():
        pass  # already gone


def _format_ports(ports: Sequence[Mapping[str, Any]]) -> str:
    shown = []
    for port in sorted(ports, key=lambda p: (p.get("PrivatePort", 0), p.get("PublicPort", 0))):
        inside = f"{port.get('PrivatePort')}/{port.get('Type', 'tcp')}"
        if port.get("PublicPort"):
            shown.append(f"{port.get('IP', '')}:{port['PublicPort']}->{inside}")
        else:
            shown.append(inside)
    return ", ".join(dict.fromkeys(shown))


def ps(
    *, all_containers: bool = False, mine: bool = False, labels: Mapping[str, str] | None = None
) -> Table:
    """Containers, like ``docker ps`` (``all_containers``: stopped ones too; ``mine``:
    only those the kit started for you). Records hold id, name, image, state, ports, labels."""
    filters: dict[str, Any] = {}
    wanted = [f"{key}={value}" for key, value in (labels or {}).items()]
    if mine:
        wanted += scope_labels()
    if wanted:
        filters["label"] = wanted
    api = engine_api()
    try:
        summaries = api.containers(all=all_containers, filters=filters or None)
    except engine_errors() as exc:
        raise engine_error(exc) from None
    rows: list[list[str]] = []
    records: list[dict[str, Any]] = []
    for summary in summaries:
        name = _listed_names(summary)
        command = str(summary.get("Command", ""))
        command = command if len(command) <= 22 else command[:19] + "..."
        ports = _format_ports(summary.get("Ports") or [])
        rows.append(
            [
                short(str(summary["Id"])),
                learner_names.to_learner(str(summary.get("Image", ""))),
                f'"{command}"',
                _status_words(api, summary),
                ports,
                name,
            ]
        )
        records.append(
            {
                "id": summary["Id"],
                "name": name,
                "image": summary.get("Image"),
                "state": summary.get("State"),
                "status": summary.get("Status"),
                "ports": ports,
                "labels": summary.get("Labels") or {},
            }
        )
    headers = ["container_id", "image", "command", "status", "ports", "names"]
    return Table([t(f"table.{key}") for key in headers], rows, records)


def _timestamp(text: str) -> float | None:
    """The Unix time of an engine timestamp (RFC 3339, nanoseconds): None for the zero time."""
    if not text or text.startswith("0001-"):
        return None
    import datetime as dt

    main, _, fraction = text.rstrip("Z").partition(".")
    fraction = fraction.split("+")[0].split("-")[0]
    try:
        when = dt.datetime.fromisoformat(main)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp() + float(f"0.{fraction or 0}")


def _status_words(api: APIClient, summary: Mapping[str, Any]) -> str:
    """The STATUS column in the learner's language, from the engine's numbers.

    The engine's own ``Status`` ("Up 5 minutes", "Exited (0) 2 hours ago") is English text;
    the container's state, exit code and start/finish times give the same in any language.
    """
    try:
        state = dict(api.inspect_container(summary["Id"]).get("State") or {})
    except engine_errors():  # gone since the listing: what the listing said is all there is
        state = {"Status": summary.get("State", "")}
    status = str(state.get("Status", ""))
    started = _timestamp(str(state.get("StartedAt", "")))
    if status in ("running", "paused") and started is not None:
        up = i18n.duration(max(0.0, time.time() - started))
        return t("ps.up" if status == "running" else "ps.paused", duration=up)
    finished = _timestamp(str(state.get("FinishedAt", "")))
    if status == "exited" and finished is not None:
        return t("ps.exited", code=state.get("ExitCode", "?"), ago=i18n.ago(finished))
    key = f"container.state.{status}"
    return t(key) if i18n.has(key) else status


def logs(name: str, *, tail: int | None = None) -> str:
    """What a container printed (stdout and stderr), like ``docker logs``."""
    target = learner_names.resolve_container(name)
    try:
        raw = engine_api().logs(target, tail=tail if tail is not None else "all")
    except engine_errors() as exc:
        raise engine_error(exc, name=name) from None
    return bytes(raw).decode("utf-8", "replace")


def stop(names: Sequence[str] | str, *, timeout: int = 10) -> list[str]:
    """Stop containers (SIGTERM, then SIGKILL after ``timeout`` seconds).

    Several containers stop at the same time, as with the CLI: an app that ignores
    SIGTERM costs ``timeout`` seconds once, not once per container."""
    from concurrent.futures import ThreadPoolExecutor

    targets = [names] if isinstance(names, str) else list(names)
    engine_names = [learner_names.resolve_container(target) for target in targets]
    for target in engine_names:
        refuse_others(target, container=True)
    api = engine_api()

    def stop_one(name: str) -> BaseException | None:
        try:
            api.stop(name, timeout=timeout)
        except engine_errors() as exc:
            return exc
        return None

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(targets)))) as pool:
        outcomes = list(pool.map(stop_one, engine_names))
    for name, outcome in zip(targets, outcomes, strict=True):
        if outcome is not None:
            raise engine_error(outcome, name=name) from None
    return targets


def rm(names: Sequence[str] | str, *, force: bool = False) -> list[str]:
    """Remove containers (``force``: stop running ones first), like ``docker rm``."""
    removed = []
    for name in [names] if isinstance(names, str) else names:
        target = learner_names.resolve_container(name)
        refuse_others(target, container=True)
        try:
            engine_api().remove_container(target, force=force)
        except engine_errors() as exc:
            raise engine_error(exc, name=name) from None
        removed.append(name)
    return removed


#: the engine runs one prune of a kind at a time and refuses a second meanwhile (moby's
#: ``errPruneRunning``, HTTP 409) instead of queueing it
_PRUNE_RUNNING = re.compile(r"a prune operation is already running", re.IGNORECASE)
PRUNE_WAIT_S = 60.0


def _pruned(prune: Callable[..., Any], **kwargs: Any) -> Any:
    """Call an engine prune, waiting while another one runs.

    On a shared engine two learners' clean-up cells meet; the second prune only has to
    wait for the first (a few seconds), so it is retried, never reported as a failure.
    """
    from docker.errors import APIError

    deadline = time.monotonic() + PRUNE_WAIT_S
    while True:
        try:
            return prune(**kwargs)
        except APIError as exc:
            if not _PRUNE_RUNNING.search(engine_explanation(exc)) or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def container_prune() -> PruneSummary:
    """Remove the stopped containers the kit made for this user."""
    try:
        answer = _pruned(engine_api().prune_containers, filters={"label": scope_labels()})
    except engine_errors() as exc:
        raise engine_error(exc) from None
    return PruneSummary(
        "containers",
        tuple(answer.get("ContainersDeleted") or ()),
        int(answer.get("SpaceReclaimed") or 0),
    )


# ---------------------------------------------------------------- images
@dataclass(frozen=True, slots=True)
class ImageInfo:
    """One image as the learner sees it: its names as they type them (short, without
    their namespace), its labels, size and settings (``config["Cmd"]``...)."""

    id: str
    tags: tuple[str, ...]
    labels: Mapping[str, str]
    size: int
    config: Mapping[str, Any]


def image_info(name: str) -> ImageInfo | None:
    """The image the learner calls ``name`` (their own, under their namespace on a shared
    engine; else the engine's image of that name), or None when there is none. What a
    notebook uses instead of the docker client, which knows nothing of namespaces."""
    from docker.errors import ImageNotFound

    try:
        attrs = engine_api().inspect_image(learner_names.resolve(name))
    except ImageNotFound:
        return None
    except engine_errors() as exc:
        raise engine_error(exc, image=name) from None
    from layerlab.engine import is_podman

    config = attrs.get("Config") or {}
    podman = is_podman()
    return ImageInfo(
        id=str(attrs["Id"]),
        tags=tuple(
            learner_names.to_learner(tag, podman=podman) for tag in attrs.get("RepoTags") or []
        ),
        labels=dict(config.get("Labels") or {}),
        size=int(attrs.get("Size") or 0),
        config=dict(config),
    )


def tag(source: str, target: str) -> str:
    """Give image ``source`` another name, like ``docker tag``; returns the full new name."""
    source = learner_names.resolve(source)
    repository, version = references.split(learner_names.to_engine(target))
    try:
        engine_api().tag(source, repository, version)
    except engine_errors() as exc:
        raise engine_error(exc, image=source) from None
    session.current().made.tag(f"{repository}:{version}")
    return learner_names.to_learner(f"{repository}:{version}")


def rmi(names: Sequence[str] | str, *, force: bool = False) -> list[str]:
    """Remove image names (and the image once its last name goes), like ``docker rmi``.

    Returns the engine's ``Untagged: …`` / ``Deleted: …`` lines."""
    lines = []
    for name in [names] if isinstance(names, str) else names:
        engine_name = learner_names.resolve(name)
        refuse_others(engine_name)
        try:
            answer = engine_api().remove_image(engine_name, force=force)
        except engine_errors() as exc:
            raise engine_error(exc, image=name) from None
        for entry in answer or []:
            for key, value in entry.items():
                known = {"Untagged": "docker.untagged", "Deleted": "docker.deleted"}.get(key)
                lines.append(t(known, name=value) if known else f"{key}: {value}")
    return lines


def image_prune(*, all_images: bool = False) -> PruneSummary:
    """Remove the kit's unused images for this user: dangling ones (left nameless by a
    rebuild), or with ``all_images`` every one no container uses."""
    filters: dict[str, Any] = {"label": scope_labels()}
    if not all_images:
        filters["dangling"] = True
    try:
        answer = _pruned(engine_api().prune_images, filters=filters)
    except engine_errors() as exc:
        raise engine_error(exc) from None
    deleted = tuple(
        str(entry.get("Deleted"))
        for entry in answer.get("ImagesDeleted") or ()
        if entry.get("Deleted")
    )
    return PruneSummary("images", deleted, int(answer.get("SpaceReclaimed") or 0))


def push_status_words(status: str) -> str:
    """A layer's final push state (the engine's English words) in the learner's language."""
    if status == PUSHED:
        return t("docker.push_pushed")
    if status == EXISTS:
        return t("docker.push_exists")
    if status.startswith(MOUNTED):
        return t("docker.push_mounted_from", repository=status.removeprefix(MOUNTED).strip())
    return status


def summarize_push(
    reference: str,
    events: Iterable[Mapping[str, Any]],
    on_layer: Callable[[str, str], None] | None = None,
) -> PushSummary:
    """Fold the engine's push stream into a ``PushSummary``; ``on_layer(id, status)`` is
    called once per layer when it reaches its final state."""
    summary = PushSummary(reference)
    final: dict[str, str] = {}
    for event in events:
        if event.get("error") or event.get("errorDetail"):
            detail = event.get("errorDetail") or {}
            summary.error = str(detail.get("message") or event.get("error"))
            break
        aux = event.get("aux")
        if isinstance(aux, Mapping) and aux.get("Digest"):
            summary.digest = str(aux["Digest"])
            summary.size = int(aux.get("Size") or 0) or None
            continue
        status = str(event.get("status", ""))
        layer = str(event.get("id", ""))
        if not layer or layer in final:
            continue
        if status in (PUSHED, EXISTS) or status.startswith(MOUNTED):
            final[layer] = status
            if status == PUSHED:
                summary.pushed.append(layer)
            elif status == EXISTS:
                summary.existing.append(layer)
            else:
                summary.mounted.append(layer)
                summary.mounted_from[layer] = status.removeprefix(MOUNTED).strip()
            if on_layer is not None:
                on_layer(layer, status)
    return summary


def push(reference: str, *, on_layer: Callable[[str, str], None] | None = None) -> PushSummary:
    """Send an image to its registry, like ``docker push``.

    The registry is the first part of the name (``127.0.0.1:5000/app``); a name without
    one goes to Docker Hub. Layers the registry already holds are not sent again.
    """
    engine_name = learner_names.resolve(reference)
    refuse_others(engine_name)
    repository, version = references.split(engine_name)
    full = f"{repository}:{version}"
    api = engine_api()
    try:
        api.inspect_image(full)
    except engine_errors():
        raise EngineError(t("docker.not_local", reference=full)) from None
    try:
        stream = api.push(repository, tag=version, stream=True, decode=True)
        summary = summarize_push(full, stream, on_layer)
    except engine_errors() as exc:
        raise _registry_error(full, engine_explanation(exc)) from None
    if summary.error is not None:
        raise _registry_error(full, summary.error)
    return summary


def _registry_error(reference: str, message: str) -> EngineError:
    if _UNREACHABLE.search(message):
        from layerlab.push_advice import unreachable

        registry = references.registry(reference)
        advice = unreachable(reference, registry)
        return EngineError(advice or t("docker.registry_unreachable", registry=registry))
    if _DENIED.search(message):
        return EngineError(t("docker.push_denied", reference=reference))
    return EngineError(t("docker.engine_said", reason=_first_line(message)))


def pull(reference: str) -> str:
    """Fetch an image from its registry, like ``docker pull``; returns its digest.

    On a shared engine, a name the learner pushed lives under their namespace in the
    registry too: that one is fetched when the registry has it."""
    own = learner_names.to_engine(reference)
    if own != reference and _registry_digest(own):
        reference = own
    repository, version = references.split(reference)
    full = f"{repository}:{version}" if ":" not in version else f"{repository}@{version}"
    digest = ""
    try:
        for event in engine_api().pull(repository, tag=version, stream=True, decode=True):
            if event.get("error") or event.get("errorDetail"):
                detail = event.get("errorDetail") or {}
                raise EngineError(
                    t(
                        "docker.pull_failed",
                        reference=full,
                        reason=_first_line(str(detail.get("message") or event.get("error"))),
                        registry=settings().registry,
                    )
                )
            match = re.search(r"Digest: (sha256:[0-9a-f]+)", str(event.get("status", "")))
            if match:
                digest = match[1]
    except engine_errors() as exc:
        raise EngineError(
            t(
                "docker.pull_failed",
                reference=full,
                reason=_first_line(engine_explanation(exc)),
                registry=settings().registry,
            )
        ) from None
    return digest


def in_registry(reference: str) -> str | None:
    """The digest of ``reference`` in its registry, or None when the registry lacks it
    (the learner's own image under their namespace first, as ``push`` sent it)."""
    for candidate in learner_names.candidates(reference):
        digest = _registry_digest(candidate)
        if digest:
            return digest
    return None


def _registry_digest(reference: str) -> str | None:
    try:
        answer = engine_api().inspect_distribution(reference)
    except engine_errors():
        return None
    return str((answer.get("Descriptor") or {}).get("digest") or "") or None


_MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)


def _registry_call(method: str, url: str) -> tuple[int, dict[str, str], bytes]:
    import urllib.error
    import urllib.request

    # loopback only: registry_delete checks the host before calling
    accept = {"Accept": ", ".join(_MANIFEST_TYPES)}
    request = urllib.request.Request(url, method=method, headers=accept)  # noqa: S310 - loopback registry only (checked by the caller)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback registry only (checked by the caller)
            return int(response.status), dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), dict(exc.headers), b""


def registry_delete(repository: str) -> int:
    """Delete every tag of ``repository`` from a local registry, and unlink its layers.

    For the end of a lab on the offline registry, so the next run pushes its layers
    again as a first run does. Only registries on this machine (127.x, localhost) are
    touched; returns how many tags were deleted.
    """
    import json

    prefix, name = references.split_registry(learner_names.to_engine(repository))
    registry = prefix.rstrip("/")
    host = registry.rsplit(":", 1)[0]
    if not name or not (host.startswith("127.") or host == "localhost"):
        raise LayerlabError(t("docker.registry_local_only", repository=repository))
    base = f"http://{registry}/v2/{name}"
    try:
        status, _, body = _registry_call("GET", f"{base}/tags/list")
    except OSError:
        raise EngineError(t("docker.registry_unreachable", registry=registry)) from None
    if status == 404:
        return 0
    tags = json.loads(body or b"{}").get("tags") or []
    blobs: set[str] = set()
    deleted = 0
    for tag_name in tags:
        status, headers, body = _registry_call("GET", f"{base}/manifests/{tag_name}")
        digest = headers.get("Docker-Content-Digest")
        if status != 200 or not digest:
            continue
        manifest = json.loads(body)
        blobs.update(layer["digest"] for layer in manifest.get("layers") or [])
        if manifest.get("config"):
            blobs.add(manifest["config"]["digest"])
        if _registry_call("DELETE", f"{base}/manifests/{digest}")[0] in (200, 202, 404):
            deleted += 1
    for blob in sorted(blobs):
        # unlinks the layer from this repository only; other repositories keep theirs
        _registry_call("DELETE", f"{base}/blobs/{blob}")
    return deleted


# ---------------------------------------------------------------- what a lab left behind
def _label_filters(labels: Mapping[str, str]) -> list[str]:
    # only this learner's things: on a shared engine another learner runs the same lab
    return [f"{key}={value}" for key, value in {**labels, LABEL_OWNER: owner()}.items()]


def _image_names(summary: Mapping[str, Any]) -> str:
    tags = [learner_names.to_learner(tag) for tag in summary.get("RepoTags") or []]
    return ", ".join(tag for tag in tags if tag != "<none>:<none>") or short(str(summary["Id"]))


def leftovers(labels: Mapping[str, str] | None = None) -> Leftovers:
    """Containers (running or not) and images carrying all ``labels``, or, without
    ``labels``, what this kernel's session made (see ``session.Made``)."""
    if labels is None:
        return _session_leftovers()
    filters = {"label": _label_filters(labels)}
    api = engine_api()
    try:
        containers = api.containers(all=True, filters=filters)
        image_list = api.images(filters=filters)
    except engine_errors() as exc:
        raise engine_error(exc) from None
    names = tuple(_listed_names(c) or short(c["Id"]) for c in containers)
    return Leftovers(names, tuple(_image_names(image) for image in image_list))


def _session_leftovers() -> Leftovers:
    """What this kernel made that is still on the engine: containers it ran (they carry
    its session label too), names it gave images, and images it built that are left
    with no name (a rebuild moved the name on; ``%docker image prune`` removes them).
    An image it built that now has only names it did not give is someone else's."""
    from docker.errors import ImageNotFound, NotFound

    made = session.current().made
    api = engine_api()
    containers: dict[str, str] = {}
    images: dict[str, str] = {}
    try:
        labelled = api.containers(all=True, filters={"label": [f"{LABEL_SESSION}={SESSION_ID}"]})
        for summary in labelled:
            containers[str(summary["Id"])] = _listed_names(summary)
        for container_id in made.containers:
            if container_id in containers:
                continue
            with contextlib.suppress(NotFound):
                attrs = api.inspect_container(container_id)
                containers[container_id] = _container_name(attrs)
        for engine_tag in made.tags:
            with contextlib.suppress(ImageNotFound, NotFound):
                image_id = str(api.inspect_image(engine_tag)["Id"])
                images.setdefault(image_id, _image_names(api.inspect_image(image_id)))
        for image_id in made.images:
            with contextlib.suppress(ImageNotFound, NotFound):
                attrs = api.inspect_image(image_id)
                if not [tag for tag in attrs.get("RepoTags") or [] if tag != "<none>:<none>"]:
                    images.setdefault(str(attrs["Id"]), short(str(attrs["Id"])))
    except engine_errors() as exc:
        raise engine_error(exc) from None
    return Leftovers(
        tuple(name or short(cid) for cid, name in containers.items()), tuple(images.values())
    )


def remove_leftovers(labels: Mapping[str, str]) -> Leftovers:
    """Force-remove every container and image carrying all ``labels``; returns what went.

    For a lab's first cell: a run that stopped half-way must not leave a container
    holding the port or an image feeding the cache on the next run."""
    from docker.errors import NotFound

    found = leftovers(labels)
    api = engine_api()
    filters = {"label": _label_filters(labels)}
    try:
        for container in api.containers(all=True, filters=filters):
            api.remove_container(container["Id"], force=True)
        for image in api.images(filters=filters):
            names = [n for n in image.get("RepoTags") or [] if n != "<none>:<none>"]
            for name in [*names, image["Id"]]:
                # an id may have gone with its last name already
                with contextlib.suppress(NotFound):
                    api.remove_image(name, force=True)
    except engine_errors() as exc:
        raise engine_error(exc) from None
    return found


def removed_message(found: Leftovers) -> str:
    return t(
        "docker.removed",
        containers=tn("count.containers", len(found.containers)),
        images=tn("count.images", len(found.images)),
    )
