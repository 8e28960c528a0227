"""The incident lifecycle: allowed and refused transitions with their messages, the timeline,
reading incidents back from data, and properties over random histories (hypothesis)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from drillbook.drill.clock import VirtualClock
from drillbook.formats.runbook import Contact
from drillbook.incident import (
    STATUS_ORDER,
    ActionItem,
    Incident,
    IncidentError,
    IncidentStatus,
    Responder,
    allowed_next,
    new_incident_id,
)
from drillbook.incident.parts import ACTION_PRIORITIES, SEVERITIES
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

START = datetime(2026, 11, 29, 3, 14, tzinfo=UTC)
S = IncidentStatus


def opened(clock: VirtualClock | None = None) -> Incident:
    return Incident.open(
        "Database connection failure",
        "P1",
        clock=clock or VirtualClock(START),
        affected_services=["api", "checkout"],
        runbook="database-outage",
        id="INC-20261129-0001",
    )


def walk_to(incident: Incident, status: IncidentStatus) -> Incident:
    for step in STATUS_ORDER[1 : status.rank + 1]:
        incident.advance(step, actor="ana")
    return incident


# -- opening -------------------------------------------------------------------------------------
def test_open_records_detection_at_the_clock_time() -> None:
    clock = VirtualClock(START)
    clock.advance(42)
    incident = opened(clock)
    assert incident.status is S.DETECTED
    assert incident.detected_at == START + timedelta(seconds=42)
    assert [(e.kind, e.at, e.actor) for e in incident.timeline] == [
        ("detected", incident.detected_at, "drillbook")
    ]
    assert incident.is_open
    assert incident.affected_services == ["api", "checkout"]
    assert incident.runbook == "database-outage"


def test_ids_carry_the_clock_date_and_never_repeat() -> None:
    clock = VirtualClock(START)
    ids = [Incident.open("x", "P3", clock=clock).id for _ in range(300)]
    assert all(re.fullmatch(r"INC-20261129-[0-9A-F]{6}", value) for value in ids)
    assert len(set(ids)) == len(ids)
    assert new_incident_id(clock) not in ids


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"title": "  "}, "title is empty"),
        ({"severity": "P5"}, "severity 'P5' is not one of P1, P2, P3, P4"),
        ({"id": ""}, "non-empty id"),
    ],
)
def test_open_refuses_bad_fields(kwargs: dict[str, Any], says: str) -> None:
    fields: dict[str, Any] = {"title": "Disk full", "severity": "P2", "id": "INC-1", **kwargs}
    title, severity = fields.pop("title"), fields.pop("severity")
    with pytest.raises(IncidentError, match=re.escape(says)):
        Incident.open(title, severity, clock=VirtualClock(START), **fields)


# -- transitions -------------------------------------------------------------------------------
def test_the_full_road_stamps_every_state_in_order_on_the_timeline() -> None:
    clock = VirtualClock(START)
    incident = opened(clock)
    for minutes, step in enumerate(STATUS_ORDER[1:], start=1):
        clock.advance(60)
        event = incident.advance(step, actor="ana")
        assert incident.status is step
        assert incident.reached_at(step) == START + timedelta(minutes=minutes)
        assert (event.kind, event.at, event.actor) == (step.value, clock.now(), "ana")
        assert incident.timeline[-1] is event
    assert [e.kind for e in incident.timeline] == [s.value for s in STATUS_ORDER]
    assert not incident.is_open


def test_named_transitions_take_messages() -> None:
    incident = opened()
    assert incident.acknowledge(actor="ana", message="paged, looking").message == "paged, looking"
    assert incident.investigate(actor="ana").message == "investigation started"
    assert incident.mitigate(actor="ben").actor == "ben"
    incident.resolve(actor="ben", root_cause="connection pool exhausted")
    assert incident.root_cause == "connection pool exhausted"
    assert [e.kind for e in incident.timeline[-2:]] == ["root_cause", "resolved"]


@pytest.mark.parametrize("start", STATUS_ORDER[:-1])
def test_resolve_is_allowed_from_every_open_state(start: IncidentStatus) -> None:
    incident = walk_to(opened(), start)
    incident.resolve(actor="ana", message="false alarm")
    assert incident.status is S.RESOLVED
    assert incident.resolved_at is not None
    skipped = STATUS_ORDER[start.rank + 1 : -1]
    assert all(incident.reached_at(status) is None for status in skipped)


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        (
            S.DETECTED,
            S.INVESTIGATING,
            "incident INC-20261129-0001 cannot skip from 'detected' to 'investigating': move one "
            "state at a time; allowed next: 'acknowledged' or 'resolved'",
        ),
        (
            S.ACKNOWLEDGED,
            S.MITIGATING,
            "incident INC-20261129-0001 cannot skip from 'acknowledged' to 'mitigating': move "
            "one state at a time; allowed next: 'investigating' or 'resolved'",
        ),
        (
            S.MITIGATING,
            S.ACKNOWLEDGED,
            "incident INC-20261129-0001 cannot go back from 'mitigating' to 'acknowledged': "
            "incidents only move forward; allowed next: 'resolved'",
        ),
        (
            S.INVESTIGATING,
            S.INVESTIGATING,
            "incident INC-20261129-0001 is already 'investigating'; allowed next: 'mitigating' "
            "or 'resolved'",
        ),
        (
            S.RESOLVED,
            S.INVESTIGATING,
            "incident INC-20261129-0001 is resolved and cannot move to 'investigating': resolved "
            "incidents are never reopened; open a new incident for a recurrence",
        ),
        (
            S.RESOLVED,
            S.RESOLVED,
            "incident INC-20261129-0001 is resolved and cannot move to 'resolved'",
        ),
    ],
)
def test_refused_transitions_say_where_the_incident_is_and_may_go(
    start: IncidentStatus, target: IncidentStatus, message: str
) -> None:
    incident = walk_to(opened(), start)
    before = incident.to_dict()
    with pytest.raises(IncidentError) as refused:
        incident.advance(target, actor="ana")
    assert str(refused.value).startswith(message)
    assert (refused.value.current, refused.value.requested) == (start, target)
    assert refused.value.allowed == allowed_next(start)
    assert incident.to_dict() == before


def test_an_unknown_status_is_named() -> None:
    with pytest.raises(IncidentError, match="'fixed' is not a status; use one of detected, ack"):
        opened().advance("fixed", actor="ana")


def test_resolve_with_root_cause_on_a_resolved_incident_changes_nothing() -> None:
    incident = walk_to(opened(), S.RESOLVED)
    with pytest.raises(IncidentError, match="never reopened"):
        incident.resolve(actor="ana", root_cause="something else")
    assert incident.root_cause is None


def test_mitigation_is_verified_once_while_mitigating() -> None:
    clock = VirtualClock(START)
    incident = walk_to(opened(clock), S.INVESTIGATING)
    with pytest.raises(IncidentError, match="while the incident is 'mitigating' \\(it is 'inv"):
        incident.verify_mitigation(actor="ana")
    incident.mitigate(actor="ana")
    clock.advance(90)
    event = incident.verify_mitigation(actor="probe")
    assert incident.mitigated_at == START + timedelta(seconds=90) == event.at
    assert event.kind == "mitigation_verified"
    with pytest.raises(IncidentError, match="already verified"):
        incident.verify_mitigation(actor="probe")


class SetClock(VirtualClock):
    """A wall clock that can be set, backwards too (as NTP does to real ones)."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self.at = at

    def now(self) -> datetime:
        return self.at


