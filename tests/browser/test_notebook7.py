"""The first lab in the other frontend and the other language, in headless Chromium.

* Notebook 7 (the classic-looking notebook, served at /notebooks/ by the same Jupyter
  server as JupyterLab) runs the English notebook 01.
* JupyterLab runs the French notebook 01, whose first cell switches the kit to French
  with ``%config Layerlab.language = "fr"`` (the kernel itself starts in English).

Both read the rendered widgets: after the cell that appends a comment to app.py and
rebuilds, the build view must show the steps above COPY from the cache, COPY built, and
the cache explainer naming app.py; the layer stack must show the base image's group
under the app's own layers; every word must be in the notebook's language. Screenshots
go to artifacts/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat as nbformat_untyped
import pytest

from tests.browser.conftest import JupyterServer
from tests.browser.helpers import (
    WORDS,
    build_view_of,
    cached_of_total,
    cell_errors,
    check_code_change_rebuild,
    check_layer_stack,
    code_cell,
    notebook_01,
    open_in_notebook7,
    open_notebook,
    run_all_cells,
    shoot,
    step_badges,
    step_states,
    summary_of,
    with_unique_tags,
)
from tests.conftest import TEST_LABEL, TEST_RUN

nbformat: Any = nbformat_untyped  # nbformat ships without type hints

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# the lab's cells, found by their source (they move when the lab's prose changes)
FIRST_BUILD = "result = %docker_build"
REBUILD = "again = %docker_build -q"
EDITED_BUILD = "edited = %docker_build"
HISTORY = "%docker_history python-hello-world"


def copy_lab(server: JupyterServer, language: str) -> tuple[str, str]:
    """Notebook 01 in ``language``, its image names made unique, in the server's root.

    Returns the notebook's file name and the name its lab image got.
    """
    notebook, renamed = with_unique_tags(notebook_01(language), suffix=language)
    name = f"{notebook.metadata['layerlab_source']}.ipynb"
    assert "python-hello-world" in renamed, f"{name} no longer builds python-hello-world"
    nbformat.write(notebook, server.root / name)
    return name, renamed["python-hello-world"]


def check_words(view: Any, stack_view: Any, language: str) -> None:
    """The view's fixed words (column heads, badges, log title, layer labels) in ``language``."""
    words = WORDS[language]
    assert tuple(view.locator("table.layerlab-steps th").all_inner_texts()) == words.columns
    states = step_states(view)
    for instruction, badge in step_badges(view).items():
        assert badge == words.badges[states[instruction]], (instruction, badge)
    log_title = view.locator(".jupyter-widget-Collapse-header").inner_text()
    assert log_title.startswith(words.log_title), log_title
    metadata = stack_view.locator(".layerlab-layer[data-empty='true']").first.inner_text()
    assert words.metadata in metadata, metadata
    assert stack_view.locator(".widget-toggle-buttons .widget-label").inner_text() == words.scale


def check_lab_01(panel: Any, image: str, language: str, screenshots: Path, prefix: str) -> None:
    """What notebook 01 must show once every cell ran, in ``language``."""
    assert cell_errors(panel) == []

    first = build_view_of(panel, FIRST_BUILD)
    shoot(first, screenshots / f"{prefix}-build.png")
    assert set(step_states(first).values()) <= {"base", "cached", "built"}, step_states(first)
    assert f" {image}:latest (" in summary_of(first, language)

    again = build_view_of(panel, REBUILD)  # -q: the summary and the explainer, no rows
    cached, total = cached_of_total(again, language)
    assert cached == total, summary_of(again, language)
    assert again.locator("tr.layerlab-step").count() == 0

    edited = build_view_of(panel, EDITED_BUILD)
    shoot(edited, screenshots / f"{prefix}-edited.png")
    check_code_change_rebuild(edited, "app.py", language)

    stack_view = code_cell(panel, HISTORY).locator(".jupyter-widgets.layerlab-layer-stack-view")
    check_layer_stack(stack_view, screenshots / f"{prefix}-layers.png", language)
    check_words(edited, stack_view, language)


# ---------------------------------------------------------------- tests
def test_notebook_01_runs_in_notebook7(
    docker_client: Any, jupyter_server: JupyterServer, page: Any, screenshots: Path
) -> None:
    name, image = copy_lab(jupyter_server, "en")

    panel = open_in_notebook7(page, jupyter_server, name)
    run_all_cells(page, panel, "notebook7-timeout.png")
    check_lab_01(panel, image, "en", screenshots, "notebook7-01")
    page.screenshot(path=str(screenshots / "notebook7-01-page.png"))
    assert docker_client.images.get(image).labels.get(TEST_LABEL) == TEST_RUN


def test_french_notebook_01_speaks_french_in_jupyterlab(
    docker_client: Any, jupyter_server: JupyterServer, page: Any, screenshots: Path
) -> None:
    name, image = copy_lab(jupyter_server, "fr")

    panel = open_notebook(page, jupyter_server, name)
    run_all_cells(page, panel, "notebook-01-fr-timeout.png")
    check_lab_01(panel, image, "fr", screenshots, "notebook-01-fr")
    # no English left in the words the kit chose (the log is the engine's own)
    edited = build_view_of(panel, EDITED_BUILD)
    shown = " ".join(
        edited.locator(selector).inner_text()
        for selector in (".layerlab-steps", ".layerlab-summary", ".layerlab-cache-report")
    )
    for english in ("cached", "built", "from the cache", "Built ", "step ", "because"):
        assert english not in shown, f"{english!r} left in English: {shown}"
    page.screenshot(path=str(screenshots / "notebook-01-fr-page.png"))
    assert docker_client.images.get(image).labels.get(TEST_LABEL) == TEST_RUN
