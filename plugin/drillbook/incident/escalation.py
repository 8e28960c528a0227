"""The escalation engine: who is paged for an incident, level by level, until someone answers.

Given an escalation path (``Roster.path(service, at)``: level 1 paged when the incident
opens, each later level ``after_minutes`` after the start, loops already unrolled), the engine
pages level 1 when it starts and each further level when its time comes, for as long as the
incident is still ``detected``. It stops as soon as the incident is acknowledged or resolved,
whoever did it, or when a scripted responder acknowledges (the engine then acknowledges the
incident in their name). An acknowledgement due at the very instant the next level is due
comes first: that level is not paged.

Every wait goes through the Clock, so on a VirtualClock a drill asserts "the primary paged at
detection, the secondary 15 minutes later" in no real time::

    engine = EscalationEngine.for_service(incident, roster, "holiday-api", clock=clock,
                                          pager=send_page, responders=script)
    record = engine.run_until_acknowledged(timeout=3600)
    [(p.level, p.person, p.at) for p in record.pages]

A page is a call of ``pager(page)``; the runner decides what it sends (PagerDuty pages people
itself from one trigger, so a drill usually records them). A pager that raises a
DrillbookError does not stop the escalation: the page is kept with its error.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from drillbook.drill.clock import Clock
from drillbook.errors import DrillbookError
from drillbook.formats.oncall import Person
from drillbook.incident.model import Incident
from drillbook.incident.parts import IncidentError, IncidentStatus
from drillbook.incident.responders import BoundScript, EscalationError, ResponderScript
from drillbook.oncall.roster import EscalationStep, Roster
from drillbook.steps.masking import Masker

Outcome = Literal["running", "acknowledged", "resolved", "exhausted", "timeout", "stopped"]
ACTOR = "drillbook"
# Float seconds from different sums may differ in their last bits: "due" allows for that.
EPSILON = 1e-6
_mask = Masker()


@dataclass(frozen=True)
class Page:
    """One person paged: at which level, when, through which targets, reachable how
    (``via``: their phone, Slack and email as the on-call file gives them), and the pager's
    error if it failed."""

    level: int
    person: str
    name: str
    at: datetime
    after_minutes: int
    targets: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "person": self.person,
            "name": self.name,
            "at": self.at.isoformat(),
            "after_minutes": self.after_minutes,
            "targets": list(self.targets),
            "via": list(self.via),
            "error": self.error,
        }


@dataclass(frozen=True)
class EscalationRecord:
    """What an escalation did: its pages in order, how it ended, and who acknowledged when.

    ``unreached_levels`` are levels whose targets had nobody on call: nobody was paged.
    """

    incident_id: str
    started_at: datetime | None
    pages: tuple[Page, ...]
    outcome: Outcome
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    ended_at: datetime | None = None
    unreached_levels: tuple[int, ...] = ()

    def levels(self) -> list[int]:
        """The levels paged, in order, each once."""
        return list(dict.fromkeys(page.level for page in self.pages))

    def to_dict(self) -> dict[str, Any]:
        def stamp(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "incident": self.incident_id,
            "started_at": stamp(self.started_at),
            "pages": [page.to_dict() for page in self.pages],
            "outcome": self.outcome,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": stamp(self.acknowledged_at),
            "ended_at": stamp(self.ended_at),
            "unreached_levels": list(self.unreached_levels),
        }


@dataclass(order=True)
class _Acknowledgement:
    """A scripted responder's acknowledgement, due ``due`` seconds after the start."""

    due: float
    order: int
    person: str = field(compare=False)
    level: int = field(compare=False)


