"""The kit's operations as plain Python: what the magics call, usable without IPython."""

from __future__ import annotations

import collections
import datetime as dt
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerlab import cache, names
from layerlab import dockerfile as dockerfile_model
from layerlab.build import BuildDone, BuildEvent, BuildListener, BuildResult
from layerlab.builders.base import BuildRequest, run_build, select_builder
from layerlab.config import settings
from layerlab.context import ContextTooLarge, human_size, summarize
from layerlab.engine import (
    LABEL_OWNER,
    connect,
    is_podman,
    kit_labels,
    owner,
)
from layerlab.errors import DockerfileError, LayerlabError
from layerlab.i18n import t
from layerlab.views import Table

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

_SECRET = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE", re.IGNORECASE)

#: Builds of this session, oldest first (the cache explainer compares against them).
HISTORY: list[BuildResult] = []


def normalize_tag(tag: str) -> str:
    """``python-hello-world`` → ``python-hello-world:latest`` (what the engine stores)."""
    last = tag.rsplit("/", 1)[-1]
    if "@" in last or ":" in last:
        return tag
    return f"{tag}:latest"


def parse_build_args(pairs: Sequence[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not key:
            raise LayerlabError(t("build.bad_arg", arg=pair))
        if not sep:
            import os

            # like the CLI: --build-arg NAME takes NAME from the environment
            if key not in os.environ:
                raise LayerlabError(t("build.bad_arg", arg=pair))
            value = os.environ[key]
        args[key] = value
    return args


def secret_warnings(build_args: dict[str, str], image: str) -> list[str]:
    return [
        t("build.secret_arg", name=name, image=image) for name in build_args if _SECRET.search(name)
    ]


def build(  # noqa: C901
    context: str | Path = ".",
    *,
    tags: Sequence[str] = (),
    dockerfile: str = "Dockerfile",
    build_args: dict[str, str] | None = None,
    no_cache: bool = False,
    pull: bool = False,
    builder: str | None = None,
    force: bool = False,
    labels: dict[str, str] | None = None,
    listeners: Iterable[BuildListener] = (),
    notify: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build an image like ``docker image build`` and return its ``BuildResult``.

    Raises ``BuildFailed`` (with ``.result``) when the build fails, ``DockerfileError``
    for a Dockerfile the chosen builder cannot build, ``EngineUnavailable`` when no
    engine answers.
    """
    config = settings()
    say = notify or (lambda message: print(message, file=sys.stderr))
    root = Path(context).expanduser().resolve()
    if not root.is_dir():
        raise LayerlabError(t("build.no_context", path=context))
    dockerfile_path = Path(dockerfile) if Path(dockerfile).is_absolute() else root / dockerfile
    if not dockerfile_path.is_file():
        raise LayerlabError(t("build.no_dockerfile", path=dockerfile_path))
    parsed = dockerfile_model.parse(dockerfile_path.read_text(encoding="utf-8"))
    connect()  # fail early, in one line, when there is no engine
    chosen = select_builder(builder or config.builder)
    if chosen.name == "classic":
        features = parsed.buildkit_features()
        if features:
            line, feature = features[0]
            raise DockerfileError(t("df.buildkit_only", line=line, feature=feature))
    summary = summarize(root, dockerfile if not Path(dockerfile).is_absolute() else "Dockerfile")
    if summary.size_bytes > config.context_max_mb * 1e6 and not force:
        raise ContextTooLarge(
            t(
                "context.too_large",
                root=root,
                size=human_size(summary.size_bytes),
                files=summary.files,
                limit=config.context_max_mb,
            )
        )
    if summary.size_bytes > config.context_warn_mb * 1e6:
        say(t("context.large", size=human_size(summary.size_bytes), files=summary.files))
    args = dict(build_args or {})
    normalized = tuple(normalize_tag(tag) for tag in tags)
    engine_tags = tuple(names.to_engine(tag) for tag in normalized)
    for warning in secret_warnings(args, normalized[0] if normalized else "IMAGE"):
        say(warning)
    request = BuildRequest(
        context=root,
        dockerfile=dockerfile,
        tags=engine_tags,
        build_args=args,
        no_cache=no_cache,
        pull=pull,
        labels=kit_labels({**config.extra_labels, **(labels or {})}, session=False),
        timeout_s=config.build_timeout_s or None,
        memory_bytes=config.build_memory_mb * 1024 * 1024 or None,
        cpu_quota=int(config.build_cpus * 100_000) or None,
    )

    # BuildKit prints no base image id: look it up while the build runs (the classic
    # builder prints it on its FROM step, so nothing to prefetch there)
    resolve_base = (
        cache.prefetch_base_ids(parsed.base_images) if chosen.name == "buildkit" else None
    )

    def explain_when_done(event: BuildEvent, live: BuildResult) -> None:
        # Runs before the views, so they already see live.cache_report at BuildDone.
        if isinstance(event, BuildDone) and live.succeeded:
            live.cache_report = cache.explain(live, HISTORY, resolve_base=resolve_base)

    def learner_view(result: BuildResult) -> None:
        result.log_store.tail = collections.deque(maxlen=config.log_tail_lines)
        result.engine_tags = list(engine_tags)
        result.tags = list(normalized)
        result.parsed_dockerfile = parsed

    try:
        result = run_build(chosen, request, [explain_when_done, *listeners], prepare=learner_view)
    except LayerlabError as exc:
        failed = getattr(exc, "result", None)
        if isinstance(failed, BuildResult):
            cache.remember(failed)  # a later build can then name the files changed since this one
            HISTORY.append(failed)
        raise
    HISTORY.append(result)
    from layerlab.session import remember_image

    remember_image(result.image_id)  # a clean-up may remove it without --force
    return result


def _age(created: int) -> str:
    when = dt.datetime.fromtimestamp(created, tz=dt.UTC)
    seconds = (dt.datetime.now(tz=dt.UTC) - when).total_seconds()
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} seconds ago"


def images(reference: str | None = None, *, all_images: bool = False, mine: bool = False) -> Table:
    """The engine's images, like ``docker image ls`` (``mine``: only the kit's, for you)."""
    api = connect().api
    filters: dict[str, Any] = {}
    if mine:
        filters["label"] = [f"{LABEL_OWNER}={owner()}"]
    if reference is not None:
        reference = names.resolve(reference)
    summaries = api.images(name=reference, all=all_images, filters=filters or None)
    if names.namespace():
        # on a shared engine, other learners' images are not this learner's business
        me = owner()
        summaries = [s for s in summaries if (s.get("Labels") or {}).get(LABEL_OWNER, me) == me]
    rows: list[list[str]] = []
    records: list[dict[str, Any]] = []
    podman = is_podman()
    for summary in sorted(summaries, key=lambda s: -int(s.get("Created", 0))):
        tags = [tag for tag in summary.get("RepoTags") or [] if tag != "<none>:<none>"]
        for tag in tags or ["<none>:<none>"]:
            repository, _, name = names.to_learner(tag, podman=podman).rpartition(":")
            short = str(summary["Id"]).removeprefix("sha256:")[:12]
            rows.append(
                [
                    repository,
                    name,
                    short,
                    _age(int(summary.get("Created", 0))),
                    human_size(int(summary.get("Size", 0))),
                ]
            )
            records.append(
                {
                    "repository": repository,
                    "tag": name,
                    "id": summary["Id"],
                    "created": summary.get("Created"),
                    "size": summary.get("Size"),
                    "labels": summary.get("Labels") or {},
                }
            )
    return Table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows, records)
