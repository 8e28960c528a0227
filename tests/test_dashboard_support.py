"""Shared builders for the dashboard tests: drill session reports shaped like the ones in
reports/runs/*.json, a workspace with runbooks, post-mortems and an on-call file, and an HTML
structure checker. (No tests here: the test_dashboard_* modules import these.)"""

from __future__ import annotations

import shutil
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from drillbook.history.store import HistoryStore

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
SVG_SELF_CLOSING = frozenset({"line", "polyline", "circle", "path", "rect"})


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def drill(
    drill_id: str,
    started: datetime,
    *,
    outcome: str = "passed",
    title: str | None = None,
    runbook_id: str | None = "high-error-rate",
    ttd: float | None = 1.5,
    ttm: float | None = 4.0,
    failure: str | None = None,
    incident: str | None = "resolved",
    incident_title: str | None = None,
    timeline_message: str = "incident detected",
) -> dict[str, Any]:
    """One ``drills[]`` entry of a drill session report (the fields history reads)."""
    detected = started + timedelta(seconds=ttd or 2)
    entry: dict[str, Any] = {
        "drill_id": drill_id,
        "title": title or f"Drill {drill_id}",
        "runbook_id": runbook_id,
        "severity": "P1",
        "tags": [],
        "drill_file": f"drills/{drill_id}.yaml",
        "runbook_file": f"runbooks/{runbook_id}.yaml",
        "outcome": outcome,
        "started_at": iso(started),
        "ended_at": iso(started + timedelta(seconds=12)),
        "duration": 12.0,
        "metrics": {
            "time_to_detect": ttd,
            "time_to_acknowledge": 0.02 if ttd is not None else None,
            "time_to_mitigate": ttm,
            "time_to_resolve": (ttm + 0.1) if ttm is not None else None,
        },
        "phases": [],
        "timeline": [{"at": iso(started), "kind": "drill", "message": f"drill {drill_id} started"}],
        "failure": {"phase": "verify", "summary": failure, "action": None, "faults_active": []}
        if failure
        else None,
        "incident": None,
    }
    if incident is not None:
        resolved = detected + timedelta(seconds=ttm or 3)
        entry["incident"] = {
            "id": f"INC-{started:%Y%m%d%H%M%S%f}-{zlib.crc32(drill_id.encode()):08x}",
            "title": incident_title or f"Incident of {drill_id}",
            "severity": "P1",
            "status": incident,
            "detected_at": iso(detected),
            "resolved_at": iso(resolved) if incident == "resolved" else None,
            "runbook": runbook_id,
            "timeline": [
                {"at": iso(detected), "kind": "detected", "message": timeline_message},
                {"at": iso(resolved), "kind": "mitigated", "message": "error rate back to normal"},
            ],
        }
    return entry


def report(run_id: str, started: datetime, drills: list[dict[str, Any]]) -> dict[str, Any]:
    """A drill session report holding ``drills``."""
    return {
        "schema_version": "1.0",
        "session": {
            "run_id": run_id,
            "started_at": iso(started),
            "ended_at": iso(started + timedelta(minutes=1)),
            "duration": 60.0,
            "hostname": "ci",
            "drillbook_version": "0.1.0",
            "pytest_args": [],
            "participants": [],
        },
        "summary": {"total": len(drills)},
        "drills": drills,
    }


POSTMORTEM = """# Incident Post-Mortem: {title}

## Incident Summary
The API returned errors.

## Action Items
| Action | Owner | Due Date | Priority | Status |
|--------|-------|----------|----------|--------|
| Add an alert on the error ratio | {owner} | 2026-11-01 | P1 | open |
| Document the failover | Bob | 2026-12-24 | P2 | |
| Remove the old pool | Carol | 2026-10-01 | P3 | done |
| ~~Rotate the keys~~ | Dan | 2026-09-01 | P2 | |
| [Action] | [Person] | [Date] | P1 | |
| Write the load test | Erin | TBD | P2 | |

## Lessons Learned
Test the failover.
"""


@dataclass
class WorkspaceFiles:
    """A workspace on disk and where its parts are."""

    root: Path
    history: Path
    postmortems: list[Path] = field(default_factory=list)


