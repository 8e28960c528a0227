"""The knowledge-base index: passages from runbooks, post-mortems and Markdown drill reports
with their lines, bm25 ranking, safe queries, incremental refresh and unreadable files."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from drillbook.kb.index import KnowledgeBase
from drillbook.kb.model import Passage
from drillbook.report import build_report, render_markdown
from drillbook.workspace import Workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_report_builders import failed_drill, passed_drill, session

SEED = Path(__file__).parent / "fixtures" / "seed"

POOL_POSTMORTEM = """\
# Incident Post-Mortem: INC-101

<!-- Replace every "to fill" marker with your own words, then run: drillbook postmortem check -->

## Incident Summary
- **Date**: 2026-03-02
- **Severity**: P1
- **Impact**: bookings failed for 14 minutes <!-- prompt: impact -->

## Root Cause Analysis

### What Happened?
The API saw connection refused from the database on db-01:5432 because the pool was
exhausted: too many connections were left open by the batch importer.

## Timeline

| Time | Event | Actor |
|------|-------|-------|
| 10:02 | PgBouncer refusing new clients | System |
| 10:09 | importer stopped | Ada |
"""

LATENCY_POSTMORTEM = """\
# Incident Post-Mortem: INC-102

## What Happened?
p99 latency of the search endpoint rose to 4 s after a cache node was lost. The connection
to the cache was slow; nothing was refused.

## Why Did It Happen?
500 errors came from the gateway when the cache timed out.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_workspace(root: Path) -> Workspace:
    """Runbooks (the seed's, one broken, one detection-rules file), two post-mortems and a
    Markdown drill report with a failed and a passed drill."""
    for name in ("database-outage.yaml", "payment-failure.yaml"):
        shutil.copy(SEED / name, _mk(root / "runbooks") / name)
    write(root / "runbooks" / "broken.yaml", "id: broken\ntitle: Broken\nseverity: P9\nsteps: []\n")
    write(root / "runbooks" / "rules.yaml", "rules:\n  - name: api down\n")
    write(root / "postmortems" / "2026-03-pool.md", POOL_POSTMORTEM)
    write(root / "postmortems" / "2026-04-latency.md", LATENCY_POSTMORTEM)
    report = build_report(session(), [failed_drill().to_dict(), passed_drill().to_dict()])
    write(
        root / "reports" / "runs" / "drill-report-20260501T120000Z-abc123.md",
        render_markdown(report),
    )
    return Workspace.discover(root, environ={})


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path)


@pytest.fixture
def kb(workspace: Workspace) -> KnowledgeBase:
    return KnowledgeBase.build(workspace)


def line_of(root: Path, passage: Passage) -> str:
    return (root / passage.path).read_text(encoding="utf-8").splitlines()[passage.line - 1]


def test_every_kind_is_indexed_with_paths_relative_to_the_root(
    kb: KnowledgeBase, workspace: Workspace
) -> None:
    passages = list(kb.passages())
    kinds = {p.kind for p in passages}
    assert kinds == {"runbook", "postmortem", "report"}
    assert all(not Path(p.path).is_absolute() for p in passages)
    assert {p.path for p in passages if p.kind == "postmortem"} == {
        "postmortems/2026-03-pool.md",
        "postmortems/2026-04-latency.md",
    }
    assert kb.counts() == (len(passages), 7)  # 4 runbook files (2 without passages), 3 .md
    assert workspace.kb_index_path.is_file()


def test_runbook_passages_start_at_their_yaml_lines(
    kb: KnowledgeBase, workspace: Workspace
) -> None:
    runbook = [p for p in kb.passages() if p.path == "runbooks/database-outage.yaml"]
    steps = [p for p in runbook if p.section.startswith("Step ")]
    assert len(steps) == 6
    for step in steps:
        assert line_of(workspace.root, step).strip().startswith("- order:")
        order = step.section.split(":")[0].removeprefix("Step ")
        assert line_of(workspace.root, step).strip() == f"- order: {order}"
    title = next(p for p in runbook if p.section == "Runbook")
    assert line_of(workspace.root, title).startswith("title: Database Connection Failure")
    check = next(p for p in runbook if p.section.startswith("Verification"))
    assert "description: Verify database connectivity" in line_of(workspace.root, check)
    assert "psql $DATABASE_URL" in steps[0].text and "Connection failure" in steps[0].text


def _first_words(text: str, line: str) -> list[str]:
    if line.lstrip().startswith("|"):  # a table row reads "Header: value; ..."
        text = text.split(";")[0].split(": ", 1)[-1]
    return re.findall(r"[^\W_]+", text)[:2]


