"""The escalation path of a drill's incident, run in virtual time, and the checks on it and
on the notifications that went out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from drillbook.drill.clock import VirtualClock
from drillbook.errors import DrillbookError
from drillbook.formats.drill import EscalationExpectation, NotificationExpectation, ScriptedResponse
from drillbook.incident import Incident
from drillbook.incident.escalation import EscalationEngine, EscalationRecord
from drillbook.incident.notify import Notification
from drillbook.incident.responders import ResponderScript, ScriptedResponder
from drillbook.oncall.roster import Roster

ESCALATION_HORIZON = 24 * 3600.0  # virtual seconds: long enough for any loop of any policy


def simulate_escalation(
    incident: Incident,
    *,
    oncall_file: Path,
    service: str,
    responses: Sequence[ScriptedResponse],
) -> EscalationRecord:
    """Page the service's escalation path as the scripted responders answer, on a virtual
    clock that starts when the incident opened: minutes of escalation in no time."""
    roster = Roster.load(oncall_file)
    script = ResponderScript(
        responders=[
            ScriptedResponder(who=r.who, acknowledges=r.acknowledges, after=r.after)
            for r in responses
        ]
    )
    clock = VirtualClock(start=incident.detected_at)
    engine = EscalationEngine.for_service(incident, roster, service, clock=clock, responders=script)
    return engine.run_until_acknowledged(ESCALATION_HORIZON)


def escalation_mismatches(
    record: EscalationRecord, expected: Sequence[EscalationExpectation]
) -> list[str]:
    """What differs between the pages sent and the path the drill expects."""
    start = record.started_at
    pages = [(page.level, _offset(page.at, start)) for page in record.pages]
    problems: list[str] = []
    for expectation in expected:
        matching = [at for level, at in pages if level == expectation.level]
        if not matching:
            problems.append(f"level {expectation.level} was never paged (pages: {_shown(pages)})")
        elif all(abs(at - expectation.after) > 1.0 for at in matching):
            problems.append(
                f"level {expectation.level} was paged {_minutes(matching[0])} after the "
                f"incident opened; expected {_minutes(expectation.after)}"
            )
    return problems


def notification_mismatches(
    sent: Sequence[Notification], expected: Sequence[NotificationExpectation]
) -> list[str]:
    problems: list[str] = []
    for expectation in expected:
        events = [n.event for n in sent if n.channel == expectation.channel and n.ok]
        if events != list(expectation.events):
            problems.append(
                f"{expectation.channel} announced {events or 'nothing'}; "
                f"expected {list(expectation.events)}"
            )
    return problems


def _offset(at: datetime, start: datetime | None) -> float:
    if start is None:
        raise DrillbookError("the escalation never started")
    return (at - start).total_seconds()


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min"


def _shown(pages: list[tuple[int, float]]) -> str:
    return ", ".join(f"level {level} at {_minutes(at)}" for level, at in pages) or "none"
