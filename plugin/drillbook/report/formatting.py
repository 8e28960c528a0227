"""How report values read to people: durations, instants, outcomes, the tail of an output."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

NOT_MEASURED = "— (not measured)"
TAIL_LINES = 40
TAIL_CHARS = 8000

# outcome -> (symbol + word shown, CSS class); the word is there so colour is never alone.
_OUTCOME_LABELS = {
    "passed": ("✔ PASSED", "ok"),
    "failed": ("✘ FAILED", "bad"),
    "error": ("⚠ ERROR", "bad"),
    "timed_out": ("⏱ TIMED OUT", "bad"),
    "skipped": ("↷ SKIPPED", "neutral"),
    "manual": ("✋ MANUAL", "neutral"),
    "dry_run": ("◌ DRY RUN", "neutral"),
}


def outcome_label(outcome: str) -> str:
    """The outcome as a symbol and a capitalised word, e.g. '✘ FAILED'."""
    return _OUTCOME_LABELS.get(outcome, (f"? {outcome.upper()}", ""))[0]


def outcome_class(outcome: str) -> str:
    """One of a fixed set of CSS classes (never built from the value itself)."""
    return _OUTCOME_LABELS.get(outcome, ("", "neutral"))[1]


def metric_title(name: str) -> str:
    """'time_to_detect' -> 'Time to detect'."""
    return name.replace("_", " ").capitalize()


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool): something a report can show as a quantity."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def seconds(value: Any) -> str:
    """A duration, e.g. '0 s' (under 0.05 ms), '0.4 ms', '12 ms', '4.20 s', '42.0 s',
    '3 min 05 s', '1 h 02 min'."""
    if not is_number(value):
        return NOT_MEASURED
    if abs(value) < 0.000_05:
        return "0 s"
    if 0 < value < 0.009_95:
        return f"{value * 1000:.1f} ms"
    if 0 < value < 0.999_5:
        return f"{value * 1000:.0f} ms"
    if value < 9.995:
        return f"{value:.2f} s"
    if value < 59.95:
        return f"{value:.1f} s"
    whole = round(value)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def brief_seconds(value: Any) -> str:
    """A duration for a narrow table cell: '—' rather than '— (not measured)' when absent."""
    return seconds(value) if is_number(value) else "—"


def span(value: Any) -> str:
    """A configured window or hold time as written in YAML: '500 ms', '5 s', '10 min', '2 h'."""
    if not is_number(value):
        return "—"
    if 0 < value < 1:
        return f"{value * 1000:g} ms"
    for unit, size in (("h", 3600), ("min", 60)):
        if value >= size and float(value / size).is_integer():
            return f"{value / size:g} {unit}"
    return f"{round(value, 3):g} s"


def ratio(value: Any) -> str:
    """A fraction as a percentage, e.g. 0.076923 -> '7.69%'; '—' when absent."""
    if not is_number(value):
        return "—"
    return f"{value * 100:.2f}%"


def measured(value: Any) -> str:
    """A measured value (a rule's reading), four significant digits; '—' when absent."""
    return f"{value:.4g}" if is_number(value) else "—"


def number(value: Any) -> str:
    """An optional integer (exit code, HTTP status), '—' when absent."""
    return "—" if value is None else str(value)


def parse_instant(text: Any) -> datetime | None:
    """An ISO 8601 instant from the report, or None when it is missing or malformed."""
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def instant(text: Any) -> str:
    """An ISO instant shown as '2026-05-01 12:00:04.250 UTC' (raw text if unparsable)."""
    moment = parse_instant(text)
    if moment is None:
        return str(text or "—")
    shown = moment.strftime("%Y-%m-%d %H:%M:%S")
    shown += f".{moment.microsecond // 1000:03d}"
    offset = moment.utcoffset()
    if offset is None:
        return shown
    return f"{shown} UTC" if not offset else f"{shown} {moment.strftime('%z')}"


def offset_from(start: Any, moment: Any) -> str:
    """How long after ``start`` the instant ``moment`` was, e.g. '+4.20 s'."""
    begin, end = parse_instant(start), parse_instant(moment)
    if begin is None or end is None or (begin.tzinfo is None) != (end.tzinfo is None):
        return ""
    delta = (end - begin).total_seconds()
    return f"+{seconds(delta)}" if delta >= 0 else f"-{seconds(-delta)}"


@dataclass(frozen=True)
class Tail:
    """The last lines of a command's output, and a note when earlier ones were left out."""

    text: str
    note: str

    @classmethod
    def of(cls, output: str, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> Tail:
        split = output.split("\n")
        if split and split[-1] == "":
            split.pop()
        kept = "\n".join(split[-lines:])
        note = f"last {lines} of {len(split)} lines" if len(split) > lines else ""
        if len(kept) > chars:
            kept = kept[-chars:]
            note = f"last {chars} characters"
        return cls(kept, note)
