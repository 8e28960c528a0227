"""A drill's incident as the reports show it: who, how bad, its lifecycle and its timeline,
who was paged and which notifications went out.

Built from ``Incident.to_dict()`` data as stored in the report; every field is plain text that
the templates escape. Missing or malformed parts read as absent rather than failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drillbook.report import formatting as fmt
from drillbook.report.view_paging import (
    EscalationView,
    NotificationView,
    escalation_view,
    notification_views,
)

# (the stamp in Incident.to_dict(), how the lifecycle table names it), in lifecycle order.
LIFECYCLE = (
    ("detected_at", "Detected"),
    ("acknowledged_at", "Acknowledged"),
    ("investigating_at", "Investigating"),
    ("mitigating_at", "Mitigating"),
    ("mitigated_at", "Mitigation verified"),
    ("resolved_at", "Resolved"),
)
NOT_REACHED = "not reached"


@dataclass(frozen=True)
class StageView:
    """One row of the lifecycle table: a status, when it was reached, how long after detection."""

    name: str
    time: str
    since_detection: str
    reached: bool


@dataclass(frozen=True)
class IncidentEventView:
    """One entry of the incident's own timeline, with who did it."""

    time: str
    since_detection: str
    kind: str
    actor: str
    message: str


@dataclass(frozen=True)
class ActionItemView:
    """A post-mortem follow-up recorded on the incident."""

    action: str
    owner: str
    priority: str
    due: str
    done: str


@dataclass(frozen=True)
class RelatedPostmortemView:
    """A past post-mortem the knowledge base linked when the incident opened."""

    location: str  # path:line
    title: str
    score: str


@dataclass(frozen=True)
class IncidentView:
    """Everything the Incident section shows."""

    id: str
    title: str
    severity: str
    status: str
    runbook: str
    affected_services: list[str]
    responders: list[str]
    root_cause: str
    lifecycle: list[StageView]
    timeline: list[IncidentEventView]
    action_items: list[ActionItemView]
    escalation: EscalationView | None
    notifications: list[NotificationView]
    related_postmortems: list[RelatedPostmortemView] = field(default_factory=list)


def incident_view(data: Any) -> IncidentView | None:
    """The Incident section for ``Incident.to_dict()`` data, or None when there was none."""
    if not isinstance(data, dict):
        return None
    detected = data.get("detected_at")
    return IncidentView(
        id=str(data.get("id") or ""),
        title=str(data.get("title") or ""),
        severity=str(data.get("severity") or ""),
        status=str(data.get("status") or ""),
        runbook=str(data.get("runbook") or ""),
        affected_services=[str(s) for s in _list(data.get("affected_services"))],
        responders=[_responder(r) for r in _list(data.get("responders")) if isinstance(r, dict)],
        root_cause=str(data.get("root_cause") or ""),
        lifecycle=[_stage(detected, data.get(key), name) for key, name in LIFECYCLE],
        timeline=[_event(detected, e) for e in _list(data.get("timeline")) if isinstance(e, dict)],
        action_items=[_item(i) for i in _list(data.get("action_items")) if isinstance(i, dict)],
        escalation=escalation_view(data.get("escalation")),
        notifications=notification_views(data.get("notifications"), detected),
        related_postmortems=[
            _related(r) for r in _list(data.get("related_postmortems")) if isinstance(r, dict)
        ],
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _stage(detected: Any, moment: Any, name: str) -> StageView:
    if not moment:
        return StageView(name=name, time=NOT_REACHED, since_detection="", reached=False)
    return StageView(
        name=name,
        time=fmt.instant(moment),
        since_detection=fmt.offset_from(detected, moment),
        reached=True,
    )


def _event(detected: Any, data: dict[str, Any]) -> IncidentEventView:
    return IncidentEventView(
        time=fmt.instant(data.get("at")),
        since_detection=fmt.offset_from(detected, data.get("at")),
        kind=str(data.get("kind") or ""),
        actor=str(data.get("actor") or ""),
        message=str(data.get("message") or ""),
    )


def _responder(data: dict[str, Any]) -> str:
    name, role, contact = (str(data.get(key) or "") for key in ("name", "role", "contact"))
    details = ", ".join(part for part in (role, contact) if part)
    return f"{name} ({details})" if details else name


def _related(data: dict[str, Any]) -> RelatedPostmortemView:
    score = data.get("score")
    return RelatedPostmortemView(
        location=f"{data.get('path') or '?'}:{data.get('line') or '?'}",
        title=str(data.get("title") or ""),
        score=f"{score:.2f}" if isinstance(score, int | float) else "—",
    )


def _item(data: dict[str, Any]) -> ActionItemView:
    return ActionItemView(
        action=str(data.get("action") or ""),
        owner=str(data.get("owner") or ""),
        priority=str(data.get("priority") or ""),
        due=str(data.get("due") or "—"),
        done="done" if data.get("done") is True else "open",
    )
