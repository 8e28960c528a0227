"""Status page updates for an incident: created when it opens, updated as it moves on.

Written as Atlassian Statuspage's manage API takes them: ``POST .../incidents`` and
``PATCH .../incidents/{id}`` with ``{"incident": {"name", "status", "impact_override",
"body"}}`` and ``Authorization: OAuth <api key>``. The public status follows the incident:

=============  ===============  ==========================================================
event          status           body
=============  ===============  ==========================================================
opened         investigating    we are investigating (impact from the severity)
acknowledged   investigating    engineers are working on it
mitigating     identified       the issue is identified and a fix is being put in place
mitigated      monitoring       a fix is in place and we are watching
resolved       resolved         resolved
=============  ===============  ==========================================================

The impact is ``critical`` for P1, ``major`` for P2, ``minor`` for P3 and ``none`` for P4.
The API key is a secret: it only goes into the Authorization header.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from drillbook.drill.clock import Clock
from drillbook.incident.delivery import Delivery, RetryPolicy, deliver
from drillbook.incident.model import Incident
from drillbook.incident.routing import NotifyEvent
from drillbook.steps.masking import Masker

IMPACT = {"P1": "critical", "P2": "major", "P3": "minor", "P4": "none"}
STATUS: dict[NotifyEvent, str] = {
    "opened": "investigating",
    "acknowledged": "investigating",
    "mitigating": "identified",
    "mitigated": "monitoring",
    "resolved": "resolved",
}
NAME_LIMIT = 255


def update_body(incident: Incident, event: NotifyEvent) -> str:
    """The public text of the update for ``event``."""
    services = ", ".join(incident.affected_services) or "some of our services"
    return {
        "opened": f"We are investigating a problem affecting {services}.",
        "acknowledged": "Our engineers are working on the problem.",
        "mitigating": "The problem has been identified and a fix is being put in place.",
        "mitigated": "A fix has been put in place and we are monitoring the results.",
        "resolved": "This incident has been resolved.",
    }[event]


def incident_fields(incident: Incident, event: NotifyEvent, *, new: bool) -> dict[str, Any]:
    """The ``incident`` object to send: all of it for a new page incident, else the update."""
    fields: dict[str, Any] = {"status": STATUS[event], "body": update_body(incident, event)}
    if new:
        name = incident.title.strip() or incident.id
        fields["name"] = name[:NAME_LIMIT]
        fields["impact_override"] = IMPACT[incident.severity]
    return fields


class StatuspageClient:
    """One status page: creates and updates its incidents, retried on 429 and 5xx."""

    def __init__(
        self,
        url: str,
        *,
        page_id: str | None = None,
        api_key: str | None = None,
        http: httpx.Client,
        clock: Clock,
        retry: RetryPolicy | None = None,
    ) -> None:
        base = url.rstrip("/")
        self.incidents_url = (
            f"{base}/v1/pages/{page_id}/incidents" if page_id else f"{base}/api/v2/incidents"
        )
        self._api_key = api_key
        self._masker = Masker([api_key] if api_key else [])
        self._http = http
        self.clock = clock
        self.retry = retry or RetryPolicy()

    def create(self, fields: dict[str, Any]) -> tuple[Delivery, str | None]:
        """Open a page incident; the Delivery and the new incident's id (None if refused).

        Creating is retried only after a 429: after a 5xx the incident may exist already, and
        a second one would show twice; the next event tries again instead."""
        delivery = self._send(
            "POST", self.incidents_url, fields, "a new status page incident", idempotent=False
        )
        body = delivery.body
        page_id = body.get("id") if delivery.ok and isinstance(body, dict) else None
        if delivery.ok and not isinstance(page_id, str):
            refusal = "the status page took the incident but answered without its id"
            return Delivery(False, delivery.status, delivery.attempts, refusal, body), None
        return delivery, page_id if isinstance(page_id, str) else None

    def update(self, page_incident: str, fields: dict[str, Any]) -> Delivery:
        """Update page incident ``page_incident``."""
        url = f"{self.incidents_url}/{page_incident}"
        return self._send(
            "PATCH", url, fields, f"the update of status page incident {page_incident}"
        )

    def _send(
        self, method: str, url: str, fields: dict[str, Any], what: str, *, idempotent: bool = True
    ) -> Delivery:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"OAuth {self._api_key}"
        return deliver(
            self._http,
            method,
            url,
            content=json.dumps({"incident": fields}).encode(),
            headers=headers,
            clock=self.clock,
            policy=self.retry,
            masker=self._masker,
            what=what,
            idempotent=idempotent,
        )

    def __repr__(self) -> str:
        key = ", api_key='********'" if self._api_key else ""
        return f"StatuspageClient(incidents_url={self._masker(self.incidents_url)!r}{key})"
