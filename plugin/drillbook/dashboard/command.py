"""``drillbook dashboard --out DIR``: write the static incident dashboard.

drillbook dashboard --out site/
drillbook dashboard --out site/ --root ../team-repo --history /cache/history.sqlite
drillbook dashboard --out site/ --now 2026-11-30T09:00Z    # a fixed clock: reproducible pages
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drillbook.dashboard.data import gather
from drillbook.dashboard.render import write_site
from drillbook.errors import DrillbookError
from drillbook.oncall.zones import parse_instant
from drillbook.workspace import Workspace


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dashboard",
        help="write the incident dashboard: a static site for the team's weekly review",
        description="Write a static site (no server, nothing fetched from elsewhere): drill "
        "results and trends per scenario, open and recent incidents with their timelines, "
        "post-mortem action items still open, who is on call, stale runbooks and lint "
        "findings, and a search over the knowledge base.",
    )
    parser.add_argument("--out", type=Path, required=True, help="the folder to write the site to")
    parser.add_argument(
        "--root", type=Path, help="the workspace root (default: the current directory)"
    )
    parser.add_argument(
        "--history",
        type=Path,
        help="the history store (default: the workspace's, reports/history.sqlite)",
    )
    parser.add_argument(
        "--now",
        metavar="ISO-TIME",
        help="the instant the dashboard is built for (default: now), e.g. 2026-11-30T09:00Z",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    now = _now(args.now)
    if args.root is not None and not args.root.is_dir():
        raise DrillbookError(f"{args.root}: no such folder; pass the workspace root to --root")
    workspace = Workspace.discover(args.root)
    data = gather(workspace, now=now, history_path=args.history)
    try:
        written = write_site(data, args.out)
    except OSError as exc:
        raise DrillbookError(f"{args.out}: cannot write the dashboard: {exc}") from None
    elapsed = time.perf_counter() - started
    for note in (data.history_note, data.oncall.problem, *data.actions.problems):
        if note:
            print(f"drillbook dashboard: {note}", file=sys.stderr)
    print(
        f"wrote {written[0]} and {len(written) - 1} more files "
        f"({len(data.scenarios)} scenarios, {data.runs} drill runs) in {elapsed:.2f} s",
        file=sys.stderr,
    )
    return 0


def _now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        return parse_instant(text)
    except (DrillbookError, ValueError) as exc:
        raise DrillbookError(f"--now {text!r}: {exc}") from None
