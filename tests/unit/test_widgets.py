"""Widget state without a browser: views fed with hand-made events and layer stacks.

Like ipywidgets' own tests, a dummy comm records what would be sent to the frontend,
so we can check both the widget state and how many messages a build costs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from layerlab import i18n
from layerlab.build import (
    BuildRecorder,
    BuildResult,
    EngineLines,
    ImageBuilt,
    StepCached,
    StepFailed,
    StepFinished,
    StepOutput,
    StepStarted,
)
from layerlab.image_layers import Layer, LayerStack
from layerlab.views import step_line
from layerlab.widgets.build_view import BuildView
from layerlab.widgets.layer_stack import LayerStackView, bar_percent, shared_entries

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class DummyComm:
    """Stands in for the kernel comm; keeps every message a widget sends."""

    comm_id = "dummy"
    kernel = "kernel"

    def __init__(self, sent: list[dict[str, Any]]) -> None:
        self.sent = sent

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send(self, data: Any = None, *_args: Any, **_kwargs: Any) -> None:
        self.sent.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Messages the widgets send to the (absent) frontend."""
    import ipywidgets.widgets.widget as widget_module

    messages: list[dict[str, Any]] = []
    monkeypatch.setattr(widget_module.comm, "create_comm", lambda **_: DummyComm(messages))
    return messages


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language("auto")


def new_result() -> BuildResult:
    return BuildResult(
        builder="classic", tags=["hello:latest"], context=".", dockerfile="Dockerfile"
    )


def seed_rebuild(view: Any, *, edited: bool = True) -> BuildResult:
    """The seed lab's rebuild after editing app.py: three steps cached, COPY rebuilt."""
    result = new_result()
    recorder = BuildRecorder(result, [view])
    recorder.handle(EngineLines(("Step 1/4 : FROM python:3.13-alpine",)))
    recorder.handle(StepStarted(1, 4, "FROM python:3.13-alpine", is_base=True))
    recorder.handle(StepStarted(2, 4, "RUN pip install flask"))
    recorder.handle(StepCached(2))
    recorder.handle(StepFinished(2, "sha256:aaa"))
    recorder.handle(StepStarted(3, 4, 'CMD ["python","app.py"]'))
    recorder.handle(StepCached(3))
    recorder.handle(StepFinished(3, "sha256:bbb"))
    recorder.handle(StepStarted(4, 4, "COPY app.py /app.py"))
    if not edited:
        recorder.handle(StepCached(4))
    recorder.handle(StepFinished(4, "sha256:ccc"))
    recorder.handle(ImageBuilt("sha256:" + "c" * 64))
    recorder.finish("succeeded")
    return result


def row_states(html_text: str) -> dict[int, str]:
    return {
        int(number): status
        for number, status in re.findall(r"data-step='(\d+)' data-status='(\w+)'", html_text)
    }


# ---------------------------------------------------------------- build view
def test_build_view_rows_show_cached_and_built_states(sent: list[Any]) -> None:
    view = BuildView()
    seed_rebuild(view)

    assert row_states(view.rows.get_state()["value"]) == {
        1: "base",
        2: "cached",
        3: "cached",
        4: "built",
    }
    summary = view.summary.get_state()["value"]
    assert "Built hello:latest" in summary
    assert "2 of 3 steps from the cache" in summary
    assert view.children == (view.rows, view.summary, view.log_box)
    assert sent, "the widget never talked to the frontend"


def test_running_step_renders_before_any_output(sent: list[Any]) -> None:
    # a silent RUN (sleep 10) must show as running at once, not at the next output line
    view = BuildView()
    result = new_result()
    recorder = BuildRecorder(result, [view])
    recorder.handle(StepStarted(1, 2, "FROM python:3.13-alpine", is_base=True))
    recorder.handle(StepStarted(2, 2, "RUN sleep 10"))
    assert row_states(view.rows.value) == {1: "base", 2: "running"}


def test_running_step_shows_its_latest_output_line(sent: list[Any]) -> None:
    view = BuildView()
    view.min_interval_s = 0.0
    result = new_result()
    recorder = BuildRecorder(result, [view])
    recorder.handle(StepStarted(1, 1, "RUN pip install flask"))
    recorder.handle(StepOutput(1, ("Collecting flask",)))
    recorder.handle(StepOutput(1, ("Downloading werkzeug-3.1.3",)))
    assert "Downloading werkzeug-3.1.3" in view.rows.value
    assert "Collecting flask" not in view.rows.value


