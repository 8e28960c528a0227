"""``drillbook lint PATHS...``: exit 1 when any finding is an error, 2 when a path is missing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from drillbook.lint.engine import run_lint
from drillbook.lint.finding import Severity
from drillbook.lint.formatters import FORMATS, format_findings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "lint",
        help="check runbooks and drills for mistakes before an incident finds them",
        description=(
            "Lint runbook and drill YAML files (directories are searched for *.yaml and "
            "*.yml). Silence one finding with a `# drillbook: ignore[rule-id]` comment on its "
            "line or the line before."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="runbook or drill files, or directories holding them",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json, or github (workflow annotations)",
    )
    parser.add_argument(
        "--no-path-check",
        action="store_true",
        help="do not check that the programs the commands run are on PATH",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    missing = [path for path in args.paths if not path.exists()]
    if missing:
        for path in missing:
            print(f"drillbook lint: {path}: no such file or directory", file=sys.stderr)
        return 2
    report = run_lint(args.paths, check_path_commands=not args.no_path_check)
    output = format_findings(report.findings, args.format, files_checked=len(report.files))
    if output:
        print(output)
    return 1 if any(f.severity is Severity.ERROR for f in report.findings) else 0
