"""The drill's incident: opened at detection, walked through its lifecycle as the phases
advance, and paged to PagerDuty when the environment says where."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from drillbook.drill.clock import Clock
from drillbook.drill.escalation_check import simulate_escalation
from drillbook.formats.common import Severity
from drillbook.formats.drill import ScriptedResponse
from drillbook.formats.environment import PagerDutyTarget
from drillbook.incident import Incident, Link, PagerDutyClient, incident_figures
from drillbook.incident.escalation import EscalationRecord
from drillbook.incident.notify import Notification, NotificationRouter
from drillbook.kb.linking import PostmortemLinker, RelatedPostmortem, default_linker

RESPONDER = "on-call (drill)"


class IncidentTracker:
    """One incident, and the pages sent for it."""

    def __init__(
        self,
        *,
        clock: Clock,
        pagerduty: PagerDutyTarget | None,
        on_event: Callable[[str, str], None],
        notifications: Path | None = None,
        environ: Mapping[str, str] | None = None,
        postmortems: PostmortemLinker | None = None,
    ) -> None:
        self.clock = clock
        # past post-mortems to link when the incident opens; the index is readied now, before
        # anything is timed (default: the knowledge base of the workspace at the current dir)
        self._linker = postmortems if postmortems is not None else default_linker()
        if self._linker is not None:
            self._linker.prepare()
        self.related_postmortems: list[RelatedPostmortem] = []
        self.on_event = on_event
        self.incident: Incident | None = None
        self.paged_at: datetime | None = None
        self.escalation: EscalationRecord | None = None
        self._router = (
            NotificationRouter.from_file(notifications, clock=clock, environ=environ)
            if notifications
            else None
        )
        self._pager = (
            PagerDutyClient(pagerduty.routing_key, url=pagerduty.events_url, clock=clock)
            if pagerduty is not None
            else None
        )

    def open(
        self,
        title: str,
        severity: Severity,
        *,
        runbook: str,
        services: list[str],
        source: str,
        links: Sequence[Link] = (),
        rule: str = "",
        runbook_title: str = "",
    ) -> Incident:
        self.incident = Incident.open(
            title, severity, clock=self.clock, runbook=runbook, affected_services=services
        )
        self.on_event("incident", f"{self.incident.id} opened: {title} ({severity})")
        self._link_postmortems(title, rule, runbook_title)
        if self._pager is not None:
            key = self._pager.trigger(
                self.incident,
                source=source,
                links=list(links),
                related_postmortems=[f"{r.location}  {r.title}" for r in self.related_postmortems],
            )
            self.paged_at = self.clock.now()
            self.on_event("paging", f"PagerDuty paged for {self.incident.id} (dedup_key {key})")
        self._announce("opened")
        return self.incident

    def _link_postmortems(self, title: str, rule: str, runbook_title: str) -> None:
        if self._linker is None:
            return
        self.related_postmortems = self._linker.related(
            title, rule=rule, runbook_title=runbook_title
        )
        if self.related_postmortems:
            found = ", ".join(r.location for r in self.related_postmortems)
            self.on_event("incident", f"related post-mortems: {found}")
        elif self._linker.problem:
            self.on_event("incident", self._linker.problem)

    def escalate(
        self, *, oncall_file: Path, service: str, responses: Sequence[ScriptedResponse]
    ) -> EscalationRecord:
        """Run the escalation path in virtual time; a scripted acknowledgement acknowledges."""
        assert self.incident is not None
        self.escalation = simulate_escalation(
            self.incident, oncall_file=oncall_file, service=service, responses=responses
        )
        for page in self.escalation.pages:
            self.on_event(
                "paging",
                f"level {page.level}: {page.name} paged "
                f"{page.after_minutes:g} min after the incident opened (virtual time)",
            )
        if self.escalation.acknowledged_by:
            self.on_event("incident", f"acknowledged by {self.escalation.acknowledged_by}")
            if self._pager is not None:
                self._pager.acknowledge(self.incident)
            self._announce("acknowledged")
        return self.escalation

    @property
    def notifications(self) -> list[Notification]:
        return list(self._router.sent) if self._router else []

    def _announce(self, event: str) -> None:
        if self._router is None or self.incident is None:
            return
        for sent in self._router.notify(self.incident, event):
            state = "sent" if sent.ok else f"FAILED ({sent.detail})"
            self.on_event("notification", f"{sent.channel} {event}: {state}")

    def note(self, kind: str, message: str) -> None:
        """A line on the open incident's timeline (a phase, a step, a check, a fault)."""
        if self.incident is not None and self.incident.is_open:
            actor = RESPONDER if kind in ("step", "rollback") else "drillbook"
            self.incident.note(message, actor=actor, kind=kind)

    def respond(self) -> None:
        """The on-call engineer acknowledges, investigates and starts mitigating."""
        if self.incident is None:
            return
        if self.incident.status == "detected":  # not already acknowledged through escalation
            self.incident.acknowledge(actor=RESPONDER)
            if self._pager is not None:
                self._pager.acknowledge(self.incident)
            self._announce("acknowledged")
        self.incident.investigate(actor=RESPONDER)
        self.incident.mitigate(actor=RESPONDER, message="running the runbook")
        self.on_event("incident", f"{self.incident.id} acknowledged; mitigating")

    def mitigated(self) -> None:
        if self.incident is not None and self.incident.mitigated_at is None:
            self.incident.verify_mitigation(actor="drillbook", message="verification passed")
            self._announce("mitigated")

    def resolve(self) -> None:
        if self.incident is None or not self.incident.is_open:
            return
        self.incident.resolve(actor="drillbook", message="drill recovered")
        if self._pager is not None:
            self._pager.resolve(self.incident)
        self.on_event("incident", f"{self.incident.id} resolved")
        self._announce("resolved")

    def metrics(self, injected_at: datetime | None) -> dict[str, float | None] | None:
        if self.incident is None:
            return None
        return incident_figures(self.incident, injected_at).to_metrics()

    def record(self) -> dict[str, Any] | None:
        if self.incident is None:
            return None
        record = self.incident.to_dict()
        if self.escalation is not None:
            record["escalation"] = self.escalation.to_dict()
        if self._router is not None:
            record["notifications"] = [n.to_dict() for n in self._router.sent]
        record["related_postmortems"] = [r.to_dict() for r in self.related_postmortems]
        return record

    def close(self) -> None:
        if self._pager is not None:
            self._pager.close()
        if self._router is not None:
            self._router.close()
