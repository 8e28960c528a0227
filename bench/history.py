"""History, dashboard and knowledge-base speed with 10,000 drill session reports.

    python bench/history.py [--reports 10000] [--drills 3] [--keep DIR]

Generates a workspace in a temporary directory (the repository's runbooks, the reference
on-call file, 40 post-mortems with action items) and REPORTS drill session reports spread over
a year of nights: DRILLS drills each from five scenarios, mostly passing, some failing or in
error, with realistic figures (seconds to detect, to mitigate) and incident timelines. Each
report is written as JSON and as Markdown (drillbook's own renderer), as `pytest drills/`
leaves them in reports/runs/.

Then, each measured once:
- the import into a new history store (HistoryStore.import_files, what `drillbook history
  import` does), as reports and drill runs per second;
- `drillbook kb index` over the workspace (runbooks, post-mortems, the Markdown reports);
- `drillbook dashboard --out DIR` as a fresh process (the figure people wait for), target 5 s;
- `drillbook kb search QUERY` per query: in-process (KnowledgeBase.open + search, the index
  already open is not reused: each query opens it) and as a fresh CLI process, target 100 ms.

The table says which figure meets which target; the load average before and after is printed
so a busy machine shows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DASHBOARD_TARGET = 5.0
SEARCH_TARGET = 0.100
QUERIES = ("connection refused", "database failover", "stripe timeout", "rollback")

SCENARIOS = (
    # drill id, runbook, title, severity, typical seconds to detect / to mitigate
    ("database-outage-drill", "database-outage", "Primary database unreachable", "P1", 1.4, 2.6),
    ("high-error-rate-drill", "high-error-rate", "A dependency resets connections", "P2", 0.4, 3.6),
    ("payment-failure-drill", "payment-failure", "Stripe fails half the charges", "P1", 0.45, 3.6),
    ("auth-service-drill", "auth-service", "Auth provider slower than the login", "P1", 1.4, 3.6),
    ("performance-degradation-drill", "performance-degradation", "Database slow", "P2", 1.4, 6.6),
)
FAILURES = (
    ("verify", "check failed: GET $APP_URL/api/health/ready answered connection refused"),
    ("detect", "no detection rule fired within 30 s: error ratio stayed at 0.02"),
    ("respond", "step 3 'Fail over to the replica' exited 1: pg_ctl promote: not in standby"),
    ("verify", "check failed: Stripe charges still time out after the rollback"),
)  # fmt: skip
ACTIONS = (
    "Alert on the replica lag",
    "Document the failover",
    "Retry Stripe charges with backoff",
    "Add a connection-refused check to the runbook",
    "Load test the login path",
)


def iso(at: datetime) -> str:
    return at.isoformat()


def _event(at: datetime, kind: str, message: str) -> dict[str, Any]:
    return {"at": iso(at), "kind": kind, "message": message, "actor": "drillbook"}


def drill_entry(rng: random.Random, started: datetime, scenario: tuple[Any, ...]) -> dict[str, Any]:
    drill_id, runbook_id, title, severity, detect, mitigate = scenario
    roll = rng.random()
    outcome = (
        "passed"
        if roll < 0.92
        else "failed"
        if roll < 0.97
        else "error"
        if roll < 0.99
        else "skipped"
    )
    ttd = round(detect * rng.lognormvariate(0, 0.35), 6) if outcome != "skipped" else None
    ttm = round(mitigate * rng.lognormvariate(0, 0.3), 6) if outcome == "passed" else None
    detected = started + timedelta(seconds=6 + (ttd or 0))
    failure: dict[str, Any] | None = None
    if outcome in ("failed", "error"):
        phase, summary = rng.choice(FAILURES)
        failure = {"phase": phase, "summary": summary, "action": None, "faults_active": []}
    incident = None
    if ttd is not None:
        mitigated = detected + timedelta(seconds=ttm or 30)
        incident = {
            "id": f"INC-{started:%Y%m%d%H%M%S%f}-{rng.randrange(16**6):06X}",
            "title": title,
            "severity": severity,
            "status": "resolved" if outcome == "passed" else "mitigating",
            "detected_at": iso(detected),
            "resolved_at": iso(mitigated + timedelta(seconds=0.06))
            if outcome == "passed"
            else None,
            "runbook": runbook_id,
            "timeline": [
                _event(detected, "detected", "incident detected"),
                _event(detected + timedelta(seconds=0.02), "page", "paged the primary, level 1"),
                _event(detected + timedelta(seconds=0.03), "acknowledged", "acknowledged"),
                _event(detected + timedelta(seconds=0.04), "step", f"{runbook_id}: step 1 done"),
                _event(mitigated, "mitigated", "checks pass again"),
            ],
        }
    return {
        "drill_id": drill_id,
        "title": title,
        "runbook_id": runbook_id,
        "severity": severity,
        "tags": [],
        "drill_file": f"drills/{drill_id}.yaml",
        "runbook_file": f"runbooks/{runbook_id}.yaml",
        "outcome": outcome,
        "started_at": iso(started),
        "ended_at": iso(started + timedelta(seconds=12)),
        "duration": round(10 + rng.random() * 4, 6),
        "metrics": {
            "time_to_detect": ttd,
            "time_to_acknowledge": 0.02 if ttd is not None else None,
            "time_to_mitigate": ttm,
            "time_to_resolve": round(ttm + 0.06, 6) if ttm is not None else None,
        },
        "phases": [],
        "timeline": [_event(started, "drill", f"drill {drill_id} started (runbook {runbook_id})")],
        "failure": failure,
        "incident": incident,
    }  # fmt: skip


def session_report(index: int, total: int, drills: int) -> dict[str, Any]:
    """Report ``index`` of ``total``, spread evenly over the year before NOW, at night."""
    rng = random.Random(index)
    day = NOW - timedelta(days=365) + timedelta(days=365 * index / total)
    started = day.replace(hour=1, minute=0, second=0) + timedelta(seconds=rng.randrange(4 * 3600))
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{index:06x}"
    entries = [
        drill_entry(rng, started + timedelta(seconds=15 * n), scenario)
        for n, scenario in enumerate(rng.sample(SCENARIOS, drills))
    ]
    counts = {
        word: sum(d["outcome"] == word for d in entries)
        for word in ("passed", "failed", "error", "skipped")
    }
    return {
        "schema_version": "1.0",
        "session": {
            "run_id": run_id,
            "started_at": iso(started),
            "ended_at": iso(started + timedelta(seconds=15 * drills + 12)),
            "duration": 15.0 * drills + 12,
            "hostname": "ci-runner",
            "drillbook_version": "0.1.0",
            "pytest_args": ["drills/", "-n", "auto"],
            "participants": [],
        },
        "summary": {"total": len(entries), **counts},
        "drills": entries,
    }  # fmt: skip


def write_reports(job: tuple[Path, range, int, int]) -> int:
    """Write the JSON and Markdown of the reports in ``job`` (one worker's share)."""
    from drillbook.report.markdown import render_markdown

    runs, indexes, total, drills = job
    for index in indexes:
        report = session_report(index, total, drills)
        stem = runs / f"drill-report-{report['session']['run_id']}"
        stem.with_suffix(".json").write_text(json.dumps(report), encoding="utf-8")
        stem.with_suffix(".md").write_text(render_markdown(report), encoding="utf-8")
    return len(indexes)


def write_workspace(root: Path, reports: int, drills: int) -> None:
    shutil.copytree(REPO / "runbooks", root / "runbooks")
    shutil.copy(REPO / "fixtures" / "oncall.yaml", root / "oncall.yaml")
    (root / "pyproject.toml").write_text(
        "[tool.drillbook]\nstale_after_days = 30\n", encoding="utf-8"
    )
    postmortems = root / "postmortems"
    postmortems.mkdir()
    rng = random.Random(0)
    for n in range(40):
        day = NOW - timedelta(days=9 * n)
        rows = "\n".join(
            f"| {rng.choice(ACTIONS)} | {rng.choice(['Mia', 'Tom', 'Grace'])} | "
            f"{(day + timedelta(days=rng.randrange(10, 60))).date()} | P{rng.randrange(1, 4)} | "
            f"{rng.choice(['open', 'done', 'done'])} |"
            for _ in range(4)
        )
        (postmortems / f"{day:%Y-%m-%d}-incident-{n}.md").write_text(
            f"# Incident Post-Mortem: {SCENARIOS[n % 5][2]}\n\n## Incident Summary\n"
            f"The drill found connection refused errors on {day:%Y-%m-%d}.\n\n## Action Items\n"
            f"| Action | Owner | Due Date | Priority | Status |\n|---|---|---|---|---|\n{rows}\n",
            encoding="utf-8",
        )
    runs = root / "reports" / "runs"
    runs.mkdir(parents=True)
    workers = max(os.cpu_count() or 1, 1)
    jobs = [(runs, range(w, reports, workers), reports, drills) for w in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        assert sum(pool.map(write_reports, jobs)) == reports


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # kb search exits 1 when nothing matched
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def drillbook(*args: str) -> list[str]:
    return [sys.executable, "-m", "drillbook.cli", *args]


def measure(root: Path) -> Iterator[tuple[str, str, str]]:
    """(what, figure, target) rows, each measured once."""
    from drillbook.history.importing import report_files
    from drillbook.history.store import HistoryStore
    from drillbook.kb.index import KnowledgeBase

    reports = root / "reports"
    files = report_files(reports)
    started = time.perf_counter()
    with HistoryStore.open(reports / "history.sqlite", notify=lambda line: None) as store:
        summary = store.import_files(files)
    took = time.perf_counter() - started
    yield (
        f"history import of {summary.files} reports ({summary.drill_runs} drill runs, "
        f"{summary.incidents} incidents), in-process",
        f"{took:.1f} s = {summary.files / took:.0f} reports/s, "
        f"{summary.drill_runs / took:.0f} runs/s",
        "—",
    )
    yield (
        "drillbook kb index (fresh process)",
        f"{timed(drillbook('kb', 'index'), root):.1f} s",
        "—",
    )
    site = timed(drillbook("dashboard", "--out", "site", "--now", NOW.isoformat()), root)
    yield (
        "drillbook dashboard --out site (fresh process)",
        f"{site:.2f} s",
        _verdict(site, DASHBOARD_TARGET),
    )
    for query in QUERIES:
        started = time.perf_counter()
        kb = KnowledgeBase.open(reports / "kb.sqlite")
        hits = kb.search(query)
        kb.close()
        took = time.perf_counter() - started
        yield (
            f"kb search {query!r}: in-process open + search ({len(hits)} hits)",
            f"{took * 1000:.0f} ms",
            _verdict(took, SEARCH_TARGET),
        )
    for query in QUERIES[:2]:
        took = timed(drillbook("kb", "search", query), root)
        yield (
            f"drillbook kb search {query!r} (fresh process)",
            f"{took * 1000:.0f} ms",
            _verdict(took, SEARCH_TARGET),
        )
    startup = timed(drillbook("--version"), root)
    yield ("  of which: drillbook --version (CLI start-up)", f"{startup * 1000:.0f} ms", "—")


def _verdict(seconds: float, target: float) -> str:
    unit = f"{target:g} s" if target >= 1 else f"{target * 1000:.0f} ms"
    return f"< {unit}: {'met' if seconds < target else 'MISSED'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--drills", type=int, default=3, choices=range(1, 6))
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="drillbook-bench-") as temporary:
        root = (args.keep or Path(temporary) / "workspace").resolve()
        if root.exists():
            raise SystemExit(f"{root} exists; --keep needs a new folder")
        started = time.perf_counter()
        write_workspace(root, args.reports, args.drills)
        made = time.perf_counter() - started
        rows = [
            (
                f"generate {args.reports} reports (JSON + Markdown, {args.drills} drills each)",
                f"{made:.1f} s",
                "—",
            )
        ]
        for row in measure(root):
            rows.append(row)
            print(f"  {row[0]}: {row[1]}", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    width = max(len(row[0]) for row in rows)
    print(f"{'measure'.ljust(width)}  {'figure':<40}  target")
    for what, figure, target in rows:
        print(f"{what.ljust(width)}  {figure:<40}  {target}")
    print(f"\nload average before: {_load(load_before)}; after: {_load(load_after)}; "
          f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}")  # fmt: skip
    return 0


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    sys.exit(main())
