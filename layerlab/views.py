"""Plain-text and HTML renderings of results: what a terminal, nbval, nbconvert's HTML
and GitHub show. Widgets (``layerlab.widgets``) build on the same data."""

from __future__ import annotations

import html
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from layerlab import i18n
from layerlab.build import (
    BuildDone,
    BuildEvent,
    StepFailed,
    StepFinished,
    StepOutput,
    StepStarted,
)
from layerlab.context import human_size
from layerlab.i18n import layer_counts, t, tn

if TYPE_CHECKING:
    from layerlab.build import BuildResult, BuildStep
    from layerlab.image_layers import LayerStack

STATUS_MARK = {"cached": "✓", "built": "●", "failed": "✗", "running": "…", "base": "▣"}


def step_line(step: BuildStep) -> str:
    duration = i18n.seconds(step.duration_s) if step.duration_s is not None else ""
    status = t(f"status.{step.status}")
    total = f"/{step.total}" if step.total else ""
    return (
        f"{STATUS_MARK.get(step.status, ' ')} [{step.number}{total}] "
        f"{status:<10} {duration:>6}  {step.instruction}"
    )


def build_text(result: BuildResult) -> str:
    lines = [step_line(step) for step in result.steps]
    lines.append(result.summary())
    if result.cache_report is not None:
        lines.append(str(result.cache_report))
    return "\n".join(lines)


class TextProgress:
    """Prints a build as it happens: one line per step, a few output lines, the summary.

    Output of a step is capped (``max_step_lines``) so a chatty RUN cannot flood a
    notebook; the full output stays in ``result.log``.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        max_step_lines: int = 12,
        min_interval_s: float = 0.0,
    ) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.max_step_lines = max_step_lines
        self.min_interval_s = min_interval_s
        self._shown: dict[int, int] = {}
        self._last_flush = 0.0

    def _print(self, text: str) -> None:
        print(text, file=self.stream)
        now = time.monotonic()
        if now - self._last_flush >= self.min_interval_s:
            self.stream.flush()
            self._last_flush = now

    def __call__(self, event: BuildEvent, result: BuildResult) -> None:
        if type(event) is StepOutput:
            # the event a chatty RUN sends 100,000 times: the cheapest path first
            if not self.quiet:
                shown = self._shown.get(event.number, 0)
                for line in event.lines[: max(0, self.max_step_lines - shown)]:
                    self._print(f"    {line}")
                self._shown[event.number] = shown + len(event.lines)
            return
        if isinstance(event, BuildDone):
            self._done(event.result)
            return
        if self.quiet:
            return
        match event:
            case StepStarted(number, total, instruction, _):
                self._shown[number] = 0
                self._print(
                    t(
                        "view.step_started",
                        number=number,
                        total=total or "?",
                        instruction=instruction,
                    )
                )
            case StepFailed(number=number) | StepFinished(number=number):
                self._more(number)
                step = next((s for s in reversed(result.steps) if s.number == number), None)
                if step is not None:
                    self._print(f"  {step_line(step)}")
            case _:
                pass

    def _more(self, number: int) -> None:
        extra = self._shown.get(number, 0) - self.max_step_lines
        if extra > 0:
            self._print("    " + tn("build.more_lines", extra))
        self._shown[number] = 0

    def _done(self, result: BuildResult) -> None:
        if not self.quiet:
            self._print("")
            for step in result.steps:
                self._print(step_line(step))
        self._print(result.summary())
        if result.cache_report is not None and not self.quiet:
            self._print(str(result.cache_report))
        self.stream.flush()


def layers_text(stack: LayerStack) -> str:
    title = t(
        "layers.title",
        image=stack.image,
        short_id=stack.image_id.removeprefix("sha256:")[:12],
        **layer_counts(sum(not layer.empty for layer in stack.layers), len(stack.layers)),
        size=human_size(stack.total_bytes),
    )
    lines = [title]
    no_id = t("layers.no_id")
    header = f"{t('table.layer'):<14}{t('table.size'):>10}  {'':5}{t('layers.header')}"
    lines.append(header)
    for layer in stack.layers:
        # docker history's "<missing>": the layer has no image id on this engine
        ident = layer.id.removeprefix("sha256:")[:12] if layer.id != "<missing>" else no_id
        where = t("layers.base_word") if layer.from_base else ""
        shown = layer.created_by if len(layer.created_by) <= 70 else layer.created_by[:67] + "..."
        lines.append(f"{ident:<14}{human_size(layer.size_bytes):>10}  {where:5}{shown}")
    if stack.base_image:
        entries = layer_counts(0, len(stack.base_layers))["entries"]
        lines.append(t("layers.base_image", image=stack.base_image, entries=entries))
    return "\n".join(lines)


def table_text(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)


def table_html(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Table:
    """A small table with text and HTML forms (image lists, container lists)."""

    def __init__(
        self, headers: list[str], rows: list[list[str]], records: list[dict[str, Any]] | None = None
    ) -> None:
        self.headers = headers
        self.rows = rows
        self.records = records or []

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.records)

    def __repr__(self) -> str:
        return table_text(self.headers, self.rows)

    def _repr_html_(self) -> str:
        return table_html(self.headers, self.rows)
