"""Past post-mortems linked to a drill's incident: found in the knowledge base as the incident
opens, recorded in the report (schema-valid), shown in Markdown and HTML, sent to PagerDuty,
and listed by ``drillbook run`` before the first step."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import respx
from drillbook.drill.clock import VirtualClock
from drillbook.drill.incident_tracker import IncidentTracker
from drillbook.formats.environment import PagerDutyTarget
from drillbook.incident import Incident
from drillbook.incident.pagerduty import trigger_event
from drillbook.kb.linking import PostmortemLinker, incident_query, postmortems_block
from drillbook.report import build_report, render_html, render_markdown, report_schema
from drillbook.workspace import Workspace
from test_kb_index import make_workspace, write
from test_report_builders import passed_drill, session

EVENTS_URL = "https://events.example.test/v2/enqueue"
TITLE = "Database connection pool exhausted"
RULE = "rule db-connections-refused"
RUNBOOK_TITLE = "Database Connection Failure"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = make_workspace(tmp_path)
    write(tmp_path / "postmortems" / "2026-05-disk.md", "# Disk full\n\nThe log volume filled.\n")
    write(tmp_path / "postmortems" / "2026-06-dns.md", "# DNS\n\nA database host name expired.\n")
    return root


def tracker(linker: PostmortemLinker | None, **more: Any) -> IncidentTracker:
    events: list[tuple[str, str]] = []
    made = IncidentTracker(
        clock=VirtualClock(),
        pagerduty=more.pop("pagerduty", None),
        on_event=lambda kind, message: events.append((kind, message)),
        postmortems=linker,
    )
    made.events = events  # type: ignore[attr-defined]
    return made


def open_incident(made: IncidentTracker) -> None:
    made.open(
        TITLE,
        "P1",
        runbook="database-outage",
        services=["db"],
        source="drillbook drill db (rule db-connections-refused)",
        rule=RULE,
        runbook_title=RUNBOOK_TITLE,
    )


def test_the_most_relevant_postmortems_are_linked_once_per_file(workspace: Workspace) -> None:
    related = PostmortemLinker(workspace).related(TITLE, rule=RULE, runbook_title=RUNBOOK_TITLE)
    assert 1 <= len(related) <= 3
    assert related[0].path == "postmortems/2026-03-pool.md"
    assert len({r.path for r in related}) == len(related)
    assert [r.score for r in related] == sorted((r.score for r in related), reverse=True)
    line = (workspace.root / related[0].path).read_text().splitlines()[related[0].line - 1]
    assert "pool" in line.lower() or "connection" in line.lower()
    assert related[0].title == "Incident Post-Mortem: INC-101"


def test_the_query_leaves_out_empty_words() -> None:
    assert incident_query("The API is down", "rule api-down", "") == "API down api-down"


def test_the_incident_record_carries_them_and_the_report_stays_schema_valid(
    workspace: Workspace,
) -> None:
    made = tracker(PostmortemLinker(workspace))
    open_incident(made)
    record = made.record()
    assert record is not None
    related = record["related_postmortems"]
    assert related[0]["path"] == "postmortems/2026-03-pool.md"
    assert set(related[0]) == {"path", "line", "title", "score"}
    assert any("related post-mortems: postmortems/2026-03-pool.md:" in m for _, m in made.events)  # type: ignore[attr-defined]
    drill = passed_drill().to_dict()
    drill["incident"] = record
    report = build_report(session(), [drill])
    validator = jsonschema.Draft202012Validator(report_schema())
    assert list(validator.iter_errors(report)) == []
    location = f"{related[0]['path']}:{related[0]['line']}"
    markdown = render_markdown(report)
    assert "#### Related post-mortems" in markdown and f"| {location} |" in markdown
    html = render_html(report)
    assert "<caption>Related post-mortems</caption>" in html
    assert f"<code>{location}</code>" in html


@pytest.mark.parametrize(
    "bad",
    [
        [{"path": "a.md", "line": 1, "title": "t", "score": 1.0}] * 4,
        [{"path": "a.md", "line": 0, "title": "t", "score": 1.0}],
        [{"path": "a.md", "line": 1, "title": "t", "score": 1.0, "extra": 1}],
        [{"path": "a.md", "line": 1, "title": "t"}],
    ],
)
def test_the_schema_types_the_links(bad: list[dict[str, Any]]) -> None:
    drill = passed_drill().to_dict()
    drill["incident"]["related_postmortems"] = bad
    validator = jsonschema.Draft202012Validator(report_schema())
    assert list(validator.iter_errors(build_report(session(), [drill])))


def test_the_page_tells_the_engineer(workspace: Workspace) -> None:
    target = PagerDutyTarget(events_url=EVENTS_URL, routing_key="routing-key-123")
    with respx.mock() as pd:
        route = pd.post(EVENTS_URL).respond(
            202, json={"status": "success", "message": "Event processed", "dedup_key": "x"}
        )
        made = tracker(PostmortemLinker(workspace), pagerduty=target)
        open_incident(made)
        made.close()
    details = json.loads(route.calls[0].request.content)["payload"]["custom_details"]
    first = details["related_postmortems"][0]
    assert first.startswith("postmortems/2026-03-pool.md:")
    assert first.endswith("  Incident Post-Mortem: INC-101")


def test_no_links_no_key_in_the_page() -> None:
    incident = Incident.open("x", "P2", clock=VirtualClock(), runbook="r", affected_services=[])
    details = trigger_event(incident, source="s", links=[])["payload"]["custom_details"]
    assert "related_postmortems" not in details
    with_links = trigger_event(incident, source="s", links=[], related_postmortems=["a.md:3  A"])
    assert with_links["payload"]["custom_details"]["related_postmortems"] == ["a.md:3  A"]


def test_a_workspace_without_postmortems_links_nothing_and_builds_nothing(tmp_path: Path) -> None:
    workspace = Workspace.discover(tmp_path, environ={})
    made = tracker(PostmortemLinker(workspace))
    open_incident(made)
    record = made.record()
    assert record is not None and record["related_postmortems"] == []
    assert not workspace.kb_index_path.exists()


def test_an_unreadable_index_means_no_links_and_says_why(workspace: Workspace) -> None:
    workspace.kb_index_path.parent.mkdir(parents=True, exist_ok=True)
    workspace.kb_index_path.mkdir()  # a directory where the index should be: cannot be built
    made = tracker(PostmortemLinker(workspace))
    open_incident(made)
    assert made.related_postmortems == []
    assert any("post-mortems not linked" in m for _, m in made.events)  # type: ignore[attr-defined]


def _link_in_a_process(root: str) -> list[str]:
    linker = PostmortemLinker(Workspace.discover(Path(root), environ={}))
    return [r.location for r in linker.related(TITLE, rule=RULE, runbook_title=RUNBOOK_TITLE)]


def test_workers_starting_together_share_one_index(workspace: Workspace) -> None:
    with ProcessPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(_link_in_a_process, [str(workspace.root)] * 4))
    assert answers[0] and all(answer == answers[0] for answer in answers)
    leftovers = [
        p.name for p in workspace.kb_index_path.parent.iterdir() if p.name.startswith(".kb-")
    ]
    assert leftovers == []


def test_drillbook_run_lists_them_before_the_steps(workspace: Workspace) -> None:
    block = postmortems_block(RUNBOOK_TITLE, "Primary database is unreachable", root=workspace.root)
    lines = block.splitlines()
    assert lines[0] == "Past post-mortems that may help:"
    assert 2 <= len(lines) <= 4
    assert all(line.startswith("  postmortems/") for line in lines[1:])
    assert postmortems_block("Nothing", root=workspace.root / "runbooks") == ""
