"""On-call schedules and escalation policies (``oncall.yaml``): who is on call at an
instant, a schedule's entries between two instants, a service's escalation path, an
iCalendar feed of a schedule, and lint findings for gaps and unreachable people."""

from drillbook.oncall.roster import EscalationStep, Roster
from drillbook.oncall.timeline import Entry, Shift, Timeline

__all__ = ["Entry", "EscalationStep", "Roster", "Shift", "Timeline"]
