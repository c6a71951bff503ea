"""Rows of the benchmark table: paired samples, medians with their spread, verdicts.

A row holds pairs: one kit figure and one reference figure measured back to back (in
alternating order). Each side is shown as its median with the interquartile range, and
so is the ratio (or difference) computed pair by pair. A row *meets* its target only when
the ratio's upper quartile does: three quarters of the pairs are within the target, not
just the middle one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Literal

#: "time": kit / reference (lower is better); "added_ms": kit - reference in ms;
#: "cpu": kit CPU / reference CPU (both per the same work)
Kind = Literal["time", "added_ms", "cpu"]
#: A smoke run fails when a row is this many times off its target.
SMOKE_TOLERANCE = 3.0


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(lower quartile, median, upper quartile); with one value all three are that value."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    low, middle, high = statistics.quantiles(values, n=4, method="inclusive")
    return low, middle, high


@dataclass(frozen=True)
class Check:
    """A fairness check: both sides did the same work (labels, image, builder...)."""

    name: str
    ok: bool
    detail: str = ""

    def describe(self) -> str:
        return f"{'ok' if self.ok else 'FAILED'}: {self.name}" + (
            f" ({self.detail})" if self.detail else ""
        )


@dataclass
class Row:
    number: str
    figure: str
    reference: str
    kind: Kind
    limit: float
    kit: list[float] = field(default_factory=list)
    ref: list[float] = field(default_factory=list)
    unavailable: str | None = None
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: how kit/ref figures are shown: seconds, or CPU seconds per 100,000 lines
    unit: Literal["s", "cpu"] = "s"

    @property
    def target(self) -> str:
        if self.kind == "added_ms":
            return f"<= {self.limit:g} ms added"
        return f"<= {self.limit:.2f}x"

    @property
    def measured(self) -> bool:
        return (
            self.unavailable is None
            and bool(self.kit)
            and len(self.kit) == len(self.ref)
            and all(value > 0 for value in self.ref)
        )

    def scores(self) -> list[float]:
        """The figure compared with the target, pair by pair."""
        if self.kind == "added_ms":
            return [(k - r) * 1000 for k, r in zip(self.kit, self.ref, strict=True)]
        return [k / r for k, r in zip(self.kit, self.ref, strict=True)]

    def meets(self) -> bool:
        """The ratio's upper quartile is within the target."""
        return quartiles(self.scores())[2] <= self.limit

    def off_target(self) -> float:
        """How many times off its target the row's median is (<= 1: on target)."""
        median = quartiles(self.scores())[1]
        if self.kind == "added_ms":
            return max(median, 0.0) / self.limit
        return median / self.limit

    def add_check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, ok, detail))

    def cells(self) -> list[str]:
        if not self.measured:
            reason = self.unavailable or "n/a (no number)"
            return [self.number, self.figure, reason, "", "", self.target, "", ""]
        low, middle, high = quartiles(self.scores())
        if self.kind == "added_ms":
            ratio = f"{middle:+.0f} ms [{low:+.0f}, {high:+.0f}]"
        else:
            ratio = f"{middle:.2f}x [{low:.2f}-{high:.2f}]"
        unfair = any(not check.ok for check in self.checks)
        verdict = "UNFAIR" if unfair else ("yes" if self.meets() else "NO")
        return [
            self.number,
            self.figure,
            self._side(self.kit),
            self._side(self.ref),
            ratio,
            self.target,
            verdict,
            str(len(self.kit)),
        ]

    def _side(self, values: list[float]) -> str:
        low, middle, high = quartiles(values)
        return f"{_fmt(middle)} [{_fmt(low)}-{_fmt(high)}]"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "row": self.number,
            "figure": self.figure,
            "reference": self.reference,
            "kind": self.kind,
            "unit": self.unit,
            "target": self.target,
            "kit": self.kit,
            "reference_values": self.ref,
            "unavailable": self.unavailable,
            "checks": [check.describe() for check in self.checks],
            "notes": self.notes,
        }
        if self.measured:
            data.update(
                score_quartiles=quartiles(self.scores()), meets=self.meets(), pairs=len(self.kit)
            )
        return data


def _fmt(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f}ms" if seconds < 0.1 else f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"


HEADERS = [
    "#",
    "figure",
    "layerlab median [IQR]",
    "reference median [IQR]",
    "ratio median [IQR]",
    "target",
    "met",
    "pairs",
]


def table(rows: list[Row]) -> str:
    body = [row.cells() for row in rows]
    widths = [max(len(HEADERS[i]), *(len(cells[i]) for cells in body)) for i in range(len(HEADERS))]
    lines = [
        " | ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) for cells in body]
    return "\n".join(line.rstrip() for line in lines)


def failures(rows: list[Row], *, smoke: bool) -> list[str]:
    """Why this run cannot be trusted (any mode), or, in a smoke run, is far off target.

    Any mode: a row without a number, a failed fairness check. Smoke: also a row more
    than ``SMOKE_TOLERANCE`` times off its target (by its median: a smoke run has few
    pairs, and this catches a regression by a factor, not noise).
    """
    found: list[str] = []
    for row in rows:
        if not row.measured:
            found.append(f"row {row.number} ({row.figure}): no number: {row.unavailable or '?'}")
            continue
        found += [
            f"row {row.number} ({row.figure}): fairness check {check.describe()}"
            for check in row.checks
            if not check.ok
        ]
        if smoke and row.off_target() > SMOKE_TOLERANCE:
            middle = quartiles(row.scores())[1]
            found.append(
                f"row {row.number} ({row.figure}): {middle:.2f} against a target of "
                f"{row.target}, more than {SMOKE_TOLERANCE:g}x off"
            )
    return found


__all__ = ["SMOKE_TOLERANCE", "Check", "Kind", "Row", "failures", "quartiles", "table"]
