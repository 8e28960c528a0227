"""The response figures of an incident, in seconds: how long until it was detected,
acknowledged, mitigated and resolved. A figure whose ends were not both recorded is None."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drillbook.incident.model import Incident
from drillbook.incident.parts import IncidentError


@dataclass(frozen=True)
class IncidentFigures:
    """Seconds from the fault (or from detection, for acknowledging) to each milestone.

    - ``time_to_detect``: fault injected -> incident detected
    - ``time_to_acknowledge``: incident detected -> acknowledged
    - ``time_to_mitigate``: fault injected -> mitigation verified (``mitigated_at``)
    - ``time_to_resolve``: fault injected -> resolved
    """

    time_to_detect: float | None
    time_to_acknowledge: float | None
    time_to_mitigate: float | None
    time_to_resolve: float | None

    def to_metrics(self) -> dict[str, float | None]:
        """The figures under the metric names drill results and reports use."""
        return {
            "time_to_detect": self.time_to_detect,
            "time_to_acknowledge": self.time_to_acknowledge,
            "time_to_mitigate": self.time_to_mitigate,
            "time_to_resolve": self.time_to_resolve,
        }


def incident_figures(incident: Incident, fault_injected_at: datetime | None) -> IncidentFigures:
    """The figures of ``incident`` for a fault injected at ``fault_injected_at``.

    Without an injection instant (a real incident, or a drill that injected nothing) only the
    time to acknowledge is measured. An incident detected before the fault was injected cannot
    be that fault's incident, and raises :class:`IncidentError` rather than a negative figure.
    """
    if fault_injected_at is not None:
        _check_fault_instant(incident, fault_injected_at)
    return IncidentFigures(
        time_to_detect=_seconds(fault_injected_at, incident.detected_at),
        time_to_acknowledge=_seconds(incident.detected_at, incident.acknowledged_at),
        time_to_mitigate=_seconds(fault_injected_at, incident.mitigated_at),
        time_to_resolve=_seconds(fault_injected_at, incident.resolved_at),
    )


def _check_fault_instant(incident: Incident, fault_injected_at: datetime) -> None:
    if fault_injected_at.utcoffset() is None:
        raise IncidentError(
            f"the fault injection time {fault_injected_at.isoformat()} has no UTC offset; "
            "pass a timezone-aware time, such as the drill clock's now()"
        )
    if incident.detected_at < fault_injected_at:
        raise IncidentError(
            f"incident {incident.id} was detected at {incident.detected_at.isoformat()}, before "
            f"the fault was injected at {fault_injected_at.isoformat()}: it was not caused by "
            "that fault (was the system already failing its detection rule?)"
        )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 6)
