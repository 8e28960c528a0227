"""A drill's detection as the reports show it: the rule that fired, and every rule's plan.

Built from the drill's ``detection`` record (``RulePlan``, ``Detection`` and ``Evaluation``
``to_dict()`` data). Each rule shows the window it ran with in the drill next to the window it
has in production, since drills shorten windows to fire in seconds rather than minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drillbook.report import formatting as fmt


@dataclass(frozen=True)
class FiredView:
    """The rule that fired: when, how long after the fault, and the value it saw ('' for a
    probe, whose value is only whether its condition held)."""

    rule: str
    name: str
    time: str
    after_fault: str
    value: str
    threshold: str


@dataclass(frozen=True)
class RuleView:
    """One detection rule: its condition, its windows in the drill and in production, its last
    reading. ``detected`` marks the rule that fired."""

    rule: str
    name: str
    kind: str
    severity: str
    source: str
    threshold: str
    window: str
    production_window: str
    last_value: str
    state: str
    detected: bool


@dataclass(frozen=True)
class DetectionView:
    """Everything the Detection section shows; ``polled`` is when the last values were read."""

    fired: FiredView | None
    rules: list[RuleView]
    polled: str


def detection_view(data: Any) -> DetectionView | None:
    """The Detection section for a drill's detection record, or None when there was none."""
    if not isinstance(data, dict):
        return None
    fired = data.get("fired") if isinstance(data.get("fired"), dict) else None
    fired_rule = str(fired.get("rule") or "") if fired else None
    last = {str(e.get("rule")): e for e in _dicts(data.get("last_evaluations")) if e.get("rule")}
    rules = [
        _rule(plan, last.get(str(plan.get("rule"))), fired_rule)
        for plan in _dicts(data.get("rules"))
    ]
    stamps = [str(e["at"]) for e in last.values() if e.get("at")]
    return DetectionView(
        fired=_fired(fired) if fired else None,
        rules=rules,
        polled=fmt.instant(max(stamps)) if stamps else "",
    )


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _fired(data: dict[str, Any]) -> FiredView:
    return FiredView(
        rule=str(data.get("rule") or ""),
        name=str(data.get("name") or ""),
        time=fmt.instant(data.get("fired_at")),
        after_fault=fmt.seconds(data.get("seconds_after_start")),
        value="" if data.get("kind") == "probe" else fmt.measured(data.get("value")),
        threshold=str(data.get("threshold") or ""),
    )


def _rule(plan: dict[str, Any], last: dict[str, Any] | None, fired_rule: str | None) -> RuleView:
    rule = str(plan.get("rule") or "")
    return RuleView(
        rule=rule,
        name=str(plan.get("name") or ""),
        kind=str(plan.get("kind") or ""),
        severity=str(plan.get("severity") or ""),
        source=str(plan.get("source") or ""),
        threshold=str(plan.get("threshold") or ""),
        window=window_text(plan.get("window"), plan.get("for")),
        production_window=window_text(plan.get("production_window"), plan.get("production_for")),
        last_value=last_value(last) if last else "not evaluated",
        state=_state(last, plan.get("for")) if last else "",
        detected=fired_rule is not None and rule == fired_rule,
    )


def window_text(window: Any, hold: Any) -> str:
    """'5 min', '5 min, held 1 min', 'held 30 s' (a probe held for a while), or '—'."""
    parts = [fmt.span(window)] if window is not None else []
    if fmt.is_number(hold) and hold > 0:
        parts.append(f"held {fmt.span(hold)}")
    return ", ".join(parts) or "—"


def last_value(data: dict[str, Any]) -> str:
    """A rule's last reading: its value and detail, or why it had none."""
    detail = str(data.get("detail") or "")
    if data.get("error"):
        return f"no value ({data['error']})"
    if data.get("kind") == "probe":
        return detail or ("condition holds" if data.get("holds") else "condition does not hold")
    if data.get("value") is None:
        return detail or "no value"
    shown = fmt.measured(data.get("value"))
    return f"{shown} ({detail})" if detail else shown


def _state(data: dict[str, Any], hold: Any) -> str:
    if data.get("fired"):
        return "firing"
    if data.get("holds") and fmt.is_number(hold) and hold > 0:
        return f"holding {fmt.span(data.get('held_for'))} of {fmt.span(hold)}"
    if data.get("holds"):
        return "holds"
    if data.get("error"):
        return "no value"
    return "not firing"
