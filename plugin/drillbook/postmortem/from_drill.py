"""The facts of one drill from a drill report (``DrillResult.to_dict()`` and its session).

The drill's incident gives the identifier, severity, services, responders and its timeline
events; the drill's own timeline adds when faults were injected and lifted, when the rule
fired and who was paged; its phases give the steps taken; its metrics the response figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from drillbook.postmortem.data import instant, mapping, number, records, strings, text
from drillbook.postmortem.describe import action_line, check_line, figure_line
from drillbook.postmortem.facts import ActionItemFact, Person, PostmortemFacts, TimelineRow

# incident event kind -> how the timeline names it (the seed template's wording)
_INCIDENT_EVENTS = {
    "detected": "Incident detected",
    "acknowledged": "Incident acknowledged",
    "investigating": "Investigation began",
    "mitigating": "Mitigation started",
    "mitigation_verified": "Service restored",
    "resolved": "Incident resolved",
    "root_cause": "Root cause identified",
    "responder": "Responder joined",
}
_DEFAULT_MESSAGES = {
    "incident detected",
    "incident acknowledged",
    "investigation started",
    "mitigation started",
    "incident resolved",
    "mitigation verified: service restored",
}
# drill event kind -> (label, actor); other drill events are in the steps taken or left out
_DRILL_EVENTS = {
    "fault": ("Fault", "drillbook (drill)"),
    "detection": ("Alert", "monitoring"),
    "paging": ("Page", "drillbook (drill)"),
    "failure": ("Drill failure", "drillbook (drill)"),
}
INJECTED = "injected: "


def drill_facts(drill: dict[str, Any], session: dict[str, Any], source: str) -> PostmortemFacts:
    """The post-mortem facts of ``drill``; ``source`` says where it was read from."""
    incident = mapping(drill, "incident")
    start, basis = _start(drill, incident)
    return PostmortemFacts(
        kind="drill",
        source=source,
        incident_id=text(incident, "id") or text(drill, "drill_id"),
        title=text(incident, "title") or text(drill, "title"),
        severity=text(incident, "severity") or text(drill, "severity"),
        outcome=f"drill {text(drill, 'outcome') or 'outcome not recorded'}",
        started_at=start,
        ended_at=instant(incident, "resolved_at"),
        duration_basis=basis,
        affected_services=strings(incident, "affected_services") or _service_names(drill),
        runbook=text(incident, "runbook") or text(drill, "runbook_id"),
        responders=_people(incident, session),
        timeline=_timeline(drill, incident),
        what_happened=_what_happened(drill),
        root_cause=_root_cause(drill, incident),
        detection=_detection(drill, incident),
        time_to_detect=number(mapping(drill, "metrics"), "time_to_detect"),
        steps_taken=_steps_taken(drill),
        figures=_figures(mapping(drill, "metrics")),
        impact=_impact(mapping(drill, "traffic")),
        action_items=_action_items(incident),
    )


def _injections(drill: dict[str, Any]) -> list[tuple[datetime, str]]:
    found = []
    for event in records(drill, "timeline"):
        at, message = instant(event, "at"), text(event, "message")
        if text(event, "kind") == "fault" and at and message and message.startswith(INJECTED):
            found.append((at, message.removeprefix(INJECTED)))
    return found


def _start(drill: dict[str, Any], incident: dict[str, Any]) -> tuple[datetime | None, str]:
    """When the impact began: the runner's injection instant (so the duration agrees with the
    time to resolve), else the first fault event, else the incident's detection."""
    metrics = mapping(drill, "metrics")
    resolved, to_resolve = instant(incident, "resolved_at"), number(metrics, "time_to_resolve")
    basis = "from the fault injected to the incident resolved"
    if resolved is not None and to_resolve is not None:
        return resolved - timedelta(seconds=to_resolve), basis
    injections = _injections(drill)
    if injections:
        return injections[0][0], basis
    detected = instant(incident, "detected_at")
    return detected, "from the incident detected to the incident resolved" if detected else ""


def _service_names(drill: dict[str, Any]) -> list[str]:
    return [name for part in records(drill, "services") if (name := text(part, "name"))]


def _people(incident: dict[str, Any], session: dict[str, Any]) -> list[Person]:
    people: list[Person] = []
    for entry in [*records(incident, "responders"), *records(session, "participants")]:
        name, role = text(entry, "name"), text(entry, "role")
        if name and Person(name, role or "role not recorded") not in people:
            people.append(Person(name, role or "role not recorded"))
    return people


def _timeline(drill: dict[str, Any], incident: dict[str, Any]) -> list[TimelineRow]:
    rows = _incident_rows(incident) + _drill_rows(drill)
    return sorted(rows, key=lambda row: row.at)