def test_hundred_thousand_lines_cost_few_messages_and_a_bounded_log(sent: list[Any]) -> None:
    view = BuildView()
    result = new_result()
    recorder = BuildRecorder(result, [view])
    started = time.monotonic()
    for header in ("Step 1/2 : FROM python:3.13-alpine", "Step 2/2 : RUN seq 100000"):
        recorder.handle(EngineLines((header,)))  # the engine's lines: the log has them
    recorder.handle(StepStarted(1, 2, "FROM python:3.13-alpine", is_base=True))
    recorder.handle(StepStarted(2, 2, "RUN seq 100000"))
    for number in range(100_000):
        recorder.handle(EngineLines((f"line {number}",)))
        recorder.handle(StepOutput(2, (f"line {number}",)))
    recorder.handle(StepFinished(2, "sha256:abc"))
    recorder.handle(ImageBuilt("sha256:abc"))
    recorder.finish("succeeded")
    elapsed = time.monotonic() - started

    assert view.events == 100_005  # with BuildDone (the log's own lines are not events)
    # state changes (4) + one render per interval of output + the final one
    assert view.renders <= 4 + elapsed / view.min_interval_s + 2
    assert len(sent) < 20 * view.renders
    log_text = view.log_lines.value
    assert "line 99999" in log_text
    assert log_text.count("\n") < 250  # the tail, not the whole log
    assert "last 200 of 100002 lines" in view.log_box.titles[0]  # 2 step headers + output
    assert result.log.count("\n") == 100_002  # the full log is still on the result


def test_failed_step_is_unmistakable_with_its_last_lines(sent: list[Any]) -> None:
    view = BuildView()
    result = new_result()
    recorder = BuildRecorder(result, [view])
    recorder.handle(StepStarted(1, 2, "FROM python:3.13-alpine", is_base=True))
    recorder.handle(StepStarted(2, 2, "RUN pip install flaskk"))
    recorder.handle(StepOutput(2, ("ERROR: Could not find a version that satisfies flaskk",)))
    recorder.handle(StepOutput(2, ("ERROR: No matching distribution found for flaskk",)))
    recorder.handle(
        StepFailed(2, "The command '/bin/sh -c pip install flaskk' returned a non-zero code: 1")
    )
    recorder.finish("failed")

    assert row_states(view.rows.value)[2] == "failed"
    failure = view.failure.get_state()["value"]
    assert "Step 2 failed: RUN pip install flaskk" in failure
    assert "No matching distribution found for flaskk" in failure
    assert "returned a non-zero code: 1" in failure
    assert view.failure in view.children
    assert "Failed" in view.summary.value


def test_cache_report_shows_under_the_summary() -> None:
    class Report:
        def __str__(self) -> str:
            return "Step 4 (COPY app.py /app.py) missed the cache: app.py changed."

        def _repr_html_(self) -> str:
            return "<p class='report'>Step 4 missed the cache: <b>app.py</b> changed.</p>"

    view = BuildView()
    result = new_result()

    def attach_report(event: Any, live: BuildResult) -> None:
        if isinstance(event, StepFinished) and event.number == 4:
            report_holder: Any = live  # any object with __str__/_repr_html_ will do
            report_holder.cache_report = Report()

    recorder = BuildRecorder(result, [attach_report, view])
    for event in (
        StepStarted(4, 4, "COPY app.py /app.py"),
        StepFinished(4, "sha256:c"),
        ImageBuilt("sha256:c"),
    ):
        recorder.handle(event)
    recorder.finish("succeeded")

    assert "<b>app.py</b> changed" in view.report.value
    assert view.children.index(view.report) == view.children.index(view.summary) + 1
    assert "missed the cache: app.py changed." in repr(view)
    assert "<b>app.py</b> changed" in view._repr_html_()


def test_report_attached_before_build_done_shows_without_a_cell_end_hook(
    ip_empty: Any, monkeypatch: pytest.MonkeyPatch, sent: list[Any]
) -> None:
    # layerlab.api settles the build, attaches result.cache_report, then announces
    # BuildDone: the view has the report at its last event, no post_run_cell hook needed
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **_kw: shown.append(objs))
    callbacks = len(ip_empty.events.callbacks["post_run_cell"])
    view = BuildView()
    view.display()
    result = new_result()
    recorder = BuildRecorder(result, [view])
    recorder.handle(StepStarted(1, 2, "FROM python:3.13-alpine", is_base=True))
    recorder.handle(StepStarted(2, 2, "COPY app.py /app.py"))
    recorder.handle(StepFinished(2, "sha256:c"))
    recorder.handle(ImageBuilt("sha256:" + "c" * 64))
    recorder.settle("succeeded")
    assert view.report.value == ""
    report_holder: Any = result  # any object with __str__ will do
    report_holder.cache_report = "COPY app.py missed the cache: app.py changed."
    recorder.announce()

    assert "app.py changed" in view.report.value
    assert shown[0] == (view,)
    assert len(ip_empty.events.callbacks["post_run_cell"]) == callbacks


