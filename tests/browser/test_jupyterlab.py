"""What a learner sees: notebooks run in a real JupyterLab, in headless Chromium.

The notebook builds the seed image, edits app.py, rebuilds, and shows the layers. The
test then reads the rendered widgets (not the saved outputs): the rebuild's step rows
must show steps from the cache and the rebuilt COPY step, and the layer stack must show
the base image's group and the app's own layers. Screenshots go to
artifacts/screenshots/ for people (and CI artefacts) to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat as nbformat_untyped
import pytest

from tests.browser.conftest import JupyterServer
from tests.browser.helpers import (
    KERNELSPEC,
    build_views,
    cell_errors,
    check_layer_stack,
    notebook_01,
    open_notebook,
    run_all_cells,
    shoot,
    step_states,
    summary_of,
    with_unique_tags,
)
from tests.conftest import APP_PY, BASE_IMAGE, SEED_DOCKERFILE, TEST_RUN, unique_tag

nbformat: Any = nbformat_untyped  # nbformat ships without type hints

pytestmark = [pytest.mark.browser, pytest.mark.integration]


# ---------------------------------------------------------------- notebooks
def seed_notebook(tag: str) -> Any:
    """The seed lab's steps as cells: write, build, edit, rebuild, look at the layers.

    app.py carries this run's id, so the edited COPY step is new to the engine's cache
    even when an earlier run built the same lab.
    """
    first = APP_PY.replace("hello world!", f"hello world! ({TEST_RUN})")
    edited = APP_PY.replace("hello world!", f"hello again! ({TEST_RUN})")
    cells = [
        "%load_ext layerlab",
        f"%%writefile app.py\n{first}",
        f"%%dockerfile\n{SEED_DOCKERFILE}",
        f"%docker_build -t {tag} .",
        f"%%writefile app.py\n{edited}",
        f"%docker_build -t {tag} .",
        # --base: other images on a shared engine could otherwise pass for the base
        f"%docker_history {tag} --base {BASE_IMAGE}",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = KERNELSPEC
    return notebook


# ---------------------------------------------------------------- tests
def test_seed_lab_cells_show_cache_hits_and_the_layer_stack(
    docker_client: Any, jupyter_server: JupyterServer, page: Any, screenshots: Path
) -> None:
    tag = unique_tag("browser-seed")
    nbformat.write(seed_notebook(tag), jupyter_server.root / "seed.ipynb")

    panel = open_notebook(page, jupyter_server, "seed.ipynb")
    run_all_cells(page, panel)
    assert cell_errors(panel) == []
    views = build_views(panel, at_least=2)
    shoot(views.nth(0), screenshots / "seed-build.png")
    rebuild = views.nth(1)
    shoot(rebuild, screenshots / "seed-rebuild.png")

    states = step_states(rebuild)
    # BuildKit names the base image in full and reports no CMD step; classic does both
    from_step = next(instruction for instruction in states if instruction.startswith("FROM "))
    assert from_step.endswith(BASE_IMAGE)
    assert states[from_step] == "base"
    assert states["RUN pip install flask"] == "cached"
    assert states.get('CMD ["python","app.py"]', "cached") == "cached"
    assert states["COPY app.py /app.py"] == "built"  # app.py was edited
    summary_of(rebuild)
    # the cache explainer names the edited file under the rows
    assert "app.py" in rebuild.locator(".layerlab-cache-report").inner_text()

    stack_view = panel.locator(".jupyter-widgets.layerlab-layer-stack-view").last
    check_layer_stack(stack_view, screenshots / "seed-layers.png")
    page.screenshot(path=str(screenshots / "seed-page.png"))
    assert docker_client.images.get(tag).labels.get("org.layerlab.test") == TEST_RUN


def test_notebook_01_runs_in_jupyterlab(
    docker_client: Any, jupyter_server: JupyterServer, page: Any, screenshots: Path
) -> None:
    notebook, renamed = with_unique_tags(notebook_01())
    assert renamed, "notebook 01 builds no tagged image"
    name = f"{notebook.metadata['layerlab_source']}.ipynb"
    nbformat.write(notebook, jupyter_server.root / name)

    panel = open_notebook(page, jupyter_server, name)
    run_all_cells(page, panel)
    assert cell_errors(panel) == []
    views = build_views(panel, at_least=3)

    first, again, edited = views.nth(0), views.nth(1), views.nth(2)
    shoot(first, screenshots / "notebook-01-build.png")
    states = step_states(first)
    assert len(states) >= 3, states
    assert set(states.values()) <= {"base", "cached", "built"}, states
    assert "Built python-hello-world-" in summary_of(first)
    # the rebuild: every step from the cache
    shoot(again, screenshots / "notebook-01-rebuild.png")
    cached, total = re.findall(r"(\d+) of (\d+) steps from the cache", summary_of(again))[0]
    assert cached == total, summary_of(again)
    # after app.py changes: the steps above COPY from the cache, COPY built, and the reason
    shoot(edited, screenshots / "notebook-01-edited.png")
    states = step_states(edited)
    assert [state for state in states.values() if state != "base"][-1] == "built", states
    assert "cached" in states.values(), states
    assert "app.py" in edited.inner_text(), edited.inner_text()

    stack_view = panel.locator(".jupyter-widgets.layerlab-layer-stack-view").first
    check_layer_stack(stack_view, screenshots / "notebook-01-layers.png")
    page.screenshot(path=str(screenshots / "notebook-01-page.png"))
