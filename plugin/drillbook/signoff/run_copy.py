"""The latest report and the session's own copy of it.

Every pytest session writes ``reports/drill-report.{json,md,html}`` (the latest, replaced by
the next session) and the same bytes as ``reports/runs/drill-report-RUN.{json,md,html}``,
which nothing replaces. A sign-off belongs with the copy: signing the latest report would
leave the signatures beside a file that the next session overwrites.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from drillbook.errors import DrillbookError
from drillbook.signoff.attestation import digest_file

LATEST = "drill-report"
SUFFIXES = (".json", ".md", ".html")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def run_copy_path(report: Path) -> Path | None:
    """The session's copy under ``runs/`` of ``report`` when ``report`` is the latest report
    and the copy holds the same bytes; None otherwise (any other file, or no such copy)."""
    if report.stem != LATEST or report.suffix not in SUFFIXES:
        return None
    run_id = _run_id(report.parent / f"{LATEST}.json")
    if run_id is None:
        return None
    copy = report.parent / "runs" / f"{LATEST}-{run_id}{report.suffix}"
    try:
        if not copy.is_file() or digest_file(copy) != digest_file(report):
            return None
    except DrillbookError:  # an unreadable copy is no copy: the caller keeps to ``report``
        return None
    return copy


def _run_id(latest_json: Path) -> str | None:
    """The run id the latest JSON report names, if it names a usable one."""
    try:
        data = json.loads(latest_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    session = data.get("session") if isinstance(data, dict) else None
    run_id = session.get("run_id") if isinstance(session, dict) else None
    return run_id if isinstance(run_id, str) and _RUN_ID.fullmatch(run_id) else None