def test_quiet_view_shows_only_the_summary(sent: list[Any]) -> None:
    view = BuildView(quiet=True)
    seed_rebuild(view)
    assert view.children == (view.summary,)
    assert repr(view).startswith("Built hello:latest")
    assert "layerlab-step" not in view._repr_html_()


def test_mimebundle_has_the_widget_and_text_and_html_rows(sent: list[Any]) -> None:
    view = BuildView()
    result = seed_rebuild(view)
    bundle = view._repr_mimebundle_()

    assert bundle[WIDGET_MIME]["model_id"] == view.model_id
    text = bundle["text/plain"]
    for step in result.steps:
        assert step_line(step) in text  # the same rows the terminal prints
    assert result.summary() in text
    assert row_states(bundle["text/html"]) == {1: "base", 2: "cached", 3: "cached", 4: "built"}
    assert "<details>" in bundle["text/html"]  # the log, collapsed


def test_saved_result_renders_without_events(sent: list[Any]) -> None:
    result = seed_rebuild(lambda _event, _live: None)
    view = BuildView.from_result(result)
    assert row_states(view.rows.value)[4] == "built"


def test_build_view_speaks_french(sent: list[Any]) -> None:
    i18n.set_language("fr")
    view = BuildView()
    seed_rebuild(view)
    assert "✓ en cache" in view.rows.value
    assert "sur 3 étapes venues du cache" in view.summary.value


def test_display_waits_for_the_first_event(
    monkeypatch: pytest.MonkeyPatch, sent: list[Any]
) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.append((objs, kw)))
    view = BuildView()
    view.display()
    assert shown == []  # a build refused before it starts leaves no empty view behind
    seed_rebuild(view)
    assert shown[0] == ((view,), {"display_id": True})


# ---------------------------------------------------------------- layer stack
MB = 1_000_000


def layer(
    index: int,
    created_by: str,
    size: int,
    *,
    base: bool = False,
    ident: str = "<missing>",
    instruction: str | None = None,
) -> Layer:
    keyword = created_by.split(maxsplit=1)[0]
    empty = size == 0 and keyword in {"CMD", "ENV", "LABEL", "WORKDIR"}
    return Layer(
        index=index,
        id=ident,
        created_by=created_by,
        size_bytes=size,
        empty=empty,
        from_base=base,
        instruction=instruction,
    )


def base_layers() -> list[Layer]:
    return [  # newest first
        layer(3, 'CMD ["python3"]', 0, base=True),
        layer(2, "RUN apt-get install -y python3", 48 * MB, base=True),
        layer(1, "ENV LANG=C.UTF-8", 0, base=True),
        layer(0, "ADD file:0123 in /", 74 * MB, base=True),
    ]


def app_stack(name: str = "hello", app_size: int = 156) -> LayerStack:
    own = [
        layer(
            6,
            "COPY file:abc in /app.py",
            app_size,
            ident="sha256:66",
            instruction="COPY app.py /app.py",
        ),
        layer(5, 'CMD ["python","app.py"]', 0, ident="sha256:55"),
        layer(
            4,
            "RUN pip install flask",
            200 * MB,
            ident="sha256:44",
            instruction="RUN pip install flask",
        ),
    ]
    base_ids = ("sha256:l0", "sha256:l2")
    own_ids = ("sha256:l4", f"sha256:l6-{name}")
    return LayerStack(
        image=name,
        image_id=f"sha256:{name}",
        layers=own + base_layers(),
        base_image="python:3.13-alpine",
        diff_ids=base_ids + own_ids,
    )


def widths(html_text: str) -> dict[int, float]:
    found = re.findall(r"data-size='(\d+)'[^>]*>.*?width:([\d.]+)%", html_text)
    return {int(size): float(width) for size, width in found}


def test_layer_stack_groups_the_base_and_draws_readable_bars(sent: list[Any]) -> None:
    view = LayerStackView(app_stack())
    drawing = view.drawing.get_state()["value"]

    assert "base image python:3.13-alpine: 2 layers in 4 history entries, 122.0 MB" in drawing
    assert "hello: 4 layers in 7 history entries, 322.0 MB in total" in drawing
    base_group = drawing.split("class='layerlab-base-group'")[1]
    assert "ADD file:0123 in /" in base_group
    assert "pip install flask" not in base_group
    own_group = drawing.split("class='layerlab-own-group'")[1].split("layerlab-base-group")[0]
    assert own_group.index("COPY app.py /app.py") < own_group.index("RUN pip install flask")
    bars = widths(drawing)
    assert bars[200 * MB] == 100.0
    assert 1.5 <= bars[156] < 10  # visible, and clearly the smallest
    assert bars[48 * MB] < bars[74 * MB] < bars[200 * MB]
    assert drawing.count("data-empty='true'") == 3  # CMD, CMD, ENV drawn thin
    assert "156 B" in drawing


