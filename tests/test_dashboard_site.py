"""The generated site: every page parsed (balanced tags, unique ids, links only to generated
files, nothing from elsewhere), hostile values never becoming markup, and the CLI end to end."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from drillbook.dashboard.action_items import ActionItem, ActionItems
from drillbook.dashboard.data import DashboardData, gather
from drillbook.dashboard.oncall_view import OnCallView, Person, ScheduleNow
from drillbook.dashboard.render import render_pages, write_site
from drillbook.dashboard.scenarios import summarize
from drillbook.dashboard.stale import LintNote, RunbookStatus
from drillbook.history.records import DrillRun, IncidentRecord, TimelineEntry
from drillbook.signoff.sessions import SessionSignoff, Signature, Signoffs
from drillbook.workspace import Workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dashboard_support import NOW, build_site, check_page, fill_history, make_workspace

# every element the templates (and the charts) write; data must never add one
ELEMENTS = {
    "html", "head", "meta", "title", "link", "body", "header", "p", "nav", "ul", "li", "a",
    "main", "footer", "code", "h1", "h2", "h3", "section", "div", "label", "input", "ol",
    "script", "table", "thead", "tbody", "tr", "th", "td", "span", "strong", "br", "article",
    "figure", "figcaption", "svg", "line", "text", "polyline", "circle", "details", "summary",
    "time",
}  # fmt: skip


def site_problems(files: dict[str, str]) -> list[str]:
    """Structure problems of every HTML page of a site (file name -> content)."""
    problems = []
    for name, content in files.items():
        if not name.endswith(".html"):
            continue
        page = check_page(content)
        problems += [f"{name}: {problem}" for problem in page.problems]
        duplicates = {i for i in page.ids if page.ids.count(i) > 1}
        problems += [f"{name}: id {i!r} used twice" for i in sorted(duplicates)]
        for link in page.links:
            target = link.split("#", 1)[0]
            if "//" in link or ":" in target:
                problems.append(f"{name}: external reference {link!r}")
            elif target and target not in files:
                problems.append(f"{name}: link to {link!r}, which was not generated")
        unknown = set(page.elements) - ELEMENTS
        problems += [f"{name}: unexpected element <{tag}>" for tag in sorted(unknown)]
    return problems


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("ws") / "team")


def read_site(out: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in out.iterdir()}


def test_every_page_is_well_formed_and_self_contained(site: Path) -> None:
    files = read_site(site)
    assert {
        "index.html",
        "incidents.html",
        "actions.html",
        "runbooks.html",
        "signoff.html",
        "dashboard.css",
    } <= set(files)
    assert "kb-search.js" in files
    assert len([name for name in files if name.startswith("scenario-")]) == 3
    assert site_problems(files) == []
    for name, content in files.items():
        if not name.endswith(".js"):  # the search index holds the documents' text, URLs too
            assert "http://" not in content and "https://" not in content, name
        assert "fetch(" not in content and "XMLHttpRequest" not in content, name
        assert "@import" not in content and "url(" not in content, name


def test_the_index_links_every_scenario_and_the_search(site: Path) -> None:
    index = check_page((site / "index.html").read_text(encoding="utf-8"))
    scenario_links = {link for link in index.links if link.startswith("scenario-")}
    assert scenario_links == {p.name for p in site.glob("scenario-*.html")}
    assert {"kb-query", "kb-results", "kb-status"} <= set(index.ids)
    assert "kb-search.js" in index.links
    text = " ".join(index.text)
    assert "Aisha Karim" in text or "Mia Chen" in text or "Lachlan Brooks" in text
    assert "Add an alert on the error ratio" in text


def test_the_action_items_page_lists_overdue_items_first(site: Path) -> None:
    html = (site / "actions.html").read_text(encoding="utf-8")
    page = check_page(html)
    text = " ".join(page.text)
    assert text.index("Add an alert on the error ratio") < text.index("Document the failover")
    assert "Remove the old pool" not in text and "Rotate the keys" not in text  # done
    assert html.count('class="overdue"') == 1


def test_incidents_show_timelines_and_sources(site: Path) -> None:
    text = " ".join(check_page((site / "incidents.html").read_text(encoding="utf-8")).text)
    assert "real incident (drillbook run)" in text and "Payments failing" in text
    assert "error rate back to normal" in text  # a timeline entry
    assert "unresolved" in text  # the failed drill's incident


def test_a_scenario_page_lists_runs_latest_first_with_its_charts(site: Path) -> None:
    [page_file] = [p for p in site.glob("scenario-*.html") if "api-errors" in p.name]
    html = page_file.read_text(encoding="utf-8")
    assert html.count("<svg") == 3
    rows = html.split('<table class="runs">')[1]
    started = [line for line in rows.splitlines() if line.startswith('<td class="time">')]
    assert len(started) == 12 and started == sorted(started, reverse=True)


def test_an_empty_workspace_renders_empty_states(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    out = tmp_path / "site"
    write_site(gather(Workspace.discover(tmp_path / "ws", environ={}), now=NOW), out)
    files = read_site(out)
    assert site_problems(files) == []
    index = " ".join(check_page(files["index.html"]).text)
    assert "No drill has run yet" in index and "No on-call file" in index
    assert "No open incidents." in index and "No runbooks found." in index
    assert "No post-mortems found" in " ".join(check_page(files["actions.html"]).text)


def test_a_rebuild_removes_pages_of_scenarios_that_are_gone(site: Path, tmp_path: Path) -> None:
    stale = site / "scenario-gone-00000000.html"
    stale.write_text("old", encoding="utf-8")
    root = site.parent
    write_site(gather(Workspace.discover(root, environ={}), now=NOW), site)
    assert not stale.exists() and (site / "index.html").exists()


# -- hostile values ---------------------------------------------------------------------------

MARK = "ZQX"
HOSTILE = st.builds(
    lambda parts, text: MARK + "".join(parts) + text,
    st.lists(st.sampled_from(["<script>alert(1)</script>", '"', "'", "&amp;", "&", "<b>", "-->",
                              "<!--", "]]>", "</svg>", "javascript:", " onload=x ", "{{ 1 }}"]),
             max_size=4),
    st.text(max_size=12),
)  # fmt: skip


def hostile_data(h: str) -> DashboardData:
    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    runs = [
        DrillRun(h, h, h, h, h, outcome, at + timedelta(days=i), 1.0, 1.0, 0.1, 3.0, 3.1, h, h)
        for i, outcome in enumerate(["passed", h])
    ]
    entry = TimelineEntry(at, h, h)
    incident = IncidentRecord(h, h, h, h, h, h, at, None, (entry,), h, (h,))
    item = ActionItem(h, h, None, h, h, False, Path("postmortems") / "x.md", 3, h)
    person = Person(h, h, (h,))
    schedule = ScheduleNow(h, h, "UTC", person, at + timedelta(days=20), person, None)
    note = LintNote(1, 1, h, h, h)
    runbook = RunbookStatus(h, h, h, None, True, (note,))
    workspace = Workspace.discover(Path("/nonexistent-dashboard-root"), environ={})
    signature = Signature(h, h, at, Path(h), False)
    signed_session = SessionSignoff(h, Path(h), at, 2, 1, ((h, h),), (signature,), (h,))
    return DashboardData(
        now=NOW,
        workspace=workspace,
        history_path=Path("history.sqlite"),
        history_note=h,
        runs=len(runs),
        scenarios=tuple(summarize(runs)),
        open_incidents=(incident,),
        open_incidents_total=1,
        recent_incidents=(incident,),
        incidents_total=1,
        actions=ActionItems((item,), (h,), 1),
        oncall=OnCallView(Path("oncall.yaml"), (schedule,), None),
        runbooks=(runbook,),
        search_assets={"kb-search.js": "// search"},
        search_note=None,
        signoffs=Signoffs((signed_session,), 0, (h,)),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE)
def test_hostile_values_never_become_elements_or_attributes(h: str) -> None:
    files = render_pages(hostile_data(h))
    assert site_problems(files) == []
    for name, content in files.items():
        if not name.endswith(".html"):
            continue
        page = check_page(content)
        assert [(t, n, v) for t, n, v in page.attributes if MARK in v] == [], name
        scripts = [(n, v) for t, n, v in page.attributes if t == "script"]
        assert scripts in ([], [("src", "kb-search.js")]), name
        assert MARK in "".join(page.text), name  # the value is there, as text
    index_text = "".join(check_page(files["index.html"]).text)
    assert h in index_text


def test_a_date_in_the_past_makes_a_hostile_item_overdue_on_the_page() -> None:
    data = hostile_data(MARK + "<i>")
    item = data.actions.items[0]
    overdue = ActionItem(
        item.action, item.owner, date(2026, 1, 1), None, "P1", False, item.path, 1, "x"
    )
    files = render_pages(
        DashboardData(**{**data.__dict__, "actions": ActionItems((overdue,), (), 1)})
    )
    assert files["actions.html"].count('class="overdue"') == 1
    assert "&lt;i&gt;" in files["actions.html"]


# -- the command ------------------------------------------------------------------------------


def drillbook(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drillbook.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def test_the_command_writes_the_same_site_for_the_same_clock(tmp_path: Path) -> None:
    files = make_workspace(tmp_path / "team")
    fill_history(files.history)
    first = drillbook("dashboard", "--out", "site", "--now", "2026-11-30T09:00Z", cwd=files.root)
    assert first.returncode == 0, first.stderr
    assert "site/index.html" in first.stderr and "3 scenarios, 25 drill runs" in first.stderr
    again = drillbook(
        "dashboard", "--out", str(tmp_path / "other"), "--root", str(files.root),
        "--history", str(files.history), "--now", "2026-11-30T20:00+11:00", cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert read_site(files.root / "site") == read_site(tmp_path / "other")
    pages = "".join(read_site(files.root / "site").values())
    assert str(tmp_path) not in pages  # a published site does not tell where it was built


def test_the_command_explains_bad_arguments(tmp_path: Path) -> None:
    bad_time = drillbook("dashboard", "--out", "site", "--now", "yesterday", cwd=tmp_path)
    assert bad_time.returncode == 2 and "--now 'yesterday'" in bad_time.stderr
    assert "Traceback" not in bad_time.stderr
    no_root = drillbook("dashboard", "--out", "site", "--root", "missing", cwd=tmp_path)
    assert no_root.returncode == 2 and "missing: no such folder" in no_root.stderr
    (tmp_path / "file").write_text("x", encoding="utf-8")
    unwritable = drillbook("dashboard", "--out", "file/site", cwd=tmp_path)
    assert unwritable.returncode == 2 and "cannot write the dashboard" in unwritable.stderr