def test_a_wall_clock_going_backwards_does_not_make_times_go_backwards() -> None:
    clock = SetClock(START)
    incident = Incident.open("Disk full", "P3", clock=clock)
    clock.at = START + timedelta(seconds=10)
    incident.acknowledge(actor="ana")
    clock.at = START
    incident.investigate(actor="ana")
    assert incident.investigating_at == incident.acknowledged_at == START + timedelta(seconds=10)


# -- other history -------------------------------------------------------------------------------
def test_responders_notes_and_root_cause_go_on_the_timeline() -> None:
    incident = opened()
    contact = Contact(role="database lead", name="Dana", email="dana@example.com", phone="+1 555")
    incident.add_responder(Responder.from_contact(contact), actor="pagerduty")
    incident.note("replica lag 40s", actor="ana")
    incident.set_root_cause("failover did not promote the replica", actor="dana")
    assert incident.responders == [Responder("Dana", "database lead", "dana@example.com")]
    assert [(e.kind, e.message) for e in incident.timeline[1:]] == [
        ("responder", "Dana joined as database lead"),
        ("note", "replica lag 40s"),
        ("root_cause", "root cause: failover did not promote the replica"),
    ]


def test_action_items_are_kept_but_are_not_events() -> None:
    incident = walk_to(opened(), S.RESOLVED)
    item = ActionItem("alert on replica lag", "dana", date(2026, 12, 15), "P1")
    incident.add_action_item(item)
    item.done = True
    assert incident.action_items == [
        ActionItem("alert on replica lag", "dana", date(2026, 12, 15), "P1", True)
    ]
    assert incident.timeline[-1].kind == "resolved"


