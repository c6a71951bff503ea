"""Errors render as one short line; loading the extension is cheap and configurable."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from layerlab import i18n
from layerlab.build import BuildResult
from layerlab.errors import BuildFailed, EngineUnavailable


def test_errors_render_without_a_traceback() -> None:
    error = EngineUnavailable("cannot reach a Docker Engine")
    rendered = error._render_traceback_()
    assert rendered == ["\x1b[31mEngineUnavailable\x1b[0m: cannot reach a Docker Engine"]


def test_build_failed_keeps_the_partial_result() -> None:
    result = BuildResult(builder="classic", tags=[], context=".", dockerfile="Dockerfile")
    error = BuildFailed("step 2 failed: RUN false\n  | boom", result)
    assert error.result is result
    assert len(error._render_traceback_()) == 1
    assert "step 2 failed" in error._render_traceback_()[0]


def test_shell_shows_the_short_form(ip: Any, capsys: Any) -> None:
    ip.run_cell(
        "from layerlab.errors import EngineUnavailable\nraise EngineUnavailable('no engine here')"
    )
    out = capsys.readouterr()
    text = out.out + out.err
    assert "no engine here" in text
    assert "Traceback" not in text
    assert ip.run_cell("1 + 1").result == 2  # the shell is still usable


def test_load_ext_does_not_import_docker_or_ipywidgets() -> None:
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'layerlab')\n"
        "print(sorted(m for m in ('docker', 'ipywidgets', 'requests') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_magics_and_config_are_registered(ip: Any) -> None:
    magics = ip.magics_manager.magics
    assert {"docker_build", "docker_images", "docker_history"} <= set(magics["line"])
    assert "dockerfile" in magics["cell"]
    ip.run_line_magic("config", "Layerlab.builder = 'classic'")
    from layerlab.config import settings

    assert settings().builder == "classic"


def test_language_follows_config_then_locale(ip: Any, monkeypatch: Any) -> None:
    ip.run_line_magic("config", "Layerlab.language = 'fr'")
    assert i18n.t("status.cached") == "en cache"
    ip.run_line_magic("config", "Layerlab.language = 'auto'")
    monkeypatch.setenv("LAYERLAB_LANG", "fr_FR.UTF-8")
    assert i18n.language() == "fr"
    monkeypatch.setenv("LAYERLAB_LANG", "en_GB.UTF-8")
    assert i18n.language() == "en"


def test_every_message_exists_in_both_languages() -> None:
    for key in i18n.all_keys():
        assert i18n.text(key, "en"), key
        assert i18n.text(key, "fr"), key
