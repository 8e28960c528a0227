"""``drillbook verify REPORT``: whether the report changed after each of its sign-offs.

Exit 0 when the report is unchanged since every signature, 1 when it changed after at least
one, 2 when it has no sign-off (or cannot be read).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from drillbook.signoff.attestation import digest_file
from drillbook.signoff.run_copy import run_copy_path
from drillbook.signoff.store import load_attestations, signoff_path

NOT_SIGNED = 2


def register(subparsers: Any) -> None:
    """Add ``drillbook verify``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="check whether a signed report changed after it was signed",
        description="Recompute the SHA-256 of REPORT and compare it with each attestation in "
        "REPORT.signoff.json. Exit 0: unchanged since every signature; 1: changed after at "
        "least one; 2: no sign-off.",
    )
    parser.add_argument("report", type=Path, metavar="REPORT", help="the signed report file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report: Path = args.report
    copy = run_copy_path(report)
    if copy is not None and not signoff_path(report).exists():
        print(f"verifying {copy}: the session's own copy of {report}")
        report = copy
    current = digest_file(report)
    attestations = load_attestations(report)
    if not attestations:
        path = signoff_path(report)
        why = f"{path} lists no attestation" if path.exists() else f"there is no {path}"
        print(
            f"{report}: not signed ({why}); sign it with "
            f"`drillbook signoff {report} --by NAME --role ROLE`",
            file=sys.stderr,
        )
        return NOT_SIGNED
    changed = 0
    for entry in attestations:
        signed = f"{entry.name} ({entry.role}) at {entry.to_dict()['signed_at']}"
        if entry.sha256 == current:
            print(f"✔ unchanged since signed by {signed}")
        else:
            changed += 1
            print(f"✘ CHANGED since signed by {signed}: signed sha256 {entry.sha256}")
    total = len(attestations)
    if changed:
        print(f"{report}: changed after {changed} of {total} signature(s); now sha256 {current}")
        return 1
    print(f"{report}: unchanged since all {total} signature(s) (sha256 {current})")
    return 0
