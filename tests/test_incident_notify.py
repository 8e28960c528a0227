"""Incident notifications against the real Slack and Statuspage stand-ins over HTTP: what goes
out and in which order, Block Kit within Slack's documented limits (hypothesis), routing by
service and severity, secrets kept out of every error and log, retries in virtual time."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import respx
from drillbook.drill.clock import VirtualClock
from drillbook.errors import LoadError, LoadErrors
from drillbook.fakes import FakeServer, create_app
from drillbook.fakes.serving import BackgroundServer
from drillbook.faults.http import HttpFaultSpec
from drillbook.incident import Incident, NotificationRouter, NotifyError
from drillbook.incident.delivery import RetryPolicy
from drillbook.incident.routing import NotificationRoutes, load_routes, load_routes_text
from drillbook.incident.slack import HEADER_LIMIT, clip, slack_message
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2026, 11, 29, 3, 14, 15, tzinfo=UTC)
TOKEN_A = "aAbBcCdDeEfF0123456789xy"
TOKEN_B = "zZyYxXwWvV9876543210abcd"
HOOK_A = f"/services/T0INCIDENT/B0MAJOR/{TOKEN_A}"
HOOK_B = f"/services/T0INCIDENT/B0PAYMENTS/{TOKEN_B}"
API_KEY = "sp-4pi-k3y-0123456789abcdef"


# -- Slack's documented Block Kit limits, as a validator ----------------------------------
# docs.slack.dev/reference/block-kit/blocks: a message holds at most 50 blocks; a header's
# text is plain_text of at most 150 characters; a section has text (at most 3000) or fields
# (at most 10, each at most 2000); a context has 1-10 image or text elements; a block_id is
# at most 255 characters; a text object is plain_text or mrkdwn with non-empty text.
TEXT_KEYS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}
BLOCK_KEYS = {
    "header": {"type", "text", "block_id"},
    "section": {"type", "text", "fields", "accessory", "block_id", "expand"},
    "context": {"type", "elements", "block_id"},
    "divider": {"type", "block_id"},
}


def text_problems(obj: Any, where: str, limit: int, kinds: tuple[str, ...]) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return [f"{where}: not a text object of type {' or '.join(kinds)}"]
    problems = [f"{where}: unknown key {k}" for k in obj if k not in TEXT_KEYS[obj["type"]]]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [*problems, f"{where}: text must be a non-empty string"]
    if len(text) > limit:
        problems.append(f"{where}: {len(text)} characters, more than {limit}")
    return problems


def block_problems(block: Any, where: str) -> list[str]:
    if not isinstance(block, dict) or block.get("type") not in BLOCK_KEYS:
        return [f"{where}: not a known block"]
    kind = block["type"]
    problems = [f"{where}: unknown key {k}" for k in block if k not in BLOCK_KEYS[kind]]
    if "block_id" in block and len(str(block["block_id"])) > 255:
        problems.append(f"{where}: block_id longer than 255")
    both = ("plain_text", "mrkdwn")
    if kind == "header":
        problems += text_problems(block.get("text"), f"{where}.text", 150, ("plain_text",))
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"{where}: a section needs text or fields")
        if "text" in block:
            problems += text_problems(block["text"], f"{where}.text", 3000, both)
        fields = block.get("fields", [])
        if not isinstance(fields, list) or ("fields" in block and not 1 <= len(fields) <= 10):
            problems.append(f"{where}.fields: 1 to 10 items")
        for i, item in enumerate(fields if isinstance(fields, list) else []):
            problems += text_problems(item, f"{where}.fields[{i}]", 2000, both)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            return [*problems, f"{where}.elements: 1 to 10 items"]
        for i, item in enumerate(elements):
            problems += text_problems(item, f"{where}.elements[{i}]", 3000, both)
    return problems


def block_kit_problems(message: Any) -> list[str]:
    """What in ``message`` breaks Slack's documented Block Kit rules (empty: nothing)."""
    if not isinstance(message, dict):
        return ["the message is not an object"]
    problems = []
    if not isinstance(message.get("text"), str) or not message["text"].strip():
        problems.append("text: a fallback text is needed with blocks")
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return [*problems, "blocks: 1 to 50 blocks"]
    for i, block in enumerate(blocks):
        problems += block_problems(block, f"blocks[{i}]")
    return problems