def _incident_rows(incident: dict[str, Any]) -> list[TimelineRow]:
    rows = []
    for event in records(incident, "timeline"):
        at, kind, message = instant(event, "at"), text(event, "kind") or "", text(event, "message")
        if at is None:
            continue
        named = kind.replace("_", " ")
        label = _INCIDENT_EVENTS.get(kind, named.capitalize() or "Event")
        if message and message.lower() not in _DEFAULT_MESSAGES:
            if message.lower().startswith(f"{named}: "):  # "root cause: X" says it twice
                message = message[len(named) + 2 :]
            label = f"{label}: {message}"
        rows.append(TimelineRow(at, label, text(event, "actor")))
    return rows


def _drill_rows(drill: dict[str, Any]) -> list[TimelineRow]:
    rows = []
    for event in records(drill, "timeline"):
        at, kind, message = instant(event, "at"), text(event, "kind") or "", text(event, "message")
        if at is None or kind not in _DRILL_EVENTS:
            continue
        label, actor = _DRILL_EVENTS[kind]
        joined = f"{label} {message}" if kind == "fault" else f"{label}: {message or ''}"
        rows.append(TimelineRow(at, joined, actor))
    return rows


def _what_happened(drill: dict[str, Any]) -> list[str]:
    drill_id, title = text(drill, "drill_id") or "?", text(drill, "title")
    named = f"{drill_id} ({title})" if title else drill_id
    lines = [
        f"Drill {named} exercised runbook {text(drill, 'runbook_id') or '?'}; "
        f"the drill {text(drill, 'outcome') or 'has no recorded outcome'}."
    ]
    lines += [f"Fault injected: {what}" for _, what in _injections(drill)]
    failure = mapping(drill, "failure")
    if failure:
        phase = text(failure, "phase") or "unknown"
        summary = text(failure, "summary") or "no summary recorded"
        lines.append(f"The drill failed in its {phase} phase: {summary}")
    return lines


def _root_cause(drill: dict[str, Any], incident: dict[str, Any]) -> list[str]:
    lines = []
    recorded = text(incident, "root_cause")
    if recorded:
        lines.append(f"Root cause recorded during the incident: {recorded}")
    lines += [f"Immediate cause, injected by the drill: {what}" for _, what in _injections(drill)]
    return lines


def _detection(drill: dict[str, Any], incident: dict[str, Any]) -> list[str]:
    fired = mapping(mapping(drill, "detection"), "fired")
    if not fired:
        if not incident:
            return []
        return ["No detection rule was expected in this drill: the drill opened the incident."]
    rule = text(fired, "rule") or "?"
    name = text(fired, "name")
    line = f"Detected by monitoring: rule {rule}" + (f" ({name})" if name else "")
    kind, where, threshold = text(fired, "kind"), text(fired, "source"), text(fired, "threshold")
    if kind and where:
        line += f", a {kind} rule on {where}"
    if threshold:
        line += f", {threshold}"
    after = number(fired, "seconds_after_start")
    lines = [line + "."]
    if after is not None:
        lines.append(f"The rule fired {after:.2f} s after the fault was injected.")
    return lines


def _steps_taken(drill: dict[str, Any]) -> list[str]:
    lines = []
    for phase in records(drill, "phases"):
        if text(phase, "name") not in ("respond", "verify"):
            continue
        for action in records(phase, "actions"):
            checked = text(action, "role") == "check"
            lines.append(check_line(action) if checked else action_line(action))
    return lines


def _figures(metrics: dict[str, Any]) -> list[str]:
    named = [
        ("Time to acknowledge", "time_to_acknowledge", "incident detected to acknowledged"),
        ("Time to mitigate", "time_to_mitigate", "fault injected to mitigation verified"),
        ("Time to resolve", "time_to_resolve", "fault injected to incident resolved"),
    ]
    lines = [figure_line(name, number(metrics, key), basis) for name, key, basis in named]
    return [line for line in lines if line]


def _impact(traffic: dict[str, Any]) -> list[str]:
    requests, errors = number(traffic, "requests"), number(traffic, "errors")
    if requests is None or errors is None:
        return []
    ratio = number(traffic, "error_ratio")
    share = f" ({ratio:.2%})" if ratio is not None else ""
    return [
        f"Synthetic traffic during the drill: {int(requests)} requests, "
        f"{int(errors)} of them failed{share}"
    ]


def _action_items(incident: dict[str, Any]) -> list[ActionItemFact]:
    items = []
    for item in records(incident, "action_items"):
        action = text(item, "action")
        if action:
            owner, due, priority = text(item, "owner"), text(item, "due"), text(item, "priority")
            items.append(ActionItemFact(action, owner, due, priority))
    return items
