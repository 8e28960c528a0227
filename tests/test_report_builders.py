"""Hand-built DrillResults for the report tests: one passed, one failed, one error.

The passed and failed drills carry what a real run records besides its phases: providers,
set-up timings, an incident, detection and traffic, each made by the real classes' to_dict();
the error drill has none of them, as a drill that never got that far (or an older report).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from drillbook.detect.evaluation import Detection, Evaluation, RulePlan
from drillbook.drill.clock import VirtualClock
from drillbook.drill.result import DrillOutcome, DrillResult, Failure, PhaseResult, TimelineEvent
from drillbook.drill.traffic import EntryReport, LatencySummary, TrafficReport
from drillbook.incident import Incident
from drillbook.incident.escalation import EscalationRecord, Page
from drillbook.incident.notify import Channel, Notification
from drillbook.incident.parts import ActionItem, Responder
from drillbook.incident.routing import NotifyEvent
from drillbook.report import Participant, SessionInfo
from drillbook.steps.outcome import ActionResult, Mismatch, Outcome

T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def action(
    label: str,
    start: float,
    end: float,
    *,
    outcome: Outcome = Outcome.PASSED,
    shown: str = "curl -fsS $APP_URL/health",
    stdout: str = "ok\n",
    stderr: str = "",
    exit_code: int | None = 0,
    mismatches: list[Mismatch] | None = None,
    line: int = 12,
) -> ActionResult:
    return ActionResult(
        label=label,
        kind="command",
        shown=shown,
        outcome=outcome,
        started_at=at(start),
        ended_at=at(end),
        file="runbooks/database-outage.yaml",
        line=line,
        exit_code=exit_code,
        stdout=stdout,
        stderr=stderr,
        mismatches=mismatches or [],
        attempts=1 if outcome is Outcome.PASSED else 3,
    )


def phase(
    name: str,
    start: float,
    end: float,
    actions: list[ActionResult] | None = None,
    outcome: DrillOutcome = DrillOutcome.PASSED,
    message: str = "",
) -> PhaseResult:
    return PhaseResult(name, outcome, at(start), at(end), actions or [], message)


# -- incident, detection, traffic -----------------------------------------------------------
PROVIDERS = [
    "postgres: using pg_ctl 16.4 at 127.0.0.1:5433 (given-url: not set; docker: no engine)",
    "toxiproxy: using embedded 2.12.0 at 127.0.0.1:8474 (toxiproxy-server: not on PATH)",
]
TIMINGS = {"setup": 4.42, "teardown": 3.06}


def incident_record(start: float, *, resolved: bool = True) -> dict[str, Any]:
    """An incident detected at start+5.2 s, then acknowledged, investigated and mitigated;
    verified and resolved (with a root cause and a follow-up) only if ``resolved``. Like the
    runner's record, it holds the escalation and the notifications sent (see below)."""
    clock = VirtualClock(at(start + 5.2))
    incident = Incident.open(
        "Primary database unreachable",
        "P1",
        clock=clock,
        affected_services=["app", "db"],
        runbook="database-outage",
        id=INCIDENT_ID,
    )
    incident.add_responder(Responder("Ada Lovelace", "incident commander", "ada@example.org"))
    for seconds_later, move in ((0.5, incident.acknowledge), (0.3, incident.investigate)):
        clock.advance(seconds_later)
        move(actor="Ada Lovelace")
    clock.advance(0.2)
    incident.mitigate(actor="Ada Lovelace", message="failing over to the replica")
    if resolved:
        clock.advance(1.3)
        incident.verify_mitigation(actor="drillbook")
        clock.advance(21.5)
        incident.resolve(actor="drillbook", root_cause="primary lost its network")
        incident.add_action_item(ActionItem("alert on replica lag", "Grace", date(2026, 5, 8)))
    record = incident.to_dict()
    detected = at(start + 5.2)
    escalation = acknowledged_escalation(detected) if resolved else exhausted_escalation(detected)
    record["escalation"] = escalation.to_dict()
    record["notifications"] = [n.to_dict() for n in notifications(detected, resolved=resolved)]
    return record


INCIDENT_ID = "INC-20260501-0A1B2C"
PAYLOAD_TEXT = "payload-text-never-shown"


def page(level: int, person: str, name: str, detected: datetime, minutes: int, **more: Any) -> Page:
    return Page(
        level=level,
        person=person,
        name=name,
        at=detected + timedelta(minutes=minutes),
        after_minutes=minutes,
        targets=(f"schedule level-{level}",),
        via=(f"@{person}",),
        **more,
    )


