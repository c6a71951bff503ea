"""The Docker 101 lab typed by hand into a NEW notebook, as a learner would, in JupyterLab.

Not the kit's notebooks: the test opens JupyterLab at 1280x800 with the file browser
open, makes a new notebook from the launcher, and types each cell into the editor
(pasted text, as a learner pastes from the lab's page), running it with Shift+Enter.
It follows the lab: write app.py, the Dockerfile, build, list the images, the history,
run with a published port (``--wait``), fetch the page, read the logs, edit and rebuild,
compare the two versions' layers, push (the offline advice, then the local registry),
stop, rm, and rmi of several names. After each step it reads what the cell shows and
saves a screenshot to ``artifacts/screenshots/typed-*.png``; the two-image layer view
must fit the notebook panel (no horizontal overflow).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import JupyterServer, _free_port
from tests.browser.helpers import (
    KERNEL_START_TIMEOUT_MS,
    RUN_TIMEOUT_S,
    clipped_labels,
    step_states,
    wrapped_rows,
)
from tests.conftest import APP_PY, SEED_DOCKERFILE, TEST_RUN

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WIDTH, HEIGHT = 1280, 800
REGISTRY = "127.0.0.1:5000"


@pytest.fixture
def window(chromium: Any) -> Iterator[Any]:
    """A normal laptop-sized window (the shared ``page`` fixture is larger)."""
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    browser_page = context.new_page()
    yield browser_page
    context.close()


@pytest.fixture
def lab_names(docker_client: Any) -> Iterator[dict[str, str]]:
    """This run's image and container names; whatever the lab leaves is removed."""
    names = {
        "image": f"learner-hello-{TEST_RUN}",
        "missing": f"learner-goodbye-{TEST_RUN}",
        "container": f"web-{TEST_RUN}",
    }
    yield names
    from layerlab import engine_ops

    for container in docker_client.containers.list(
        all=True, filters={"name": f"^{names['container']}$"}
    ):
        container.remove(force=True)
    for reference in (
        f"{names['image']}:v1",
        names["image"],
        f"{REGISTRY}/{names['image']}",
    ):
        if docker_client.images.list(name=reference):
            docker_client.images.remove(reference, force=True)
    with contextlib.suppress(Exception):  # the registry may hold nothing of ours
        engine_ops.registry_delete(f"{REGISTRY}/{names['image']}")


# ---------------------------------------------------------------- a learner's hands
def new_notebook(page: Any, server: JupyterServer) -> Any:
    """JupyterLab with the file browser open; File > New from the launcher's Python card."""
    page.goto(f"{server.url}/lab?reset&token={server.token}", wait_until="domcontentloaded")
    browser = page.locator("#filebrowser")
    browser.wait_for(timeout=60_000)
    if not browser.is_visible():
        page.locator(".jp-SideBar [data-id='filebrowser']").click()
    assert browser.is_visible(), "the file browser is not open"
    page.locator(".jp-LauncherCard[data-category='Notebook']").first.click()
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"ipykernel\) \| Idle")).wait_for(
        timeout=KERNEL_START_TIMEOUT_MS
    )
    return panel


def type_and_run(page: Any, panel: Any, source: str) -> Any:
    """Type ``source`` into the notebook's last (empty) cell and press Shift+Enter; wait
    for the kernel to finish it and return the cell."""
    cells = panel.locator(".jp-Notebook .jp-Cell")
    index = cells.count() - 1
    cell = cells.nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.insert_text(source)
    page.keyboard.press("Shift+Enter")
    prompt = cell.locator(".jp-InputArea-prompt")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        if re.search(r"\[\d+\]", prompt.inner_text()):
            return cell
        time.sleep(0.3)
    page.screenshot(path=str(shots() / "typed-timeout.png"))
    pytest.fail(f"the cell {source.splitlines()[0]!r} still runs after {RUN_TIMEOUT_S}s")


def shots() -> Path:
    folder = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(cell: Any, name: str) -> None:
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=str(shots() / f"typed-{name}.png"))


def outputs(cell: Any, mime: str | None = None) -> str:
    selector = ".jp-OutputArea-output"
    if mime is not None:
        selector += f"[data-mime-type='{mime}']"
    return "\n".join(cell.locator(selector).all_inner_texts())


def errors(cell: Any) -> str:
    """Exceptions the cell raised (JupyterLab renders them with the stderr type too: an
    error output starts with the exception's name, a printed line does not)."""
    texts = cell.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_inner_texts()
    return "\n".join(
        text for text in texts if re.match(r"(\w+(Error|Exception|Failed)\b|Traceback)", text)
    )


