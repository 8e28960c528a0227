"""The seed's two runbooks, linted: the problems they are known to have, at their lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from drillbook.lint import Finding, Severity, lint_paths

SEED = Path(__file__).parent / "fixtures" / "seed"
OUTAGE = SEED / "database-outage.yaml"
PAYMENT = SEED / "payment-failure.yaml"


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return lint_paths([SEED], check_path_commands=False)


def where(path: Path, token: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the ``occurrence``-th ``token`` in the file."""
    text = path.read_text(encoding="utf-8")
    start = -1
    for _ in range(occurrence):
        start = text.index(token, start + 1)
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1


def found(findings: list[Finding], path: Path, rule: str) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in findings if f.path == path and f.rule == rule]


def test_findings_are_sorted_and_all_in_the_seed(findings: list[Finding]) -> None:
    assert findings == sorted(findings)
    assert {f.path for f in findings} == {OUTAGE, PAYMENT}


def test_placeholder_phone(findings: list[Finding]) -> None:
    assert found(findings, OUTAGE, "placeholder-contact") == [where(OUTAGE, "+61-xxx-xxx-xxx")]


def test_slack_channel_read_as_a_comment(findings: list[Finding]) -> None:
    assert found(findings, OUTAGE, "yaml-comment-value") == [where(OUTAGE, "#database-oncall")]
    [finding] = [f for f in findings if f.rule == "yaml-comment-value"]
    assert finding.severity is Severity.ERROR
    assert 'quote it: slack: "#database-oncall"' in finding.message


def test_vercel_deploy_prod_needs_acknowledging(findings: list[Finding]) -> None:
    expected_outage = [
        where(OUTAGE, "vercel env add READONLY_MODE"),
        where(OUTAGE, "vercel deploy --prod"),
        where(OUTAGE, "vercel env add DATABASE_URL"),
        where(OUTAGE, "vercel deploy --prod", 2),
    ]
    assert found(findings, OUTAGE, "production-change") == expected_outage
    assert found(findings, PAYMENT, "production-change") == [
        where(PAYMENT, "vercel env add"),
        where(PAYMENT, "vercel deploy --prod"),
    ]


def test_watch_is_interactive_but_psql_with_c_is_not(findings: list[Finding]) -> None:
    assert found(findings, OUTAGE, "interactive-command") == [where(OUTAGE, "watch -n 10")]
    assert found(findings, PAYMENT, "interactive-command") == []
    psql_line = where(OUTAGE, "psql $DATABASE_URL -c")[0]
    assert not [f for f in findings if f.line == psql_line and f.rule == "interactive-command"]


def test_undeclared_vars(findings: list[Finding]) -> None:
    assert found(findings, OUTAGE, "undeclared-var") == [
        where(OUTAGE, "$DATABASE_URL"),
        where(OUTAGE, "$ADMIN_TOKEN"),
        where(OUTAGE, "$DATABASE_REPLICA_URL"),
    ]
    assert found(findings, PAYMENT, "undeclared-var") == [
        where(PAYMENT, "$ADMIN_TOKEN"),
        where(PAYMENT, "$STRIPE_SECRET_KEY"),
        where(PAYMENT, "$STRIPE_BACKUP_KEY"),
        where(PAYMENT, "$TEST_TOKEN"),
    ]
    [admin] = [f for f in findings if f.path == PAYMENT and "$ADMIN_TOKEN" in f.message]
    assert f"also at lines {where(PAYMENT, '$ADMIN_TOKEN', 2)[0]}" in admin.message


def test_missing_parts(findings: list[Finding]) -> None:
    rules = {(f.path, f.rule) for f in findings if f.rule.startswith("missing-")}
    assert rules == {
        (OUTAGE, "missing-escalation"),
        (PAYMENT, "missing-escalation"),
        (PAYMENT, "missing-contacts"),
    }


def test_prose_expectations(findings: list[Finding]) -> None:
    verification = [
        f for f in findings if f.rule == "not-machine-checkable" and f.severity is Severity.WARNING
    ]
    assert [(f.path, f.line) for f in verification] == [
        (PAYMENT, where(PAYMENT, "Payment successful")[0])
    ]
    steps = [
        f for f in findings if f.rule == "not-machine-checkable" and f.severity is Severity.INFO
    ]
    assert len(steps) == 6 + 5  # every step's expectedOutcome is prose


def test_no_schema_or_order_problems(findings: list[Finding]) -> None:
    assert not [f for f in findings if f.rule in ("schema", "step-order", "duplicate-id")]
