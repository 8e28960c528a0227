"""Incidents: the model and its one-way lifecycle, response figures, and paging PagerDuty."""

from drillbook.incident.figures import IncidentFigures, incident_figures
from drillbook.incident.model import Incident, new_incident_id
from drillbook.incident.pagerduty import Link, PagerDutyClient, PagerDutyError
from drillbook.incident.parts import (
    STATUS_ORDER,
    ActionItem,
    IncidentError,
    IncidentEvent,
    IncidentStatus,
    Responder,
    allowed_next,
)

__all__ = [
    "STATUS_ORDER",
    "ActionItem",
    "Incident",
    "IncidentError",
    "IncidentEvent",
    "IncidentFigures",
    "IncidentStatus",
    "Link",
    "PagerDutyClient",
    "PagerDutyError",
    "Responder",
    "allowed_next",
    "incident_figures",
    "new_incident_id",
]