@pytest.mark.parametrize(
    "broken",
    [
        {
            "text": "x",
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        },
        {"text": "x", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}]},
        {
            "text": "x",
            "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        },
        {
            "text": "x",
            "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        },
        {"text": "x", "blocks": [{"type": "section"}]},
        {"text": "x", "blocks": [{"type": "context", "elements": []}]},
        {"text": "x", "blocks": [{"type": "divider"}] * 51},
        {"text": "", "blocks": [{"type": "divider"}]},
        {"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]},
    ],
)
def test_the_validator_catches_what_slack_refuses(broken: dict[str, Any]) -> None:
    assert block_kit_problems(broken)


# -- the stand-ins -------------------------------------------------------------------------
class SleepLog(VirtualClock):
    """A virtual clock that remembers every sleep."""

    def __init__(self) -> None:
        super().__init__(START)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


class Stands:
    """The served stand-ins and their base URLs."""

    def __init__(self) -> None:
        self.slack = create_app("slack")
        self.page = create_app("statuspage")
        self.keyed_page = create_app("statuspage", api_key=API_KEY)
        self.servers = [BackgroundServer(app) for app in (self.slack, self.page, self.keyed_page)]
        self.slack_url, self.page_url, self.keyed_url = (s.start() for s in self.servers)

    def reset(self) -> None:
        for app in (self.slack, self.page, self.keyed_page):
            app.fake.reset()
            app.log.clear()
            app.book.clear()

    def messages(self) -> list[dict[str, Any]]:
        return [dict(m) for m in self.slack.fake.snapshot()["messages"]]

    def page_incidents(self, app: FakeServer | None = None) -> list[dict[str, Any]]:
        incidents: list[dict[str, Any]] = (app or self.page).fake.snapshot()["incidents"]
        return incidents


@pytest.fixture(scope="module")
def served() -> Iterator[Stands]:
    stands = Stands()
    try:
        yield stands
    finally:
        for server in stands.servers:
            server.stop()


@pytest.fixture
def stands(served: Stands) -> Stands:
    served.reset()
    return served


@pytest.fixture
def clock() -> SleepLog:
    return SleepLog()


def routes_yaml(stands: Stands, extra: str = "") -> str:
    return f"""
routes:
  - name: major
    match: {{services: [holiday-api, auth], severities: [P1, P2]}}
    slack: {{webhook_url: "{stands.slack_url}{HOOK_A}"}}
    statuspage: {{url: "{stands.page_url}"}}
  - name: payments
    match: {{services: [payments]}}
    slack: {{webhook_url: "env:PAYMENTS_WEBHOOK"}}
{extra}"""


def make_router(stands: Stands, clock: SleepLog, extra: str = "") -> NotificationRouter:
    routes = load_routes_text(routes_yaml(stands, extra), "notifications.yaml").model
    environ = {"PAYMENTS_WEBHOOK": f"{stands.slack_url}{HOOK_B}", "SP_KEY": API_KEY}
    return NotificationRouter(routes, clock=clock, environ=environ)


def open_incident(
    clock: VirtualClock, severity: str = "P1", services: tuple[str, ...] = ("holiday-api",)
) -> Incident:
    return Incident.open(
        "Database connection failure",
        severity,  # type: ignore[arg-type]
        clock=clock,
        affected_services=services,
        runbook="database-outage",
    )


def walk(incident: Incident, router: NotificationRouter, clock: VirtualClock) -> None:
    """The lifecycle, a notification at each moment a drill announces."""
    router.notify(incident, "opened")
    clock.advance(120)
    incident.acknowledge(actor="engineer-2")
    router.notify(incident, "acknowledged")
    clock.advance(600)
    incident.investigate(actor="engineer-2")
    incident.mitigate(actor="engineer-2")
    incident.verify_mitigation(actor="drillbook")
    router.notify(incident, "mitigated")
    clock.advance(300)
    incident.resolve(actor="engineer-2", root_cause="connection pool exhausted")
    router.notify(incident, "resolved")


# -- what goes out, in order ----------------------------------------------------------------
def test_the_lifecycle_goes_out_in_order_to_slack_and_the_status_page(
    stands: Stands, clock: SleepLog
) -> None:
    incident = open_incident(clock)
    with make_router(stands, clock) as router:
        walk(incident, router, clock)
        sent = router.sent

    assert [(n.channel, n.event, n.route, n.ok) for n in sent] == [
        (channel, event, "major", True)
        for event in ("opened", "acknowledged", "mitigated", "resolved")
        for channel in ("slack", "statuspage")
    ]
    assert [n.at - START for n in sent[::2]] == [timedelta(seconds=s) for s in (0, 120, 720, 1020)]
    messages = stands.messages()
    assert [(m["team"], m["bot"]) for m in messages] == [("T0INCIDENT", "B0MAJOR")] * 4
    assert [m["blocks"][0]["text"]["text"] for m in messages] == [
        ":rotating_light: [P1] Incident opened: Database connection failure",
        ":eyes: [P1] Incident acknowledged: Database connection failure",
        ":adhesive_bandage: [P1] Incident mitigated: Database connection failure",
        ":white_check_mark: [P1] Incident resolved: Database connection failure",
    ]
    for message in messages:
        assert block_kit_problems(message) == []
        assert incident.id in message["text"]
    [page_incident] = stands.page_incidents()
    updates = list(reversed(page_incident["incident_updates"]))  # the page lists newest first
    assert [u["status"] for u in updates] == [
        "investigating",
        "investigating",
        "monitoring",
        "resolved",
    ]
    assert (page_incident["name"], page_incident["impact"]) == (
        "Database connection failure",
        "critical",
    )
    assert updates[0]["body"] == "We are investigating a problem affecting holiday-api."


def test_the_fields_say_what_a_responder_needs(stands: Stands, clock: SleepLog) -> None:
    incident = open_incident(clock, "P2", ("holiday-api", "auth"))
    with make_router(stands, clock) as router:
        walk(incident, router, clock)
    fields = [
        {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in m["blocks"][1]["fields"]}
        for m in stands.messages()
    ]
    assert fields[0] == {
        "*Severity*": "P2",
        "*Status*": "detected",
        "*Services*": "holiday-api, auth",
        "*Runbook*": "database-outage",
        "*Incident*": incident.id,
    }
    assert (fields[1]["*Status*"], fields[1]["*By*"]) == ("acknowledged", "engineer-2")
    assert (fields[3]["*Status*"], fields[3]["*Duration*"]) == ("resolved", "17m")
    resolved = stands.messages()[3]["blocks"]
    assert resolved[2]["text"]["text"] == "*Root cause*\nconnection pool exhausted"
    stamp = int(incident.resolved_at.timestamp()) if incident.resolved_at else 0
    assert f"<!date^{stamp}^" in resolved[-1]["elements"][0]["text"]
    assert stands.page_incidents()[0]["impact"] == "major"


def test_the_status_page_shows_the_incident_while_it_is_open(
    stands: Stands, clock: SleepLog
) -> None:
    incident = open_incident(clock)
    with make_router(stands, clock) as router:
        router.notify(incident, "opened")
        status = stands.page.fake.snapshot()["status"]
        assert status["indicator"] == "critical"
        incident.resolve(actor="drillbook")
        router.notify(incident, "resolved")
    assert stands.page.fake.snapshot()["status"]["indicator"] == "none"


# -- routing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("severity", "services", "hooks", "page_incidents"),
    [
        ("P1", ("holiday-api",), ["B0MAJOR"], 1),
        ("P2", ("search", "auth"), ["B0MAJOR"], 1),
        ("P3", ("holiday-api",), [], 0),  # too minor for the major route
        ("P3", ("payments",), ["B0PAYMENTS"], 0),  # payments: every severity, Slack only
        ("P1", ("payments", "auth"), ["B0MAJOR", "B0PAYMENTS"], 1),  # both routes, in order
        ("P3", ("search",), [], 0),  # a P3 of another service goes nowhere
    ],
)
def test_routes_match_by_service_and_severity(
    stands: Stands,
    clock: SleepLog,
    severity: str,
    services: tuple[str, ...],
    hooks: list[str],
    page_incidents: int,
) -> None:
    incident = open_incident(clock, severity, services)
    with make_router(stands, clock) as router:
        sent = router.notify(incident, "opened")
    assert [m["bot"] for m in stands.messages()] == hooks
    assert len(stands.page_incidents()) == page_incidents
    assert len(sent) == len(hooks) + page_incidents
    if not sent:
        assert len(stands.slack.log) == len(stands.page.log) == 0


