"""Incidents: the model and its one-way lifecycle, response figures, paging PagerDuty,
escalation along an on-call path, and notifications to Slack and status pages."""

from drillbook.incident.escalation import EscalationEngine, EscalationRecord, Page
from drillbook.incident.figures import IncidentFigures, incident_figures
from drillbook.incident.model import Incident, new_incident_id
from drillbook.incident.notify import Notification, NotificationRouter
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
from drillbook.incident.responders import (
    EscalationError,
    ResponderScript,
    ScriptedResponder,
    load_responder_script,
)
from drillbook.incident.routing import (
    NotificationRoute,
    NotificationRoutes,
    NotifyError,
    NotifyEvent,
    load_routes,
)

__all__ = [
    "STATUS_ORDER",
    "ActionItem",
    "EscalationEngine",
    "EscalationError",
    "EscalationRecord",
    "Incident",
    "IncidentError",
    "IncidentEvent",
    "IncidentFigures",
    "IncidentStatus",
    "Link",
    "Notification",
    "NotificationRoute",
    "NotificationRouter",
    "NotificationRoutes",
    "NotifyError",
    "NotifyEvent",
    "Page",
    "PagerDutyClient",
    "PagerDutyError",
    "Responder",
    "ResponderScript",
    "ScriptedResponder",
    "allowed_next",
    "incident_figures",
    "load_responder_script",
    "load_routes",
    "new_incident_id",
]
