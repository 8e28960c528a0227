"""``drillbook postmortem draft`` from a drill report built by hand with the real classes.

The drill: a fault injected at 12:00:10, the rule fired 2.5 s later, the incident detected at
12:00:14, acknowledged 12:00:15, investigated 12:00:15.5, mitigating 12:00:16, mitigation
verified 12:00:21, resolved 12:00:22.5; three runbook steps and one check. Its figures come
from ``incident_figures``, as in a real run. Other post-mortem tests import the builders.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from drillbook.cli import main
from drillbook.detect.evaluation import Detection, RulePlan
from drillbook.drill.clock import VirtualClock
from drillbook.drill.result import DrillOutcome, DrillResult, PhaseResult, TimelineEvent
from drillbook.incident import Incident, incident_figures
from drillbook.incident.parts import ActionItem
from drillbook.postmortem import blank_postmortem, check_postmortem, load_drafts
from drillbook.postmortem.from_drill import drill_facts
from drillbook.postmortem.render import render_postmortem
from drillbook.report import Participant, SessionInfo, build_report, report_schema
from drillbook.report.formatting import seconds
from drillbook.steps.outcome import ActionResult, Outcome
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
DOCS_TEMPLATE = Path(__file__).resolve().parent.parent / "docs" / "postmortem-template.md"
# The seed's headings, in its order, with "Where We Got Lucky" added.
SEED_HEADINGS = [
    "## Incident Summary",
    "## Timeline",
    "## Root Cause Analysis",
    "### What Happened?",
    "### Why Did It Happen?",
    "### How Was It Detected?",
    "### How Was It Resolved?",
    "## Impact Analysis",
    "## What Went Well?",
    "## What Could Be Improved?",
    "## Where We Got Lucky",
    "## Action Items",
    "## Lessons Learned",
]
PEOPLE_PROMPTS = {
    "impact",
    "what-happened",
    "why-1",
    "why-2",
    "why-3",
    "why-4",
    "why-5",
    "users-affected",
    "revenue-impact",
    "slo-impact",
    "customer-complaints",
    "went-well",
    "could-improve",
    "got-lucky",
    "lessons",
}
EMPTY_ACTION_ROW = {"action", "owner", "due-date", "priority"}


# -- builders ----------------------------------------------------------------------------------
def at(offset: float) -> datetime:
    return T0 + timedelta(seconds=offset)


def action(label: str, start: float, end: float, **extra: Any) -> ActionResult:
    fields: dict[str, Any] = {"kind": "command", "shown": "true", "outcome": Outcome.PASSED}
    fields.update(extra)
    return ActionResult(label=label, started_at=at(start), ended_at=at(end), **fields)


def incident_and_metrics(
    title: str, mitigation: str, root_cause: str | None, items: list[ActionItem]
) -> tuple[dict[str, Any], dict[str, float | None]]:
    clock = VirtualClock(at(10))
    injected = clock.now()
    clock.advance(4)
    incident = Incident.open(
        title,
        "P1",
        clock=clock,
        affected_services=["app", "db"],
        runbook="database-outage",
        id="INC-20260501-0A1B2C",
    )
    for step, move in ((1.0, incident.acknowledge), (0.5, incident.investigate)):
        clock.advance(step)
        move(actor="Ada Lovelace")
    clock.advance(0.5)
    incident.mitigate(actor="Ada Lovelace", message=mitigation)
    clock.advance(5)
    incident.verify_mitigation(actor="drillbook")
    clock.advance(1.5)
    incident.resolve(actor="drillbook", root_cause=root_cause)
    for item in items:
        incident.add_action_item(item)
    return incident.to_dict(), incident_figures(incident, injected).to_metrics()


def detection() -> dict[str, Any]:
    plan = RulePlan(
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
    )
    fired = Detection(plan=plan, fired_at=at(12.5), seconds_after_start=2.5, value=1.0)
    return {"rules": [plan.to_dict()], "fired": fired.to_dict(), "last_evaluations": []}


def drill_result(
    drill_id: str = "db-outage-drill",
    *,
    title: str = "Primary database unreachable",
    mitigation: str = "failing over to the replica",
    root_cause: str | None = None,
    items: list[ActionItem] | None = None,
    with_incident: bool = True,
) -> DrillResult:
    incident, metrics = incident_and_metrics(title, mitigation, root_cause, items or [])
    steps = [
        action("step 1: Check the app's health", 16, 17, kind="http", shown="GET /health"),
        action("step 2: Look at the provider's status page", 17, 17, outcome=Outcome.MANUAL),
        action("step 3: Fail over to the replica", 17, 20),
    ]
    check = action("The app answers from the replica", 20, 21, role="check")
    passed = DrillOutcome.PASSED
    return DrillResult(
        drill_id=drill_id,
        title=title,
        runbook_id="database-outage",
        severity="P1",
        drill_file="drills/db.yaml",
        runbook_file="runbooks/database-outage.yaml",
        outcome=passed,
        started_at=at(0),
        ended_at=at(30),
        phases=[
            PhaseResult("inject", passed, at(10), at(10.1)),
            PhaseResult("detect", passed, at(10.1), at(14)),
            PhaseResult("respond", passed, at(16), at(20), steps),
            PhaseResult("verify", passed, at(20), at(21), [check]),
            PhaseResult("recover", passed, at(21), at(22.5)),
        ],
        timeline=[
            TimelineEvent(at(10), "fault", "injected: proxy postgres disabled"),
            TimelineEvent(at(12.5), "detection", "rule db-down fired 2.50 s after the fault"),
            TimelineEvent(at(14), "incident", "INC-20260501-0A1B2C opened"),
            TimelineEvent(at(14), "paging", "PagerDuty paged for INC-20260501-0A1B2C"),
            TimelineEvent(at(17), "step", "passed: step 1: Check the app's health"),
            TimelineEvent(at(22), "fault", "lifted: proxy postgres re-enabled"),
        ],
        metrics=metrics if with_incident else {},
        services=[{"name": "app"}, {"name": "db", "provider": "pg_ctl"}],
        incident=incident if with_incident else None,
        detection=detection() if with_incident else None,
    )


def session(participants: list[Participant] | None = None) -> SessionInfo:
    return SessionInfo(
        started_at=at(0),
        ended_at=at(30),
        participants=participants
        if participants is not None
        else [Participant("Ada Lovelace", "trainee"), Participant("Grace Hopper", "lead")],
        hostname="drill-host",
        drillbook_version="0.1.0",
        run_id="20260501T120000Z-abcdef",
    )


@cache
def report_validator() -> jsonschema.protocols.Validator:
    schema = report_schema()
    validator: jsonschema.protocols.Validator = jsonschema.validators.validator_for(schema)(schema)
    return validator


def write_report(
    tmp_path: Path, *drills: DrillResult, people: list[Participant] | None = None
) -> Path:
    report = build_report(
        session(people), [drill.to_dict() for drill in drills or [drill_result()]]
    )
    report_validator().validate(report)  # the builders stay true to the real format
    path = tmp_path / "drill-report.json"
    path.write_text(json.dumps(report, indent=2))
    return path


def draft_text(tmp_path: Path, *drills: DrillResult, **kwargs: Any) -> str:
    (draft,) = load_drafts(write_report(tmp_path, *drills, **kwargs))
    return render_postmortem(draft.facts)


# -- reading a draft back ------------------------------------------------------------------------
_UNESCAPE = re.compile(r"\\(.)|<br>")


def unescape(text: str) -> str:
    """Inverse of md_escape: the plain text a reader sees."""
    return _UNESCAPE.sub(lambda m: m.group(1) if m.group(1) is not None else "\n", text)


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def section(text: str, heading: str) -> str:
    """The lines under ``heading`` up to the next heading."""
    lines = text.split("\n")
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start:end])


def table(text: str, heading: str) -> list[list[str]]:
    rows = [line for line in section(text, heading).split("\n") if line.startswith("|")]
    return [cells(row) for row in rows[2:]]


def field(text: str, name: str) -> str:
    match = re.search(rf"^- \*\*{re.escape(name)}\*\*: (.*)$", text, re.MULTILINE)
    assert match, f"no field {name!r}"
    return match.group(1)


def prompt_keys(text: str) -> set[str]:
    return set(re.findall(r"<!-- prompt: ([a-z0-9-]+) -->_\[to fill: ", text))


# -- the draft -------------------------------------------------------------------------------------
def test_every_section_of_the_seed_template_is_there_in_order(tmp_path: Path) -> None:
    text = draft_text(tmp_path)
    lines = text.split("\n")
    assert lines[0] == "# Incident Post-Mortem: INC-20260501-0A1B2C"
    found = [line for line in lines if re.match(r"#{2,3} ", line)]
    assert found == SEED_HEADINGS
    assert cells(section(text, "## Timeline").split("\n")[2]) == ["Time", "Event", "Actor"]
    action_header = next(line for line in section(text, "## Action Items").split("\n") if line)
    assert cells(action_header) == ["Action", "Owner", "Due Date", "Priority"]


def test_summary_holds_what_the_report_knows(tmp_path: Path) -> None:
    text = draft_text(tmp_path)
    assert field(text, "Date") == "2026-05-01"
    # from the fault (12:00:10) to resolution (12:00:22.5): the drill's time to resolve
    assert field(text, "Duration") == (
        f"12:00:10 UTC - 12:00:22 UTC ({seconds(12.5)}, from the fault injected to the "
        "incident resolved)"
    )
    assert field(text, "Severity") == "P1"
    assert field(text, "Affected Services") == "app, db"
    assert field(text, "Title") == "Primary database unreachable"
    assert field(text, "Runbook") == "database-outage"
    assert field(text, "Responders") == "Ada Lovelace (trainee), Grace Hopper (lead)"
    assert "db-outage-drill" in field(text, "Drafted from")
    assert "(drill passed)" in field(text, "Drafted from")
    assert prompt_keys(field(text, "Impact")) == {"impact"}


def test_timeline_rows_come_from_the_incident_events_and_the_faults(tmp_path: Path) -> None:
    rows = table(draft_text(tmp_path), "## Timeline")
    assert rows == [
        ["12:00:10", "Fault injected: proxy postgres disabled", "drillbook (drill)"],
        ["12:00:12", "Alert: rule db-down fired 2.50 s after the fault", "monitoring"],
        ["12:00:14", "Incident detected", "drillbook"],
        ["12:00:14", "Page: PagerDuty paged for INC-20260501-0A1B2C", "drillbook (drill)"],
        ["12:00:15", "Incident acknowledged", "Ada Lovelace"],
        ["12:00:15", "Investigation began", "Ada Lovelace"],
        ["12:00:16", "Mitigation started: failing over to the replica", "Ada Lovelace"],
        ["12:00:21", "Service restored", "drillbook"],
        ["12:00:22", "Fault lifted: proxy postgres re-enabled", "drillbook (drill)"],
        ["12:00:22", "Incident resolved", "drillbook"],
    ]


def test_detection_resolution_and_figures(tmp_path: Path) -> None:
    text = draft_text(tmp_path)
    detected = section(text, "### How Was It Detected?")
    assert "rule db-down (Database down), a probe rule on GET /api/health/ready" in detected
    assert "fired 2.50 s after the fault" in detected
    assert (
        f"- **Time to detect**: {seconds(4.0)} (from the fault injected to the incident detected)"
        in detected
    )
    resolved = section(text, "### How Was It Resolved?")
    steps = re.findall(r"^(\d+)\. (.*)$", resolved, re.MULTILINE)
    assert steps == [
        ("1", f"step 1: Check the app's health — passed in {seconds(1.0)}"),
        ("2", "step 2: Look at the provider's status page — carried out by hand"),
        ("3", f"step 3: Fail over to the replica — passed in {seconds(3.0)}"),
        ("4", f"check: The app answers from the replica — passed in {seconds(1.0)}"),
    ]
    assert f"- Time to acknowledge: {seconds(1.0)}" in resolved
    assert f"- Time to mitigate: {seconds(11.0)}" in resolved
    assert f"- Time to resolve: {seconds(12.5)}" in resolved
    assert prompt_keys(detected + resolved) == set()


def test_prompts_stand_where_the_data_says_nothing(tmp_path: Path) -> None:
    text = draft_text(tmp_path)
    assert prompt_keys(text) == PEOPLE_PROMPTS | EMPTY_ACTION_ROW
    for key in PEOPLE_PROMPTS:  # each is visible as well as findable
        assert re.search(rf"<!-- prompt: {key} -->_\[to fill: [^\]]+\]_", text)


def test_a_drill_without_incident_or_participants_leaves_those_to_people(
    tmp_path: Path,
) -> None:
    text = draft_text(tmp_path, drill_result(with_incident=False), people=[])
    assert text.split("\n")[0] == "# Incident Post-Mortem: db-outage-drill"
    assert field(text, "Severity") == "P1"
    assert field(text, "Affected Services") == "app, db"  # the drill's services
    missing = prompt_keys(text) - PEOPLE_PROMPTS - EMPTY_ACTION_ROW
    assert missing == {
        "responders",
        "end-time",
        "total-duration",
        "detection-method",
        "time-to-detect",
    }
    assert [row[0] for row in table(text, "## Timeline")] == [
        "12:00:10",
        "12:00:12",
        "12:00:14",
        "12:00:22",
    ]


def test_root_cause_and_action_items_recorded_during_the_incident(tmp_path: Path) -> None:
    items = [
        ActionItem("Alert on replica lag", "Grace Hopper", date(2026, 5, 8), "P1"),
        ActionItem("Rehearse the failover", "Ada Lovelace"),
    ]
    drill = drill_result(root_cause="the primary lost its network", items=items)
    text = draft_text(tmp_path, drill)
    assert "- Root cause recorded during the incident: the primary lost its network" in text
    assert "- Immediate cause, injected by the drill: proxy postgres disabled" in text
    rows = table(text, "## Action Items")
    assert rows[0] == ["Alert on replica lag", "Grace Hopper", "2026-05-08", "P1"]
    assert rows[1][:2] == ["Rehearse the failover", "Ada Lovelace"]
    assert prompt_keys(rows[1][2]) == {"due-date"}
    assert rows[1][3] == "P2"
    assert len(rows) == 2
    assert "Root cause identified: the primary lost its network" in [
        row[1] for row in table(text, "## Timeline")
    ]


def test_the_draft_from_a_drill_report_is_found_incomplete_by_check(tmp_path: Path) -> None:
    text = draft_text(tmp_path)
    lines = text.split("\n")
    marked = {i + 1 for i, line in enumerate(lines) if "_[to fill: " in line}
    findings = check_postmortem(text)
    assert {f.line for f in findings if "prompt left unfilled" in f.message} == marked


# -- hostile text --------------------------------------------------------------------------------
HOSTILE = "a | b `code` <script>alert(1)</script> _[to fill: x]_ <!-- prompt: y --> --> *em*"


def test_pipes_backticks_and_html_in_titles_and_events_are_shown_as_text(
    tmp_path: Path,
) -> None:
    text = draft_text(tmp_path, drill_result(title=HOSTILE, mitigation=HOSTILE + "\nline 2"))
    (tmp_path / "plain").mkdir()
    plain = draft_text(tmp_path / "plain", drill_result())
    assert "<script>" not in text
    assert unescape(field(text, "Title")) == HOSTILE
    rows = table(text, "## Timeline")
    assert all(len(row) == 3 for row in rows)
    assert unescape(rows[6][1]) == f"Mitigation started: {HOSTILE}\nline 2"
    # the imitation prompt is neither counted nor able to hide a real one
    assert prompt_keys(text) == prompt_keys(plain)
    assert len(check_postmortem(text)) == len(check_postmortem(plain))


def render_drill(drill: DrillResult) -> str:
    """The draft of ``drill`` straight from its report data, no file in between."""
    report = build_report(session(), [drill.to_dict()])
    return render_postmortem(drill_facts(report["drills"][0], report["session"], "a test"))


@cache
def plain_finding_lines() -> list[int]:
    return [finding.line for finding in check_postmortem(render_drill(drill_result()))]


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and s == s.strip()))
def test_any_title_stays_inside_its_line_and_cell(title: str) -> None:
    text = render_drill(drill_result(title=title, mitigation=title))
    assert unescape(field(text, "Title")) == title.replace("\r\n", "\n").replace("\r", "\n")
    rows = table(text, "## Timeline")
    assert all(len(row) == 3 for row in rows)
    assert unescape(rows[6][1]).endswith(title.replace("\r\n", "\n").replace("\r", "\n"))
    assert prompt_keys(text) == PEOPLE_PROMPTS | EMPTY_ACTION_ROW
    assert [h for h in text.split("\n") if re.match(r"#{2,3} ", h)] == SEED_HEADINGS
    assert [f.line for f in check_postmortem(text)] == plain_finding_lines()


# -- the command -----------------------------------------------------------------------------------
def test_draft_writes_one_file_per_drill_next_to_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write_report(tmp_path, drill_result("first"), drill_result("second"))
    assert main(["postmortem", "draft", str(report)]) == 0
    first, second = tmp_path / "postmortem-first.md", tmp_path / "postmortem-second.md"
    assert "db-outage" not in capsys.readouterr().err
    for path in (first, second):
        assert path.read_text().startswith("# Incident Post-Mortem: INC-20260501-0A1B2C")
    assert "drill first in" in field(first.read_text(), "Drafted from")
    assert "drill second in" in field(second.read_text(), "Drafted from")


def test_draft_picks_one_drill_by_id_and_writes_where_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write_report(tmp_path, drill_result("first"), drill_result("second"))
    out = tmp_path / "pm" / "second.md"
    assert main(["postmortem", "draft", str(report), "--drill", "second", "--out", str(out)]) == 0
    assert "drill second in" in field(out.read_text(), "Drafted from")
    assert not (tmp_path / "postmortem-first.md").exists()
    capsys.readouterr()
    assert main(["postmortem", "draft", str(report), "--drill", "first", "--out", "-"]) == 0
    assert "drill first in" in field(capsys.readouterr().out, "Drafted from")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--drill", "third"], "no drill 'third' in this report; it holds: first, second"),
        (["--out", "one.md"], "holds 2 drills (first, second): pick one with --drill ID"),
    ],
)
def test_draft_refuses_what_it_cannot_do_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    report = write_report(tmp_path, drill_result("first"), drill_result("second"))
    assert main(["postmortem", "draft", str(report), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_draft_never_overwrites_what_people_wrote_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write_report(tmp_path)
    target = tmp_path / "postmortem-db-outage-drill.md"
    target.write_text("our careful analysis")
    assert main(["postmortem", "draft", str(report)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_text() == "our careful analysis"
    assert main(["postmortem", "draft", str(report), "--force"]) == 0
    assert target.read_text().startswith("# Incident Post-Mortem:")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"drills": [1, }', "drill-report.json:1:16: not valid JSON"),
        ('{"something": "else"}', "neither a drill report"),
        ('{"drills": []}', "holds no drills"),
        (
            '{"format": "drillbook-incident-timeline/1", "dry_run": true, "steps": []}',
            "dry run",
        ),
    ],
)
def test_input_that_is_not_a_report_is_named_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "drill-report.json"
    path.write_text(content)
    assert main(["postmortem", "draft", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert main(["postmortem", "draft", str(tmp_path / "missing.json")]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err


def test_docs_template_is_the_blank_draft() -> None:
    text = DOCS_TEMPLATE.read_text()
    assert text == blank_postmortem()
    assert [line for line in text.split("\n") if re.match(r"#{2,3} ", line)] == SEED_HEADINGS
    assert "incident-id" in prompt_keys(text.split("\n")[0])
