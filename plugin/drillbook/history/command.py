"""``drillbook history``: import reports made elsewhere, list drill runs, rebuild the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drillbook.history.importing import ImportSummary
from drillbook.history.store import HistoryStore
from drillbook.history.table import drill_run_table
from drillbook.workspace import Workspace

DEFAULT_LIMIT = 20


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``drillbook history import|list|rebuild``."""
    parser = subparsers.add_parser(
        "history",
        help="the drill history: import reports, list drill runs, rebuild the store",
        description="Every drill run and every `drillbook run` incident is kept in a SQLite "
        "history store (default: reports/history.sqlite).",
    )
    actions = parser.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    importing = _action(actions, "import", "add drill reports or incident timelines made elsewhere")
    importing.add_argument("reports", nargs="+", type=Path, metavar="REPORT")
    importing.set_defaults(func=import_command)
    listing = _action(actions, "list", "show the latest drill runs, newest first")
    listing.add_argument("--drill", metavar="ID", help="only this drill (its drill id)")
    listing.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"how many to show (default: {DEFAULT_LIMIT}; 0 shows all)",
    )
    listing.set_defaults(func=list_command)
    rebuild = _action(actions, "rebuild", "rebuild the store from the JSON reports")
    rebuild.set_defaults(func=rebuild_command)


def _action(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=text, description=text)
    parser.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help="the history store (default: DRILLBOOK_HISTORY, [tool.drillbook] history, "
        "or reports/history.sqlite)",
    )
    parser.add_argument(
        "--root", type=Path, metavar="PATH", help="the workspace root (default: the current folder)"
    )
    return parser


def _locate(args: argparse.Namespace) -> tuple[Path, Path]:
    """The store's path and the reports folder it is rebuilt from."""
    workspace = Workspace.discover(args.root)
    return args.history or workspace.history_path, workspace.reports


def import_command(args: argparse.Namespace) -> int:
    """Append each REPORT; 1 when any could not be imported (each named with the reason)."""
    path, reports = _locate(args)
    with HistoryStore.open(path, reports_dir=reports) as store:
        summary = store.import_files(args.reports)
    print(
        f"imported {summary.files} file(s) into {path}: {summary.drill_runs} new drill run(s), "
        f"{summary.incidents} new incident(s)"
    )
    return _report_skipped(summary)


def list_command(args: argparse.Namespace) -> int:
    """Print the latest drill runs as a table."""
    path, reports = _locate(args)
    latest = None if args.limit <= 0 else args.limit
    with HistoryStore.open(path, reports_dir=reports) as store:
        runs = store.drill_runs(drill_id=args.drill, latest=latest)
    if not runs:
        which = f" of drill {args.drill!r}" if args.drill else ""
        print(f"no drill runs{which} recorded in {path}")
        return 0
    print(drill_run_table(list(reversed(runs))))
    return 0


def rebuild_command(args: argparse.Namespace) -> int:
    """Rebuild the store from the reports folder; 1 when a report had to be skipped."""
    path, reports = _locate(args)
    with HistoryStore.open(path) as store:
        summary, backup = store.rebuild(reports)
    print(
        f"rebuilt {path} from {summary.files} report(s) in {reports}: "
        f"{summary.drill_runs} drill run(s), {summary.incidents} incident(s)"
    )
    if backup is not None:
        print(f"the previous content is kept in {backup}")
    return _report_skipped(summary)


def _report_skipped(summary: ImportSummary) -> int:
    for line in summary.lines():
        print(f"drillbook: {line}", file=sys.stderr)
    return 1 if summary.skipped else 0
