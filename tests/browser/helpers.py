"""Driving a Jupyter frontend in Chromium and reading the kit's rendered views.

JupyterLab 4 and Notebook 7 are built from the same notebook components (cells,
prompts, outputs, the Run menu), so everything here serves both; only opening a
notebook and knowing when its kernel is ready differ between the two frontends.

The checks read the rendered widgets, never the saved outputs, and take the words to
look for from ``WORDS``: the English and French texts a learner should see.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import REPO, SCREENSHOTS, JupyterServer
from tests.conftest import BASE_IMAGE, TEST_RUN

RUN_TIMEOUT_S = int(os.environ.get("LAYERLAB_BROWSER_TIMEOUT_S", "420"))
KERNEL_START_TIMEOUT_MS = 90_000
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@dataclass(frozen=True)
class Words:
    """What the views say in one language (layerlab/i18n.py and the widgets' messages)."""

    summary: str  # a regular expression for the summary line
    base_group: str  # how the base group's label starts; {name} is the base image
    own_group: str
    badges: dict[str, str]  # step state → its badge text
    columns: tuple[str, ...]
    first_miss: str  # the cache explainer's opening
    files_changed: str
    log_title: str
    metadata: str
    scale: str


WORDS = {
    "en": Words(
        summary=r"Built .+ in [\d.]+s: (\d+) of (\d+) steps from the cache",
        base_group="base image {name}: ",
        own_group="added by this image's Dockerfile: ",
        badges={"cached": "✓ cached", "built": "● built", "base": "▣ base"},
        columns=("step", "state", "time", "instruction"),
        first_miss="Cache: step ",
        # one file changed in these labs: the singular of the message's plural forms
        files_changed="a file it copies from the build context changed since the last build: ",
        log_title="Build log: last ",
        metadata="metadata",
        scale="Scale",
    ),
    "fr": Words(
        # French typography: U+00A0 before ":", U+202F before the unit "s" (see docs/glossary.md)
        summary=r"L'image .+ a été construite en [\d,]+\u202fs\u00a0: (\d+) sur (\d+) étapes "
        r"venues du cache",
        base_group="image de base {name}\u00a0: ",
        own_group="ce que le Dockerfile de cette image ajoute\u00a0: ",
        badges={"cached": "✓ en cache", "built": "● construite", "base": "▣ base"},
        columns=("étape", "état", "durée", "instruction"),
        first_miss="Cache\u00a0: l'étape ",
        files_changed="un fichier qu'elle copie depuis le contexte de construction a "
        "changé depuis la dernière construction\u00a0: ",
        log_title="Journal de construction\u00a0: ",
        metadata="métadonnées",
        scale="Échelle",
    ),
}


# ---------------------------------------------------------------- notebooks
def notebook_01(language: str = "en") -> Any:
    """The first lab in ``language`` as a learner opens it: read from its jupytext source,
    without outputs."""
    import jupytext

    found = sorted((REPO / "notebooks" / language).glob("01-*.md"))
    if not found:
        pytest.fail(f"notebooks/{language}/01-*.md is missing: no first lab", pytrace=False)
    notebook = jupytext.read(found[0])
    notebook.metadata["layerlab_source"] = found[0].stem
    return without_outputs(notebook)


def with_unique_tags(notebook: Any, suffix: str = "") -> tuple[Any, dict[str, str]]:
    """Give every image the notebook tags (``-t NAME``) a name only this test run uses.

    Every mention of the name in code cells follows, so the lab's own checks still hold;
    the kernel also labels the images, and the session teardown removes them. ``suffix``
    keeps two tests that run the same lab apart.
    """
    renamed: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for match in re.finditer(r"(?:-t|--tag)[ =]([\w./-]+)", cell.source):
                name = match.group(1)
                # keep the name as a prefix, so globs like `%docker_images python*` still match
                renamed.setdefault(name, f"{name}-t{TEST_RUN}{suffix}")
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for name, new in renamed.items():
            cell.source = re.sub(rf"(?<![\w./:-]){re.escape(name)}(?![\w./-])", new, cell.source)
    return notebook, renamed


# ---------------------------------------------------------------- driving the frontends
def open_notebook(page: Any, server: JupyterServer, name: str) -> Any:
    """Open ``name`` in JupyterLab and wait for its kernel; return the notebook panel."""
    page.goto(server.lab_url(name), wait_until="domcontentloaded")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    # the toolbar says "idle" before a kernel exists; the status bar names the kernel
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"ipykernel\) \| Idle")).wait_for(
        timeout=KERNEL_START_TIMEOUT_MS
    )
    return panel


def notebook7_url(server: JupyterServer, name: str) -> str:
    # the jupyterlab server also loads the `notebook` server extension: /notebooks/ is Notebook 7
    return f"{server.url}/notebooks/{name}?token={server.token}"