def test_markdown_passages_point_at_their_lines(kb: KnowledgeBase, workspace: Workspace) -> None:
    for passage in kb.passages():
        if passage.kind == "runbook":
            continue
        line = line_of(workspace.root, passage)
        if passage.kind == "report":
            heading = passage.title if passage.section == "Overview" else passage.section
            assert line.startswith("#") and heading in line, passage
        else:
            for word in _first_words(passage.text, line):
                assert word in line, (passage, line)


def test_postmortems_lose_html_comments_and_keep_their_title(kb: KnowledgeBase) -> None:
    pool = [p for p in kb.passages() if p.path == "postmortems/2026-03-pool.md"]
    assert {p.title for p in pool} == {"Incident Post-Mortem: INC-101"}
    assert not any("prompt" in p.text or "Replace every" in p.text for p in pool)
    impact = next(p for p in pool if p.text.startswith("Impact"))
    assert impact.text == "Impact: bookings failed for 14 minutes" and impact.line == 8
    row = next(p for p in pool if "PgBouncer" in p.text)
    assert row.text == "Time: 10:02; Event: PgBouncer refusing new clients; Actor: System"
    assert row.line == 20 and row.section == "Timeline"


def test_report_passages_are_drill_sections_with_the_drills_outcome(kb: KnowledgeBase) -> None:
    report = [p for p in kb.passages() if p.kind == "report"]
    sections = {(p.title, p.section) for p in report}
    failed = failed_drill()
    assert (failed.title, "Timeline") in sections and (failed.title, "Overview") in sections
    assert {p.status for p in report if p.title == failed.title} == {"failed"}
    assert {p.status for p in report if p.title == passed_drill().title} == {"passed"}


def test_the_most_specific_passage_ranks_first(kb: KnowledgeBase) -> None:
    hits = kb.search("connection refused", limit=5)
    assert hits[0].passage.path == "postmortems/2026-03-pool.md"
    assert "[connection] [refused]" in hits[0].snippet
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_stemming_finds_other_forms(kb: KnowledgeBase) -> None:
    hits = kb.search("refused", kind="postmortem")
    assert any("PgBouncer refusing" in h.passage.text for h in hits)
    assert "[refusing]" in next(h.snippet for h in hits if "PgBouncer" in h.passage.text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"too many connections"', "too many connections were left open"),
        ("db-01:5432", "db-01:5432"),
        ("p99 latency", "p99 latency of the search endpoint"),
        ("500 errors", "500 errors came from the gateway"),
    ],
)
def test_plain_queries_are_not_fts_syntax(kb: KnowledgeBase, query: str, expected: str) -> None:
    hits = kb.search(query, kind="postmortem")
    assert expected in hits[0].passage.text


def test_a_phrase_must_appear_in_order(kb: KnowledgeBase) -> None:
    assert kb.search('"refused connection"', kind="postmortem") == []


def test_no_passage_with_all_words_falls_back_to_any_and_says_so(kb: KnowledgeBase) -> None:
    result = kb.search_result("importer zzzqqq")
    assert result.any_term and "importer" in result.hits[0].passage.text
    assert not kb.search_result("importer pool").any_term


def test_kind_and_limit(kb: KnowledgeBase) -> None:
    hits = kb.search("database", kind="runbook", limit=2)
    assert len(hits) == 2 and {h.passage.kind for h in hits} == {"runbook"}


HOSTILE = ['"', '""', "AND", "OR NOT", "a:b", "NEAR(a b)", "*", "^x", "col:val", "(", "'", "\\"]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(kb: KnowledgeBase, query: str) -> None:
    assert isinstance(kb.search(query), list)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=40))
def test_any_text_is_a_query(kb: KnowledgeBase, query: str) -> None:
    for hit in kb.search(query, limit=3):
        assert hit.score > 0 and hit.passage.line >= 1


def test_broken_files_are_named_with_their_line_and_skipped(kb: KnowledgeBase) -> None:
    [problem] = kb.problems
    assert problem.path == "runbooks/broken.yaml" and problem.line == 3
    assert str(problem).startswith("runbooks/broken.yaml:3: ") and "P9" in str(problem)
    assert not any(p.path == "runbooks/broken.yaml" for p in kb.passages())


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_search_refreshes_edited_new_and_removed_files(
    kb: KnowledgeBase, workspace: Workspace
) -> None:
    pool = workspace.root / "postmortems" / "2026-03-pool.md"
    assert kb.search("zebracorn") == []
    pool.write_text(POOL_POSTMORTEM + "\nA zebracorn ate the cable.\n", encoding="utf-8")
    _touch_later(pool)
    [hit] = kb.search("zebracorn")
    assert hit.passage.path == "postmortems/2026-03-pool.md"
    assert line_of(workspace.root, hit.passage) == "A zebracorn ate the cable."
    write(workspace.root / "postmortems" / "new.md", "# New\n\nUnicornfish in the pipes.\n")
    assert [h.passage.path for h in kb.search("unicornfish")] == ["postmortems/new.md"]
    pool.unlink()
    assert kb.search("zebracorn") == [] and kb.search("PgBouncer") == []
    assert kb.counts()[1] == 7


