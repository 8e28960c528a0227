"""A stand-in for an Atlassian Statuspage: the public status API and incident publishing.

Read like the real public API (no credentials):
- ``GET /api/v2/status.json``: ``{"page": {...}, "status": {"indicator", "description"}}``
  with the indicator of the worst unresolved incident (``none`` when all are resolved);
- ``GET /api/v2/summary.json``, ``GET /api/v2/incidents.json``,
  ``GET /api/v2/incidents/unresolved.json``.

Written as drillbook publishes (bodies as the manage API takes them, ``{"incident":
{...}}``, or the incident's fields directly):
- ``POST /api/v2/incidents`` (``name``; ``status`` investigating, identified, monitoring or
  resolved; ``impact`` none, minor, major or critical; ``body``: the first update's text);
- ``PATCH /api/v2/incidents/{id}`` (any of those; a new status or body adds an update).

With ``api_key`` set, writes need ``Authorization: OAuth <key>`` (or Bearer), like the
manage API; otherwise 401 ``{"error": "Couldn't authenticate you"}``.
"""

from __future__ import annotations

import hmac
import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from drillbook.fakes.base import Fake, Option
from drillbook.fakes.web import BodyError, Request, Response, Route, json_response

STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
IMPACTS = ("none", "minor", "major", "critical")
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
DONE = frozenset({"resolved", "postmortem"})
FIELDS = frozenset({"name", "status", "impact", "impact_override", "body"})


class IncidentError(ValueError):
    """An incident write that cannot be applied; the message says what to change."""