def stderr(cell: Any) -> str:
    return outputs(cell, "application/vnd.jupyter.stderr")


def overflow(view: Any) -> dict[str, Any]:
    """How far the view reaches past the notebook panel, and whether anything inside it
    is wider than its box (content that would be cut off or need a scroll bar)."""
    return dict(
        view.evaluate(
            """view => {
                const panel = view.closest('.jp-NotebookPanel').getBoundingClientRect();
                const output = view.closest('.jp-OutputArea-output');
                const boxes = [view, output, ...view.querySelectorAll('.layerlab-stack')];
                return {
                    past_panel: Math.max(...boxes.map(b => b.getBoundingClientRect().right))
                        - panel.right,
                    wider_than_box: boxes.filter(b => b.scrollWidth > b.clientWidth + 1)
                        .map(b => `${b.className}: ${b.scrollWidth}px in ${b.clientWidth}px`),
                    stacks: [...view.querySelectorAll('.layerlab-stack')]
                        .map(s => s.getBoundingClientRect().width),
                };
            }"""
        )
    )


# ---------------------------------------------------------------- the lab
def test_docker_101_typed_into_a_new_notebook(  # noqa: PLR0915 - one block per lab step
    docker_client: Any, jupyter_server: JupyterServer, window: Any, lab_names: dict[str, str]
) -> None:
    page = window
    image, container, missing = lab_names["image"], lab_names["container"], lab_names["missing"]
    port = _free_port()
    panel = new_notebook(page, jupyter_server)
    page.screenshot(path=str(shots() / "typed-00-new-notebook.png"))

    cell = type_and_run(page, panel, "%load_ext layerlab")
    assert errors(cell) == ""

    # words of this test only: another test building the same app.py content would find
    # its COPY step in BuildKit's content-addressed cache
    app = APP_PY.replace("hello world!", f"hello from a typed lab! ({TEST_RUN})")
    cell = type_and_run(page, panel, f"%%writefile app.py\n{app}")
    assert "Writing app.py" in outputs(cell)

    cell = type_and_run(page, panel, f"%%dockerfile\n{SEED_DOCKERFILE}")
    assert "Writing Dockerfile (4 instructions)" in outputs(cell), outputs(cell)

    cell = type_and_run(page, panel, f"%docker_build -t {image} .")
    summary = cell.locator(".layerlab-build-view .layerlab-summary").inner_text()
    assert summary.startswith(f"Built {image}"), summary
    shoot(cell, "01-build")

    cell = type_and_run(page, panel, "%docker_images")
    listed = outputs(cell)
    assert image in listed, listed
    assert "python:3.13-alpine" not in listed.split("other image")[0]  # not the learner's
    assert "%docker_images --all lists them" in listed, listed
    shoot(cell, "02-images")

    cell = type_and_run(page, panel, f"%docker_history {image}")
    stack = cell.locator(".layerlab-layer-stack-view")
    title = stack.locator(".layerlab-stack-title").inner_text()
    assert re.fullmatch(rf"{image}: \d+ layers in \d+ history entries, .+ in total", title), title
    shoot(cell, "03-history")

    cell = type_and_run(
        page, panel, f"web = %docker run -d -p {port}:5000 --wait --name {container} {image}"
    )
    assert errors(cell) == "", errors(cell)
    assert re.search(rf"{container} answers on 127\.0\.0\.1:{port}", outputs(cell)), outputs(cell)
    cell = type_and_run(page, panel, "web")
    assert f"Started {container}" in outputs(cell)
    assert f"Use it by name: %docker logs {container}" in outputs(cell)
    shoot(cell, "04-run")

    # right after --wait, the first fetch gets the page: no retry, no ConnectionResetError
    cell = type_and_run(
        page,
        panel,
        f'import urllib.request\nprint(urllib.request.urlopen("http://127.0.0.1:{port}/")'
        ".read().decode())",
    )
    assert outputs(cell).strip() == f"hello from a typed lab! ({TEST_RUN})", outputs(cell)
    shoot(cell, "05-fetch")

    cell = type_and_run(page, panel, "%docker logs web")  # the variable stands for it
    assert '"GET / HTTP/1.1" 200' in outputs(cell), outputs(cell)

    cell = type_and_run(page, panel, "%docker ps -q")
    ids = outputs(cell).split()
    assert ids, outputs(cell)
    assert all(re.fullmatch(r"[0-9a-f]{12}", identifier) for identifier in ids), ids

    # the terminal habit: one line saying what to write instead
    cell = type_and_run(page, panel, "%docker stop $(docker ps -q)")
    said = errors(cell)
    assert said.startswith("UsageError: %docker: $(docker ps -q) is shell"), said
    assert len(said.strip().splitlines()) == 1, said
    assert "shell command substitution" in said, said
    assert "%docker stop --all" in said, said
    assert "Traceback" not in said
    shoot(cell, "06-shell-syntax")

    cell = type_and_run(page, panel, f"%docker tag {image} {image}:v1")
    assert f"Tagged {image} as {image}:v1" in outputs(cell), outputs(cell)
    edited = APP_PY.replace("hello world!", f"typed again! ({TEST_RUN})")
    cell = type_and_run(page, panel, f"%%writefile app.py\n{edited}")
    assert "Overwriting app.py" in outputs(cell)
    cell = type_and_run(page, panel, f"%docker_build -t {image} .")
    states = step_states(cell.locator(".layerlab-build-view"))
    assert states["COPY app.py /app.py"] == "built", states
    assert states["RUN pip install flask"] == "cached", states
    assert "app.py" in cell.locator(".layerlab-cache-report").inner_text()
    shoot(cell, "07-rebuild")

    cell = type_and_run(page, panel, f"%docker_history {image}:v1 {image}")
    view = cell.locator(".layerlab-layers-view")
    view.wait_for(timeout=30_000)
    shoot(cell, "08-compare")
    page.screenshot(path=str(shots() / "typed-08-compare-page.png"))
    measured = overflow(view)
    assert measured["past_panel"] <= 1, measured
    assert measured["wider_than_box"] == [], measured
    stack_view = cell.locator(".layerlab-layer-stack-view")
    assert clipped_labels(stack_view) == []
    assert wrapped_rows(stack_view) == []
    shared = view.locator(".layerlab-stack-note").first.inner_text()
    assert re.search(r"share their bottom \d+ layers", shared), shared
    stacks = view.locator(".layerlab-stack")
    first, second = stacks.nth(0).bounding_box(), stacks.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert abs(first["y"] - second["y"]) < 1, (first, second)  # side by side at 1280 px
    # a narrower window: the two stacks go one under the other, still inside the panel
    page.set_viewport_size({"width": 900, "height": HEIGHT})
    page.wait_for_timeout(500)
    shoot(cell, "08-compare-narrow")
    measured = overflow(view)
    assert measured["past_panel"] <= 1, measured
    assert measured["wider_than_box"] == [], measured
    first, second = stacks.nth(0).bounding_box(), stacks.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert second["y"] >= first["y"] + first["height"] - 1, (first, second)
    assert wrapped_rows(stack_view) == []
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})

    cell = type_and_run(page, panel, f"%docker push {image}")
    said = errors(cell)
    assert said.startswith("EngineError: docker.io cannot be reached from here"), outputs(cell)
    assert len(said.strip().splitlines()) == 1, said
    assert f"already running at {REGISTRY}" in said, said
    assert f"%docker push {REGISTRY}/{image}" in said, said
    shoot(cell, "09-push-advice")
    cell = type_and_run(
        page, panel, f"%docker tag {image} {REGISTRY}/{image}\n%docker push {REGISTRY}/{image}"
    )
    assert errors(cell) == "", errors(cell)
    assert f"Pushed {REGISTRY}/{image}:latest" in outputs(cell), outputs(cell)

    cell = type_and_run(page, panel, "%docker stop web")
    said = outputs(cell)
    assert said.splitlines()[0] == container, said
    assert f"{container} took the whole 10 s grace period to stop" in said, said
    assert "--init" in said
    shoot(cell, "10-stop")

    cell = type_and_run(page, panel, "%docker rm web")
    assert outputs(cell).strip() == container

    cell = type_and_run(page, panel, f"%docker rmi {image}:v1 {missing} {image} {REGISTRY}/{image}")
    assert errors(cell) == "", errors(cell)
    said = outputs(cell)
    for name in (f"{image}:v1", f"{image}:latest", f"{REGISTRY}/{image}:latest"):
        assert f"Untagged: {name}" in said, said
    assert f"Error: no image '{missing}' on this engine" in stderr(cell), said
    shoot(cell, "11-rmi")
    page.screenshot(path=str(shots() / "typed-12-page.png"))
    assert not docker_client.images.list(name=image)
