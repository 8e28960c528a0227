"""The pieces an incident is made of: its statuses and their order, responders, timeline
events, action items, and the error for a refused change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal, get_args

from drillbook.errors import DrillbookError
from drillbook.formats.common import Severity
from drillbook.formats.runbook import Contact

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
ActionPriority = Literal["P1", "P2", "P3"]
ACTION_PRIORITIES: tuple[ActionPriority, ...] = get_args(ActionPriority)


class IncidentStatus(StrEnum):
    """Where an incident is on its way from detection to resolution, in order."""

    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    MITIGATING = "mitigating"
    RESOLVED = "resolved"

    @property
    def rank(self) -> int:
        """The position in the lifecycle: 0 for detected, 4 for resolved."""
        return STATUS_ORDER.index(self)


STATUS_ORDER: tuple[IncidentStatus, ...] = tuple(IncidentStatus)


class IncidentError(DrillbookError):
    """A refused change to an incident, or incident data that cannot be read.

    For a refused transition, ``current``, ``requested`` and ``allowed`` say which.
    """

    def __init__(
        self,
        message: str,
        *,
        current: IncidentStatus | None = None,
        requested: IncidentStatus | None = None,
        allowed: tuple[IncidentStatus, ...] = (),
    ) -> None:
        super().__init__(message)
        self.current = current
        self.requested = requested
        self.allowed = allowed


def allowed_next(status: IncidentStatus) -> tuple[IncidentStatus, ...]:
    """The states an incident in ``status`` may move to: the next one, or resolved."""
    if status is IncidentStatus.RESOLVED:
        return ()
    following = STATUS_ORDER[status.rank + 1]
    if following is IncidentStatus.RESOLVED:
        return (following,)
    return (following, IncidentStatus.RESOLVED)


@dataclass(frozen=True)
class Responder:
    """A person working the incident: their name, role and how to reach them."""

    name: str
    role: str
    contact: str = ""

    @classmethod
    def from_contact(cls, contact: Contact) -> Responder:
        """A responder from a runbook contact, reached by email, Slack or phone (first given)."""
        reach = contact.email or contact.slack or contact.phone or ""
        return cls(name=contact.name, role=contact.role, contact=reach)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "contact": self.contact}


@dataclass(frozen=True)
class IncidentEvent:
    """One line of the incident timeline: when, what kind of event, what happened, and who."""

    at: datetime
    kind: str
    message: str
    actor: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "message": self.message,
            "actor": self.actor,
        }


@dataclass
class ActionItem:
    """A follow-up from the post-mortem: what to do, who owns it, by when, how urgent."""

    action: str
    owner: str
    due: date | None = None
    priority: ActionPriority = "P2"
    done: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "priority": self.priority,
            "done": self.done,
        }