class StatuspageFake(Fake):
    """The status page stand-in (see the module description)."""

    name = "statuspage"
    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "page_name": Option("the page's name (default 'Drillbook Status')", str),
        "api_key": Option("the key writes need (default: none needed)", str),
    }

    def __init__(
        self, *, page_name: str = "Drillbook Status", api_key: str | None = None, **base: Any
    ) -> None:
        super().__init__(**base)
        self.page_name = page_name
        self.api_key = api_key
        self.page_id = self.random_id("", 12).lower()
        self.incidents: dict[str, dict[str, Any]] = {}
        self._updated_at = self._now()
        self._update_ids = itertools.count(1)

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/api/v2/status.json", self._status),
            Route("GET", "/api/v2/summary.json", self._summary),
            Route("GET", "/api/v2/incidents.json", self._incidents),
            Route("GET", "/api/v2/incidents/unresolved.json", self._unresolved),
            Route("POST", "/api/v2/incidents", self._create),
            Route("PATCH", "/api/v2/incidents/{id}", self._update),
        ]

    def state(self) -> dict[str, Any]:
        return {"status": self.status(), "incidents": list(self.incidents.values())}

    def reset(self) -> None:
        self.incidents = {}
        self._updated_at = self._now()

    def fault_body(self, status: int) -> Any:
        return {"error": "injected by drillbook", "status": status}

    def not_found(self, request: Request) -> Response:
        return json_response(404, {"error": "Not found"})

    def status(self) -> dict[str, str]:
        """The page's rolled-up status: the worst impact of the unresolved incidents."""
        impacts = [i["impact"] for i in self.incidents.values() if i["status"] not in DONE]
        indicator = max(impacts, key=IMPACTS.index, default="none")
        return {"indicator": indicator, "description": DESCRIPTIONS[indicator]}

    # --- reads --------------------------------------------------------------------------------

    def _page(self, request: Request) -> dict[str, Any]:
        return {
            "id": self.page_id,
            "name": self.page_name,
            "url": f"http://{request.headers.get('host', 'localhost')}",
            "time_zone": "Etc/UTC",
            "updated_at": self._updated_at,
        }

    def _status(self, request: Request) -> Response:
        return json_response(200, {"page": self._page(request), "status": self.status()})

    def _summary(self, request: Request) -> Response:
        return json_response(
            200,
            {
                "page": self._page(request),
                "components": [],
                "incidents": self._newest_first(unresolved=True),
                "scheduled_maintenances": [],
                "status": self.status(),
            },
        )

    def _incidents(self, request: Request) -> Response:
        return json_response(
            200, {"page": self._page(request), "incidents": self._newest_first(unresolved=False)}
        )

    def _unresolved(self, request: Request) -> Response:
        return json_response(
            200, {"page": self._page(request), "incidents": self._newest_first(unresolved=True)}
        )

    def _newest_first(self, *, unresolved: bool) -> list[dict[str, Any]]:
        incidents = reversed(self.incidents.values())
        return [i for i in incidents if not unresolved or i["status"] not in DONE]

    # --- writes -------------------------------------------------------------------------------

    def _create(self, request: Request) -> Response:
        refused = self._refuse_unauthenticated(request)
        if refused is not None:
            return refused
        try:
            fields = _incident_fields(request)
            if not isinstance(fields.get("name"), str) or not fields["name"].strip():
                raise IncidentError("Name can't be blank")
            incident = self._new_incident(fields)
        except IncidentError as error:
            return json_response(422, {"error": str(error)})
        request.extras["incident"] = incident["id"]
        return json_response(201, incident)

    def _update(self, request: Request) -> Response:
        refused = self._refuse_unauthenticated(request)
        if refused is not None:
            return refused
        incident = self.incidents.get(request.params["id"])
        if incident is None:
            return json_response(404, {"error": "Not found"})
        try:
            fields = _incident_fields(request)
            self._apply(incident, fields)
        except IncidentError as error:
            return json_response(422, {"error": str(error)})
        request.extras["incident"] = incident["id"]
        return json_response(200, incident)

    def _new_incident(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = self._now()
        incident_id = self.random_id("", 12).lower()
        incident: dict[str, Any] = {
            "id": incident_id,
            "name": fields["name"].strip(),
            "status": "investigating",
            "impact": "none",
            "created_at": now,
            "updated_at": now,
            "monitoring_at": None,
            "resolved_at": None,
            "shortlink": f"https://stspg.io/{incident_id[:7]}",
            "page_id": self.page_id,
            "incident_updates": [],
        }
        self._apply(incident, {"status": "investigating", **fields}, force_update=True)
        self.incidents[incident_id] = incident
        return incident

    def _apply(
        self, incident: dict[str, Any], fields: dict[str, Any], *, force_update: bool = False
    ) -> None:
        status = _choice(fields, "status", STATUSES)
        impact = _choice(fields, "impact_override", IMPACTS) or _choice(fields, "impact", IMPACTS)
        body = fields.get("body")
        if body is not None and not isinstance(body, str):
            raise IncidentError("Body must be text")
        name = fields.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise IncidentError("Name can't be blank")
        now = self._now()
        if name is not None:
            incident["name"] = name.strip()
        if impact is not None:
            incident["impact"] = impact
        if status is not None:
            incident["status"] = status
            if status == "monitoring":
                incident["monitoring_at"] = now
            if status in DONE:
                incident["resolved_at"] = incident["resolved_at"] or now
        if force_update or status is not None or body is not None:
            incident["incident_updates"].insert(0, self._update_entry(incident, body or "", now))
        incident["updated_at"] = now
        self._updated_at = now

    def _update_entry(self, incident: dict[str, Any], body: str, now: str) -> dict[str, Any]:
        return {
            "id": f"{incident['id']}-u{next(self._update_ids)}",
            "incident_id": incident["id"],
            "status": incident["status"],
            "body": body,
            "created_at": now,
            "updated_at": now,
            "display_at": now,
        }

    def _refuse_unauthenticated(self, request: Request) -> Response | None:
        if self.api_key is None:
            return None
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() in ("oauth", "bearer") and hmac.compare_digest(
            key.strip().encode(), self.api_key.encode()
        ):
            return None
        return json_response(401, {"error": "Couldn't authenticate you"})

    def _now(self) -> str:
        moment = datetime.fromtimestamp(self.now(), UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _incident_fields(request: Request) -> dict[str, Any]:
    try:
        params = request.params_by_content_type()
    except BodyError as error:
        raise IncidentError(str(error)) from None
    fields = params.get("incident", params)
    if not isinstance(fields, dict):
        raise IncidentError("'incident' must be an object with name, status, impact, body")
    unknown = sorted(str(key) for key in fields if key not in FIELDS and key != "incident")
    if unknown:
        raise IncidentError(
            f"unknown incident field(s) {', '.join(unknown)}; the fields are "
            + ", ".join(sorted(FIELDS))
        )
    return fields


def _choice(fields: dict[str, Any], name: str, choices: tuple[str, ...]) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if value not in choices:
        raise IncidentError(
            f"{name.capitalize()} is not included in the list ({', '.join(choices)})"
        )
    return str(value)
