"""Drill runs as a plain-text table for the terminal: when, drill, outcome, TTD, TTM."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from drillbook.history.records import DrillRun
from drillbook.report.formatting import seconds as report_seconds

HEADERS = ("When (UTC)", "Drill", "Outcome", "TTD", "TTM")


def drill_run_table(runs: Sequence[DrillRun]) -> str:
    """The runs, one a row, in the order given, columns padded to line up."""
    rows = [HEADERS, *(_row(run) for run in runs)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _row(run: DrillRun) -> tuple[str, str, str, str, str]:
    return (
        run.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        run.drill_id,
        run.outcome,
        seconds(run.time_to_detect),
        seconds(run.time_to_mitigate),
    )


def seconds(value: float | None) -> str:
    """A duration as the reports write it (``0.34 s``, ``3 min 05 s``); ``-`` when not
    measured, which keeps the column narrow."""
    return "-" if value is None else report_seconds(value)