def test_layer_stack_linear_scale_is_a_toggle(sent: list[Any]) -> None:
    view = LayerStackView(app_stack())
    log_bar = widths(view.drawing.value)[48 * MB]
    view.scale_toggle.value = "linear"
    assert widths(view.drawing.value)[48 * MB] == pytest.approx(24.0)
    assert widths(view.drawing.value)[48 * MB] < log_bar
    assert "linear scale" in view.drawing.value
    # the 156-byte layer next to 200 MB: a percentage rounds to nothing, a pixel floor does not
    tiny = view.drawing.value.split("data-size='156'")[1].split("</div></div>")[0]
    assert "min-width:4px" in tiny


def test_two_stacks_reflow_instead_of_overflowing(sent: list[Any]) -> None:
    drawing = LayerStackView(app_stack(), app_stack("hello-v2", app_size=180)).drawing.value
    assert "flex-wrap:wrap" in drawing
    assert "min-width:420px" not in drawing  # no fixed width that a narrow panel would clip
    assert drawing.count("flex:1 1 360px;min-width:0") == 2
    assert "text-overflow:ellipsis" in drawing  # commands end in … with the full text in title
    assert "title='COPY file:abc in /app.py'" in drawing


def test_two_images_show_their_shared_layers(sent: list[Any]) -> None:
    first, second = app_stack("hello"), app_stack("hello-v2", app_size=180)
    view = LayerStackView(first, second)

    assert view.shared == 3  # the base's two filesystem layers and pip install
    assert shared_entries(first, second) == 6  # plus the metadata entries between them
    drawing = view.drawing.value
    assert drawing.count("data-shared='true'") == 12  # 6 on each stack
    assert "hello and hello-v2 share their bottom 3 layers (322.0 MB)" in drawing
    stacks = drawing.split("class='layerlab-stack'")[1:]
    assert len(stacks) == 2
    for stack_html in stacks:
        copy_row = stack_html.split("COPY app.py")[0].rsplit("class='layerlab-layer'", 1)[1]
        assert "data-shared='false'" in copy_row


def test_images_with_different_bases_share_nothing(sent: list[Any]) -> None:
    other = LayerStack(
        image="alpine",
        image_id="sha256:alp",
        layers=[layer(0, "ADD file:zzz in /", 7 * MB)],
        diff_ids=("sha256:z",),
    )
    view = LayerStackView(app_stack(), other)
    assert view.shared == 0
    assert "hello and alpine share no layers" in view.drawing.value
    assert "data-shared='true'" not in view.drawing.value


def test_layer_stack_mimebundle_has_text_and_html(sent: list[Any]) -> None:
    view = LayerStackView(app_stack(), app_stack("hello-v2", app_size=180))
    bundle = view._repr_mimebundle_()
    assert bundle[WIDGET_MIME]["model_id"] == view.model_id
    assert "IPY_MODEL" not in bundle["text/plain"]
    assert "RUN pip install flask" in bundle["text/plain"]
    assert "share their bottom 3 layers" in bundle["text/plain"]
    assert "class='layerlab-base-group'" in bundle["text/html"]


def test_layer_stack_takes_one_or_two_images() -> None:
    with pytest.raises(ValueError, match="one or two"):
        LayerStackView()


@pytest.mark.parametrize(("smaller", "larger"), [(156, 1000), (1000, 5 * MB), (5 * MB, 200 * MB)])
def test_log_bars_grow_with_size(smaller: int, larger: int) -> None:
    assert bar_percent(smaller, 200 * MB) < bar_percent(larger, 200 * MB)
    assert bar_percent(0, 200 * MB) == 0.0


def test_the_magic_makes_its_widget_view_on_the_builds_first_event(
    sent: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # ~20 comm openings cost 4-7 ms in a kernel: made on the first event, while the engine
    # works; a build refused before it starts makes no widget at all
    from layerlab.config import settings
    from layerlab.magics import _display

    monkeypatch.setattr(settings(), "view", "widget")
    shown: list[Any] = []

    def show(self: BuildView) -> None:
        self._display_pending = False
        shown.append(self)

    monkeypatch.setattr(BuildView, "_show", show)
    listener = _display.build_view(quiet=False)
    assert not sent
    assert not shown
    result = seed_rebuild(listener)
    view = getattr(listener, "view", None)
    assert isinstance(view, BuildView)
    assert shown == [view]
    assert sent
    assert row_states(view.rows.get_state()["value"])[4] == "built"
    assert view.result is result