def open_in_notebook7(page: Any, server: JupyterServer, name: str) -> Any:
    """Open ``name`` in Notebook 7 and wait for its kernel; return the notebook panel."""
    page.goto(notebook7_url(server, name), wait_until="domcontentloaded")
    # Notebook 7's own shell, not JupyterLab's: only Notebook 7 wraps its menu bar in
    # #menu-panel-wrapper, and only JupyterLab's shell has the jp-LabShell class
    page.locator("#menu-panel-wrapper").wait_for(timeout=60_000)
    assert page.locator(".jp-LabShell").count() == 0, "/notebooks/ opened JupyterLab"
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    # Notebook 7 has no status bar: the toolbar names the kernel ("No Kernel" at first,
    # while its indicator already reads idle) and its tooltip says when it is ready
    page.locator(".jp-Toolbar-kernelName", has_text="ipykernel").wait_for(
        timeout=KERNEL_START_TIMEOUT_MS
    )
    page.locator(
        ".jp-Notebook-ExecutionIndicator-tooltip", has_text="Kernel status: Idle"
    ).wait_for(state="attached", timeout=KERNEL_START_TIMEOUT_MS)
    return panel


def without_outputs(notebook: Any) -> Any:
    """The notebook as a learner opens it: no saved outputs, no execution counts.

    A copy that kept them shows numbered prompts before anything ran, and a test waiting for
    numbered prompts would read the saved ones (the first release's browser tests did, and
    passed or failed depending on how fast the kernel started).
    """
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def _prompts(panel: Any) -> list[str]:
    return [
        text.strip()
        for text in panel.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
    ]


def run_all_cells(page: Any, panel: Any, screenshot_name: str = "timeout.png") -> None:
    """Run > Run All Cells, then wait until this run has executed every code cell (or
    stopped at a cell that raised).

    The notebook must start with no execution counts (``without_outputs``): every number
    seen afterwards was given by this run's kernel.
    """
    before = _prompts(panel)
    stale = [text for text in before if re.search(r"\d", text)]
    assert not stale, (
        f"the notebook opened with saved execution counts {stale}: copy it without_outputs()"
    )
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        texts = _prompts(panel)
        running = any("*" in text for text in texts)
        done = [bool(re.search(r"\d", text)) for text in texts]
        if texts and not running and all(done):
            return
        if texts and not running and any(done) and cell_errors(panel):
            return  # Run All stops at a cell that raised: the caller reports the error
        time.sleep(1)
    page.screenshot(path=str(SCREENSHOTS / screenshot_name))
    pytest.fail(
        f"the notebook was still running after {RUN_TIMEOUT_S}s (prompts: "
        f"{_prompts(panel)}; see artifacts/screenshots/{screenshot_name})",
        pytrace=False,
    )


def cell_errors(panel: Any) -> list[str]:
    tracebacks = panel.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    )
    return list(tracebacks.all_inner_texts())


def code_cell(panel: Any, source_text: str) -> Any:
    """The one code cell whose source contains ``source_text``."""
    cells = panel.locator(".jp-CodeCell").filter(
        has=panel.page.locator(".jp-InputArea-editor", has_text=source_text)
    )
    assert cells.count() == 1, f"{cells.count()} cells contain {source_text!r}"
    return cells.first


# ---------------------------------------------------------------- reading the views
def step_states(view: Any) -> dict[str, str]:
    """Instruction → state, as the rendered widget rows show them."""
    states: dict[str, str] = {}
    rows = view.locator("tr.layerlab-step")
    for index in range(rows.count()):
        row = rows.nth(index)
        states[row.locator("code").first.inner_text()] = row.get_attribute("data-status")
    return states


def step_badges(view: Any) -> dict[str, str]:
    """Instruction → the state badge's text, as a learner reads it."""
    badges: dict[str, str] = {}
    rows = view.locator("tr.layerlab-step")
    for index in range(rows.count()):
        row = rows.nth(index)
        badge = row.locator(".layerlab-badge").inner_text()
        badges[row.locator("code").first.inner_text()] = badge.strip()
    return badges


def build_views(panel: Any, at_least: int) -> Any:
    views = panel.locator(".jupyter-widgets.layerlab-build-view")
    assert views.count() >= at_least, (
        f"expected {at_least} live build views, found {views.count()}; errors: {cell_errors(panel)}"
    )
    return views


def build_view_of(panel: Any, source_text: str) -> Any:
    """The live build view in the output of the cell whose source holds ``source_text``."""
    views = code_cell(panel, source_text).locator(".jupyter-widgets.layerlab-build-view")
    assert views.count() == 1, (
        f"the cell {source_text!r} shows {views.count()} build views; errors: {cell_errors(panel)}"
    )
    return views.first


