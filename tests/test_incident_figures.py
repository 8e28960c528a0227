"""Response figures from an incident and the instant its fault was injected (virtual time)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from drillbook.drill.clock import VirtualClock
from drillbook.incident import Incident, IncidentError, incident_figures
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def drill(waits: dict[str, float], *, verify: bool = True) -> tuple[Incident, datetime]:
    """A fault injected at START and an incident worked through after the given waits."""
    clock = VirtualClock(START)
    injected = clock.now()
    clock.advance(waits["detect"])
    incident = Incident.open("Payments failing", "P1", clock=clock)
    clock.advance(waits["acknowledge"])
    incident.acknowledge(actor="ana")
    clock.advance(waits["investigate"])
    incident.investigate(actor="ana")
    clock.advance(waits["mitigate"])
    incident.mitigate(actor="ana")
    clock.advance(waits["verify"])
    if verify:
        incident.verify_mitigation(actor="probe")
    clock.advance(waits["resolve"])
    incident.resolve(actor="ana")
    return incident, injected


WAITS = {
    "detect": 45.0,
    "acknowledge": 120.0,
    "investigate": 60.0,
    "mitigate": 300.0,
    "verify": 30.5,
    "resolve": 600.0,
}


def test_every_figure_of_a_drill() -> None:
    incident, injected = drill(WAITS)
    figures = incident_figures(incident, injected)
    assert figures.time_to_detect == 45.0
    assert figures.time_to_acknowledge == 120.0
    assert figures.time_to_mitigate == 45 + 120 + 60 + 300 + 30.5
    assert figures.time_to_resolve == 45 + 120 + 60 + 300 + 30.5 + 600
    assert figures.to_metrics() == {
        "time_to_detect": 45.0,
        "time_to_acknowledge": 120.0,
        "time_to_mitigate": 555.5,
        "time_to_resolve": 1155.5,
    }


def test_an_unverified_mitigation_is_not_measured() -> None:
    incident, injected = drill(WAITS, verify=False)
    figures = incident_figures(incident, injected)
    assert figures.time_to_mitigate is None
    assert figures.time_to_resolve == 1155.5


def test_without_a_fault_instant_only_acknowledging_is_measured() -> None:
    incident, _ = drill(WAITS)
    figures = incident_figures(incident, None)
    assert figures.to_metrics() == {
        "time_to_detect": None,
        "time_to_acknowledge": 120.0,
        "time_to_mitigate": None,
        "time_to_resolve": None,
    }


def test_an_open_incident_has_only_what_happened_so_far() -> None:
    clock = VirtualClock(START)
    injected = clock.now()
    clock.advance(12.25)
    incident = Incident.open("Latency", "P3", clock=clock)
    figures = incident_figures(incident, injected)
    assert figures.time_to_detect == 12.25
    assert (figures.time_to_acknowledge, figures.time_to_mitigate) == (None, None)
    assert figures.time_to_resolve is None


def test_a_false_alarm_resolved_at_once_is_not_acknowledged() -> None:
    clock = VirtualClock(START)
    incident = Incident.open("Flapping probe", "P4", clock=clock)
    clock.advance(8)
    incident.resolve(actor="ana", message="false alarm")
    figures = incident_figures(incident, START)
    assert figures.time_to_acknowledge is None
    assert figures.time_to_resolve == 8.0


def test_detected_before_the_fault_is_an_error_not_a_negative_figure() -> None:
    incident, _ = drill(WAITS)
    later = incident.detected_at + timedelta(seconds=1)
    message = (
        f"incident {incident.id} was detected at 2026-11-29T03:00:45+00:00, before the fault "
        "was injected at 2026-11-29T03:00:46+00:00"
    )
    with pytest.raises(IncidentError, match=re.escape(message)):
        incident_figures(incident, later)


def test_a_naive_fault_instant_is_refused() -> None:
    incident, injected = drill(WAITS)
    with pytest.raises(IncidentError, match="has no UTC offset"):
        incident_figures(incident, injected.replace(tzinfo=None))


@given(st.fixed_dictionaries({name: st.floats(0, 86400, allow_nan=False) for name in WAITS}))
@settings(max_examples=100, deadline=None)
def test_figures_add_up_and_are_ordered(waits: dict[str, float]) -> None:
    incident, injected = drill(waits)
    figures = incident_figures(incident, injected)
    values = [figures.time_to_detect, figures.time_to_mitigate, figures.time_to_resolve]
    assert all(value is not None and value >= 0 for value in values)
    assert values == sorted(v for v in values if v is not None)
    assert figures.time_to_detect == pytest.approx(waits["detect"], abs=1e-5)
    assert figures.time_to_acknowledge == pytest.approx(waits["acknowledge"], abs=1e-5)
    assert figures.time_to_resolve == pytest.approx(sum(waits.values()), abs=1e-4)
