"""Building an image as plain Python: what ``%docker_build`` calls, usable without IPython."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from layerlab import cache, names, references, session
from layerlab import dockerfile as dockerfile_model
from layerlab.build import BuildListener, BuildLog, BuildRecorder, BuildResult
from layerlab.builders import BuildRequest, build_failure, select_builder
from layerlab.config import settings
from layerlab.context import ContextListing, human_size, list_context
from layerlab.engine import connect, kit_labels
from layerlab.errors import ContextTooLarge, DockerfileError, LayerlabError
from layerlab.i18n import t, tn

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

_SECRET = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE", re.IGNORECASE)


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


def build(
    context: str | Path = ".",
    *,
    tags: Sequence[str] = (),
    dockerfile: str = "Dockerfile",
    build_args: dict[str, str] | None = None,
    no_cache: bool = False,
    pull: bool = False,
    target: str | None = None,
    builder: str | None = None,
    force: bool = False,
    labels: dict[str, str] | None = None,
    listeners: Iterable[BuildListener] = (),
    notify: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build an image like ``docker image build`` and return its ``BuildResult``.

    ``target``: build up to that stage only (``docker build --target``).

    Raises ``BuildFailed`` (with ``.result``) when the build fails, ``DockerfileError``
    for a Dockerfile the chosen builder cannot build (or without the ``target`` stage),
    ``EngineUnavailable`` when no engine answers.

    Top to bottom: check the input, list the context once, create the result, record the
    builder's events into it (``listeners``, the views, see each event as it comes),
    explain the cache, remember the build in the session, then tell the views it is done.
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
    if target and not parsed.has_stage(target):
        # both builders would refuse it too, after sending the context
        named = [name for name, _image, _index in parsed.stages() if name]
        raise DockerfileError(
            t("build.no_target", target=target, stages=", ".join(named) or t("build.no_stages"))
        )
    connect()  # fail early, in one line, when there is no engine
    chosen = select_builder(builder or config.builder)
    if chosen.name == "classic":
        features = parsed.buildkit_features()
        if features:
            line, feature = features[0]
            raise DockerfileError(t("df.buildkit_only", line=line, feature=feature))
    listing = list_context(root, dockerfile)
    _check_context_size(listing, force=force, say=say)
    args = dict(build_args or {})
    learner_tags = [references.with_default_tag(tag) for tag in tags]
    engine_tags = [names.to_engine(tag) for tag in learner_tags]
    for warning in secret_warnings(args, learner_tags[0] if learner_tags else "IMAGE"):
        say(warning)
    request = BuildRequest(
        context=root,
        dockerfile=dockerfile,
        tags=tuple(engine_tags),
        build_args=args,
        no_cache=no_cache,
        pull=pull,
        target=target or None,
        labels=kit_labels({**config.extra_labels, **(labels or {})}, session=False),
        timeout_s=config.build_timeout_s or None,
        memory_bytes=config.build_memory_mb * 1024 * 1024 or None,
        cpu_quota=int(config.build_cpus * 100_000) or None,
        listing=listing,
    )
    # BuildKit prints no base image id: look it up while the build runs (the classic
    # builder prints it on its FROM step, so nothing to prefetch there)
    resolve_base = (
        cache.prefetch_base_ids(parsed.base_images) if chosen.name == "buildkit" else None
    )
    result = BuildResult(
        builder=chosen.name,
        tags=learner_tags,
        engine_tags=engine_tags,
        context=str(root),
        dockerfile=str(request.dockerfile_path),
        build_args=dict(args),
        no_cache=no_cache,
        target=target or None,
        parsed_dockerfile=parsed,
        log_store=BuildLog(config.log_tail_lines),
    )
    recorder = BuildRecorder(result, listeners)
    recorder.settle(recorder.consume(chosen.events(request)))

    history = session.current()
    if result.succeeded:
        result.cache_report = cache.explain(
            result, history.history, resolve_base=resolve_base, context_files=listing.sent
        )
    else:
        # a later build can then name the files changed since this one
        cache.remember(result, resolve_base=resolve_base, context_files=listing.sent)
    history.record(result)
    recorder.announce()  # the views get BuildDone with the cache report in place
    if not result.succeeded:
        raise build_failure(result)
    return result


def _check_context_size(
    listing: ContextListing, *, force: bool, say: Callable[[str], None]
) -> None:
    config = settings()
    if listing.size_bytes > config.context_max_mb * 1e6 and not force:
        raise ContextTooLarge(
            tn(
                "context.too_large",
                len(listing.files),
                root=listing.root,
                size=human_size(listing.size_bytes),
                limit=human_size(config.context_max_mb * 1e6),
            )
        )
    if listing.size_bytes > config.context_warn_mb * 1e6:
        say(tn("context.large", len(listing.files), size=human_size(listing.size_bytes)))
