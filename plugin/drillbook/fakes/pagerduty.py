"""A stand-in for the PagerDuty Events API v2: ``POST /v2/enqueue``.

It validates events as the real API does (a 32-character ``routing_key``; ``event_action``
trigger, acknowledge or resolve; for a trigger ``payload.summary`` of at most 1024
characters, ``payload.source`` and ``payload.severity`` critical, error, warning or info;
a ``dedup_key`` of at most 255 characters, required to acknowledge or resolve) and answers
202 ``{"status": "success", "message": "Event processed", "dedup_key": ...}`` or 400
``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``.

Accepted events act on alerts kept by ``dedup_key`` as PagerDuty does: a trigger opens an
alert (or adds to the open one), acknowledge and resolve change an open alert's state, a
trigger after a resolve opens a new alert, and events for no open alert, or sent with
another routing key than the trigger's, are accepted and dropped.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from drillbook.fakes.base import Fake, Option
from drillbook.fakes.web import BodyError, Request, Response, Route, json_response

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
ROUTING_KEY_LENGTH = 32
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
MAX_EVENT_BYTES = 512 * 1024
INVALID = {"status": "invalid event", "message": "Event object is invalid"}


def parse_keys(text: str) -> list[str]:
    """``key1,key2``: the routing keys the stand-in knows."""
    return [key.strip() for key in text.split(",") if key.strip()]


@dataclass
class Alert:
    """One alert: what triggered it, its state, and the events that reached it."""

    number: int
    dedup_key: str
    routing_key: str
    payload: dict[str, Any]
    created_at: str
    status: str = "triggered"
    acknowledged_at: str | None = None
    resolved_at: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status != "resolved"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form in ``state`` (the routing key is a secret and stays out)."""
        return {
            "number": self.number,
            "dedup_key": self.dedup_key,
            "status": self.status,
            "summary": self.payload.get("summary"),
            "source": self.payload.get("source"),
            "severity": self.payload.get("severity"),
            "payload": self.payload,
            "created_at": self.created_at,
            "acknowledged_at": self.acknowledged_at,
            "resolved_at": self.resolved_at,
            "events": self.events,
        }


class PagerDutyFake(Fake):
    """The PagerDuty Events API v2 stand-in (see the module description)."""

    name = "pagerduty"
    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "routing_keys": Option(
            "the integration keys that exist, comma-separated (default: any 32-character key)",
            parse_keys,
        ),
    }

    def __init__(self, *, routing_keys: Collection[str] | None = None, **base: Any) -> None:
        super().__init__(**base)
        self.routing_keys = None if routing_keys is None else frozenset(routing_keys)
        self.alerts: dict[str, Alert] = {}
        self.history: list[Alert] = []
        self.events: list[dict[str, Any]] = []
        self._numbers = itertools.count(1)

    def routes(self) -> list[Route]:
        return [Route("POST", "/v2/enqueue", self._enqueue)]

    def state(self) -> dict[str, Any]:
        return {
            "incidents": {key: alert.to_dict() for key, alert in self.alerts.items()},
            "history": [alert.to_dict() for alert in self.history],
            "events": self.events,
        }

    def reset(self) -> None:
        self.alerts = {}
        self.history = []
        self.events = []
        self._numbers = itertools.count(1)

    def fault_body(self, status: int) -> Any:
        if status == 429:
            return {
                "status": "throttle event",
                "message": "Requests for this service are arriving too quickly. "
                "Please retry later.",
            }
        if status >= 500:
            return {
                "status": "unrecognized object",
                "message": "internal error (injected by drillbook)",
            }
        return {**INVALID, "errors": ["injected by drillbook"]}

    def not_found(self, request: Request) -> Response:
        return json_response(404, {"status": "not found", "message": "Not Found"})

    def incident(self, dedup_key: str) -> dict[str, Any] | None:
        """The current alert for ``dedup_key`` as JSON, or None."""
        alert = self.alerts.get(dedup_key)
        return None if alert is None else alert.to_dict()

    def _enqueue(self, request: Request) -> Response:
        if len(request.body) > MAX_EVENT_BYTES:
            return json_response(
                400, {**INVALID, "errors": [f"Event is larger than {MAX_EVENT_BYTES} bytes"]}
            )
        try:
            event = request.json()
        except BodyError:
            return json_response(400, {**INVALID, "errors": ["Event object is not valid JSON"]})
        errors = validate_event(event, self.routing_keys)
        if errors:
            return json_response(400, {**INVALID, "errors": errors})
        dedup_key = event.get("dedup_key") or str(
            uuid.UUID(int=self.rng.getrandbits(128), version=4)
        )
        outcome = self._apply(event, dedup_key)
        request.extras["outcome"] = outcome
        request.extras["dedup_key"] = dedup_key
        return json_response(
            202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
        )

    def _apply(self, event: dict[str, Any], dedup_key: str) -> str:
        action = event["event_action"]
        now = _timestamp(self.now())
        alert = self.alerts.get(dedup_key)
        if action == "trigger":
            outcome = self._trigger(event, dedup_key, alert, now)
        elif alert is None or not alert.open or alert.routing_key != event["routing_key"]:
            outcome = "dropped"
        elif action == "acknowledge":
            outcome = "acknowledged" if alert.status == "triggered" else "unchanged"
            alert.status = "acknowledged"
            alert.acknowledged_at = alert.acknowledged_at or now
        else:
            outcome = "resolved"
            alert.status = "resolved"
            alert.resolved_at = now
        entry = {"time": now, "event_action": action, "dedup_key": dedup_key, "outcome": outcome}
        self.events.append(entry)
        if outcome != "dropped":
            self.alerts[dedup_key].events.append(entry)
        return outcome

    def _trigger(self, event: dict[str, Any], dedup_key: str, alert: Alert | None, now: str) -> str:
        if alert is not None and alert.open and alert.routing_key == event["routing_key"]:
            return "deduplicated"
        if alert is not None:
            self.history.append(alert)
        self.alerts[dedup_key] = Alert(
            next(self._numbers), dedup_key, event["routing_key"], dict(event["payload"]), now
        )
        return "triggered"


