"""The PagerDuty Events API v2 client: the exact events it sends (respx), its retries in virtual
time, the routing key kept out of every output, and a real local server that validates events
the way PagerDuty does."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import respx
from drillbook.drill.clock import VirtualClock
from drillbook.incident import Incident, Link, PagerDutyClient, PagerDutyError
from drillbook.incident.pagerduty import EVENTS_URL, SUMMARY_LIMIT, summary_for
from hypothesis import given
from hypothesis import strategies as st

KEY = "R0UTINGk3y5ecret0123456789abcdef"
START = datetime(2026, 11, 29, 3, 14, 15, tzinfo=UTC)
ACCEPTED = {"status": "success", "message": "Event processed", "dedup_key": "INC-20261129-0001"}
LINKS = [
    Link("https://runbooks.example.com/database-outage", "Runbook: database-outage"),
    Link("https://ci.example.com/reports/drill-42.html", "Drill report"),
]


class SleepLog(VirtualClock):
    """A virtual clock that remembers every sleep."""

    def __init__(self) -> None:
        super().__init__(START)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


def incident(title: str = "Database connection failure", severity: str = "P1") -> Incident:
    return Incident.open(
        title,
        severity,  # type: ignore[arg-type]
        clock=VirtualClock(START),
        affected_services=["api", "checkout"],
        runbook="database-outage",
        id="INC-20261129-0001",
    )


@pytest.fixture
def clock() -> SleepLog:
    return SleepLog()


@pytest.fixture
def pd() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(clock: SleepLog) -> Iterator[PagerDutyClient]:
    with PagerDutyClient(KEY, clock=clock) as made:
        yield made


def sent(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


# -- the events ------------------------------------------------------------------------------
def test_trigger_sends_the_whole_event(pd: respx.MockRouter, client: PagerDutyClient) -> None:
    route = pd.post(EVENTS_URL).respond(202, json=ACCEPTED)
    assert (
        client.trigger(incident(), source="db.prod.example.com", links=LINKS)
        == ACCEPTED["dedup_key"]
    )
    assert route.call_count == 1
    request = route.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert sent(route) == {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "INC-20261129-0001",
        "client": "drillbook",
        "payload": {
            "summary": "Database connection failure",
            "source": "db.prod.example.com",
            "severity": "critical",
            "timestamp": "2026-11-29T03:14:15+00:00",
            "custom_details": {
                "incident": "INC-20261129-0001",
                "affected_services": ["api", "checkout"],
                "runbook": "database-outage",
            },
        },
        "links": [
            {
                "href": "https://runbooks.example.com/database-outage",
                "text": "Runbook: database-outage",
            },
            {"href": "https://ci.example.com/reports/drill-42.html", "text": "Drill report"},
        ],
    }


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_follow_ups_send_only_the_key_and_action(
    pd: respx.MockRouter, client: PagerDutyClient, action: str
) -> None:
    route = pd.post(EVENTS_URL).respond(202, json=ACCEPTED)
    assert getattr(client, action)(incident()) == "INC-20261129-0001"
    assert sent(route) == {
        "routing_key": KEY,
        "event_action": action,
        "dedup_key": "INC-20261129-0001",
    }


@pytest.mark.parametrize(
    ("severity", "expected"),
    [("P1", "critical"), ("P2", "error"), ("P3", "warning"), ("P4", "info")],
)
def test_severity_mapping(
    pd: respx.MockRouter, client: PagerDutyClient, severity: str, expected: str
) -> None:
    route = pd.post(EVENTS_URL).respond(202, json=ACCEPTED)
    client.trigger(incident(severity=severity), source="api")
    assert sent(route)["payload"]["severity"] == expected


@pytest.mark.parametrize(
    ("length", "cut"), [(1, False), (1023, False), (1024, False), (1025, True), (5000, True)]
)
def test_summary_is_cut_to_1024_characters_with_an_ellipsis(
    pd: respx.MockRouter, client: PagerDutyClient, length: int, cut: bool
) -> None:
    route = pd.post(EVENTS_URL).respond(202, json=ACCEPTED)
    title = ("x" * 9 + "é") * (length // 10) + "y" * (length % 10)
    client.trigger(incident(title=title), source="api")
    summary = sent(route)["payload"]["summary"]
    assert len(summary) == min(length, 1024)
    if cut:
        assert summary == title[:1023] + "…"
    else:
        assert summary == title


@given(st.text(min_size=1, max_size=3000))
def test_summary_keeps_as_much_of_the_title_as_fits(title: str) -> None:
    summary = summary_for(title)
    assert len(summary) <= SUMMARY_LIMIT
    if len(title) <= SUMMARY_LIMIT:
        assert summary == title
    else:
        assert summary[:-1] == title[: SUMMARY_LIMIT - 1] and summary[-1] == "…"


def test_the_dedup_key_returned_is_the_one_pagerduty_answered(
    pd: respx.MockRouter, client: PagerDutyClient
) -> None:
    pd.post(EVENTS_URL).respond(202, json={**ACCEPTED, "dedup_key": "pd-chosen-key"})
    assert client.resolve(incident()) == "pd-chosen-key"


def test_an_answer_without_a_dedup_key_is_an_error(
    pd: respx.MockRouter, client: PagerDutyClient
) -> None:
    pd.post(EVENTS_URL).respond(202, text="ok")
    with pytest.raises(PagerDutyError, match="answered without a dedup_key: 'ok'"):
        client.acknowledge(incident())


def test_a_trigger_needs_a_source(pd: respx.MockRouter, client: PagerDutyClient) -> None:
    route = pd.post(EVENTS_URL).respond(202, json=ACCEPTED)
    with pytest.raises(PagerDutyError, match="needs a source"):
        client.trigger(incident(), source=" ")
    assert route.call_count == 0


def test_an_id_too_long_for_a_dedup_key_is_refused_before_sending(
    pd: respx.MockRouter, client: PagerDutyClient
) -> None:
    route = pd.post(EVENTS_URL).respond(202, json=ACCEPTED)
    long_id = Incident.open("Disk full", "P3", clock=VirtualClock(START), id="INC-" + "9" * 252)
    with pytest.raises(PagerDutyError, match="longer than PagerDuty's 255-character dedup_key"):
        client.acknowledge(long_id)
    assert route.call_count == 0
    fits = Incident.open("Disk full", "P3", clock=VirtualClock(START), id="INC-" + "9" * 251)
    client.acknowledge(fits)
    assert route.call_count == 1


# -- retries ---------------------------------------------------------------------------------
def test_429_twice_then_accepted(
    pd: respx.MockRouter, client: PagerDutyClient, clock: SleepLog
) -> None:
    busy = httpx.Response(429, json={"status": "throttle event", "message": "Too many requests"})
    route = pd.post(EVENTS_URL).mock(side_effect=[busy, busy, httpx.Response(202, json=ACCEPTED)])
    assert client.trigger(incident(), source="api") == "INC-20261129-0001"
    assert route.call_count == 3
    assert clock.sleeps == [1.0, 2.0]
    assert clock.monotonic() == 3.0
    bodies = [sent(route, index) for index in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]


def test_a_429_retry_after_is_honoured_within_the_cap(
    pd: respx.MockRouter, clock: SleepLog
) -> None:
    busy = [httpx.Response(429, headers={"Retry-After": after}) for after in ("7", "900", "x")]
    pd.post(EVENTS_URL).mock(side_effect=[*busy, httpx.Response(202, json=ACCEPTED)])
    with PagerDutyClient(KEY, clock=clock, max_backoff=60) as client:
        client.acknowledge(incident())
    assert clock.sleeps == [7.0, 60.0, 4.0]


def test_backoff_doubles_up_to_the_cap(pd: respx.MockRouter, clock: SleepLog) -> None:
    pd.post(EVENTS_URL).respond(503)
    with (
        PagerDutyClient(KEY, clock=clock, max_retries=6, backoff=0.5, max_backoff=5) as client,
        pytest.raises(PagerDutyError),
    ):
        client.resolve(incident())
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_400_is_not_retried_and_carries_pagerdutys_words(
    pd: respx.MockRouter, client: PagerDutyClient, clock: SleepLog
) -> None:
    refusal = {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["'payload.source' is missing or blank"],
    }
    route = pd.post(EVENTS_URL).respond(400, json=refusal)
    with pytest.raises(PagerDutyError) as refused:
        client.trigger(incident(), source="api")
    assert route.call_count == 1
    assert clock.sleeps == []
    error = refused.value
    assert (error.status_code, error.message, error.errors) == (
        400,
        "Event object is invalid",
        ["'payload.source' is missing or blank"],
    )
    assert str(error) == (
        "PagerDuty refused the trigger event for incident INC-20261129-0001 (HTTP 400): "
        "Event object is invalid; 'payload.source' is missing or blank"
    )


def test_a_refusal_that_is_not_json_is_quoted(
    pd: respx.MockRouter, client: PagerDutyClient
) -> None:
    route = pd.post(EVENTS_URL).respond(403, text="Forbidden by policy")
    with pytest.raises(PagerDutyError, match=r"\(HTTP 403\): Forbidden by policy$"):
        client.acknowledge(incident())
    assert route.call_count == 1


def test_500_exhausted(pd: respx.MockRouter, client: PagerDutyClient, clock: SleepLog) -> None:
    route = pd.post(EVENTS_URL).respond(500, json={"message": "Internal error", "errors": []})
    with pytest.raises(PagerDutyError) as failed:
        client.resolve(incident())
    assert route.call_count == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert str(failed.value) == (
        "PagerDuty did not take the resolve event for incident INC-20261129-0001 after 4 "
        "attempts: HTTP 500: Internal error"
    )


def test_connection_errors_are_retried(
    pd: respx.MockRouter, client: PagerDutyClient, clock: SleepLog
) -> None:
    route = pd.post(EVENTS_URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(202, json=ACCEPTED)]
    )
    assert client.trigger(incident(), source="api") == "INC-20261129-0001"
    assert (route.call_count, clock.sleeps) == (2, [1.0])


def test_no_retries_means_one_attempt(pd: respx.MockRouter, clock: SleepLog) -> None:
    route = pd.post(EVENTS_URL).respond(502)
    with (
        PagerDutyClient(KEY, clock=clock, max_retries=0) as client,
        pytest.raises(PagerDutyError, match="after 1 attempts: HTTP 502"),
    ):
        client.trigger(incident(), source="api")
    assert (route.call_count, clock.sleeps) == (1, [])


# -- the routing key stays secret -----------------------------------------------------------
def chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def assert_no_key(error: BaseException) -> None:
    for link in chain(error):
        assert KEY not in str(link)
        assert KEY not in repr(link)
        assert KEY not in repr(vars(link))
        assert KEY not in repr(link.args)


def test_repr_and_to_dict_mask_the_key(client: PagerDutyClient) -> None:
    assert repr(client) == (
        f"PagerDutyClient(url='{EVENTS_URL}', routing_key='********', max_retries=3)"
    )
    assert client.to_dict()["routing_key"] == "********"
    for text in (repr(client), str(client), json.dumps(client.to_dict()), repr(vars(client))):
        assert KEY not in text


def test_the_key_never_reaches_errors_or_logs(
    pd: respx.MockRouter, client: PagerDutyClient, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"message": f"Invalid routing key {KEY}", "errors": [f"unknown key {KEY}"]}
    pd.post(EVENTS_URL).mock(
        side_effect=[
            httpx.ConnectError(f"connect failed for {KEY}"),
            httpx.Response(500, text=f"upstream rejected {KEY}"),
            httpx.Response(429, json=echo),
            httpx.Response(400, json=echo),
        ]
    )
    with caplog.at_level(logging.DEBUG), pytest.raises(PagerDutyError) as refused:
        client.trigger(incident(), source="api")
    assert_no_key(refused.value)
    assert refused.value.message == "Invalid routing key ********"
    assert refused.value.errors == ["unknown key ********"]
    retries = [r.getMessage() for r in caplog.records if r.name.endswith("pagerduty")]
    assert len(retries) == 3
    assert "ConnectError: connect failed for ********" in retries[0]
    assert "HTTP 500: upstream rejected ********" in retries[1]
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_an_exhausted_connection_failure_keeps_no_chain(
    pd: respx.MockRouter, client: PagerDutyClient
) -> None:
    pd.post(EVENTS_URL).mock(side_effect=httpx.ConnectError(f"no route for {KEY}"))
    with pytest.raises(PagerDutyError, match=r"ConnectError: no route for \*{8}$") as failed:
        client.resolve(incident())
    assert chain(failed.value) == [failed.value]
    assert_no_key(failed.value)


def test_bad_settings_are_refused_without_the_key(clock: SleepLog) -> None:
    with pytest.raises(PagerDutyError, match="routing key is empty"):
        PagerDutyClient("", clock=clock)
    with pytest.raises(PagerDutyError, match="not an http\\(s\\) URL") as bad:
        PagerDutyClient(KEY, url=f"ftp://events.example.com/{KEY}", clock=clock)
    assert_no_key(bad.value)
    masked = PagerDutyClient(KEY, url="https://u:hunter22@pd.example.com/v2/enqueue", clock=clock)
    assert "hunter22" not in repr(masked) and "hunter22" not in json.dumps(masked.to_dict())
    masked.close()


def test_closes_only_the_http_client_it_made(clock: SleepLog) -> None:
    given_client = httpx.Client()
    PagerDutyClient(KEY, client=given_client, clock=clock).close()
    assert not given_client.is_closed
    given_client.close()
    own = PagerDutyClient(KEY, clock=clock)
    own.close()
    assert own._http.is_closed


# -- a real server that validates like PagerDuty --------------------------------------------
@dataclass
class FakePagerDuty:
    """What the local events endpoint was sent."""

    url: str
    events: list[dict[str, Any]] = field(default_factory=list)


def problems(event: Any) -> list[str]:
    """What PagerDuty's Events API v2 would reject in ``event``."""
    if not isinstance(event, dict):
        return ["Event object is not a JSON object"]
    errors = []
    if len(str(event.get("routing_key", ""))) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = event.get("event_action")
    if action not in ("trigger", "acknowledge", "resolve"):
        errors.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
    dedup = event.get("dedup_key")
    if action != "trigger" and not dedup:
        errors.append("'dedup_key' is missing or blank")
    if dedup is not None and len(str(dedup)) > 255:
        errors.append("'dedup_key' is too long (maximum is 255 characters)")
    if action == "trigger":
        errors += payload_problems(event.get("payload"))
    for index, link in enumerate(event.get("links") or []):
        if not isinstance(link, dict) or not link.get("href"):
            errors.append(f"'links[{index}].href' is missing or blank")
    return errors