def test_a_route_can_take_only_some_events(stands: Stands, clock: SleepLog) -> None:
    extra = f"""  - name: ops log
    events: [opened, resolved]
    slack: {{webhook_url: "{stands.slack_url}/services/T0INCIDENT/B0OPS/{TOKEN_B}"}}
"""
    incident = open_incident(clock, "P4", ("search",))
    with make_router(stands, clock, extra) as router:
        assert router.routes_for(incident, "acknowledged") == []
        walk(incident, router, clock)
    assert [
        (m["bot"], m["blocks"][0]["text"]["text"].split(" ")[0]) for m in stands.messages()
    ] == [
        ("B0OPS", ":rotating_light:"),
        ("B0OPS", ":white_check_mark:"),
    ]


def test_an_unknown_event_is_refused_naming_the_events(stands: Stands, clock: SleepLog) -> None:
    with make_router(stands, clock) as router, pytest.raises(NotifyError) as caught:
        router.notify(open_incident(clock), "exploded")
    assert "'exploded' is not a notification event" in str(caught.value)
    assert "opened, acknowledged, mitigating, mitigated, resolved" in str(caught.value)
    assert len(stands.slack.log) == 0


# -- secrets ------------------------------------------------------------------------------------
def test_a_refused_webhook_shows_slacks_error_with_the_token_masked(
    stands: Stands, clock: SleepLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    extra = f"""  - name: wrong hook
    slack: {{webhook_url: "{stands.slack_url}/services/T0INCIDENT/not-a-bot/{TOKEN_B}"}}
"""
    with make_router(stands, clock, extra) as router:
        [refused] = router.notify(open_incident(clock, "P4", ("search",)), "opened")
        shown = [repr(router), str(router.sent), json.dumps(refused.to_dict())]

    assert (refused.ok, refused.route) == (False, "wrong hook")
    assert refused.detail == "HTTP 404: no_service"
    assert "not-a-bot/********" in caplog.text  # the warning names the hook, masked
    for text in [*shown, caplog.text]:
        assert TOKEN_B not in text and TOKEN_A not in text


def test_an_unreachable_webhook_is_retried_and_reported_without_its_token(
    clock: SleepLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    routes = load_routes_text(
        f'routes:\n  - slack: {{webhook_url: "http://127.0.0.1:{port}{HOOK_A}"}}\n'
    ).model
    with NotificationRouter(routes, clock=clock, retry=RetryPolicy(max_retries=2)) as router:
        [failed] = router.notify(open_incident(clock), "opened")

    assert not failed.ok
    assert failed.detail.startswith("the Slack message to http://127.0.0.1:")
    assert "was not delivered after 3 attempt(s): could not reach" in failed.detail
    assert "/services/T0INCIDENT/B0MAJOR/********" in failed.detail
    assert clock.sleeps == [1.0, 2.0]
    assert TOKEN_A not in failed.detail + caplog.text


def test_httpx_request_logs_show_the_webhook_masked(
    stands: Stands, clock: SleepLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    with make_router(stands, clock) as router:
        router.notify(open_incident(clock), "opened")
    assert "B0MAJOR/********" in caplog.text
    assert TOKEN_A not in caplog.text


def test_routes_never_show_their_secrets(stands: Stands) -> None:
    text = (
        routes_yaml(stands)
        + f"""  - statuspage: {{url: "{stands.keyed_url}", api_key: "{API_KEY}"}}\n"""
    )
    model = load_routes_text(text).model
    shown = [repr(model), str(model), model.model_dump_json()]
    for printed in shown:
        assert TOKEN_A not in printed and API_KEY not in printed


def test_the_status_page_key_goes_only_into_the_authorization_header(
    stands: Stands, clock: SleepLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    extra = f"""  - name: keyed
    statuspage: {{url: "{stands.keyed_url}", api_key: "env:SP_KEY"}}
  - name: wrong key
    statuspage: {{url: "{stands.keyed_url}", api_key: "not-the-{API_KEY}"}}
"""
    incident = open_incident(clock, "P4", ("search",))
    with make_router(stands, clock, extra) as router:
        accepted, refused = router.notify(incident, "opened")
        shown = repr(router)

    assert accepted.ok and len(stands.page_incidents(stands.keyed_page)) == 1
    [first, second] = stands.keyed_page.log.list()
    assert first.headers["authorization"].startswith("OAuth")
    assert (refused.ok, refused.detail) == (
        False,
        'HTTP 401: {"error":"Couldn\'t authenticate you"}',
    )
    assert (second.status, refused.route) == (401, "wrong key")
    assert API_KEY not in caplog.text + shown + json.dumps(refused.to_dict())


def test_a_secret_from_an_unset_variable_is_named_not_guessed(stands: Stands) -> None:
    routes = load_routes_text(routes_yaml(stands)).model
    with pytest.raises(NotifyError) as caught:
        NotificationRouter(routes, clock=VirtualClock(START), environ={})
    assert str(caught.value) == (
        "route 'payments': slack.webhook_url reads the environment variable PAYMENTS_WEBHOOK, "
        "which is not set"
    )


# -- retries in virtual time --------------------------------------------------------------------
def test_slack_rate_limits_are_waited_out_on_the_clock(stands: Stands, clock: SleepLog) -> None:
    stands.slack.book.add(HttpFaultSpec(status=429, count=2, path="/services"))
    with make_router(stands, clock) as router:
        slack, _page = router.notify(open_incident(clock), "opened")

    assert slack.ok and slack.detail == "HTTP 200"
    assert clock.sleeps == [1.0, 2.0]
    assert slack.at == START + timedelta(seconds=3)
    assert [r.status for r in stands.slack.log.list()] == [429, 429, 200]
    assert len(stands.messages()) == 1


def test_a_slack_outage_gives_up_after_the_retries(stands: Stands, clock: SleepLog) -> None:
    stands.slack.book.add(HttpFaultSpec(status=503, body="rollup_error", path="/services"))
    with make_router(stands, clock) as router:
        slack, page = router.notify(open_incident(clock), "opened")
    assert not slack.ok and page.ok
    assert slack.detail.endswith("was not delivered after 4 attempt(s): HTTP 503: rollup_error")
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(stands.slack.log) == 4


def test_creating_a_page_incident_is_retried_after_a_429_only(
    stands: Stands, clock: SleepLog
) -> None:
    stands.page.book.add(HttpFaultSpec(status=429, count=1, method="POST"))
    stands.page.book.add(HttpFaultSpec(status=503, count=1, method="POST"))
    incident = open_incident(clock)
    with make_router(stands, clock) as router:
        _, opened = router.notify(incident, "opened")
        assert not opened.ok and "after 2 attempt(s): HTTP 503" in opened.detail
        assert stands.page_incidents() == []  # a 503 may mean created: not tried blindly again
        incident.acknowledge(actor="engineer-2")
        _, acknowledged = router.notify(incident, "acknowledged")
        incident.resolve(actor="engineer-2")
        router.notify(incident, "resolved")

    assert acknowledged.ok  # the next event opens it
    [page_incident] = stands.page_incidents()
    assert [u["status"] for u in reversed(page_incident["incident_updates"])] == [
        "investigating",
        "resolved",
    ]


def test_status_page_updates_are_retried_on_5xx(stands: Stands, clock: SleepLog) -> None:
    incident = open_incident(clock)
    with make_router(stands, clock) as router:
        router.notify(incident, "opened")
        stands.page.book.add(HttpFaultSpec(status=502, count=2, method="PATCH"))
        incident.resolve(actor="engineer-2")
        _, resolved = router.notify(incident, "resolved")
    assert resolved.ok
    assert clock.sleeps == [1.0, 2.0]
    assert stands.page_incidents()[0]["status"] == "resolved"


# -- the manage API's path, exactly --------------------------------------------------------------
def test_with_a_page_id_it_speaks_the_statuspage_manage_api(clock: SleepLog) -> None:
    routes = load_routes_text(
        "routes:\n  - statuspage: {url: 'https://api.statuspage.io', page_id: kctbh9vrtdwd,"
        f" api_key: {API_KEY}}}\n"
    ).model
    base = "https://api.statuspage.io/v1/pages/kctbh9vrtdwd/incidents"
    with (
        respx.mock(assert_all_called=True) as mock,
        NotificationRouter(routes, clock=clock) as router,
    ):
        create = mock.post(base).respond(
            201, json={"id": "p31zg7vy7b9r", "status": "investigating"}
        )
        update = mock.patch(f"{base}/p31zg7vy7b9r").respond(200, json={"id": "p31zg7vy7b9r"})
        incident = open_incident(clock, "P3")
        router.notify(incident, "opened")
        incident.acknowledge(actor="engineer-2")
        incident.investigate(actor="engineer-2")
        incident.mitigate(actor="engineer-2")
        router.notify(incident, "mitigating")

    request = create.calls[0].request
    assert request.headers["authorization"] == f"OAuth {API_KEY}"
    assert json.loads(request.content) == {
        "incident": {
            "status": "investigating",
            "body": "We are investigating a problem affecting holiday-api.",
            "name": "Database connection failure",
            "impact_override": "minor",
        }
    }
    assert json.loads(update.calls[0].request.content) == {
        "incident": {
            "status": "identified",
            "body": "The problem has been identified and a fix is being put in place.",
        }
    }


# -- the routes file ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("routes:\n  - match: {severities: [P5]}\n    slack: {webhook_url: env:X}\n", 2, "P5"),
        ("routes:\n  - name: nowhere\n    match: {services: [api]}\n", 2, "give `slack`"),
        ("routes:\n  - slack: {webhook_url: env:not-a-name}\n", 2, "does not name"),
        ("routes:\n  - slack: {webhook_url: env:X}\n    events: [paged]\n", 3, "paged"),
        ("routes:\n  - slack: {webhook: env:X}\n", 2, "unknown key `webhook`"),
    ],
)
def test_a_broken_routes_file_names_file_and_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = tmp_path / "notifications.yaml"
    path.write_text(text)
    with pytest.raises((LoadError, LoadErrors)) as caught:
        load_routes(path)
    assert f"{path}:{line}:" in str(caught.value)
    assert words in str(caught.value)


def test_a_webhook_that_is_not_a_url_is_refused_without_repeating_it() -> None:
    secret = "hooks.slack.com-services-T1-B1-s3cr3tT0k3nValue"
    with pytest.raises(LoadError) as caught:
        load_routes_text(f"routes:\n  - slack: {{webhook_url: '{secret}'}}\n", "n.yaml")
    assert caught.value.line == 2
    assert "must be an http(s) URL" in str(caught.value)
    assert "s3cr3tT0k3nValue" not in str(caught.value)


def test_from_file_reads_the_routes(tmp_path: Path, stands: Stands, clock: SleepLog) -> None:
    path = tmp_path / "notifications.yaml"
    path.write_text(routes_yaml(stands))
    router = NotificationRouter.from_file(
        path, clock=clock, environ={"PAYMENTS_WEBHOOK": f"{stands.slack_url}{HOOK_B}"}
    )
    with router:
        assert router.routes_for(open_incident(clock, "P2", ("payments",)), "opened") == [
            "payments"
        ]
    assert isinstance(load_routes(path).model, NotificationRoutes)


# -- messages within Block Kit's limits, whatever the incident says -------------------------------
incident_texts = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), min_size=0, max_size=400
) | st.sampled_from(["<!channel> db & <https://evil|link>", "😀" * 200, "&" * 3000])


