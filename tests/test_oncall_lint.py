"""Lint of on-call files: each rule at its file:line:col, and `drillbook lint` finds them."""

from __future__ import annotations

from pathlib import Path

import pytest
from drillbook.cli import main
from drillbook.lint import Finding, Severity, lint_paths
from drillbook.oncall.lint import lint_oncall

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "fixtures" / "oncall.yaml"
SEED = Path(__file__).parent / "fixtures" / "oncall" / "seed-rotation.yaml"

GOOD = """people:
  a: {name: A, phone: "+61 491 570 006"}
  b: {name: B, slack: "@b"}
schedules:
  s:
    timezone: Australia/Sydney
    layers:
      - {rotation: weekly, users: [a, b], start: 2024-01-01, handoffTime: Monday 09:00}
escalationPolicies:
  p:
    rules:
      - targets: [{schedule: s}]
services:
  api: p
"""


def write(tmp_path: Path, text: str, name: str = "oncall.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def where(path: Path, token: str) -> tuple[int, int]:
    text = path.read_text(encoding="utf-8")
    index = text.index(token)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def rules(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.rule, f.line, f.column) for f in findings]


def test_the_fixture_is_clean() -> None:
    assert lint_oncall(FIXTURE) == []


def test_the_seed_literal_rotation_has_placeholder_phones() -> None:
    findings = lint_oncall(SEED)
    assert rules(findings) == [
        ("placeholder-contact", *where(SEED, f'"+61-xxx-xxx-xx{n}"')) for n in range(1, 6)
    ]
    assert all(f.severity is Severity.WARNING for f in findings)


def test_a_person_without_contact_details(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('b: {name: B, slack: "@b"}', "b: {name: B}"))
    [finding] = lint_oncall(path)
    assert (finding.rule, finding.severity) == ("oncall-no-contact", Severity.ERROR)
    assert (finding.line, finding.column) == where(path, "b: {name: B}")
    assert "person `b` (B) has no phone, slack or email" in finding.message


def test_a_schedule_with_gaps(tmp_path: Path) -> None:
    restricted = GOOD.replace(
        "handoffTime: Monday 09:00}",
        'handoffTime: Monday 09:00,\n         restrictions: [{type: daily, start: "09:00", '
        'end: "17:00"}]}',
    )
    path = write(tmp_path, restricted)
    [finding] = lint_oncall(path)
    assert (finding.rule, finding.severity) == ("oncall-gap", Severity.WARNING)
    assert (finding.line, finding.column) == where(path, "s:\n    timezone")
    assert "leaves nobody on call 366 times" in finding.message
    assert "first from Mon 2024-01-01 17:00 to Tue 2024-01-02 09:00 (Australia/Sydney)" in (
        finding.message
    )


def test_a_second_layer_filling_the_gaps_clears_the_finding(tmp_path: Path) -> None:
    text = GOOD.replace(
        "handoffTime: Monday 09:00}",
        'handoffTime: Monday 09:00,\n         restrictions: [{type: daily, start: "09:00", '
        'end: "17:00"}]}\n'
        '      - {rotation: daily, users: [b], start: 2024-01-01, handoffTime: "09:00",\n'
        '         restrictions: [{type: daily, start: "17:00", end: "09:00"}]}',
    )
    assert lint_oncall(write(tmp_path, text)) == []


def test_a_schedule_without_layers(tmp_path: Path) -> None:
    text = GOOD.replace("escalationPolicies:", "  empty: {timezone: UTC}\nescalationPolicies:")
    path = write(tmp_path, text)
    [finding] = lint_oncall(path)
    assert finding.rule == "oncall-gap"
    assert (finding.line, finding.column) == where(path, "empty:")
    assert "has no layers" in finding.message


@pytest.mark.parametrize(
    ("policy", "token", "problem"),
    [
        ("  p:\n    rules: []\n", "p:\n    rules: []", "policy `p` has no rules"),
        ("  p:\n    rules:\n      - targets: []\n", "targets: []", "rule 1 of policy `p` has no"),
        (
            "  p:\n    rules:\n      - targets: [{schedule: s}]\n"
            "      - targets: [{schedule: e}]\n",
            "targets: [{schedule: e}]",
            "rule 2 of policy `p` targets only schedules with no layers or overrides",
        ),
    ],
)
def test_a_policy_that_escalates_to_nobody(
    tmp_path: Path, policy: str, token: str, problem: str
) -> None:
    head, _, _ = GOOD.partition("escalationPolicies:")
    text = head.replace("schedules:", "schedules:\n  e: {timezone: UTC}") + (
        "escalationPolicies:\n" + policy + "services:\n  api: p\n"
    )
    path = write(tmp_path, text)
    findings = [f for f in lint_oncall(path) if f.rule == "oncall-empty-escalation"]
    assert [(f.line, f.column) for f in findings] == [where(path, token)]
    assert problem in findings[0].message
    assert findings[0].severity is Severity.ERROR


def test_schema_problems_are_findings(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("users: [a, b]", "users: [a, c]"))
    [finding] = lint_oncall(path)
    assert (finding.rule, finding.line) == ("schema", where(path, "users:")[0])
    assert finding.message == "unknown person `c`; known: a, b"
    broken = write(tmp_path, "people: [\n", "broken/oncall.yaml")
    [syntax] = lint_oncall(broken)
    assert syntax.rule == "schema" and "YAML syntax error" in syntax.message


def test_lint_paths_finds_oncall_files_by_name_and_folder(tmp_path: Path) -> None:
    by_name = write(tmp_path, GOOD.replace('b: {name: B, slack: "@b"}', "b: {name: B}"))
    in_folder = write(tmp_path, GOOD.replace('"@b"', '"TBD"'), "oncall/team.yaml")
    elsewhere = write(tmp_path, GOOD.replace('"@b"', '"TBD"'), "notes/team.yaml")
    findings = lint_paths([tmp_path], check_path_commands=False)
    assert sorted((str(f.path), f.rule) for f in findings) == [
        (str(by_name), "oncall-no-contact"),
        (str(in_folder), "placeholder-contact"),
    ]
    assert elsewhere not in {f.path for f in findings}


def test_suppression_comments_work_in_oncall_files(tmp_path: Path) -> None:
    text = GOOD.replace(
        '  b: {name: B, slack: "@b"}',
        "  # drillbook: ignore[oncall-no-contact]\n  b: {name: B}",
    )
    assert lint_paths([write(tmp_path, text)], check_path_commands=False) == []


def test_drillbook_lint_fails_on_an_oncall_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD.replace("rules:\n      - targets: [{schedule: s}]", "rules: []"))
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    line, column = where(path, "p:")
    assert f"{path}:{line}:{column}: error[oncall-empty-escalation]" in out
    assert main(["lint", str(FIXTURE)]) == 0