class EscalationEngine:
    """Pages an incident's escalation path on a Clock (see the module description).

    ``people`` (the on-call file's) gives pages a name and contacts; ``responders`` scripts
    who acknowledges. Drive it with :meth:`run_until_acknowledged`, or from a loop of one's
    own with :meth:`start`, :meth:`tick` and :meth:`next_due`.
    """

    def __init__(
        self,
        incident: Incident,
        steps: Sequence[EscalationStep],
        *,
        clock: Clock | None = None,
        pager: Callable[[Page], None] | None = None,
        responders: ResponderScript | None = None,
        people: Mapping[str, Person] | None = None,
    ) -> None:
        self.incident = incident
        self.steps = sorted(steps, key=lambda step: (step.after_minutes, step.level))
        self.clock = clock if clock is not None else incident.clock
        self._pager = pager
        self._script: BoundScript = (responders or ResponderScript()).bind(self.steps)
        self._people = people or {}
        self._pages: list[Page] = []
        self._unreached: list[int] = []
        self._acks: list[_Acknowledgement] = []
        self._order = itertools.count()
        self._next = 0
        self._origin: float | None = None
        self._started_at: datetime | None = None
        self._ended_at: datetime | None = None
        self._outcome: Outcome = "running"
        self._acknowledged: tuple[str, datetime] | None = None

    @classmethod
    def for_service(
        cls, incident: Incident, roster: Roster, service: str, **options: Any
    ) -> EscalationEngine:
        """The engine for ``service``'s escalation path from when ``incident`` was detected
        (each level's schedules resolved when that level is paged), with the roster's people."""
        steps = roster.path(service, incident.detected_at)
        options.setdefault("people", roster.model.people)
        return cls(incident, steps, **options)

    # -- state ---------------------------------------------------------------------------------
    @property
    def outcome(self) -> Outcome:
        return self._outcome

    @property
    def running(self) -> bool:
        return self._outcome == "running"

    def record(self) -> EscalationRecord:
        """What has happened so far."""
        who, when = self._acknowledged or (None, None)
        return EscalationRecord(
            incident_id=self.incident.id,
            started_at=self._started_at,
            pages=tuple(self._pages),
            outcome=self._outcome,
            acknowledged_by=who,
            acknowledged_at=when,
            ended_at=self._ended_at,
            unreached_levels=tuple(self._unreached),
        )

    # -- driving -------------------------------------------------------------------------------
    def start(self) -> list[Page]:
        """Start the escalation now (once): level 1 is paged. The pages sent."""
        if self._origin is not None:
            return []
        self._origin = self.clock.monotonic()
        self._started_at = self.clock.now()
        return self.tick()

    def tick(self) -> list[Page]:
        """Do everything due by now, in time order: scripted acknowledgements, then pages.
        The pages sent (starting the escalation first if needed)."""
        if self._origin is None:
            return self.start()
        sent: list[Page] = []
        while self.running and not self._ended_by_incident():
            elapsed = self.clock.monotonic() - self._origin + EPSILON
            step_due = self._step_due()
            ack = self._acks[0] if self._acks else None
            if ack is not None and ack.due <= elapsed and (step_due is None or ack.due <= step_due):
                self._acknowledge(heapq.heappop(self._acks))
            elif step_due is not None and step_due <= elapsed:
                sent += self._page(self.steps[self._next], elapsed - EPSILON)
                self._next += 1
            else:
                break
        return sent

    def next_due(self) -> float | None:
        """Seconds from now until the next page or scripted acknowledgement (None: none is
        left, or the escalation is over)."""
        if not self.running or self._origin is None:
            return None
        dues = (self._step_due(), self._acks[0].due if self._acks else None)
        known = [due for due in dues if due is not None]
        if not known:
            return None
        return max(0.0, min(known) - (self.clock.monotonic() - self._origin))

    def run_until_acknowledged(
        self, timeout: float, *, poll_interval: float | None = None
    ) -> EscalationRecord:
        """Page level after level until the incident is acknowledged or resolved, nothing is
        left to page, or ``timeout`` seconds pass; the record (the escalation is then over).

        Without ``poll_interval`` the Clock sleeps straight to the next page: right on a
        VirtualClock, or when nothing else acknowledges. When another thread may acknowledge
        the incident on a real clock, give ``poll_interval`` seconds: the engine then looks
        at the incident that often, until it ends or the timeout passes.
        """
        _check_seconds("timeout", timeout)
        if poll_interval is not None:
            _check_seconds("poll_interval", poll_interval, positive=True)
        self.start()
        deadline = self.clock.monotonic() + timeout
        while self.running:
            self.tick()
            if not self.running:
                break
            wait = self.next_due()
            left = deadline - self.clock.monotonic()
            if wait is None and poll_interval is None:
                self._finish("exhausted")
            elif left <= EPSILON:
                self._finish("timeout")
            else:
                choices = [w for w in (wait, left, poll_interval) if w is not None]
                self.clock.sleep(min(choices))
        return self.record()

    def stop(self) -> EscalationRecord:
        """End the escalation now (a drill finishing); the record."""
        if self.running:
            self._finish("stopped")
        return self.record()

    # -- what happens --------------------------------------------------------------------------
    def _step_due(self) -> float | None:
        if self._next >= len(self.steps):
            return None
        return self.steps[self._next].after_minutes * 60.0

    def _page(self, step: EscalationStep, elapsed: float) -> list[Page]:
        if not step.people:
            self._unreached.append(step.level)
            targets = ", ".join(step.targets) or "no targets"
            self.incident.note(
                f"escalation level {step.level}: nobody to page ({targets})",
                actor=ACTOR,
                kind="page",
            )
            return []
        pages = [self._page_person(step, person, elapsed) for person in step.people]
        self._pages += pages
        return pages

    def _page_person(self, step: EscalationStep, person: str, elapsed: float) -> Page:
        known = self._people.get(person)
        name = known.name if known is not None else person
        via = tuple(known.contacts()) if known is not None else ()
        page = Page(
            step.level, person, name, self.clock.now(), step.after_minutes, step.targets, via
        )
        self.incident.note(
            f"paged {name} ({person}), escalation level {step.level}", actor=ACTOR, kind="page"
        )
        page = self._deliver(page)
        entry = self._script.responder_for(step, person)
        if entry is not None and entry.acknowledges:
            due = elapsed + entry.after
            heapq.heappush(self._acks, _Acknowledgement(due, next(self._order), person, step.level))
        return page

    def _deliver(self, page: Page) -> Page:
        if self._pager is None:
            return page
        try:
            self._pager(page)
        except DrillbookError as error:
            problem = _mask(str(error))
            self.incident.note(
                f"paging {page.name} failed: {problem}", actor=ACTOR, kind="page_failed"
            )
            return dataclasses.replace(page, error=problem)
        return page

    def _acknowledge(self, ack: _Acknowledgement) -> None:
        known = self._people.get(ack.person)
        name = known.name if known is not None else ack.person
        try:
            event = self.incident.acknowledge(
                actor=ack.person, message=f"acknowledged by {name} (paged at level {ack.level})"
            )
        except IncidentError:
            self._ended_by_incident()  # acknowledged or resolved meanwhile, by someone else
            return
        self._acknowledged = (ack.person, event.at)
        self._finish("acknowledged")

    def _ended_by_incident(self) -> bool:
        """Stop if the incident was acknowledged or resolved (by anyone): whether it was."""
        status = self.incident.status
        if status is IncidentStatus.DETECTED:
            return False
        if self.incident.acknowledged_at is not None and self._acknowledged is None:
            self._acknowledged = (_acknowledger(self.incident), self.incident.acknowledged_at)
        self._finish("resolved" if status is IncidentStatus.RESOLVED else "acknowledged")
        return True

    def _finish(self, outcome: Outcome) -> None:
        if self.running:
            self._outcome = outcome
            self._ended_at = self.clock.now()


def _acknowledger(incident: Incident) -> str:
    for event in incident.timeline:
        if event.kind == IncidentStatus.ACKNOWLEDGED.value:
            return event.actor
    return "unknown"


def _check_seconds(name: str, value: float, *, positive: bool = False) -> None:
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        need = "a positive" if positive else "a non-negative"
        raise EscalationError(f"{name} must be {need} finite number of seconds, not {value!r}")
