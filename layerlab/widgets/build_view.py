"""The live build view: one row per step as the engine reports it.

``BuildView`` is a ``BuildListener``: the recorder calls it with every event and the
live ``BuildResult``, whose ``steps`` are the view-model. The view only renders that
model (it never calls the engine), so it also shows saved results
(``BuildView.from_result(result)``).

Widget updates are throttled: a step changing state renders at once (those events are
few, and a learner must see a silent ``RUN sleep 10`` start), while output lines only
re-render every ``min_interval_s``, so a build printing 100,000 lines sends a few
dozen messages to the browser, not 100,000.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from layerlab import i18n
from layerlab.build import BuildDone, BuildResult, BuildStarted, LogLine, StepOutput
from layerlab.i18n import t, tn
from layerlab.views import STATUS_MARK, build_text

if TYPE_CHECKING:
    from layerlab.build import BuildEvent, BuildStep

#: badge colours per step state: (text, background); both set so dark themes stay readable
STATUS_COLORS: dict[str, tuple[str, str]] = {
    "cached": ("#116329", "#dafbe1"),
    "built": ("#0550ae", "#ddf4ff"),
    "failed": ("#ffffff", "#cf222e"),
    "running": ("#7d4e00", "#fff8c5"),
    "base": ("#57606a", "#eaeef2"),
}
_CELL = "padding:2px 8px;border-bottom:1px solid #d0d7de80;vertical-align:top"
_MONO = "font-family:var(--jp-code-font-family,monospace);font-size:12px"


# ---------------------------------------------------------------- HTML pieces
def _badge(status: str) -> str:
    color, background = STATUS_COLORS.get(status, ("#000000", "#eeeeee"))
    label = html.escape(f"{STATUS_MARK.get(status, '')} {t(f'status.{status}')}".strip())
    return (
        f"<span class='layerlab-badge' style='color:{color};background:{background};"
        f"border-radius:10px;padding:0 8px;font-weight:600;white-space:nowrap'>{label}</span>"
    )


def step_row_html(step: BuildStep, *, live_line: str | None = None) -> str:
    """One table row for ``step``; ``live_line`` is the running step's latest output."""
    number = f"{step.number}/{step.total}" if step.total else str(step.number)
    duration = i18n.seconds(step.duration_s) if step.duration_s is not None else ""
    stage = f"<span style='color:#6e7781'>[{html.escape(step.stage)}]</span> " if step.stage else ""
    failed = step.status == "failed"
    row_style = "background:#ffebe9;" if failed else ""
    instruction = html.escape(step.instruction)
    weight = "font-weight:700;color:#a40e26" if failed else ""
    live = ""
    if live_line:
        live = (
            f"<div class='layerlab-live' style='{_MONO};color:#6e7781;white-space:pre;"
            f"overflow:hidden;text-overflow:ellipsis;max-width:70ch'>"
            f"{html.escape(live_line[:200])}</div>"
        )
    return (
        f"<tr class='layerlab-step' data-step='{step.number}' data-status='{step.status}' "
        f"style='{row_style}'>"
        f"<td style='{_CELL};text-align:right;color:#57606a'>{number}</td>"
        f"<td style='{_CELL}'>{_badge(step.status)}</td>"
        f"<td style='{_CELL};text-align:right;font-variant-numeric:tabular-nums'>{duration}</td>"
        f"<td style='{_CELL}'>{stage}<code style='{_MONO};{weight}'>{instruction}</code>{live}"
        "</td></tr>"
    )


