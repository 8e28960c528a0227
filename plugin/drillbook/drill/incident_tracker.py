"""The drill's incident: opened at detection, walked through its lifecycle as the phases
advance, and paged to PagerDuty when the environment says where."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from drillbook.drill.clock import Clock
from drillbook.formats.common import Severity
from drillbook.formats.environment import PagerDutyTarget
from drillbook.incident import Incident, Link, PagerDutyClient, incident_figures

RESPONDER = "on-call (drill)"


class IncidentTracker:
    """One incident, and the pages sent for it."""

    def __init__(
        self,
        *,
        clock: Clock,
        pagerduty: PagerDutyTarget | None,
        on_event: Callable[[str, str], None],
    ) -> None:
        self.clock = clock
        self.on_event = on_event
        self.incident: Incident | None = None
        self.paged_at: datetime | None = None
        self._pager = (
            PagerDutyClient(pagerduty.routing_key, url=pagerduty.events_url, clock=clock)
            if pagerduty is not None
            else None
        )

    def open(
        self, title: str, severity: Severity, *, runbook: str, services: list[str], source: str
    ) -> Incident:
        self.incident = Incident.open(
            title, severity, clock=self.clock, runbook=runbook, affected_services=services
        )
        self.on_event("incident", f"{self.incident.id} opened: {title} ({severity})")
        if self._pager is not None:
            key = self._pager.trigger(
                self.incident,
                source=source,
                links=[Link(href=f"runbook:{runbook}", text="runbook")],
            )
            self.paged_at = self.clock.now()
            self.on_event("paging", f"PagerDuty paged for {self.incident.id} (dedup_key {key})")
        return self.incident

    def note(self, kind: str, message: str) -> None:
        """A line on the open incident's timeline (a phase, a step, a check, a fault)."""
        if self.incident is not None and self.incident.is_open:
            actor = RESPONDER if kind in ("step", "rollback") else "drillbook"
            self.incident.note(message, actor=actor, kind=kind)

    def respond(self) -> None:
        """The on-call engineer acknowledges, investigates and starts mitigating."""
        if self.incident is None:
            return
        self.incident.acknowledge(actor=RESPONDER)
        if self._pager is not None:
            self._pager.acknowledge(self.incident)
        self.incident.investigate(actor=RESPONDER)
        self.incident.mitigate(actor=RESPONDER, message="running the runbook")
        self.on_event("incident", f"{self.incident.id} acknowledged; mitigating")

    def mitigated(self) -> None:
        if self.incident is not None and self.incident.mitigated_at is None:
            self.incident.verify_mitigation(actor="drillbook", message="verification passed")

    def resolve(self) -> None:
        if self.incident is None or not self.incident.is_open:
            return
        self.incident.resolve(actor="drillbook", message="drill recovered")
        if self._pager is not None:
            self._pager.resolve(self.incident)
        self.on_event("incident", f"{self.incident.id} resolved")

    def metrics(self, injected_at: datetime | None) -> dict[str, float | None] | None:
        if self.incident is None:
            return None
        return incident_figures(self.incident, injected_at).to_metrics()

    def record(self) -> dict[str, Any] | None:
        return self.incident.to_dict() if self.incident else None

    def close(self) -> None:
        if self._pager is not None:
            self._pager.close()