# -- reading back ----------------------------------------------------------------------------
def full_incident() -> Incident:
    clock = VirtualClock(START)
    incident = opened(clock)
    incident.add_responder(Responder("Ana", "incident commander", "@ana"))
    for step in (S.ACKNOWLEDGED, S.INVESTIGATING, S.MITIGATING):
        clock.advance(30)
        incident.advance(step, actor="ana")
    incident.verify_mitigation(actor="probe")
    incident.resolve(actor="ana", root_cause="pool exhausted")
    incident.add_action_item(ActionItem("raise pool size", "ben", date(2026, 12, 1)))
    return incident


def test_to_dict_is_json_and_reads_back_equal() -> None:
    incident = full_incident()
    data = json.loads(json.dumps(incident.to_dict()))
    assert data["status"] == "resolved"
    assert data["mitigated_at"] == "2026-11-29T03:15:30+00:00"
    assert data["action_items"] == [
        {
            "action": "raise pool size",
            "owner": "ben",
            "due": "2026-12-01",
            "priority": "P2",
            "done": False,
        }
    ]
    assert Incident.from_dict(data) == incident


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda d: d.pop("title"),
            "incident 'INC-20261129-0001': title is missing; expected a string",
        ),
        (
            lambda d: d.update(severity="sev1"),
            "severity: expected one of P1, P2, P3, P4, got 'sev1'",
        ),
        (lambda d: d.update(status="closed"), "status: expected one of detected, acknowledged"),
        (lambda d: d.update(detected_at="yesterday"), "detected_at: expected an ISO 8601 time"),
        (
            lambda d: d.update(detected_at="2026-11-29T03:14:00"),
            "detected_at: expected an ISO 8601 time with a UTC offset, got '2026-11-29T03:14:00'",
        ),
        (lambda d: d["timeline"][1].pop("actor"), "timeline[1].actor is missing"),
        (lambda d: d["responders"].append("ana"), "responders[1]: expected a mapping, got str"),
        (
            lambda d: d["action_items"][0].update(priority="P4"),
            "action_items[0].priority: expected",
        ),
        (lambda d: d["action_items"][0].update(due="soon"), "action_items[0].due: expected an ISO"),
        (
            lambda d: d.update(affected_services=[1]),
            "affected_services[0]: expected a string, got 1",
        ),
        (
            lambda d: d.update(investigating_at=None),
            "status 'resolved' does not fit the times recorded (detected_at, acknowledged_at, "
            "mitigating_at, resolved_at)",
        ),
        (
            lambda d: d.update(status="acknowledged"),
            "status 'acknowledged' does not fit the times recorded",
        ),
        (
            lambda d: d.update(acknowledged_at="2026-11-29T03:00:00+00:00"),
            "the state times go backwards",
        ),
        (
            lambda d: d.update(mitigated_at="2026-11-29T03:00:00+00:00"),
            "mitigated_at must fall between mitigating_at and resolved_at",
        ),
    ],
)
def test_bad_data_is_refused_naming_the_field(change: Any, says: str) -> None:
    data = full_incident().to_dict()
    change(data)
    with pytest.raises(IncidentError, match=re.escape(says)):
        Incident.from_dict(data)


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(IncidentError, match="incident data: expected a mapping, got list"):
        Incident.from_dict([1, 2])


