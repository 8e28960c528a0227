"""Appending to the history when a pytest session or a ``drillbook run`` ends.

Recording never fails what it records: any problem comes back as a warning line.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drillbook.errors import DrillbookError
from drillbook.history.store import HistoryStore
from drillbook.workspace import Workspace

if TYPE_CHECKING:
    from drillbook.interactive.timeline import Timeline
    from drillbook.session import DrillSession


@dataclass
class Recorded:
    """What recording said: lines to show, and whether they are warnings."""

    lines: list[str] = field(default_factory=list)
    failed: bool = False


def session_history_path(rootdir: Path, report_dir: Path, configured: str | None) -> Path:
    """Where a pytest session records: ``--drill-history`` / ``drillbook_history`` (relative
    to the rootdir), else ``DRILLBOOK_HISTORY`` or ``[tool.drillbook] history``, else
    ``<report dir>/history.sqlite``."""
    if configured:
        return (rootdir / configured).resolve()
    try:
        workspace = Workspace.discover(rootdir)
    except DrillbookError:
        return report_dir / "history.sqlite"
    if workspace.history_path == workspace.reports / "history.sqlite":
        return report_dir / "history.sqlite"  # the default follows --drill-report-dir
    return workspace.history_path


def record_session(state: DrillSession, report: Mapping[str, Any]) -> Recorded:
    """Append the session's merged report (the copy under ``runs/``); nothing for dry runs."""
    if state.dry_run or state.history_path is None:
        return Recorded()
    source = state.report_dir / "runs" / f"drill-report-{state.run_id}.json"
    return record_session_report(state.history_path, report, source, state.report_dir)


def record_session_report(
    history: Path, report: Mapping[str, Any], source: Path | None, reports_dir: Path
) -> Recorded:
    """Append a session's report; never raises."""
    result = Recorded()
    try:
        with HistoryStore.open(
            history, reports_dir=reports_dir, notify=result.lines.append
        ) as store:
            store.add_report(report, source=source)  # 0 new when the rebuild took it already
        drills = report.get("drills")
        count = len(drills) if isinstance(drills, list) else 0
        result.lines.append(f"drill history: {count} drill run(s) recorded in {history}")
    except Exception as error:  # recording must never fail the session
        result.failed = True
        reason = str(error) if isinstance(error, DrillbookError | OSError) else repr(error)
        result.lines.append(f"warning: the drills were not recorded in the history: {reason}")
    return result


def record_run(timeline: Timeline, history: Path | None) -> None:
    """Append a ``drillbook run`` incident (not for dry runs); warnings go to stderr."""
    if timeline.dry_run or timeline.path is None:
        return
    try:
        workspace = Workspace.discover()
        path = history or workspace.history_path
        with HistoryStore.open(path, reports_dir=workspace.reports) as store:
            store.add_incident_timeline(timeline.to_dict(), source=timeline.path)
    except (DrillbookError, OSError) as error:
        print(
            f"drillbook: warning: the incident was not recorded in the history: {error}",
            file=sys.stderr,
            flush=True,
        )
