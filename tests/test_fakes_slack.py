"""The Slack incoming-webhook stand-in over real HTTP: answers, refusals, recording, faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from drillbook.fakes import FakeServer, create_app
from drillbook.fakes.serving import BackgroundServer
from drillbook.faults.http import HttpFaultClient, HttpFaultSpec

TOKEN = "XXXXXXXXXXXXXXXXXXXXXXXX"
HOOK = f"/services/T0001/B0002/{TOKEN}"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeServer, httpx.Client]]:
    app = create_app("slack")
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield app, client


@pytest.fixture
def http(served: tuple[FakeServer, httpx.Client]) -> httpx.Client:
    served[0].fake.reset()
    served[0].log.clear()
    served[0].book.clear()
    return served[1]


def messages(http: httpx.Client) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = http.get("/__drillbook/state").json()["messages"]
    return result


def test_a_text_message_is_ok_in_plain_text(http: httpx.Client) -> None:
    response = http.post(HOOK, json={"text": "DB down :fire:", "channel": "#incidents"})
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["content-type"].startswith("text/plain")
    [message] = messages(http)
    assert (message["team"], message["bot"]) == ("T0001", "B0002")
    assert (message["text"], message["channel"]) == ("DB down :fire:", "#incidents")


@pytest.mark.parametrize(
    "payload",
    [
        {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*down*"}}]},
        {"attachments": [{"fallback": "down", "color": "danger"}]},
        {"text": "down", "blocks": json.dumps([{"type": "divider"}])},
    ],
)
def test_blocks_or_attachments_without_text_are_ok(
    http: httpx.Client, payload: dict[str, Any]
) -> None:
    response = http.post(HOOK, json=payload)
    assert (response.status_code, response.text) == (200, "ok")
    assert len(messages(http)) == 1


def test_a_form_with_a_payload_field_is_ok(http: httpx.Client) -> None:
    response = http.post(HOOK, data={"payload": json.dumps({"text": "from a form"})})
    assert (response.status_code, response.text) == (200, "ok")
    assert messages(http)[0]["text"] == "from a form"


@pytest.mark.parametrize(
    ("content", "content_type", "error"),
    [
        (b"{not json", "application/json", "invalid_payload"),
        (b"[1, 2]", "application/json", "invalid_payload"),
        (b'{"text": 42}', "application/json", "invalid_payload"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded", "invalid_payload"),
        (b"{}", "application/json", "no_text"),
        (b'{"text": "   "}', "application/json", "no_text"),
        (b'{"username": "bot"}', "application/json", "no_text"),
        (b'{"blocks": {"type": "section"}}', "application/json", "invalid_blocks"),
        (b'{"blocks": [{"text": "no type"}]}', "application/json", "invalid_blocks"),
    ],
)
def test_payloads_slack_refuses_are_400_with_its_error_string(
    http: httpx.Client, content: bytes, content_type: str, error: str
) -> None:
    response = http.post(HOOK, content=content, headers={"content-type": content_type})
    assert (response.status_code, response.text) == (400, error)
    assert messages(http) == []


@pytest.mark.parametrize(
    "path", ["/services/T0001/B0002", "/services/x0001/B0002/abc", "/services/T1/B2/a-b", "/hooks"]
)
def test_urls_that_are_not_webhooks_are_404_no_service(http: httpx.Client, path: str) -> None:
    response = http.post(path, json={"text": "hi"})
    assert (response.status_code, response.text) == (404, "no_service")


def test_only_configured_hooks_exist_when_hooks_are_given() -> None:
    app = create_app("slack", hooks=[f"https://hooks.slack.com{HOOK}"])
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        known = http.post(HOOK, json={"text": "hi"})
        unknown = http.post("/services/T0001/B0002/OTHERTOKEN", json={"text": "hi"})
    assert (known.status_code, unknown.status_code, unknown.text) == (200, 404, "no_service")


def test_the_recording_masks_the_webhook_token(http: httpx.Client) -> None:
    http.post(HOOK, json={"text": "recorded"})
    recorded = http.get("/__drillbook/requests", params={"path": "/services/T0001/*"})
    assert TOKEN not in recorded.text
    [record] = recorded.json()["requests"]
    assert record["path"] == "/services/T0001/B0002/********"
    assert (record["body"], record["status"]) == ({"text": "recorded"}, 200)


def test_an_outage_answers_slacks_plain_text_error(http: httpx.Client) -> None:
    HttpFaultClient(str(http.base_url), client=http).add(HttpFaultSpec(status=500, count=1))
    down = http.post(HOOK, json={"text": "lost"})
    assert (down.status_code, down.text) == (500, "rollup_error")
    assert down.headers["content-type"].startswith("text/plain")
    assert http.post(HOOK, json={"text": "delivered"}).text == "ok"
    assert [m["text"] for m in messages(http)] == ["delivered"]
