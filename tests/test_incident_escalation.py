"""The escalation engine on the seed's rotation (fixtures/oncall.yaml) in virtual time: who is
paged at which level and when, scripted responders, what stops it, and hypothesis properties
of the page times against escalation policies written as on-call data."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from drillbook.drill.clock import RealClock, VirtualClock
from drillbook.errors import DrillbookError, LoadError
from drillbook.fakes import create_app
from drillbook.fakes.serving import BackgroundServer
from drillbook.formats.oncall import OnCallFile
from drillbook.incident import (
    EscalationEngine,
    EscalationError,
    Incident,
    IncidentStatus,
    Page,
    PagerDutyClient,
    ResponderScript,
)
from drillbook.incident.responders import (
    check_responders,
    load_responder_script,
    load_responder_script_text,
)
from drillbook.oncall import EscalationStep, Roster
from hypothesis import given, settings
from hypothesis import strategies as st

ONCALL = Path(__file__).resolve().parents[1] / "fixtures" / "oncall.yaml"
# Wednesday 10 January 2024, 13:00 in Sydney (AEDT, UTC+11): the rotation started Monday
# 1 January 09:00 and hands off every Monday 09:00, so this is its second week: the second
# engineer of three is primary and the second senior of two is secondary (counted by hand).
DETECTED = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
PRIMARY, SECONDARY = "engineer-2", "senior-2"
MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def roster() -> Roster:
    return Roster.load(ONCALL)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(DETECTED)


@pytest.fixture
def incident(clock: VirtualClock) -> Incident:
    return Incident.open(
        "Database connection failure",
        "P1",
        clock=clock,
        affected_services=["holiday-api"],
        runbook="database-outage",
    )


def script(*entries: dict[str, Any]) -> ResponderScript:
    return ResponderScript.model_validate({"responders": list(entries)})


def escalate(
    incident: Incident,
    roster: Roster,
    clock: VirtualClock,
    responders: ResponderScript | None = None,
    timeout: float = 3 * 3600,
) -> tuple[list[Page], Any]:
    paged: list[Page] = []
    engine = EscalationEngine.for_service(
        incident, roster, "holiday-api", clock=clock, pager=paged.append, responders=responders
    )
    return paged, engine.run_until_acknowledged(timeout)


def timeline(pages: list[Page]) -> list[tuple[int, str, datetime]]:
    return [(page.level, page.person, page.at) for page in pages]


# -- the seed's rotation ---------------------------------------------------------------------
def test_nobody_acknowledges_the_secondary_is_paged_15_minutes_after_the_primary_and_it_loops(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    paged, record = escalate(incident, roster, clock)

    assert timeline(paged) == [
        (1, PRIMARY, DETECTED),
        (2, SECONDARY, DETECTED + 15 * MINUTE),
        (3, PRIMARY, DETECTED + 30 * MINUTE),  # loops: 1 in the seed's policy
        (4, SECONDARY, DETECTED + 45 * MINUTE),
    ]
    assert timeline(list(record.pages)) == timeline(paged)
    assert (record.outcome, record.acknowledged_by, record.acknowledged_at) == (
        "exhausted",
        None,
        None,
    )
    assert record.ended_at == clock.now() == DETECTED + 45 * MINUTE
    assert incident.status is IncidentStatus.DETECTED


def test_pages_name_the_person_their_contacts_and_the_schedule(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    paged, _ = escalate(incident, roster, clock, script({"who": "secondary", "after": "1m"}))
    primary, secondary = paged
    assert (primary.name, primary.targets, primary.after_minutes) == (
        "Lachlan Brooks",
        ("schedule primary",),
        0,
    )
    assert primary.via == (
        "+61 491 570 157",
        "@lachlan.brooks",
        "lachlan.brooks@holiday-aggregator.com",
    )
    assert (secondary.name, secondary.targets, secondary.after_minutes) == (
        "Grace Okafor",
        ("schedule secondary",),
        15,
    )


def test_primary_acknowledging_after_2_minutes_means_no_secondary_page(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    paged, record = escalate(incident, roster, clock, script({"who": "primary", "after": "2m"}))

    assert timeline(paged) == [(1, PRIMARY, DETECTED)]
    assert (record.outcome, record.acknowledged_by) == ("acknowledged", PRIMARY)
    assert record.acknowledged_at == incident.acknowledged_at == DETECTED + 2 * MINUTE
    assert incident.status is IncidentStatus.ACKNOWLEDGED
    assert incident.timeline[-1].actor == PRIMARY
    assert clock.now() == DETECTED + 2 * MINUTE  # virtual minutes: nothing slept longer


def test_the_secondary_acknowledges_when_the_primary_does_not(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    responders = script(
        {"who": "primary", "acknowledges": False},
        {"who": "secondary", "acknowledges": True, "after": "5m"},
    )
    paged, record = escalate(incident, roster, clock, responders)

    assert timeline(paged) == [(1, PRIMARY, DETECTED), (2, SECONDARY, DETECTED + 15 * MINUTE)]
    assert (record.acknowledged_by, record.acknowledged_at) == (SECONDARY, DETECTED + 20 * MINUTE)


@pytest.mark.parametrize(
    ("after", "levels"),
    [
        ("15m", [1]),  # due with level 2: the acknowledgement comes first
        (15 * 60 + 1, [1, 2]),  # a second later: the secondary was paged already
        ("14m", [1]),
    ],
)
def test_an_acknowledgement_due_with_the_next_level_wins(
    incident: Incident, roster: Roster, clock: VirtualClock, after: Any, levels: list[int]
) -> None:
    _, record = escalate(incident, roster, clock, script({"who": PRIMARY, "after": after}))
    assert record.levels() == levels
    assert record.acknowledged_by == PRIMARY


@pytest.mark.parametrize(
    ("who", "acknowledger", "levels"),
    [
        (PRIMARY, PRIMARY, [1]),  # a person id
        (SECONDARY, SECONDARY, [1, 2]),
        ("level 2", SECONDARY, [1, 2]),
        ("level 3", PRIMARY, [1, 2, 3]),  # the primary again, on the loop
        ("Level-4", SECONDARY, [1, 2, 3, 4]),
    ],
)
def test_responders_are_named_by_person_or_level(
    incident: Incident,
    roster: Roster,
    clock: VirtualClock,
    who: str,
    acknowledger: str,
    levels: list[int],
) -> None:
    _, record = escalate(incident, roster, clock, script({"who": who, "after": "1m"}))
    assert (record.levels(), record.acknowledged_by) == (levels, acknowledger)


def test_resolving_the_incident_stops_the_escalation(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    engine = EscalationEngine.for_service(incident, roster, "holiday-api", clock=clock)
    assert [page.level for page in engine.start()] == [1]
    clock.advance(10 * 60)
    incident.resolve(actor="drillbook", message="false alarm")

    record = engine.run_until_acknowledged(3600)

    assert (record.outcome, record.levels(), record.acknowledged_by) == ("resolved", [1], None)
    assert clock.now() == DETECTED + 10 * MINUTE


def test_a_pager_resolving_the_incident_at_level_2_stops_there(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    def pager(page: Page) -> None:
        if page.level == 2:
            incident.resolve(actor=page.person)

    engine = EscalationEngine.for_service(incident, roster, "holiday-api", pager=pager)
    record = engine.run_until_acknowledged(3600)
    assert (record.outcome, record.levels()) == ("resolved", [1, 2])
    assert record.ended_at == DETECTED + 15 * MINUTE


def test_someone_else_acknowledging_stops_it_and_is_recorded(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    engine = EscalationEngine.for_service(incident, roster, "holiday-api", clock=clock)
    engine.start()
    clock.advance(5 * 60)
    incident.acknowledge(actor="incident-commander")

    assert engine.tick() == []
    record = engine.record()
    assert (record.outcome, record.acknowledged_by) == ("acknowledged", "incident-commander")
    assert record.acknowledged_at == DETECTED + 5 * MINUTE
    assert engine.next_due() is None


def test_a_timeout_ends_the_escalation_with_what_was_paged(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    _, record = escalate(incident, roster, clock, timeout=20 * 60)
    assert (record.outcome, record.levels()) == ("timeout", [1, 2])
    assert record.ended_at == clock.now() == DETECTED + 20 * MINUTE


def test_next_due_and_tick_drive_it_from_another_loop(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    engine = EscalationEngine.for_service(
        incident, roster, "holiday-api", clock=clock, responders=script({"who": "secondary"})
    )
    engine.start()
    assert engine.next_due() == 15 * 60
    clock.advance(14 * 60)
    assert (engine.tick(), engine.next_due()) == ([], 60)
    clock.advance(60)
    assert [page.person for page in engine.tick()] == [SECONDARY]
    assert engine.record().outcome == "acknowledged"  # "after" defaults to at once


def test_on_a_real_clock_another_thread_acknowledging_is_seen_by_polling(
    roster: Roster,
) -> None:
    incident = Incident.open("Checkout errors", "P2", clock=RealClock())
    engine = EscalationEngine.for_service(incident, roster, "payments")
    acknowledger = threading.Timer(0.05, lambda: incident.acknowledge(actor="other-thread"))
    acknowledger.start()
    try:
        record = engine.run_until_acknowledged(10, poll_interval=0.01)
    finally:
        acknowledger.cancel()
    assert (record.outcome, record.acknowledged_by, record.levels()) == (
        "acknowledged",
        "other-thread",
        [1],
    )


def test_pages_go_on_the_incident_timeline(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    escalate(incident, roster, clock, script({"who": "secondary", "after": "3m"}))
    pages = [(event.at, event.message) for event in incident.timeline if event.kind == "page"]
    assert pages == [
        (DETECTED, "paged Lachlan Brooks (engineer-2), escalation level 1"),
        (DETECTED + 15 * MINUTE, "paged Grace Okafor (senior-2), escalation level 2"),
    ]
    assert incident.timeline[-1].message == "acknowledged by Grace Okafor (paged at level 2)"


def test_a_failing_pager_is_recorded_masked_and_the_escalation_goes_on(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    def pager(page: Page) -> None:
        if page.level == 1:
            raise DrillbookError("could not reach https://pd:hunter2secret@events.example/v2")

    engine = EscalationEngine.for_service(incident, roster, "holiday-api", pager=pager)
    record = engine.run_until_acknowledged(20 * 60)
    first, second = record.pages
    assert first.error is not None and "hunter2secret" not in first.error
    assert "pd:********@events.example" in first.error
    assert second.error is None and second.level == 2
    assert "hunter2secret" not in json.dumps([e.to_dict() for e in incident.timeline])


def test_a_level_with_nobody_on_call_is_reported_not_paged(clock: VirtualClock) -> None:
    incident = Incident.open("Auth down", "P1", clock=clock)
    steps = [
        EscalationStep(1, 10, (), ("schedule nights",), 0),
        EscalationStep(2, 10, ("alice",), ("person alice",), 10),
    ]
    record = EscalationEngine(incident, steps).run_until_acknowledged(3600)
    assert (record.unreached_levels, record.levels()) == ((1,), [2])
    assert "escalation level 1: nobody to page (schedule nights)" in [
        event.message for event in incident.timeline
    ]


def test_the_record_is_plain_json(incident: Incident, roster: Roster, clock: VirtualClock) -> None:
    _, record = escalate(incident, roster, clock, script({"who": "primary", "after": "30s"}))
    data = json.loads(json.dumps(record.to_dict()))
    assert data["outcome"] == "acknowledged"
    assert data["acknowledged_at"] == (DETECTED + timedelta(seconds=30)).isoformat()
    assert [(p["level"], p["person"], p["at"]) for p in data["pages"]] == [
        (1, PRIMARY, DETECTED.isoformat())
    ]


# -- responder scripts -----------------------------------------------------------------------
def test_a_responder_naming_nobody_is_refused_with_the_choices(
    incident: Incident, roster: Roster
) -> None:
    with pytest.raises(EscalationError) as caught:
        EscalationEngine.for_service(
            incident, roster, "holiday-api", responders=script({"who": "primery"})
        )
    message = str(caught.value)
    assert "'primery' is nobody on this escalation path" in message
    for choice in (PRIMARY, SECONDARY, "primary", "secondary", "level 1", "level 4"):
        assert choice in message


def test_a_responder_script_file_points_at_the_line_of_a_bad_who(
    tmp_path: Path, roster: Roster
) -> None:
    path = tmp_path / "responders.yaml"
    path.write_text(
        "responders:\n  - {who: primary, acknowledges: false}\n  - who: senior-9\n    after: 2m\n"
    )
    loaded = load_responder_script(path)
    assert [entry.after for entry in loaded.model.responders] == [0.0, 120.0]
    steps = roster.path("holiday-api", DETECTED)
    with pytest.raises(LoadError) as caught:
        check_responders(loaded.model, steps, source=loaded.source)
    assert (caught.value.path, caught.value.line) == (path, 3)
    assert "'senior-9' is nobody on this escalation path" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("responders:\n  - who: primary\n    after: soon\n", 3, "not a duration"),
        ("responders:\n  - who: primary\n    acknowledge: true\n", 3, "unknown key"),
        ("responders:\n  - after: 2m\n", 2, "missing required key `who`"),
    ],
)
def test_a_broken_responder_script_names_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(LoadError) as caught:
        load_responder_script_text(text, "drill.yaml")
    assert caught.value.line == line
    assert words in caught.value.message


# -- properties ------------------------------------------------------------------------------
def _policy_roster(delays: list[int], loops: int) -> Roster:
    """A roster whose policy pages person p<i> at rule i (so each level has one person)."""
    data = {
        "people": {f"p{i}": {"name": f"Person {i}"} for i in range(len(delays))},
        "escalationPolicies": {
            "policy": {
                "loops": loops,
                "rules": [
                    {"targets": [{"person": f"p{i}"}], "delayMinutes": delay}
                    for i, delay in enumerate(delays)
                ],
            }
        },
        "services": {"svc": {"escalationPolicy": "policy"}},
    }
    return Roster(OnCallFile.model_validate(data))


policies = st.tuples(
    st.lists(st.integers(min_value=1, max_value=10080), min_size=1, max_size=5),
    st.integers(min_value=0, max_value=3),
)


@settings(max_examples=60, deadline=None)
@given(policy=policies)
def test_unanswered_pages_come_at_the_sums_of_the_previous_delays(
    policy: tuple[list[int], int],
) -> None:
    delays, loops = policy
    clock = VirtualClock(DETECTED)
    incident = Incident.open("Outage", "P2", clock=clock)
    engine = EscalationEngine.for_service(incident, _policy_roster(delays, loops), "svc")
    record = engine.run_until_acknowledged(7 * 24 * 3600 * 60)

    unrolled = delays * (loops + 1)
    expected_minutes = [sum(unrolled[:level]) for level in range(len(unrolled))]
    assert [page.at for page in record.pages] == [
        DETECTED + timedelta(minutes=minutes) for minutes in expected_minutes
    ]
    assert [page.level for page in record.pages] == list(range(1, len(unrolled) + 1))
    assert [page.person for page in record.pages] == [
        f"p{i % len(delays)}" for i in range(len(unrolled))
    ]
    times = [page.at for page in record.pages]
    assert times == sorted(times)
    assert record.outcome == "exhausted"


@settings(max_examples=80, deadline=None)
@given(
    policy=policies,
    data=st.data(),
    after=st.one_of(
        st.integers(min_value=0, max_value=600).map(lambda minutes: minutes * 60),
        st.integers(min_value=0, max_value=36000),
    ),
)
def test_a_scripted_acknowledgement_ends_paging_at_its_instant(
    policy: tuple[list[int], int], data: st.DataObject, after: int
) -> None:
    delays, loops = policy
    unrolled = delays * (loops + 1)
    offsets = [sum(unrolled[:level]) * 60 for level in range(len(unrolled))]
    level = data.draw(st.integers(min_value=1, max_value=len(unrolled)), label="level")
    clock = VirtualClock(DETECTED)
    incident = Incident.open("Outage", "P2", clock=clock)
    responders = script({"who": f"level {level}", "after": after})
    engine = EscalationEngine.for_service(
        incident, _policy_roster(delays, loops), "svc", responders=responders
    )
    record = engine.run_until_acknowledged(7 * 24 * 3600 * 60)

    acknowledged = offsets[level - 1] + after
    expected = [
        n + 1 for n, offset in enumerate(offsets) if offset < acknowledged or n + 1 == level
    ]
    assert record.levels() == expected
    assert record.acknowledged_at == DETECTED + timedelta(seconds=acknowledged)
    assert record.acknowledged_by == f"p{(level - 1) % len(delays)}"
    assert all(page.at <= record.acknowledged_at for page in record.pages)


# -- with the PagerDuty stand-in ---------------------------------------------------------------
def test_a_drill_pages_pagerduty_at_level_1_and_acknowledges_it_when_a_responder_does(
    incident: Incident, roster: Roster, clock: VirtualClock
) -> None:
    """The shape a runner gives it: one real trigger when the escalation starts (PagerDuty
    pages people itself), the levels recorded, the acknowledgement passed on."""
    app = create_app("pagerduty")
    with (
        BackgroundServer(app) as url,
        PagerDutyClient(
            "R0UTINGk3y5ecret0123456789abcdef", url=f"{url}/v2/enqueue", clock=clock
        ) as client,
    ):

        def pager(page: Page) -> None:
            if page.level == 1:
                client.trigger(incident, source="holiday-api")

        responders = script({"who": "primary", "acknowledges": False}, {"who": "secondary"})
        engine = EscalationEngine.for_service(
            incident, roster, "holiday-api", pager=pager, responders=responders
        )
        record = engine.run_until_acknowledged(3600)
        if record.outcome == "acknowledged":
            client.acknowledge(incident)

    [alert] = app.fake.snapshot()["incidents"].values()
    assert (alert["dedup_key"], alert["status"], alert["severity"]) == (
        incident.id,
        "acknowledged",
        "critical",
    )
    assert [event["event_action"] for event in alert["events"]] == ["trigger", "acknowledge"]
    assert timeline(list(record.pages)) == [
        (1, PRIMARY, DETECTED),
        (2, SECONDARY, DETECTED + 15 * MINUTE),
    ]