def validate_event(event: Any, routing_keys: frozenset[str] | None = None) -> list[str]:
    """What is wrong with an Events API v2 event, in PagerDuty's words (empty: nothing)."""
    if not isinstance(event, dict):
        return ["Event object must be a JSON object"]
    errors = _routing_key_errors(event.get("routing_key"), routing_keys)
    action = event.get("event_action")
    if _blank(action):
        errors.append("'event_action' is missing or blank")
    elif action not in ACTIONS:
        errors.append(
            "'event_action' is invalid (must be one of the following: "
            "'trigger', 'acknowledge' or 'resolve')"
        )
    errors += _dedup_key_errors(
        event.get("dedup_key"), required=action in ("acknowledge", "resolve")
    )
    if action == "trigger":
        errors += _payload_errors(event.get("payload"))
    return errors


def _routing_key_errors(key: Any, known: frozenset[str] | None) -> list[str]:
    if _blank(key):
        return ["'routing_key' is missing or blank"]
    if not isinstance(key, str):
        return ["'routing_key' must be a string"]
    if len(key) != ROUTING_KEY_LENGTH:
        return [f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)"]
    if known is not None and key not in known:
        return ["'routing_key' is invalid (no integration has that key)"]
    return []


def _dedup_key_errors(key: Any, *, required: bool) -> list[str]:
    if _blank(key):
        return ["'dedup_key' is missing or blank"] if required else []
    if not isinstance(key, str):
        return ["'dedup_key' must be a string"]
    if len(key) > MAX_DEDUP_KEY:
        return [f"Length of 'dedup_key' is too long (should be at most {MAX_DEDUP_KEY} characters)"]
    return []


def _payload_errors(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return [
            "'payload' is missing or blank" if _blank(payload) else "'payload' must be an object"
        ]
    errors: list[str] = []
    summary = payload.get("summary")
    if _blank(summary):
        errors.append("'payload.summary' is missing or blank")
    elif not isinstance(summary, str):
        errors.append("'payload.summary' must be a string")
    elif len(summary) > MAX_SUMMARY:
        errors.append(
            f"Length of 'payload.summary' is too long (should be at most {MAX_SUMMARY} characters)"
        )
    if _blank(payload.get("source")):
        errors.append("'payload.source' is missing or blank")
    severity = payload.get("severity")
    if _blank(severity):
        errors.append("'payload.severity' is missing or blank")
    elif severity not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of the following: "
            "'critical', 'warning', 'error' or 'info')"
        )
    errors += _timestamp_errors(payload.get("timestamp"))
    return errors


def _timestamp_errors(timestamp: Any) -> list[str]:
    if timestamp is None:
        return []
    if isinstance(timestamp, str):
        try:
            datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
            return []
        except ValueError:
            pass
    return ["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _timestamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
