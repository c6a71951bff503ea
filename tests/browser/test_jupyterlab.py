"""What a learner sees: notebooks run in a real JupyterLab, in headless Chromium.

The notebook builds the seed image, edits app.py, rebuilds, and shows the layers. The
test then reads the rendered widgets (not the saved outputs): the rebuild's step rows
must show steps from the cache and the rebuilt COPY step, and the layer stack must show
the base image's group and the app's own layers. Screenshots go to
artifacts/screenshots/ for people (and CI artefacts) to look at.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import nbformat as nbformat_untyped
import pytest

from tests.browser.conftest import REPO, SCREENSHOTS, JupyterServer
from tests.conftest import APP_PY, BASE_IMAGE, SEED_DOCKERFILE, TEST_RUN, unique_tag

nbformat: Any = nbformat_untyped  # nbformat ships without type hints

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RUN_TIMEOUT_S = int(os.environ.get("LAYERLAB_BROWSER_TIMEOUT_S", "420"))
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


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


def with_unique_tags(notebook: Any) -> tuple[Any, dict[str, str]]:
    """Give every image the notebook tags (``-t NAME``) a name only this test run uses.

    Every mention of the name in code cells follows, so the lab's own checks still hold;
    the kernel also labels the images, and the session teardown removes them.
    """
    renamed: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for match in re.finditer(r"(?:-t|--tag)[ =]([\w./-]+)", cell.source):
                name = match.group(1)
                # keep the name as a prefix, so globs like `%docker_images python*` still match
                renamed.setdefault(name, f"{name}-t{TEST_RUN}")
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for name, new in renamed.items():
            cell.source = re.sub(rf"(?<![\w./:-]){re.escape(name)}(?![\w./-])", new, cell.source)
    return notebook, renamed


def notebook_01() -> Path:
    found = sorted((REPO / "notebooks" / "en").glob("01-*.ipynb"))
    if not found:
        pytest.fail(
            "notebooks/en/01-*.ipynb is missing: the first lab is not written yet", pytrace=False
        )
    return found[0]


# ---------------------------------------------------------------- driving JupyterLab
def open_notebook(page: Any, server: JupyterServer, name: str) -> Any:
    """Open ``name`` and wait for its kernel; return the notebook panel's locator."""
    page.goto(server.lab_url(name), wait_until="domcontentloaded")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    # the toolbar says "idle" before a kernel exists; the status bar names the kernel
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"ipykernel\) \| Idle")).wait_for(
        timeout=90_000
    )
    return panel


def run_all_cells(page: Any, panel: Any) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    prompts = panel.locator(".jp-CodeCell .jp-InputArea-prompt")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        texts = prompts.all_inner_texts()
        if (
            texts
            and not any("*" in text for text in texts)
            and any(re.search(r"\d", text) for text in texts)
        ):
            return
        time.sleep(1)
    page.screenshot(path=str(SCREENSHOTS / "timeout.png"))
    pytest.fail(
        f"the notebook was still running after {RUN_TIMEOUT_S}s (prompts: "
        f"{prompts.all_inner_texts()}; see artifacts/screenshots/timeout.png)",
        pytrace=False,
    )


def cell_errors(panel: Any) -> list[str]:
    tracebacks = panel.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    )
    return list(tracebacks.all_inner_texts())


def step_states(view: Any) -> dict[str, str]:
    """Instruction → state, as the rendered widget rows show them."""
    states: dict[str, str] = {}
    rows = view.locator("tr.layerlab-step")
    for index in range(rows.count()):
        row = rows.nth(index)
        states[row.locator("code").first.inner_text()] = row.get_attribute("data-status")
    return states


def build_views(panel: Any, at_least: int) -> Any:
    views = panel.locator(".jupyter-widgets.layerlab-build-view")
    assert views.count() >= at_least, (
        f"expected {at_least} live build views, found {views.count()}; errors: {cell_errors(panel)}"
    )
    return views


def shoot(element: Any, path: Path) -> None:
    element.scroll_into_view_if_needed()
    element.screenshot(path=str(path))


def summary_of(view: Any) -> str:
    summary = str(view.locator(".layerlab-summary").inner_text())
    assert re.search(r"Built .+ in [\d.]+s: \d+ of \d+ steps from the cache", summary), summary
    assert view.locator(".layerlab-failure").count() == 0
    return summary


def check_layer_stack(stack_view: Any, path: Path) -> None:
    """The base image's group, labelled with its name, under the app's own layers."""
    stack_view.wait_for(timeout=30_000)
    shoot(stack_view, path)
    base_label = stack_view.locator(".layerlab-base-group-label").first.inner_text()
    assert base_label.startswith(f"base image {BASE_IMAGE}:"), base_label
    assert stack_view.locator(".layerlab-base-group .layerlab-layer").count() >= 1
    own = stack_view.locator(".layerlab-own-group").first.inner_text()
    assert "app.py" in own, own
    assert "pip install flask" in own, own
    filesystem = stack_view.locator(".layerlab-own-group .layerlab-layer[data-empty='false']")
    assert filesystem.count() == 2  # RUN and COPY; CMD is a thin metadata line


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
    source = notebook_01()
    notebook, renamed = with_unique_tags(nbformat.read(source, as_version=4))
    assert renamed, "notebook 01 builds no tagged image"
    nbformat.write(notebook, jupyter_server.root / source.name)

    panel = open_notebook(page, jupyter_server, source.name)
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