def acknowledged_escalation(detected: datetime) -> EscalationRecord:
    """The primary sleeps through the page; the secondary, paged 15 minutes later (virtual
    time), acknowledges."""
    return EscalationRecord(
        incident_id=INCIDENT_ID,
        started_at=detected,
        pages=(
            page(1, "engineer-2", "Lachlan Brooks", detected, 0),
            page(2, "senior-2", "Grace Okafor", detected, 15),
        ),
        outcome="acknowledged",
        acknowledged_by="senior-2",
        acknowledged_at=detected + timedelta(minutes=17),
        ended_at=detected + timedelta(minutes=17),
    )


def exhausted_escalation(detected: datetime) -> EscalationRecord:
    """Nobody answers: level 2's page fails, level 3 has nobody on call."""
    return EscalationRecord(
        incident_id=INCIDENT_ID,
        started_at=detected,
        pages=(
            page(1, "engineer-2", "Lachlan Brooks", detected, 0),
            page(2, "senior-2", "Grace Okafor", detected, 15, error="PagerDuty answered HTTP 500"),
        ),
        outcome="exhausted",
        ended_at=detected + timedelta(minutes=30),
        unreached_levels=(3,),
    )


def notification(
    channel: Channel,
    event: NotifyEvent,
    moment: datetime,
    ok: bool = True,
    detail: str = "HTTP 200",
) -> Notification:
    return Notification(
        channel=channel,
        event=event,
        route="incidents channel" if channel == "slack" else "public status page",
        incident_id=INCIDENT_ID,
        at=moment,
        ok=ok,
        detail=detail,
        payload={"text": PAYLOAD_TEXT},
    )


def notifications(detected: datetime, *, resolved: bool) -> list[Notification]:
    """Slack and the status page told of the opening (the status page failing if the incident
    was not resolved), Slack of the acknowledgement and, if resolved, both of that."""
    later = [
        notification("slack", "resolved", detected + timedelta(seconds=23.9)),
        notification("statuspage", "resolved", detected + timedelta(seconds=24)),
    ]
    return [
        notification("slack", "opened", detected + timedelta(seconds=0.02)),
        notification(
            "statuspage",
            "opened",
            detected + timedelta(seconds=0.05),
            ok=resolved,
            detail="HTTP 201" if resolved else "HTTP 503: unavailable (after 3 attempts)",
        ),
        notification("slack", "acknowledged", detected + timedelta(seconds=0.5)),
        *(later if resolved else []),
    ]


RULES = [
    RulePlan(
        rule_id="db-down",
        name="Database down",
        kind="probe",
        severity="P1",
        runbook="database-outage",
        source="GET /api/health/ready",
        threshold="when fires_when holds",
        window=None,
        production_window=None,
        for_=0.0,
        production_for=30.0,
    ),
    RulePlan(
        rule_id="high-error-rate",
        name="High error rate",
        kind="metric",
        severity="P2",
        runbook="high-error-rate",
        source='rate(http_requests_total{status=~"5.."}[5 s]) / rate(http_requests_total[5 s])',
        threshold="above 0.05",
        window=5.0,
        production_window=300.0,
        for_=2.0,
        production_for=60.0,
    ),
]


def evaluation(plan: RulePlan, moment: datetime, **reading: Any) -> Evaluation:
    return Evaluation(plan=plan, at=moment, monotonic=0.0, **reading)


def detection_record(start: float, *, fired: bool = True) -> dict[str, Any]:
    """Both RULES as run; db-down fired 4.2 s after the fault (injected at start+1 s)."""
    probe, ratio = RULES
    polled = at(start + 5.2)
    last = [
        evaluation(probe, polled, value=1.0, holds=True, fired=True, detail="HTTP 503"),
        evaluation(
            ratio, polled, value=0.0625, holds=True, fired=False, held_for=1.0, detail="1 / 16"
        ),
    ]
    detection = Detection(
        plan=probe, fired_at=polled, seconds_after_start=4.2, value=1.0, evaluations=tuple(last)
    )
    return {
        "rules": [plan.to_dict() for plan in RULES],
        "fired": detection.to_dict() if fired else None,
        "last_evaluations": [e.to_dict() for e in last],
    }


def latency(p50: float, p95: float, p99: float, samples: int) -> LatencySummary:
    return LatencySummary(p50=p50, p95=p95, p99=p99, max=p99 * 1.5, samples=samples)


