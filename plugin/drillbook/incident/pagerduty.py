"""A PagerDuty Events API v2 client: trigger, acknowledge and resolve the alert of an incident.

The incident id is the ``dedup_key``, so the three events land on one PagerDuty alert and a
repeated event is harmless; that is what makes retrying safe. Answers 429 and 5xx and failed
connections are retried a bounded number of times with exponential backoff, slept on the
drill's Clock by :func:`drillbook.incident.delivery.send_with_retries`; any other refusal
(400: the event is invalid) is raised at once with PagerDuty's own message and errors.

The routing key is a secret: it is only ever written into the request body, and never appears
in an exception, a log line, a repr or ``to_dict()``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from drillbook.drill.clock import Clock
from drillbook.errors import DrillbookError
from drillbook.httpclient import HttpClientUser
from drillbook.incident.delivery import Answer, RetryPolicy, send_once, send_with_retries
from drillbook.incident.model import Incident
from drillbook.steps.masking import MASK, Masker

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255
ELLIPSIS = "…"
SEVERITY = {"P1": "critical", "P2": "error", "P3": "warning", "P4": "info"}
Action = Literal["trigger", "acknowledge", "resolve"]

logger = logging.getLogger(__name__)


class PagerDutyError(DrillbookError):
    """PagerDuty did not take an event; ``message`` and ``errors`` are PagerDuty's own words."""

    def __init__(
        self,
        text: str,
        *,
        status_code: int | None = None,
        message: str | None = None,
        errors: Sequence[str] = (),
    ) -> None:
        super().__init__(text)
        self.status_code = status_code
        self.message = message
        self.errors = list(errors)


@dataclass(frozen=True)
class Link:
    """A link shown on the PagerDuty alert, such as the runbook or the drill report."""

    href: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"href": self.href, "text": self.text}


class _Secret:
    """A string that shows itself as ``********`` wherever it is printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return repr(MASK)

    def __str__(self) -> str:
        return MASK


# -- the events --------------------------------------------------------------------------------
def summary_for(title: str) -> str:
    """``title`` cut to PagerDuty's 1,024 characters, an ellipsis marking the cut."""
    if len(title) <= SUMMARY_LIMIT:
        return title
    return title[: SUMMARY_LIMIT - len(ELLIPSIS)] + ELLIPSIS


def trigger_event(
    incident: Incident,
    *,
    source: str,
    links: Sequence[Link],
    related_postmortems: Sequence[str] = (),
) -> dict[str, Any]:
    """The trigger event for ``incident`` (without the routing key); ``related_postmortems``
    (``path:line  title`` of past post-mortems, shown to the paged engineer) when there are any."""
    details: dict[str, Any] = {
        "incident": incident.id,
        "affected_services": list(incident.affected_services),
        "runbook": incident.runbook,
    }
    if related_postmortems:
        details["related_postmortems"] = list(related_postmortems)
    return {
        "event_action": "trigger",
        "dedup_key": incident.id,
        "client": "drillbook",
        "payload": {
            "summary": summary_for(incident.title),
            "source": source,
            "severity": SEVERITY[incident.severity],
            "timestamp": incident.detected_at.isoformat(),
            "custom_details": details,
        },
        "links": [link.to_dict() for link in links],
    }


def follow_up_event(incident: Incident, action: Action) -> dict[str, Any]:
    """The acknowledge or resolve event for ``incident`` (without the routing key)."""
    return {"event_action": action, "dedup_key": incident.id}


