"""Everything the dashboard shows, gathered once from the workspace into ``DashboardData``.

One query per kind (drill runs, incidents, last drills), aggregated in Python in one pass;
lists are capped. A missing input (no history store, no on-call file, no post-mortems, no
knowledge-base documents) is an empty part with a note, never an error; so is one that cannot
be read, whose note says why.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from drillbook.dashboard.action_items import ActionItems, read_action_items
from drillbook.dashboard.oncall_view import OnCallView, on_call_view
from drillbook.dashboard.scenarios import Scenario, summarize
from drillbook.dashboard.stale import RunbookStatus, runbook_files, runbook_statuses
from drillbook.errors import DrillbookError
from drillbook.history.importing import report_files
from drillbook.history.records import DrillRun, IncidentRecord
from drillbook.history.store import HistoryStore
from drillbook.kb.index import KnowledgeBase
from drillbook.signoff.sessions import Signoffs, read_signoffs
from drillbook.workspace import Workspace

RECENT_INCIDENTS = 30
OPEN_INCIDENTS = 100
TIMELINE_ENTRIES = 60  # per incident


@dataclass(frozen=True)
class History:
    """What the history store holds, as the dashboard needs it."""

    runs: list[DrillRun] = field(default_factory=list)
    open_incidents: list[IncidentRecord] = field(default_factory=list)  # newest first
    recent_incidents: list[IncidentRecord] = field(default_factory=list)  # newest first
    incidents_total: int = 0
    last_drilled: dict[str, datetime] = field(default_factory=dict)
    note: str | None = None  # why there is nothing (or less than there should be)


@dataclass(frozen=True)
class DashboardData:
    """The dashboard's content at one instant."""

    now: datetime
    workspace: Workspace
    history_path: Path
    history_note: str | None
    runs: int
    scenarios: tuple[Scenario, ...]
    open_incidents: tuple[IncidentRecord, ...]
    open_incidents_total: int
    recent_incidents: tuple[IncidentRecord, ...]
    incidents_total: int
    actions: ActionItems
    oncall: OnCallView
    runbooks: tuple[RunbookStatus, ...]
    search_assets: dict[str, str]
    search_note: str | None
    signoffs: Signoffs

    @property
    def stale_runbooks(self) -> list[RunbookStatus]:
        return [status for status in self.runbooks if status.stale]

    @property
    def linted_runbooks(self) -> list[RunbookStatus]:
        return [status for status in self.runbooks if status.findings]


def gather(
    workspace: Workspace, *, now: datetime, history_path: Path | None = None
) -> DashboardData:
    """Read every input of the dashboard at ``now`` (an aware datetime)."""
    path = history_path or workspace.history_path
    search = _search_in_background(workspace)  # the other CPU prepares the search meanwhile
    history = read_history(path, workspace.reports)
    files = runbook_files(workspace.runbook_dirs)
    actions = read_action_items(workspace.postmortem_files())
    oncall = on_call_view(workspace.oncall_file, now)
    signoffs = read_signoffs(workspace.reports)
    runbooks = runbook_statuses(
        files, history.last_drilled, now=now, stale_after=workspace.stale_after, root=workspace.root
    )
    assets, search_note = search()
    return DashboardData(
        now=now,
        workspace=workspace,
        history_path=path,
        history_note=history.note,
        runs=len(history.runs),
        scenarios=tuple(summarize(history.runs)),
        open_incidents=tuple(history.open_incidents[:OPEN_INCIDENTS]),
        open_incidents_total=len(history.open_incidents),
        recent_incidents=tuple(history.recent_incidents),
        incidents_total=history.incidents_total,
        actions=actions,
        oncall=oncall,
        runbooks=tuple(runbooks),
        search_assets=assets,
        search_note=search_note,
        signoffs=signoffs,
    )


def read_history(path: Path, reports: Path) -> History:
    """The runs, incidents and last drills of the store at ``path``. A store that is not
    there yet is opened (and so rebuilt from the JSON reports) only when there are reports."""
    if not path.exists() and not _has_reports(reports):
        return History(
            note=f"no drill history yet: {path} does not exist and {reports} holds no reports"
        )
    said: list[str] = []  # what the store tells (a rebuild), shown on the page
    try:
        with HistoryStore.open(path, reports_dir=reports, notify=said.append) as store:
            return History(
                runs=store.drill_runs(),
                # a drill's incident ends with its drill: only real ones (drillbook run) are open
                open_incidents=store.incidents(open_only=True, source="run"),
                recent_incidents=store.incidents(limit=RECENT_INCIDENTS),
                incidents_total=store.incident_count(),
                last_drilled=store.last_drilled(),
                note=" ".join(said) or None,
            )
    except (DrillbookError, sqlite3.Error, OSError) as exc:
        return History(note=f"{path}: the drill history cannot be read ({exc})")


def _has_reports(reports: Path) -> bool:
    return reports.is_dir() and bool(report_files(reports))


def _search_in_background(workspace: Workspace) -> Callable[[], tuple[dict[str, str], str | None]]:
    """Start preparing the search files in a forked process when there is a second CPU (the
    knowledge base's work and the history's are both CPU-bound); the function returns them."""
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return lambda: search_assets(workspace)
    executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    future = executor.submit(search_assets, workspace)
    executor.shutdown(wait=False)

    def result() -> tuple[dict[str, str], str | None]:
        try:
            return future.result()
        except BrokenProcessPool:  # the child died (out of memory?): do it here instead
            return search_assets(workspace)

    return result


def search_assets(workspace: Workspace) -> tuple[dict[str, str], str | None]:
    """The knowledge base's in-browser search files, building the index when it is missing."""
    try:
        from drillbook.kb.static_search import search_assets as kb_assets
    except ImportError:  # a drillbook without the in-browser search
        return {}, "the knowledge-base search is not available in this drillbook"
    path = workspace.kb_index_path
    try:
        kb = KnowledgeBase.open_or_build(workspace, path)  # refreshed: edits since show up
        try:
            return kb_assets(kb), None
        finally:
            kb.close()
    except (DrillbookError, sqlite3.Error, OSError) as exc:
        return {}, f"the knowledge-base search is not available: {exc}"