def traffic_record(*, errors: int = 3, late: int = 0) -> dict[str, Any]:
    """300 requests at 10/s over two entries; ``errors`` of the bookings failed."""
    bookings = EntryReport(
        name="GET /api/bookings",
        weight=2.0,
        requests=200,
        errors=errors,
        statuses={"200": 200 - errors, **({"503": errors} if errors else {})},
        latency=latency(0.0072, 0.0412, 0.120, 200),
    )
    payments = EntryReport(
        name="charge",
        weight=1.0,
        requests=100,
        errors=0,
        statuses={"201": 100},
        latency=latency(0.0150, 0.0300, 0.0500, 100),
    )
    return TrafficReport(
        target_rate=10.0,
        duration=30.0,
        sent=300,
        requests=300,
        errors=errors,
        late=late,
        max_lag=0.0085 if not late else 0.35,
        missed=2 if late else 0,
        warmup_requests=50,
        latency=latency(0.0090, 0.0400, 0.1100, 300),
        statuses={"200": 200 - errors, "201": 100, **({"503": errors} if errors else {})},
        error_examples=["GET /api/bookings: HTTP 503"] * errors,
        entries=[bookings, payments],
    ).to_dict()


# -- drills ----------------------------------------------------------------------------------
def passed_drill(drill_id: str = "db-outage", start: float = 0.0) -> DrillResult:
    return DrillResult(
        drill_id=drill_id,
        title="Primary database goes away",
        runbook_id="database-outage",
        severity="SEV2",
        drill_file="drills/db-outage.yaml",
        runbook_file="runbooks/database-outage.yaml",
        outcome=DrillOutcome.PASSED,
        started_at=at(start),
        ended_at=at(start + 30),
        tags=["database", "postgres"],
        phases=[
            phase("steady_state", start, start + 1, [action("app healthy", start, start + 1)]),
            phase("inject", start + 1, start + 2),
            phase("detect", start + 2, start + 6.2, message="alert db-down fired"),
            phase(
                "respond",
                start + 6.2,
                start + 7.5,
                [action("fail over", start + 6.2, start + 7.5, shown="pg_ctl promote")],
            ),
            phase("verify", start + 7.5, start + 9),
            phase("recover", start + 9, start + 30),
        ],
        timeline=[
            TimelineEvent(at(start), "drill", f"drill {drill_id} started"),
            TimelineEvent(at(start + 1), "fault", "injected: proxy postgres disabled"),
            TimelineEvent(
                at(start + 5.4), "detection", "rule db-down fired 4.20 s after the fault"
            ),
            TimelineEvent(at(start + 5.4), "incident", f"{INCIDENT_ID} opened: db down (P1)"),
            TimelineEvent(at(start + 7.5), "check", "passed: orders API answers"),
            TimelineEvent(at(start + 9), "fault", "lifted: proxy postgres re-enabled"),
            TimelineEvent(at(start + 29), "incident", f"{INCIDENT_ID} resolved"),
        ],
        metrics={
            "time_to_detect": 4.2,
            "time_to_acknowledge": 5.0,
            "time_to_mitigate": 6.5,
            "time_to_resolve": None,
        },
        services=[{"name": "postgres", "provider": "embedded"}],
        providers=list(PROVIDERS),
        timings=dict(TIMINGS),
        incident=incident_record(start),
        detection=detection_record(start),
        traffic=traffic_record(),
    )


def failing_action() -> ActionResult:
    return action(
        "check orders API answers",
        20.0,
        23.0,
        outcome=Outcome.FAILED,
        shown="curl -s $APP_URL/orders | jq .status",
        stdout="\n".join(f"line {n}" for n in range(1, 101)) + "\n",
        stderr="curl: (7) Failed to connect\n",
        exit_code=7,
        mismatches=[
            Mismatch("exit code", "0", "7"),
            Mismatch("json status", "'ok'", "'degraded | down'"),
        ],
        line=31,
    )


def failed_drill(drill_id: str = "payment-failure", start: float = 10.0) -> DrillResult:
    bad = failing_action()
    return DrillResult(
        drill_id=drill_id,
        title="Payment provider returns 500s",
        runbook_id="payment-failure",
        severity="SEV1",
        drill_file="drills/payment-failure.yaml",
        runbook_file="runbooks/payment-failure.yaml",
        outcome=DrillOutcome.FAILED,
        started_at=at(start),
        ended_at=at(start + 15),
        tags=["payments"],
        phases=[
            phase("steady_state", start, start + 1),
            phase("inject", start + 1, start + 2),
            phase("detect", start + 2, start + 5),
            phase("respond", start + 5, start + 10, [action("restart", start + 5, start + 9)]),
            phase("verify", start + 10, start + 13, [bad], DrillOutcome.FAILED, "check failed"),
            phase("recover", start + 13, start + 15),
        ],
        timeline=[
            TimelineEvent(at(start + 1), "fault", "injected: http-500 on stripe"),
            TimelineEvent(at(start + 4), "detection", "rule high-error-rate fired 3.00 s after"),
        ],
        metrics={
            "time_to_detect": 3.0,
            "time_to_acknowledge": None,
            "time_to_mitigate": None,
            "time_to_resolve": None,
        },
        failure=Failure(
            phase="verify",
            summary="orders API still failing after the runbook's response",
            action=bad,
            faults_active=["http-500 on stripe (toxic stripe_500)"],
        ),
        providers=PROVIDERS[:1],
        timings={"setup": 2.5},
        incident=incident_record(start, resolved=False),
        detection=detection_record(start, fired=False),
        traffic=traffic_record(errors=40, late=12),
    )