def test_an_unchanged_workspace_reads_nothing_again(kb: KnowledgeBase) -> None:
    report = kb.refresh()
    assert (report.files, report.removed) == (0, 0)


def test_open_refuses_what_is_not_an_index(tmp_path: Path) -> None:
    from drillbook.errors import DrillbookError

    bogus = write(tmp_path / "kb.sqlite", "not a database at all" * 100)
    with pytest.raises(DrillbookError, match=r"kb\.sqlite.*drillbook kb index"):
        KnowledgeBase.open(bogus)
    with pytest.raises(DrillbookError, match="no knowledge-base index"):
        KnowledgeBase.open(tmp_path / "missing.sqlite")


def test_open_or_build_rebuilds_an_unreadable_index(workspace: Workspace) -> None:
    write(workspace.kb_index_path, "garbage" * 500)
    with KnowledgeBase.open_or_build(workspace) as kb:
        assert kb.search("PgBouncer")


def _backdate(folder: Path) -> None:
    """Give ``folder`` the same long-past modification time each time."""
    os.utime(folder, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))


def test_a_settled_runs_folder_keeps_its_reports_and_still_sees_draft_edits(
    workspace: Workspace,
) -> None:
    runs = workspace.reports / "runs"
    draft = write(runs / "postmortem-db.md", "# Draft\n\nNothing yet.\n")
    kb = KnowledgeBase.build(workspace)
    _backdate(runs)
    kb.refresh()  # records the settled folder
    before = kb.counts()
    draft.write_text("# Draft\n\nThe quokkaserver fell over.\n", encoding="utf-8")
    _touch_later(draft)
    _backdate(runs)  # an edit in place leaves the folder as it was
    assert [h.passage.location for h in kb.search("quokkaserver")] == [
        "reports/runs/postmortem-db.md:3"
    ]
    assert kb.counts() == before and kb.search("payment", kind="report")


def test_the_postmortem_rule_is_the_workspaces(workspace: Workspace) -> None:
    write(workspace.reports / "drafts" / "postmortem-a.md", "# A\n\ntext\n")
    write(workspace.reports / "runs" / "postmortem-b.md", "# B\n\ntext\n")
    write(workspace.root / "postmortems" / "deep" / "c.md", "# C\n\ntext\n")
    from drillbook.kb.sources import SourceSet

    listed = {s.path for s in SourceSet.of(workspace).files() if s.kind == "postmortem"}
    expected = {p.relative_to(workspace.root).as_posix() for p in workspace.postmortem_files()}
    assert listed == expected and len(listed) == 5


def test_open_or_build_follows_a_workspace_whose_folders_changed(workspace: Workspace) -> None:
    KnowledgeBase.build(workspace).close()
    write(workspace.root / "team-pm" / "2026-06-dns.md", "# DNS\n\nThe resolver lost its zone.\n")
    write(workspace.root / "pyproject.toml", "[tool.drillbook]\npostmortems = ['team-pm']\n")
    moved = Workspace.discover(workspace.root, environ={})
    with KnowledgeBase.open_or_build(moved) as kb:
        assert [h.passage.path for h in kb.search("resolver zone")] == ["team-pm/2026-06-dns.md"]
        assert kb.search("PgBouncer") == []  # the old folder is no longer the workspace's


def test_a_drill_section_repeated_across_reports_is_one_hit_counting_the_others(
    workspace: Workspace,
) -> None:
    runs = workspace.reports / "runs"
    [original] = runs.glob("drill-report-*.md")
    for stamp in ("20260502T120000Z-def456", "20260503T120000Z-0a1b2c"):
        shutil.copy(original, runs / f"drill-report-{stamp}.md")
    with KnowledgeBase.build(workspace) as kb:
        hits = kb.search("payment", kind="report", limit=50)
        sections = [(h.passage.title, h.passage.section) for h in hits]
        assert len(sections) == len(set(sections))  # each drill section once
        assert hits and all(h.similar == 2 for h in hits)
        assert len({h.passage.path for h in hits}) >= 1


def test_a_postmortem_is_titled_by_its_incident_and_its_summary_title() -> None:
    from drillbook.kb.extract_markdown import postmortem_passages

    text = (
        "# Incident Post-Mortem: INC-7\n\n## Incident Summary\n"
        "- **Title**: Pool kept dead connections\n- **Severity**: P1\n"
    )
    titles = {p.title for p in postmortem_passages(text, "pm.md")}
    assert titles == {"Incident Post-Mortem: INC-7 — Pool kept dead connections"}
    draft = text.replace("Pool kept dead connections", "_[to fill: a short title]_")
    assert {p.title for p in postmortem_passages(draft, "pm.md")} == {"Incident Post-Mortem: INC-7"}
