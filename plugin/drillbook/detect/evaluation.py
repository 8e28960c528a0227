"""What one poll of a rule found, when a rule fired, and how both read to people."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drillbook.errors import DrillbookError


@dataclass(frozen=True)
class Reading:
    """What a rule's source gave on one poll, before timing (``for``) is applied."""

    value: float | None
    holds: bool
    detail: str = ""
    error: str | None = None


@dataclass(frozen=True)
class RulePlan:
    """A rule's condition and timings as this detector runs it: production and effective."""

    rule_id: str
    name: str
    kind: str  # "probe", "metric" or "python"
    severity: str
    runbook: str
    source: str  # "GET http://...", a selector, or "package.module:function" (masked)
    threshold: str  # "above 0.05", "below 3", "when true", "when fires_when holds"
    window: float | None
    production_window: float | None
    for_: float
    production_for: float

    def condition(self) -> str:
        """``fires above 0.1 over 10 s; production window 10 m``, as people read it."""
        text = f"fires {self.threshold}"
        if self.window is not None:
            text += f" over {format_seconds(self.window)}"
        if self.for_ > 0:
            text += f" for {format_seconds(self.for_)}"
        shortened = []
        if self.production_window is not None and self.production_window != self.window:
            shortened.append(f"production window {format_seconds(self.production_window)}")
        if self.production_for != self.for_:
            shortened.append(f"production for {format_seconds(self.production_for)}")
        return "; ".join([text, *shortened])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "name": self.name,
            "kind": self.kind,
            "severity": self.severity,
            "runbook": self.runbook,
            "source": self.source,
            "threshold": self.threshold,
            "window": self.window,
            "production_window": self.production_window,
            "for": self.for_,
            "production_for": self.production_for,
        }


@dataclass(frozen=True)
class Evaluation:
    """One rule on one poll: its value, whether it held and fired, or why there was none."""

    plan: RulePlan
    at: datetime
    monotonic: float
    value: float | None
    holds: bool
    fired: bool
    held_for: float = 0.0  # how long the condition has held without a break
    detail: str = ""
    error: str | None = None

    @property
    def rule_id(self) -> str:
        return self.plan.rule_id

    @property
    def threshold(self) -> str:
        return self.plan.threshold

    @property
    def window(self) -> float | None:
        return self.plan.window

    @property
    def production_window(self) -> float | None:
        return self.plan.production_window

    def shown_value(self) -> str:
        if self.error is not None:
            return f"no value ({self.error})"
        if self.value is None:
            return self.detail or "no value"
        shown = format_value(self.value)
        return f"{shown}, {self.detail}" if self.detail else shown

    def describe(self) -> str:
        """``payment-failures: 0.02 (fires above 0.1 over 10 s; production window 10 m)``."""
        state = ""
        if self.fired:
            state = " [fired]"
        elif self.holds and self.plan.for_ > 0:
            state = (
                f" [holding {format_seconds(self.held_for)} of {format_seconds(self.plan.for_)}]"
            )
        shown = self.shown_value() if self.plan.kind != "probe" else self._probe_shown()
        return f"{self.rule_id}: {shown}{state} ({self.plan.condition()})"

    def _probe_shown(self) -> str:
        if self.error is not None:
            return f"no answer ({self.error})"
        return self.detail or ("condition holds" if self.holds else "condition does not hold")

    def to_dict(self) -> dict[str, Any]:
        value = self.value if self.value is None or math.isfinite(self.value) else None
        return {
            **self.plan.to_dict(),
            "at": self.at.isoformat(),
            "value": value,
            "holds": self.holds,
            "fired": self.fired,
            "held_for": round(self.held_for, 6),
            "detail": self.detail,
            "error": self.error,
        }


@dataclass(frozen=True)
class Detection:
    """A rule that fired: when, how long after the start, and the poll that saw it."""

    plan: RulePlan
    fired_at: datetime
    seconds_after_start: float
    value: float | None
    evaluations: Sequence[Evaluation] = field(default_factory=tuple)
    monotonic: float = 0.0  # the Clock's monotonic time of the poll that saw it fire

    @property
    def rule_id(self) -> str:
        return self.plan.rule_id

    def to_dict(self) -> dict[str, Any]:
        value = self.value if self.value is None or math.isfinite(self.value) else None
        return {
            **self.plan.to_dict(),
            "fired_at": self.fired_at.isoformat(),
            "seconds_after_start": round(self.seconds_after_start, 6),
            "value": value,
            "evaluations": [evaluation.to_dict() for evaluation in self.evaluations],
        }


class DetectionTimeout(DrillbookError):
    """The expected rule did not fire in time; the message lists every rule's last value."""

    def __init__(
        self, rule_id: str, timeout: float, evaluations: Sequence[Evaluation], polls: int
    ) -> None:
        self.rule_id = rule_id
        self.timeout = timeout
        self.evaluations = list(evaluations)
        self.polls = polls
        super().__init__(timeout_message(rule_id, timeout, self.evaluations, polls))


def timeout_message(
    rule_id: str, timeout: float, evaluations: Sequence[Evaluation], polls: int
) -> str:
    head = f"rule {rule_id} did not fire within {format_seconds(timeout)}"
    if not evaluations:
        return f"{head}; no rule was evaluated"
    polled = f"{polls} poll{'s' if polls != 1 else ''}"
    ordered = sorted(evaluations, key=lambda e: e.rule_id != rule_id)  # the expected one first
    lines = "\n".join(f"  {evaluation.describe()}" for evaluation in ordered)
    return f"{head}; last evaluations ({polled}):\n{lines}"


def format_seconds(seconds: float) -> str:
    """``500 ms``, ``10 s``, ``1.5 s``, ``5 m``, ``2 h``, ``90 s``: durations as people say them."""
    if seconds < 1 and seconds != 0:
        return f"{seconds * 1000:g} ms"
    for unit, size in (("h", 3600.0), ("m", 60.0)):
        if seconds >= size and (seconds / size).is_integer():
            return f"{seconds / size:g} {unit}"
    return f"{round(seconds, 3):g} s"


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.4g}"