def steps_html(result: BuildResult, *, live: bool = False) -> str:
    if not result.steps:
        return (
            f"<div class='layerlab-waiting' style='color:#6e7781'>"
            f"{html.escape(t('view.waiting'))}</div>"
        )
    rows = []
    for step in result.steps:
        live_line = step.tail[-1] if live and step.status == "running" and step.tail else None
        rows.append(step_row_html(step, live_line=live_line))
    head = "".join(
        f"<th style='{_CELL};text-align:left;color:#57606a;font-weight:600'>"
        f"{html.escape(t(key))}</th>"
        for key in ("view.col_step", "view.col_state", "view.col_time", "view.col_instruction")
    )
    return (
        f"<table class='layerlab-steps' style='border-collapse:collapse;font-size:13px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def failure_html(result: BuildResult) -> str:
    """A red box naming the failed step, the error and the step's last output lines."""
    if result.status in ("running", "succeeded") and result.failed_step is None:
        return ""
    step = result.failed_step
    if step is None and result.error is None:
        return ""
    title = (
        t("view.step_failed", number=step.number, instruction=step.instruction)
        if step is not None
        else t("view.build_failed")
    )
    parts = [f"<div style='font-weight:700;color:#a40e26'>✗ {html.escape(title)}</div>"]
    if result.error:
        parts.append(f"<div style='color:#1f2328'>{html.escape(result.error)}</div>")
    if step is not None and step.tail:
        lines = html.escape("\n".join(step.tail))
        parts.append(
            f"<div style='color:#57606a;margin-top:4px'>"
            f"{html.escape(t('view.last_lines'))}</div>"
            f"<pre style='{_MONO};margin:2px 0;padding:4px 6px;background:#ffffff;"
            f"color:#1f2328;border:1px solid #ffcecb;max-height:16em;overflow:auto'>"
            f"{lines}</pre>"
        )
    return (
        "<div class='layerlab-failure' style='border:2px solid #cf222e;"
        "background:#fff5f5;color:#1f2328;border-radius:6px;padding:6px 10px;"
        f"margin:6px 0'>{''.join(parts)}</div>"
    )


def summary_html(result: BuildResult) -> str:
    if result.status == "running":
        return ""
    color = {"succeeded": "#116329"}.get(result.status, "#a40e26")
    return (
        f"<div class='layerlab-summary' data-status='{result.status}' "
        f"style='font-weight:700;color:{color};margin:4px 0'>"
        f"{html.escape(result.summary())}</div>"
    )


def report_html(result: BuildResult) -> str:
    report = result.cache_report
    if report is None:
        return ""
    to_html = getattr(report, "_repr_html_", None)
    body = to_html() if callable(to_html) else f"<p>{html.escape(str(report))}</p>"
    # line-height: the HTML widget's own (28px, one widget row) spreads wrapped sentences
    return f"<div class='layerlab-cache-report' style='line-height:1.45'>{body}</div>"


def log_title(result: BuildResult) -> str:
    return tn("view.log_title", len(result.log_store.tail), total=result.log_store.lines)


def log_html(result: BuildResult) -> str:
    text = html.escape("\n".join(result.log_store.tail))
    return (
        f"<pre class='layerlab-log' style='{_MONO};margin:0;max-height:24em;"
        f"overflow:auto;white-space:pre-wrap'>{text}</pre>"
    )


def build_view_html(result: BuildResult, *, quiet: bool = False) -> str:
    """The whole view as static HTML (nbconvert, GitHub): rows, summary, report, log."""
    parts = [] if quiet else [steps_html(result)]
    parts += [failure_html(result), summary_html(result), report_html(result)]
    if result.log_store.lines and not quiet:
        parts.append(
            f"<details><summary>{html.escape(log_title(result))}</summary>"
            f"{log_html(result)}</details>"
        )
    return f"<div class='layerlab-build'>{''.join(parts)}</div>"


# ---------------------------------------------------------------- the widget
class BuildView(widgets.VBox):
    """Shows a build live in a Jupyter frontend; text and HTML everywhere else."""

    #: seconds between two renders caused by output lines alone
    min_interval_s: float = 0.15

    def __init__(
        self, quiet: bool = False, result: BuildResult | None = None, **kwargs: Any
    ) -> None:
        self.quiet = quiet
        self.result = result
        self.events = 0
        self.renders = 0
        self._last_render = 0.0
        self._handle: Any = None
        self._display_pending = False
        self._shown: tuple[widgets.Widget, ...] = ()
        self.rows = widgets.HTML(layout=widgets.Layout(overflow="auto"))
        self.failure = widgets.HTML()
        self.summary = widgets.HTML()
        self.report = widgets.HTML()
        self.log_lines = widgets.HTML()
        self.log_box = widgets.Accordion(children=[self.log_lines], selected_index=None)
        super().__init__(children=[], **kwargs)
        self.add_class("layerlab-build-view")
        if result is not None:
            self._render()

    @classmethod
    def from_result(cls, result: BuildResult, *, quiet: bool = False) -> BuildView:
        """A view of a finished (or saved) build."""
        return cls(quiet=quiet, result=result)

    # ---- listener
    def __call__(self, event: BuildEvent, result: BuildResult) -> None:
        self.result = result
        self.events += 1
        if (
            type(event) is StepOutput
            and not self._display_pending
            and time.monotonic() - self._last_render < self.min_interval_s
        ):
            return  # the common case of a chatty RUN: nothing to redraw yet
        if self._display_pending:
            self._show()
        if isinstance(event, BuildDone):
            self._render()
            self._refresh_display()
            return
        if type(event) is BuildStarted:
            self._render(live=True)  # "waiting for the engine" until the first step
            return
        output_only = isinstance(event, (StepOutput, LogLine))
        if output_only and time.monotonic() - self._last_render < self.min_interval_s:
            return
        self._render(live=True)

    # ---- rendering
    def _render(self, *, live: bool = False) -> None:
        result = self.result
        if result is None:
            return
        self._last_render = time.monotonic()
        self.renders += 1
        shown: list[widgets.Widget] = []
        if not self.quiet:
            self.rows.value = steps_html(result, live=live)
            shown.append(self.rows)
        for widget, text in (
            (self.failure, failure_html(result)),
            (self.summary, summary_html(result)),
            (self.report, report_html(result)),
        ):
            widget.value = text
            if text:
                shown.append(widget)
        if not self.quiet and result.log_store.lines:
            self.log_lines.value = log_html(result)
            self.log_box.titles = (log_title(result),)
            shown.append(self.log_box)
        if tuple(shown) != self._shown:
            self._shown = tuple(shown)
            self.children = self._shown  # assign, never mutate: traitlets must notice

    # ---- display
    def display(self) -> None:
        """Show the view; before the first event, wait for it (so a build that fails
        before it starts leaves only its one-line error, not an empty view)."""
        if self.result is None:
            self._display_pending = True
            return
        self._show()

    def _show(self) -> None:
        from IPython import display as ipython_display

        # IPython's display() is untyped; the handle it returns has update()
        show: Any = ipython_display.display
        self._display_pending = False
        self._handle = show(self, display_id=True)

    def _refresh_display(self) -> None:
        # The notebook keeps the text/plain and text/html given at display time; send
        # them again now that the build is over so saved notebooks show the real rows.
        if self._handle is not None:
            self._handle.update(self)

    # ---- representations for frontends without widgets
    def __repr__(self) -> str:
        if self.result is None:
            return t("view.waiting")
        if self.quiet:
            lines = [self.result.summary()]
            if self.result.cache_report is not None:
                lines.append(str(self.result.cache_report))
            return "\n".join(lines)
        return build_text(self.result)

    def _repr_html_(self) -> str:
        if self.result is None:
            return f"<div class='layerlab-build'>{html.escape(t('view.waiting'))}</div>"
        return build_view_html(self.result, quiet=self.quiet)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self._repr_html_()
        return bundle
