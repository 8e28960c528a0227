"""``drillbook postmortem draft REPORT`` and ``drillbook postmortem check FILE``.

``draft`` exits 0 once the drafts are written; ``check`` exits 0 when a post-mortem is
complete and 1 when something is left to do. Files that cannot be read exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.postmortem.check import check_postmortem
from drillbook.postmortem.prompts import MARKER
from drillbook.postmortem.render import render_postmortem
from drillbook.postmortem.source import Draft, load_drafts
from drillbook.report.atomic import write_text_atomic

STDOUT = "-"


def register(subparsers: Any) -> None:
    """Add ``drillbook postmortem draft|check``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "postmortem",
        help="draft a post-mortem from a drill report or incident timeline, or check one",
        description="Draft post-mortems filled with what a drill or `drillbook run` recorded, "
        "with marked prompts for the rest; check which prompts and action items are left.",
    )
    actions = parser.add_subparsers(dest="postmortem_command", metavar="ACTION", required=True)
    _add_draft(actions)
    _add_check(actions)


def _add_draft(actions: Any) -> None:
    draft: argparse.ArgumentParser = actions.add_parser(
        "draft",
        help="write a post-mortem draft",
        description="Write a post-mortem draft from a drill report (one per drill, or the one "
        "--drill names) or from the timeline `drillbook run` wrote during an incident. Drafts "
        "go next to REPORT as postmortem-<id>.md unless --out says otherwise.",
    )
    draft.add_argument("report", type=Path, metavar="REPORT", help="drill report or timeline")
    draft.add_argument("--drill", metavar="ID", help="the drill to draft, by its id")
    draft.add_argument("--out", metavar="FILE", help="where to write the one draft ('-': stdout)")
    draft.add_argument("--force", action="store_true", help="overwrite existing drafts")
    draft.set_defaults(func=run_draft)


def _add_check(actions: Any) -> None:
    check: argparse.ArgumentParser = actions.add_parser(
        "check",
        help="list what a post-mortem still lacks",
        description="List prompts left unfilled, sections missing or empty, and action items "
        "without an owner or a due date, as FILE:LINE:COLUMN: lines. Exit 1 if there are any.",
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE", help="post-mortem files")
    check.set_defaults(func=run_check)


def run_draft(args: argparse.Namespace) -> int:
    drafts = load_drafts(args.report, args.drill)
    if args.out == STDOUT:
        sys.stdout.write(render_postmortem(_single(drafts, args.report).facts))
        return 0
    if args.out is not None:
        targets = [(Path(args.out), _single(drafts, args.report))]
    else:
        targets = [(args.report.parent / f"postmortem-{d.name}.md", d) for d in drafts]
    existing = [str(path) for path, _ in targets if path.exists()]
    if existing and not args.force:
        raise DrillbookError(
            f"{', '.join(existing)} already exists and may hold what people wrote: "
            "choose another --out, or pass --force to overwrite"
        )
    for path, draft in targets:
        text = render_postmortem(draft.facts)
        _write(path, text)
        prompts = len(MARKER.findall(text))
        print(f"wrote {path}: {prompts} prompts left for people to fill")
    print(f"once filled in: drillbook postmortem check {' '.join(str(p) for p, _ in targets)}")
    return 0


def _single(drafts: list[Draft], report: Path) -> Draft:
    if len(drafts) == 1:
        return drafts[0]
    names = ", ".join(draft.name for draft in drafts)
    raise DrillbookError(
        f"{report} holds {len(drafts)} drills ({names}): pick one with --drill ID, or leave "
        "--out out to write one draft per drill"
    )


def _write(path: Path, text: str) -> None:
    try:
        write_text_atomic(path, text)
    except OSError as error:
        raise DrillbookError(f"cannot write {path}: {error.strerror or error}") from None


def run_check(args: argparse.Namespace) -> int:
    incomplete = 0
    for path in args.files:
        findings = check_postmortem(_read(path))
        for finding in findings:
            print(finding.format(str(path)))
        if findings:
            incomplete += 1
            print(f"{path}: {len(findings)} thing(s) left to do", file=sys.stderr)
        else:
            print(f"{path}: complete")
    return 1 if incomplete else 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DrillbookError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DrillbookError(f"{path}: cannot read it: {reason}") from None
