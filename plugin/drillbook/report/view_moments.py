"""A drill's key moments: the fault, the rule that fired, the incident's lifecycle stamps.

Read from ``DrillResult.to_dict()`` data: the drill's ``timeline`` events of kind ``fault`` and
``detection``, and the incident's own stamps (``detected_at``, ``acknowledged_at``,
``mitigated_at``, ``resolved_at``). The rule fired when its detection record says
(``detection.fired.fired_at``, the instant time to detect counts to), which can be a poll or
more before the runner noted it on the timeline; without that record the timeline's stamp is
used. A drill recorded without an incident record falls back to its ``incident`` timeline
events. Each moment has a short fixed label (never a recorded value),
so the chart and the Markdown line can show labels of a known length; the recorded text goes
into ``detail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drillbook.report import formatting as fmt

# key -> (label, CSS class of its marker); the classes are a fixed set the stylesheet knows.
MOMENTS = {
    "fault_injected": ("Fault injected", "fault"),
    "fault_lifted": ("Fault lifted", "lifted"),
    "fault": ("Fault", "fault"),
    "rule_fired": ("Rule fired", "detect"),
    "opened": ("Incident opened", "incident"),
    "acknowledged": ("Acknowledged", "incident"),
    "mitigated": ("Mitigation verified", "ok"),
    "resolved": ("Resolved", "ok"),
    "incident": ("Incident", "incident"),
}
# (incident stamp, moment key, the incident timeline kind that says who did it)
INCIDENT_STAMPS = (
    ("detected_at", "opened", "detected"),
    ("acknowledged_at", "acknowledged", "acknowledged"),
    ("mitigated_at", "mitigated", "mitigation_verified"),
    ("resolved_at", "resolved", "resolved"),
)
# Words in an ``incident`` timeline event that name its moment (used without an incident record).
INCIDENT_WORDS = (("opened", "opened"), ("acknowledged", "acknowledged"), ("resolved", "resolved"))


@dataclass(frozen=True)
class Moment:
    """One key moment: which (``key``, see MOMENTS), when, how long after the drill started
    (``seconds`` and ``offset`` as read), and the recorded text about it (``detail``)."""

    key: str
    at: datetime
    seconds: float
    time: str
    offset: str
    detail: str

    @property
    def label(self) -> str:
        return MOMENTS[self.key][0]

    @property
    def css(self) -> str:
        return MOMENTS[self.key][1]

    @property
    def tooltip(self) -> str:
        """'Fault injected at 2026-05-01 12:00:01.000 UTC, +1.00 s: injected: proxy cut'."""
        return f"{self.label} at {self.time}, {self.offset}: {self.detail}"


def key_moments(drill: dict[str, Any]) -> list[Moment]:
    """The drill's key moments in time order (the record's order among equal times)."""
    start = fmt.parse_instant(drill.get("started_at"))
    if start is None:
        return []
    incident = drill.get("incident")
    fired = _fired_at(drill.get("detection"))
    found: list[tuple[str, Any, str]] = []
    for event in _dicts(drill.get("timeline")):
        key = _event_key(event, with_incident=isinstance(incident, dict))
        if key == "rule_fired" and fired is not None:
            found.append((key, fired, str(event.get("message") or "")))
            fired = None  # one marker for one firing
        elif key:
            found.append((key, event.get("at"), str(event.get("message") or "")))
    if fired is not None:  # the timeline did not note it
        found.append(("rule_fired", fired, "the detection rule fired"))
    if isinstance(incident, dict):
        found.extend(_incident_moments(incident))
    moments = [m for key, at, detail in found if (m := _moment(start, key, at, detail))]
    return sorted(moments, key=lambda m: m.seconds)


def first(moments: list[Moment], *keys: str) -> Moment | None:
    """The earliest moment whose key is one of ``keys``."""
    return next((m for m in moments if m.key in keys), None)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _fired_at(detection: Any) -> Any:
    """When the rule that fired did, as its detection record says (None without one)."""
    fired = detection.get("fired") if isinstance(detection, dict) else None
    return fired.get("fired_at") if isinstance(fired, dict) else None


def _event_key(event: dict[str, Any], *, with_incident: bool) -> str:
    kind, message = event.get("kind"), str(event.get("message") or "")
    if kind == "fault":
        if message.startswith("injected"):
            return "fault_injected"
        return "fault_lifted" if message.startswith("lifted") else "fault"
    if kind == "detection":
        return "rule_fired"
    if kind == "incident" and not with_incident:
        return next((key for word, key in INCIDENT_WORDS if word in message), "incident")
    return ""


def _incident_moments(incident: dict[str, Any]) -> list[tuple[str, Any, str]]:
    name = str(incident.get("id") or "the incident")
    actors = {
        str(e.get("kind")): str(e.get("actor") or "") for e in _dicts(incident.get("timeline"))
    }
    found = []
    for stamp, key, kind in INCIDENT_STAMPS:
        if incident.get(stamp):
            actor = actors.get(kind, "")
            detail = f"{name} {MOMENTS[key][0].lower()}" + (f" by {actor}" if actor else "")
            if key == "opened" and incident.get("title"):
                detail = f"{name} opened: {incident['title']}"
            found.append((key, incident[stamp], detail))
    return found


def _moment(start: datetime, key: str, at: Any, detail: str) -> Moment | None:
    moment = fmt.parse_instant(at)
    if moment is None or (moment.tzinfo is None) != (start.tzinfo is None):
        return None
    return Moment(
        key=key,
        at=moment,
        seconds=(moment - start).total_seconds(),
        time=fmt.instant(at),
        offset=fmt.offset_from(start.isoformat(), at),
        detail=detail,
    )