def payload_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or blank"]
    errors = []
    summary = payload.get("summary")
    if not summary:
        errors.append("'payload.summary' is missing or blank")
    elif len(summary) > 1024:
        errors.append("'payload.summary' is too long (maximum is 1024 characters)")
    if not payload.get("source"):
        errors.append("'payload.source' is missing or blank")
    if payload.get("severity") not in ("critical", "error", "warning", "info"):
        errors.append("'payload.severity' is invalid (must be one of critical, error, ...)")
    return errors


class EventsHandler(BaseHTTPRequestHandler):
    state: FakePagerDuty

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/v2/enqueue" or self.headers.get("Content-Type") != "application/json":
            self.answer(404 if self.path != "/v2/enqueue" else 400, {"message": "Bad request"})
            return
        try:
            event = json.loads(body)
        except ValueError:
            self.answer(400, {"status": "invalid event", "message": "Invalid JSON"})
            return
        self.state.events.append(event)
        errors = problems(event)
        if errors:
            invalid = {"status": "invalid event", "message": "Event object is invalid"}
            self.answer(400, {**invalid, "errors": errors})
            return
        dedup = event.get("dedup_key") or "generated-0001"
        self.answer(202, {"status": "success", "message": "Event processed", "dedup_key": dedup})

    def answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EventsHandler)
    state = FakePagerDuty(url=f"http://127.0.0.1:{server.server_address[1]}/v2/enqueue")
    EventsHandler.state = state
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_whole_incident_against_a_validating_server(
    pagerduty: FakePagerDuty, clock: SleepLog
) -> None:
    long = incident(title="checkout 500s " * 200)
    with PagerDutyClient(KEY, url=pagerduty.url, clock=clock) as client:
        assert client.trigger(long, source="checkout.prod", links=LINKS) == long.id
        assert client.acknowledge(long) == long.id
        assert client.resolve(long) == long.id
    assert [event["event_action"] for event in pagerduty.events] == [
        "trigger",
        "acknowledge",
        "resolve",
    ]
    assert len(pagerduty.events[0]["payload"]["summary"]) == 1024
    assert clock.sleeps == []


def test_the_validating_server_refuses_a_bad_key_once(
    pagerduty: FakePagerDuty, clock: SleepLog
) -> None:
    short_key = "not-a-32-character-key"
    with (
        PagerDutyClient(short_key, url=pagerduty.url, clock=clock) as client,
        pytest.raises(PagerDutyError) as refused,
    ):
        client.trigger(incident(), source="api")
    assert refused.value.status_code == 400
    assert refused.value.errors == [
        "Length of 'routing_key' is incorrect (should be 32 characters)"
    ]
    assert "Event object is invalid" in str(refused.value)
    assert len(pagerduty.events) == 1
    assert short_key not in str(refused.value)


def test_a_closed_port_is_retried_then_reported(clock: SleepLog) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v2/enqueue"
    with (
        PagerDutyClient(KEY, url=url, clock=clock, max_retries=2) as client,
        pytest.raises(
            PagerDutyError, match=re.escape(f"after 3 attempts: could not reach {url}: Conn")
        ),
    ):
        client.acknowledge(incident())
    assert clock.sleeps == [1.0, 2.0]