def shoot(element: Any, path: Path) -> None:
    element.scroll_into_view_if_needed()
    element.screenshot(path=str(path))


def summary_of(view: Any, language: str = "en") -> str:
    """The summary line, checked for its words in ``language`` and for no failure box."""
    summary = str(view.locator(".layerlab-summary").inner_text())
    assert re.search(WORDS[language].summary, summary), summary
    failures = view.locator(".layerlab-failure").all_inner_texts()
    assert failures == [], failures
    return summary


def cached_of_total(view: Any, language: str = "en") -> tuple[int, int]:
    cached, total = re.findall(WORDS[language].summary, summary_of(view, language))[0]
    return int(cached), int(total)


def check_code_change_rebuild(view: Any, changed_file: str, language: str = "en") -> None:
    """After editing ``changed_file``: the steps above COPY came from the cache, COPY was
    built, and the cache explainer under the rows names the file."""
    words = WORDS[language]
    states = step_states(view)
    own = {instruction: state for instruction, state in states.items() if state != "base"}
    copy_steps = [instruction for instruction in own if instruction.startswith("COPY ")]
    assert copy_steps == [f"COPY {changed_file} /{changed_file}"], states
    assert own.pop(copy_steps[0]) == "built", states
    assert own, f"no step above COPY: {states}"
    assert set(own.values()) == {"cached"}, states
    assert [state for state in states.values() if state == "base"] == ["base"], states
    cached, total = cached_of_total(view, language)
    assert (cached, total) == (len(own), len(own) + 1), summary_of(view, language)
    report = view.locator(".layerlab-cache-report .layerlab-cache")
    reason = report.get_attribute("data-reason")
    assert reason == "files_changed", f"{reason}: {report.inner_text()}"
    explained = report.inner_text()
    assert explained.startswith(words.first_miss), explained
    assert copy_steps[0] in explained, explained
    assert f"{words.files_changed}{changed_file}" in explained, explained


def check_layer_stack(stack_view: Any, path: Path, language: str = "en") -> None:
    """The base image's group, labelled with its name, under the app's own layers."""
    words = WORDS[language]
    stack_view.wait_for(timeout=30_000)
    shoot(stack_view, path)
    base_label = stack_view.locator(".layerlab-base-group-label").first.inner_text()
    assert base_label.startswith(words.base_group.format(name=BASE_IMAGE)), base_label
    base_layers = stack_view.locator(".layerlab-base-group .layerlab-layer").count()
    assert base_layers >= 1, f"the base group shows {base_layers} layers"
    own_label = stack_view.locator(".layerlab-own-group-label").first.inner_text()
    assert own_label.startswith(words.own_group), own_label
    own = stack_view.locator(".layerlab-own-group").first.inner_text()
    assert "app.py" in own, own
    assert "pip install flask" in own, own
    filesystem = stack_view.locator(".layerlab-own-group .layerlab-layer[data-empty='false']")
    # RUN and COPY; CMD is a thin metadata line
    assert filesystem.count() == 2, filesystem.all_inner_texts()
    # the base group sits below the app's own layers, as layers stack
    own_box = stack_view.locator(".layerlab-own-group").first.bounding_box()
    base_box = stack_view.locator(".layerlab-base-group").first.bounding_box()
    assert own_box is not None, "the app's own layers are not drawn"
    assert base_box is not None, "the base group is not drawn"
    assert base_box["y"] >= own_box["y"] + own_box["height"] - 1, (own_box, base_box)
    clipped = clipped_labels(stack_view)
    assert clipped == [], f"labels overflow their column onto the command: {clipped}"
    wrapped = wrapped_rows(stack_view)
    assert wrapped == [], f"layer rows wrap onto a second line: {wrapped}"


def clipped_labels(stack_view: Any) -> list[str]:
    """Size and "metadata" labels wider than their column: they spill onto the command."""
    return list(
        stack_view.locator(".layerlab-layer > span:first-of-type").evaluate_all(
            "spans => spans.filter(s => s.scrollWidth > s.clientWidth + 1)"
            ".map(s => `${s.textContent} (${s.scrollWidth}px in ${s.clientWidth}px)`)"
        )
    )


def wrapped_rows(stack_view: Any) -> list[str]:
    """Layer rows taller than one line (a bar row is 22px high, a metadata row 14px)."""
    return list(
        stack_view.locator(".layerlab-layer").evaluate_all(
            "rows => rows.filter(r => r.getBoundingClientRect().height > 30)"
            ".map(r => `${r.textContent} (${Math.round(r.getBoundingClientRect().height)}px)`)"
        )
    )
