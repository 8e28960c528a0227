"""The PagerDuty Events API v2 stand-in: validation as the real API, alert lifecycle, faults."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from drillbook.fakes import FakeServer, create_app
from drillbook.fakes.pagerduty import PagerDutyFake
from drillbook.fakes.serving import BackgroundServer
from drillbook.fakes.web import Request
from drillbook.faults.http import HttpFaultClient, HttpFaultSpec
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

KEY = "R0UT1NGKEY0123456789ABCDEFGHIJKL"
OTHER_KEY = "0THERKEY0123456789ABCDEFGHIJKLMN"
TRIGGER: dict[str, Any] = {
    "routing_key": KEY,
    "event_action": "trigger",
    "dedup_key": "db-outage",
    "payload": {"summary": "Database unreachable", "source": "db-1", "severity": "critical"},
}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeServer, httpx.Client]]:
    app = create_app("pagerduty")
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield app, client


@pytest.fixture
def http(served: tuple[FakeServer, httpx.Client]) -> httpx.Client:
    served[0].fake.reset()
    served[0].log.clear()
    served[0].book.clear()
    return served[1]


def send(http: httpx.Client, event: Any) -> httpx.Response:
    return http.post("/v2/enqueue", json=event)


def with_changes(**changes: Any) -> dict[str, Any]:
    """TRIGGER with top-level or ``payload.x`` fields replaced (None deletes)."""
    event = copy.deepcopy(TRIGGER)
    for name, value in changes.items():
        target: dict[str, Any] = event["payload"] if name.startswith("payload_") else event
        key = name.removeprefix("payload_")
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return event


def test_a_trigger_is_accepted_and_opens_an_incident(http: httpx.Client) -> None:
    response = send(http, TRIGGER)
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "db-outage",
    }
    incident = http.get("/__drillbook/state").json()["incidents"]["db-outage"]
    assert incident["status"] == "triggered"
    assert (incident["summary"], incident["source"], incident["severity"]) == (
        "Database unreachable",
        "db-1",
        "critical",
    )
    assert KEY not in http.get("/__drillbook/state").text


def test_a_trigger_without_a_dedup_key_gets_a_fresh_one(http: httpx.Client) -> None:
    keys = {send(http, with_changes(dedup_key=None)).json()["dedup_key"] for _ in range(2)}
    assert len(keys) == 2
    for key in keys:
        assert uuid.UUID(key).version == 4
    assert set(http.get("/__drillbook/state").json()["incidents"]) == keys


@pytest.mark.parametrize(
    ("event", "error"),
    [
        (with_changes(routing_key=None), "'routing_key' is missing or blank"),
        (with_changes(routing_key=KEY[:31]), "Length of 'routing_key' is incorrect"),
        (with_changes(routing_key=KEY + "X"), "Length of 'routing_key' is incorrect"),
        (with_changes(event_action=None), "'event_action' is missing or blank"),
        (with_changes(event_action="escalate"), "'event_action' is invalid"),
        (with_changes(payload=None), "'payload' is missing or blank"),
        (with_changes(payload_summary=None), "'payload.summary' is missing or blank"),
        (with_changes(payload_summary="x" * 1025), "Length of 'payload.summary' is too long"),
        (with_changes(payload_source="  "), "'payload.source' is missing or blank"),
        (with_changes(payload_severity=None), "'payload.severity' is missing or blank"),
        (with_changes(payload_severity="fatal"), "'payload.severity' is invalid"),
        (with_changes(payload_timestamp="yesterday"), "'payload.timestamp' is invalid"),
        (with_changes(dedup_key="k" * 256), "Length of 'dedup_key' is too long"),
        (with_changes(event_action="acknowledge", dedup_key=None), "'dedup_key' is missing"),
        (with_changes(event_action="resolve", dedup_key=""), "'dedup_key' is missing"),
    ],
)
def test_invalid_events_are_400_with_pagerdutys_errors(
    http: httpx.Client, event: dict[str, Any], error: str
) -> None:
    response = send(http, event)
    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["message"]) == ("invalid event", "Event object is invalid")
    assert len(body["errors"]) == 1 and body["errors"][0].startswith(error)
    assert http.get("/__drillbook/state").json()["incidents"] == {}


@pytest.mark.parametrize(
    "event",
    [
        with_changes(payload_summary="x" * 1024),
        with_changes(dedup_key="k" * 255),
        with_changes(payload_timestamp="2015-07-17T08:42:58.315+0000"),
        {"routing_key": KEY, "event_action": "resolve", "dedup_key": "anything"},
    ],
)
def test_events_at_the_limits_are_accepted(http: httpx.Client, event: dict[str, Any]) -> None:
    assert send(http, event).status_code == 202


def test_every_problem_of_an_event_is_listed(http: httpx.Client) -> None:
    response = send(http, {"routing_key": "short", "event_action": "trigger", "payload": {}})
    errors = response.json()["errors"]
    assert response.status_code == 400 and len(errors) == 4
    assert any("routing_key" in e for e in errors) and any("severity" in e for e in errors)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"trigger"'])
def test_a_body_that_is_not_an_event_object_is_400(http: httpx.Client, body: bytes) -> None:
    response = http.post("/v2/enqueue", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["status"] == "invalid event"


def test_acknowledge_and_resolve_move_the_incident_then_drop_late_events(
    http: httpx.Client,
) -> None:
    send(http, TRIGGER)
    ack = {"routing_key": KEY, "event_action": "acknowledge", "dedup_key": "db-outage"}
    assert send(http, ack).status_code == 202
    assert http.get("/__drillbook/state").json()["incidents"]["db-outage"]["status"] == (
        "acknowledged"
    )
    assert send(http, {**ack, "event_action": "resolve"}).status_code == 202
    assert send(http, ack).status_code == 202
    state = http.get("/__drillbook/state").json()
    incident = state["incidents"]["db-outage"]
    assert incident["status"] == "resolved" and incident["resolved_at"]
    assert [e["outcome"] for e in state["events"]] == [
        "triggered",
        "acknowledged",
        "resolved",
        "dropped",
    ]


def test_a_trigger_after_a_resolve_opens_a_new_incident(http: httpx.Client) -> None:
    send(http, TRIGGER)
    send(http, {"routing_key": KEY, "event_action": "resolve", "dedup_key": "db-outage"})
    send(http, with_changes(payload_summary="Database unreachable again"))
    state = http.get("/__drillbook/state").json()
    current = state["incidents"]["db-outage"]
    assert (current["number"], current["status"]) == (2, "triggered")
    assert current["summary"] == "Database unreachable again"
    assert [(old["number"], old["status"]) for old in state["history"]] == [(1, "resolved")]


def test_events_with_another_routing_key_do_not_touch_the_incident(http: httpx.Client) -> None:
    send(http, TRIGGER)
    other = {"routing_key": OTHER_KEY, "event_action": "resolve", "dedup_key": "db-outage"}
    assert send(http, other).status_code == 202
    assert http.get("/__drillbook/state").json()["incidents"]["db-outage"]["status"] == "triggered"


def test_known_routing_keys_refuse_others() -> None:
    app = create_app("pagerduty", routing_keys=[KEY])
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        known = send(http, TRIGGER)
        unknown = send(http, with_changes(routing_key=OTHER_KEY))
    assert known.status_code == 202
    assert unknown.status_code == 400 and "'routing_key' is invalid" in unknown.json()["errors"][0]


def test_the_recording_masks_the_routing_key_and_filters_by_path(http: httpx.Client) -> None:
    send(http, TRIGGER)
    http.get("/nowhere")
    recorded = http.get("/__drillbook/requests", params={"path": "/v2/enqueue"})
    assert KEY not in recorded.text
    [record] = recorded.json()["requests"]
    assert record["body"]["routing_key"] == "********"
    assert record["body"]["payload"] == TRIGGER["payload"]
    assert record["status"] == 202
    assert record["extras"] == {"outcome": "triggered", "dedup_key": "db-outage"}
    assert len(http.get("/__drillbook/requests").json()["requests"]) == 2


def test_a_throttling_fault_answers_429_then_events_flow_again(http: httpx.Client) -> None:
    faults = HttpFaultClient(str(http.base_url), client=http)
    faults.add(HttpFaultSpec(status=429, count=1, path="/v2/enqueue"))
    throttled = send(http, TRIGGER)
    assert throttled.status_code == 429
    assert throttled.json()["status"] == "throttle event"
    assert send(http, TRIGGER).status_code == 202
    assert [r["status"] for r in http.get("/__drillbook/requests").json()["requests"]] == [429, 202]


# --- the alert lifecycle as a state machine, against a model of the documented rules -------


def post(fake: PagerDutyFake, event: dict[str, Any]) -> int:
    body = json.dumps(event).encode()
    request = Request("POST", "/v2/enqueue", "", {"content-type": "application/json"}, body)
    return fake.handle(request).status


class AlertLifecycle(RuleBasedStateMachine):
    """Random triggers, acknowledges and resolves for a few keys and two routing keys."""

    def __init__(self) -> None:
        super().__init__()
        self.fake = PagerDutyFake()
        self.model: dict[str, tuple[str, str]] = {}  # dedup key -> (status, routing key)

    @rule(
        dedup=st.sampled_from(["a", "b", "c"]),
        key=st.sampled_from([KEY, OTHER_KEY]),
        action=st.sampled_from(["trigger", "acknowledge", "resolve"]),
    )
    def event(self, dedup: str, key: str, action: str) -> None:
        event = {**copy.deepcopy(TRIGGER), "dedup_key": dedup, "routing_key": key}
        event["event_action"] = action
        assert post(self.fake, event) == 202
        current = self.model.get(dedup)
        is_open = current is not None and current[0] != "resolved" and current[1] == key
        if action == "trigger":
            if not is_open:
                self.model[dedup] = ("triggered", key)
        elif is_open and current is not None:
            self.model[dedup] = ("acknowledged" if action == "acknowledge" else "resolved", key)

    @invariant()
    def states_match_the_model(self) -> None:
        incidents = self.fake.state()["incidents"]
        assert {key: value["status"] for key, value in incidents.items()} == {
            key: status for key, (status, _) in self.model.items()
        }


AlertLifecycle.TestCase.settings = settings(max_examples=60, stateful_step_count=15, deadline=None)
TestAlertLifecycle = AlertLifecycle.TestCase
