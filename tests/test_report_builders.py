"""Hand-built DrillResults for the report tests: one passed, one failed, one error."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from drillbook.drill.result import DrillOutcome, DrillResult, Failure, PhaseResult, TimelineEvent
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
            TimelineEvent(at(start + 1), "fault", "database proxy cut"),
            TimelineEvent(at(start + 5.2), "detected", "alert db-down fired"),
            TimelineEvent(at(start + 7.5), "mitigated", "failover complete"),
        ],
        metrics={
            "time_to_detect": 4.2,
            "time_to_acknowledge": 5.0,
            "time_to_mitigate": 6.5,
            "time_to_resolve": None,
        },
        services=[{"name": "postgres", "provider": "embedded"}],
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
        timeline=[TimelineEvent(at(start + 3), "detected", "error ratio above 5%")],
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
