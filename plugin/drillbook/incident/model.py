"""An incident: what broke, how bad it is, who responds, and its one-way road to resolution.

The status only ever moves forward, one state at a time::

    detected -> acknowledged -> investigating -> mitigating -> resolved

with one shortcut: an open incident may be resolved from any state (a false alarm is resolved
straight from ``detected``). A resolved incident is never reopened and no state is revisited:
a recurrence is a new incident. Every transition stamps its ``<state>_at`` time from the
incident's Clock and adds an event to the timeline, so drills run in virtual time.

Besides the status, ``mitigated_at`` records when the mitigation was verified to work (the
end of "time to mitigate"); it can only be set while the incident is ``mitigating``.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drillbook.drill.clock import Clock, RealClock
from drillbook.formats.common import Severity
from drillbook.incident.parts import (
    STATUS_ORDER,
    ActionItem,
    IncidentError,
    IncidentEvent,
    IncidentStatus,
    Responder,
    allowed_next,
)
from drillbook.incident.validation import check_incident, incident_fields

_DEFAULT_MESSAGES = {
    IncidentStatus.DETECTED: "incident detected",
    IncidentStatus.ACKNOWLEDGED: "incident acknowledged",
    IncidentStatus.INVESTIGATING: "investigation started",
    IncidentStatus.MITIGATING: "mitigation started",
    IncidentStatus.RESOLVED: "incident resolved",
}
MITIGATION_VERIFIED = "mitigation_verified"


# -- incident ids ------------------------------------------------------------------------------
_issued: set[str] = set()
_issued_lock = threading.Lock()


def new_incident_id(clock: Clock) -> str:
    """A fresh id such as ``INC-20261129-3F9A1C``: the UTC date and six random hex digits.

    Never repeated within a process; random rather than counted so that two processes (pytest
    workers, or a run after a killed one) do not send PagerDuty the same dedup key.
    """
    day = clock.now().strftime("%Y%m%d")
    with _issued_lock:
        while True:
            candidate = f"INC-{day}-{secrets.token_hex(3).upper()}"
            if candidate not in _issued:
                _issued.add(candidate)
                return candidate


# -- the incident ------------------------------------------------------------------------------
@dataclass
class Incident:
    """An incident and its history. Create one with :meth:`Incident.open`."""

    id: str
    title: str
    severity: Severity
    detected_at: datetime
    status: IncidentStatus = IncidentStatus.DETECTED
    acknowledged_at: datetime | None = None
    investigating_at: datetime | None = None
    mitigating_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    affected_services: list[str] = field(default_factory=list)
    runbook: str | None = None
    responders: list[Responder] = field(default_factory=list)
    timeline: list[IncidentEvent] = field(default_factory=list)
    root_cause: str | None = None
    action_items: list[ActionItem] = field(default_factory=list)
    clock: Clock = field(default_factory=RealClock, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_incident(self)

    @classmethod
    def open(
        cls,
        title: str,
        severity: Severity,
        *,
        clock: Clock,
        affected_services: list[str] | tuple[str, ...] = (),
        runbook: str | None = None,
        actor: str = "drillbook",
        message: str | None = None,
        id: str | None = None,
    ) -> Incident:
        """A newly detected incident, its detection the first event of its timeline."""
        detected_at = clock.now()
        incident = cls(
            id=new_incident_id(clock) if id is None else id,
            title=title,
            severity=severity,
            detected_at=detected_at,
            affected_services=list(affected_services),
            runbook=runbook,
            clock=clock,
        )
        detected = IncidentStatus.DETECTED
        incident._record(detected_at, detected.value, message or _DEFAULT_MESSAGES[detected], actor)
        return incident

    # -- reading -------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status is not IncidentStatus.RESOLVED

    def reached_at(self, status: IncidentStatus) -> datetime | None:
        """When the incident entered ``status``, or None if it never did."""
        reached: datetime | None = getattr(self, f"{status.value}_at")
        return reached

    # -- transitions ---------------------------------------------------------------------------
    def advance(
        self, to: IncidentStatus | str, *, actor: str, message: str | None = None
    ) -> IncidentEvent:
        """Move to ``to`` if the lifecycle allows it, else raise :class:`IncidentError`."""
        target = self._status(to)
        self._check_transition(target)
        at = self._now()
        setattr(self, f"{target.value}_at", at)
        self.status = target
        return self._record(at, target.value, message or _DEFAULT_MESSAGES[target], actor)

    def acknowledge(self, *, actor: str, message: str | None = None) -> IncidentEvent:
        return self.advance(IncidentStatus.ACKNOWLEDGED, actor=actor, message=message)

    def investigate(self, *, actor: str, message: str | None = None) -> IncidentEvent:
        return self.advance(IncidentStatus.INVESTIGATING, actor=actor, message=message)

    def mitigate(self, *, actor: str, message: str | None = None) -> IncidentEvent:
        return self.advance(IncidentStatus.MITIGATING, actor=actor, message=message)

    def resolve(
        self, *, actor: str, message: str | None = None, root_cause: str | None = None
    ) -> IncidentEvent:
        """Resolve the incident (from any open state); ``root_cause`` is recorded first."""
        self._check_transition(IncidentStatus.RESOLVED)
        if root_cause is not None:
            self.set_root_cause(root_cause, actor=actor)
        return self.advance(IncidentStatus.RESOLVED, actor=actor, message=message)

    def verify_mitigation(self, *, actor: str, message: str | None = None) -> IncidentEvent:
        """Record that the mitigation works (service restored): ends "time to mitigate"."""
        if self.status is not IncidentStatus.MITIGATING or self.mitigated_at is not None:
            state = "already verified" if self.mitigated_at else f"it is '{self.status.value}'"
            raise IncidentError(
                f"incident {self.id}: mitigation can be verified once, while the incident is "
                f"'mitigating' ({state})",
                current=self.status,
            )
        self.mitigated_at = self._now()
        text = message or "mitigation verified: service restored"
        return self._record(self.mitigated_at, MITIGATION_VERIFIED, text, actor)

    # -- other history -------------------------------------------------------------------------
    def note(self, message: str, *, actor: str, kind: str = "note") -> IncidentEvent:
        """Add a free event to the timeline (a finding, a decision, a page sent)."""
        return self._record(self._now(), kind, message, actor)

    def add_responder(self, responder: Responder, *, actor: str = "drillbook") -> IncidentEvent:
        """Add someone to the response; their joining goes on the timeline."""
        self.responders.append(responder)
        text = f"{responder.name} joined as {responder.role}"
        return self._record(self._now(), "responder", text, actor)

    def set_root_cause(self, root_cause: str, *, actor: str) -> IncidentEvent:
        """Record the root cause ("root cause identified" on the timeline)."""
        self.root_cause = root_cause
        return self._record(self._now(), "root_cause", f"root cause: {root_cause}", actor)

    def add_action_item(self, item: ActionItem) -> None:
        """Add a post-mortem follow-up (not a timeline event: it is work for later)."""
        self.action_items.append(item)

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; :meth:`from_dict` reads it back."""

        def stamp(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "status": self.status.value,
            "detected_at": stamp(self.detected_at),
            "acknowledged_at": stamp(self.acknowledged_at),
            "investigating_at": stamp(self.investigating_at),
            "mitigating_at": stamp(self.mitigating_at),
            "mitigated_at": stamp(self.mitigated_at),
            "resolved_at": stamp(self.resolved_at),
            "affected_services": list(self.affected_services),
            "runbook": self.runbook,
            "responders": [responder.to_dict() for responder in self.responders],
            "timeline": [event.to_dict() for event in self.timeline],
            "root_cause": self.root_cause,
            "action_items": [item.to_dict() for item in self.action_items],
        }

    @classmethod
    def from_dict(cls, data: object, *, clock: Clock | None = None) -> Incident:
        """The incident ``to_dict`` wrote; bad data raises :class:`IncidentError` naming it."""
        return cls(**incident_fields(data), clock=clock or RealClock())

    # -- helpers -------------------------------------------------------------------------------
    def _status(self, value: IncidentStatus | str) -> IncidentStatus:
        try:
            return IncidentStatus(value)
        except ValueError:
            names = ", ".join(status.value for status in STATUS_ORDER)
            raise IncidentError(
                f"incident {self.id}: {value!r} is not a status; use one of {names}"
            ) from None

    def _check_transition(self, target: IncidentStatus) -> None:
        allowed = allowed_next(self.status)
        if target in allowed:
            return
        current = self.status.value
        if self.status is IncidentStatus.RESOLVED:
            why = (
                f"is resolved and cannot move to '{target.value}': resolved incidents are never "
                "reopened; open a new incident for a recurrence"
            )
        elif target is self.status:
            why = f"is already '{current}'; allowed next: {_choices(allowed)}"
        elif target.rank < self.status.rank:
            why = (
                f"cannot go back from '{current}' to '{target.value}': incidents only move "
                f"forward; allowed next: {_choices(allowed)}"
            )
        else:
            why = (
                f"cannot skip from '{current}' to '{target.value}': move one state at a time; "
                f"allowed next: {_choices(allowed)}"
            )
        raise IncidentError(
            f"incident {self.id} {why}", current=self.status, requested=target, allowed=allowed
        )

    def _now(self) -> datetime:
        """The clock's time, never earlier than the last recorded instant (wall clocks jump)."""
        return max(self.clock.now(), self._latest())

    def _latest(self) -> datetime:
        instants = [self.detected_at, *(event.at for event in self.timeline)]
        instants += [when for when in self._stamps() if when is not None]
        return max(instants)

    def _stamps(self) -> list[datetime | None]:
        return [self.reached_at(status) for status in STATUS_ORDER] + [self.mitigated_at]

    def _record(self, at: datetime, kind: str, message: str, actor: str) -> IncidentEvent:
        event = IncidentEvent(at=at, kind=kind, message=message, actor=actor)
        self.timeline.append(event)
        return event


def _choices(allowed: tuple[IncidentStatus, ...]) -> str:
    return " or ".join(f"'{status.value}'" for status in allowed)