# -- the client --------------------------------------------------------------------------------
class PagerDutyClient(HttpClientUser):
    """Sends an incident's trigger, acknowledge and resolve events to one PagerDuty service.

    ``max_retries`` is the number of retries after the first attempt (so at most
    ``max_retries + 1`` requests per event); the n-th retry waits ``backoff * 2**(n-1)``
    seconds (at least a 429's ``Retry-After``), never more than ``max_backoff``. Given no
    ``client``, one is made with a ``timeout`` and closed by :meth:`close`.
    """

    def __init__(
        self,
        routing_key: str,
        *,
        url: str = EVENTS_URL,
        client: httpx.Client | None = None,
        clock: Clock,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        if not routing_key or not routing_key.strip():
            raise PagerDutyError("the PagerDuty routing key is empty; set the integration key")
        self._routing_key = _Secret(routing_key)
        self._masker = Masker([routing_key])
        self._url = _checked_url(url, self._masker)
        if max_retries < 0 or backoff < 0 or max_backoff < 0:
            raise PagerDutyError("max_retries, backoff and max_backoff cannot be negative")
        self.clock = clock
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._use_http(client, timeout)

    @property
    def url(self) -> str:
        """Where events are sent (a password in the URL masked)."""
        return self._masker(self._url)

    # -- the three events ----------------------------------------------------------------------
    def trigger(
        self,
        incident: Incident,
        *,
        source: str,
        links: Sequence[Link] = (),
        related_postmortems: Sequence[str] = (),
    ) -> str:
        """Open (or update) the alert for ``incident``; ``source`` is the affected system;
        ``related_postmortems`` go into the alert's details.

        Returns the dedup_key PagerDuty answered.
        """
        if not source.strip():
            raise PagerDutyError("a PagerDuty trigger needs a source: the system that is failing")
        event = trigger_event(
            incident, source=source, links=links, related_postmortems=related_postmortems
        )
        return self._send("trigger", incident, event)

    def acknowledge(self, incident: Incident) -> str:
        """Acknowledge the alert of ``incident``; returns the dedup_key PagerDuty answered."""
        return self._send("acknowledge", incident, follow_up_event(incident, "acknowledge"))

    def resolve(self, incident: Incident) -> str:
        """Resolve the alert of ``incident``; returns the dedup_key PagerDuty answered."""
        return self._send("resolve", incident, follow_up_event(incident, "resolve"))

    # -- display (close and with-blocks: HttpClientUser) ---------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The settings, the routing key masked."""
        return {
            "url": self.url,
            "routing_key": MASK,
            "max_retries": self.max_retries,
            "backoff": self.backoff,
            "max_backoff": self.max_backoff,
        }

    def __repr__(self) -> str:
        return (
            f"PagerDutyClient(url={self.url!r}, routing_key={MASK!r}, "
            f"max_retries={self.max_retries})"
        )

    # -- sending -------------------------------------------------------------------------------
    def _send(self, action: Action, incident: Incident, event: dict[str, Any]) -> str:
        if len(incident.id) > DEDUP_KEY_LIMIT:
            raise PagerDutyError(
                f"incident id {incident.id[:40]!r}... is longer than PagerDuty's "
                f"{DEDUP_KEY_LIMIT}-character dedup_key"
            )
        what = f"the {action} event for incident {incident.id}"
        last = send_with_retries(
            lambda: self._post(event),
            clock=self.clock,
            policy=RetryPolicy(self.max_retries, self.backoff, self.max_backoff),
            what=f"PagerDuty, {what}",
            describe=self._describe,
            log=logger,
        )
        response = last.final()
        if response is not None:
            return self._accepted(what, response)
        problem = self._describe(last.answer)
        raise PagerDutyError(
            f"PagerDuty did not take {what} after {last.attempts} attempts: {problem}"
        )

    def _post(self, event: dict[str, Any]) -> Answer:
        """PagerDuty's answer, or what went wrong on the way (a masked string: no exception
        is kept, so no chain of exceptions can carry the request body and its routing key)."""
        content = json.dumps({"routing_key": self._routing_key.reveal(), **event}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        return send_once(self._http, "POST", self._url, content, headers, self._masker)

    def _accepted(self, what: str, response: httpx.Response) -> str:
        body = _json(response)
        if response.is_success:
            dedup_key = body.get("dedup_key") if isinstance(body, dict) else None
            if isinstance(dedup_key, str) and dedup_key:
                return dedup_key
            raise PagerDutyError(
                f"PagerDuty took {what} but answered without a dedup_key: "
                f"{self._masker(response.text[:300])!r}",
                status_code=response.status_code,
            )
        message, errors = self._refusal(response, body)
        details = "; ".join([message, *errors])
        raise PagerDutyError(
            f"PagerDuty refused {what} (HTTP {response.status_code}): {details}",
            status_code=response.status_code,
            message=message,
            errors=errors,
        )

    def _refusal(self, response: httpx.Response, body: object) -> tuple[str, list[str]]:
        """PagerDuty's message and errors list, masked (the body when it is not its JSON)."""
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            errors = body.get("errors")
            listed = [str(e) for e in errors] if isinstance(errors, list) else []
            return self._masker(body["message"]), [self._masker(e) for e in listed]
        text = response.text.strip()[:300] or response.reason_phrase
        return self._masker(text), []

    def _describe(self, answer: Answer) -> str:
        if isinstance(answer, str):
            return answer
        message, errors = self._refusal(answer, _json(answer))
        return f"HTTP {answer.status_code}: " + "; ".join([message, *errors])


def _json(response: httpx.Response) -> object:
    try:
        body: object = response.json()
    except ValueError:
        return None
    return body


def _checked_url(url: str, masker: Masker) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise PagerDutyError(
            f"PagerDuty URL {masker(url)!r} is not an http(s) URL; "
            f"the Events API v2 is at {EVENTS_URL}"
        )
    return url