# -- properties ----------------------------------------------------------------------------------
texts = st.text(min_size=1, max_size=30).filter(str.strip)
steps = st.lists(
    st.tuples(st.integers(0, 3600), st.sampled_from([*STATUS_ORDER, "verify", "note"])),
    max_size=12,
)


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    """Incidents with random fields and a random history of allowed and refused changes."""
    clock = VirtualClock(START + timedelta(seconds=draw(st.integers(0, 10**8))))
    incident = Incident.open(
        draw(texts),
        draw(st.sampled_from(SEVERITIES)),
        clock=clock,
        affected_services=draw(st.lists(texts, max_size=3)),
        runbook=draw(st.none() | texts),
    )
    for name, role in draw(st.lists(st.tuples(texts, texts), max_size=2)):
        incident.add_responder(Responder(name, role, draw(st.text(max_size=10))))
    for delay, change in draw(steps):
        clock.advance(delay)
        try:
            if change == "verify":
                incident.verify_mitigation(actor=draw(texts))
            elif change == "note":
                incident.note(draw(st.text(max_size=40)), actor=draw(texts))
            else:
                incident.advance(change, actor=draw(texts))
        except IncidentError:
            pass
    for action, owner in draw(st.lists(st.tuples(texts, texts), max_size=2)):
        due = draw(st.none() | st.dates())
        priority = draw(st.sampled_from(ACTION_PRIORITIES))
        incident.add_action_item(ActionItem(action, owner, due, priority, draw(st.booleans())))
    if draw(st.booleans()):
        incident.root_cause = draw(st.text(max_size=40))
    return incident


@given(incidents())
@settings(max_examples=150, deadline=None)
def test_round_trip_through_json(incident: Incident) -> None:
    text = json.dumps(incident.to_dict())
    again = Incident.from_dict(json.loads(text))
    assert again == incident
    assert json.dumps(again.to_dict()) == text


class LifecycleMachine(RuleBasedStateMachine):
    """Random transition requests: the status never goes back, times never decrease, and every
    transition (and only a transition) adds its event to the timeline."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock(START)
        self.incident = Incident.open("Checkout errors", "P2", clock=self.clock)
        self.highest = 0

    @rule(seconds=st.floats(0, 7200, allow_nan=False), wanted=st.sampled_from(STATUS_ORDER))
    def request(self, seconds: float, wanted: IncidentStatus) -> None:
        self.clock.advance(seconds)
        before = self.incident.status
        events = len(self.incident.timeline)
        target = wanted
        allowed = target in allowed_next(before)
        try:
            event = self.incident.advance(target, actor="chaos")
        except IncidentError as refused:
            assert not allowed, f"{before} -> {target} was refused: {refused}"
            assert self.incident.status is before
            assert len(self.incident.timeline) == events
            assert f"'{before.value}'" in str(refused) or before is S.RESOLVED
            assert f"'{target.value}'" in str(refused)
            return
        assert allowed, f"{before} -> {target} was accepted"
        assert self.incident.timeline[events:] == [event]
        assert (event.kind, event.at) == (target.value, self.clock.now())
        assert self.incident.reached_at(target) == event.at

    @rule(seconds=st.floats(0, 600, allow_nan=False))
    def verify(self, seconds: float) -> None:
        self.clock.advance(seconds)
        could = self.incident.status is S.MITIGATING and self.incident.mitigated_at is None
        try:
            self.incident.verify_mitigation(actor="probe")
        except IncidentError:
            assert not could
        else:
            assert could

    @invariant()
    def status_never_goes_back(self) -> None:
        assert self.incident.status.rank >= self.highest
        self.highest = self.incident.status.rank

    @invariant()
    def times_are_monotone(self) -> None:
        reached = [self.incident.reached_at(s) for s in STATUS_ORDER]
        times = [when for when in reached if when is not None]
        assert times == sorted(times)
        timeline = [event.at for event in self.incident.timeline]
        assert timeline == sorted(timeline)

    @invariant()
    def every_transition_is_on_the_timeline(self) -> None:
        transitions = [e for e in self.incident.timeline if e.kind in set(STATUS_ORDER)]
        reached = [(s.value, self.incident.reached_at(s)) for s in STATUS_ORDER]
        assert [(e.kind, e.at) for e in transitions] == [(k, at) for k, at in reached if at]

    @invariant()
    def it_reads_back(self) -> None:
        assert Incident.from_dict(self.incident.to_dict()) == self.incident


LifecycleMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=25, deadline=None
)
TestLifecycle = LifecycleMachine.TestCase