@settings(max_examples=150, deadline=None)
@given(
    title=incident_texts.filter(lambda text: bool(text.strip())),
    services=st.lists(incident_texts, max_size=30),
    runbook=st.none() | incident_texts,
    root_cause=st.none() | incident_texts,
    severity=st.sampled_from(["P1", "P2", "P3", "P4"]),
    event=st.sampled_from(["opened", "acknowledged", "mitigating", "mitigated", "resolved"]),
)
def test_every_message_is_valid_block_kit_with_incident_text_escaped(
    title: str,
    services: list[str],
    runbook: str | None,
    root_cause: str | None,
    severity: str,
    event: Any,
) -> None:
    clock = VirtualClock(START)
    incident = Incident(
        id="INC-20261129-ABCDEF",
        title=title,
        severity=severity,  # type: ignore[arg-type]
        detected_at=START,
        affected_services=services,
        runbook=runbook,
        root_cause=root_cause,
        clock=clock,
    )
    message = slack_message(incident, event, at=START)

    assert block_kit_problems(message) == []
    header = message["blocks"][0]["text"]["text"]
    assert len(header) <= HEADER_LIMIT
    mrkdwn = [message["text"]] + [f["text"] for f in message["blocks"][1]["fields"]]
    mrkdwn += [b["text"]["text"] for b in message["blocks"][2:] if b["type"] == "section"]
    for text in mrkdwn:  # nothing of the incident's can open a <link> or ping a <!channel>
        assert "<" not in text and ">" not in text
        assert "&" not in text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")


@given(text=st.text(max_size=300), limit=st.integers(min_value=2, max_value=200))
def test_clip_keeps_the_start_and_marks_the_cut(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    if len(text.encode("utf-16-le")) // 2 <= limit:
        assert clipped == text
    else:
        assert clipped.endswith("…") and text.startswith(clipped[:-1])
        assert len(clipped.encode("utf-16-le")) // 2 <= limit