def make_workspace(
    root: Path,
    *,
    oncall: bool = True,
    postmortem_title: str = "API errors",
    postmortem_owner: str = "Alice",
) -> WorkspaceFiles:
    """Runbooks (one clean, one with lint findings), a post-mortem with open, done and
    overdue items, the reference on-call file, and a pyproject naming them."""
    (root / "runbooks").mkdir(parents=True)
    shutil.copy(REPO / "runbooks" / "high-error-rate.yaml", root / "runbooks")
    shutil.copy(REPO / "tests" / "fixtures" / "seed" / "payment-failure.yaml", root / "runbooks")
    (root / "postmortems").mkdir()
    postmortem = root / "postmortems" / "2026-11-api-errors.md"
    postmortem.write_text(
        POSTMORTEM.format(title=postmortem_title, owner=postmortem_owner), encoding="utf-8"
    )
    settings = ["[tool.drillbook]", "stale_after_days = 30"]
    if oncall:
        shutil.copy(REPO / "fixtures" / "oncall.yaml", root / "oncall.yaml")
    (root / "pyproject.toml").write_text("\n".join(settings) + "\n", encoding="utf-8")
    return WorkspaceFiles(root, root / "reports" / "history.sqlite", [postmortem])


def build_site(root: Path) -> Path:
    """A workspace at ``root`` with a filled history, and its dashboard built in
    ``root/site`` at NOW; the site's folder."""
    from drillbook.dashboard.data import gather
    from drillbook.dashboard.render import write_site
    from drillbook.workspace import Workspace

    files = make_workspace(root)
    fill_history(files.history)
    out = files.root / "site"
    write_site(gather(Workspace.discover(files.root, environ={}), now=NOW), out)
    return out


def fill_history(path: Path) -> None:
    """Twelve nights of two drills (high-error-rate fails every third night, its last run
    included) plus one drill whose incident stayed open, and one `drillbook run` incident."""
    with HistoryStore.open(path, notify=lambda line: None) as store:
        for night in range(12):
            start = NOW - timedelta(days=12 - night, hours=6)
            drills = [
                drill(
                    "api-errors",
                    start,
                    outcome="failed" if night % 3 == 2 else "passed",
                    failure="check failed: error ratio" if night % 3 == 2 else None,
                    ttd=1.0 + night,
                    ttm=5.0,
                ),
                drill(
                    "db-failover",
                    start + timedelta(minutes=5),
                    runbook_id="database-outage",
                    ttd=None,
                    ttm=None,
                    incident=None,
                ),
            ]
            assert store.add_report(report(f"run-{night:02d}", start, drills)) == 2
        stuck = NOW - timedelta(hours=2)
        store.add_report(
            report(
                "run-open",
                stuck,
                [drill("api-stuck", stuck, outcome="error", incident="mitigating")],
            )
        )
        store.add_incident_timeline(
            {
                "format": "drillbook-incident-timeline/1",
                "runbook": {"id": "payment-failure", "title": "Payments failing", "severity": "P1"},
                "started_at": (NOW - timedelta(hours=1)).isoformat(),
                "ended_at": None,
                "status": "in_progress",
                "operator": "alice",
                "steps": [],
            }
        )


# -- HTML structure ---------------------------------------------------------------------------


class StructureChecker(HTMLParser):
    """Collects what the structure tests look at: tags must balance, ids be unique, and every
    link and source stay inside the site."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.elements: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []  # element, name, value
        self.text: list[str] = []
        self.svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)
        if tag not in VOID and tag not in SVG_SELF_CLOSING:
            self.problems.append(f"<{tag}/> is no void element")

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
            if name == "id":
                self.ids.append(value or "")
            if name in ("href", "src", "action", "xlink:href"):
                self.links.append(value or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def close(self) -> None:
        super().close()
        if self.stack:
            self.problems.append(f"never closed: {self.stack}")


def check_page(html: str) -> StructureChecker:
    checker = StructureChecker()
    checker.feed(html)
    checker.close()
    return checker