def error_drill(drill_id: str = "cache-outage", start: float = 5.0) -> DrillResult:
    broken = action(
        "cut redis",
        start + 1,
        start + 1.5,
        outcome=Outcome.ERROR,
        shown="toxiproxy-cli toggle redis",
        stdout="",
        stderr="connection refused",
        exit_code=None,
    )
    return DrillResult(
        drill_id=drill_id,
        title="Cache outage",
        runbook_id="cache-outage",
        severity="SEV3",
        drill_file="drills/cache-outage.yaml",
        runbook_file="runbooks/cache-outage.yaml",
        outcome=DrillOutcome.ERROR,
        started_at=at(start),
        ended_at=at(start + 2),
        phases=[
            phase("steady_state", start, start + 1),
            phase(
                "inject", start + 1, start + 2, [broken], DrillOutcome.ERROR, "fault not applied"
            ),
        ],
        metrics={},
        failure=Failure(phase="inject", summary="could not inject the fault", action=broken),
    )


def poison_observations(drill: DrillResult, text: str) -> DrillResult:
    """``drill`` with ``text`` in every free-text field of its providers, timings, incident
    (its escalation and notifications included), detection and traffic (each record made if
    the drill had none)."""
    drill.providers = [text]
    drill.timings = {text: 1.0}
    incident = drill.incident = drill.incident or incident_record(0.0)
    incident["id"] = incident["title"] = incident["root_cause"] = incident["runbook"] = text
    incident["severity"] = incident["status"] = text
    incident["affected_services"] = [text]
    incident["responders"] = [{"name": text, "role": text, "contact": text}]
    for event in incident["timeline"]:
        event["actor"] = event["kind"] = event["message"] = text
    for item in incident["action_items"]:
        item.update(action=text, owner=text, priority=text, due=text)
    escalation = incident.setdefault("escalation", acknowledged_escalation(T0).to_dict())
    escalation.update(acknowledged_by=text, outcome="acknowledged")
    for paged in escalation["pages"]:
        paged.update(person=text, name=text, targets=[text], error=text)
    for sent in incident.setdefault("notifications", []):
        sent.update(channel=text, event=text, route=text, detail=text, ok=False)
    detection = drill.detection = drill.detection or detection_record(0.0)
    for plan in [*detection["rules"], *([detection["fired"]] if detection["fired"] else [])]:
        plan.update(rule=text, name=text, kind=text, source=text, threshold=text)
    for evaluation in detection["last_evaluations"]:
        evaluation.update(rule=text, detail=text, error=text)
    traffic = drill.traffic = drill.traffic or traffic_record()
    traffic["error_examples"] = [text]
    traffic["statuses"] = {text: 1}
    for entry in traffic["entries"]:
        entry["name"] = text
        entry["statuses"] = {text: 2}
    return drill


def session(participants: list[Participant] | None = None) -> SessionInfo:
    return SessionInfo(
        started_at=at(0),
        ended_at=at(60),
        participants=[Participant("Ada Lovelace", "trainee"), Participant("Grace Hopper", "lead")]
        if participants is None
        else participants,
        hostname="drill-host-1",
        drillbook_version="0.1.0",
        pytest_args=["-n", "3", "drills/"],
        run_id="run-20260501-1200",
    )


def all_drills() -> list[DrillResult]:
    return [passed_drill(), failed_drill(), error_drill()]


def test_builders_make_json_ready_results() -> None:
    for result in all_drills():
        data = result.to_dict()
        assert json.loads(json.dumps(data)) == data
    assert failed_drill().failure is not None
    assert [r.outcome for r in all_drills()] == ["passed", "failed", "error"]


def test_builders_record_what_a_real_run_records() -> None:
    passed, failed, error = (r.to_dict() for r in all_drills())
    assert passed["incident"]["status"] == "resolved"
    assert passed["incident"]["resolved_at"] == at(29.0).isoformat()
    assert failed["incident"]["status"] == "mitigating"
    assert failed["incident"]["mitigated_at"] is None
    assert passed["detection"]["fired"]["rule"] == "db-down"
    assert failed["detection"]["fired"] is None
    assert passed["traffic"]["error_ratio"] == 0.01
    assert (failed["traffic"]["late"], failed["traffic"]["missed"]) == (12, 2)
    assert error["incident"] is error["detection"] is error["traffic"] is None
    assert (error["providers"], error["timings"]) == ([], {})
