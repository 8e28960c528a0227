"""``drillbook signoff REPORT --by NAME --role ROLE``: attest that you reviewed the report.

The attestation records the SHA-256 of the report's bytes; ``drillbook verify REPORT`` tells
later whether the report changed since. Asked to sign the latest report
(``reports/drill-report.html``), it signs the session's own copy under ``reports/runs/``
instead, since the next session replaces the latest. Signing a report that changed after
someone else signed it needs ``--force``, so a changed report is not signed by mistake.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.signoff.attestation import Attestation, make_attestation
from drillbook.signoff.run_copy import run_copy_path
from drillbook.signoff.sessions import read_participants, session_of
from drillbook.signoff.store import append_attestation, load_attestations, signoff_path


def register(subparsers: Any) -> None:
    """Add ``drillbook signoff``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "signoff",
        help="sign a drill report off: record who reviewed it, and a digest of its content",
        description="Append an attestation (name, role, UTC time, SHA-256 of the report's "
        "bytes, drillbook version) to REPORT.signoff.json. `drillbook verify REPORT` then "
        "tells whether the report changed after it was signed. The digest detects changes; "
        "it is not a cryptographic signature.",
    )
    parser.add_argument("report", type=Path, metavar="REPORT", help="the report file to sign")
    parser.add_argument("--by", required=True, metavar="NAME", help="who signs")
    parser.add_argument("--role", required=True, metavar="ROLE", help="in which role")
    parser.add_argument(
        "--force",
        action="store_true",
        help="sign even though the report changed after an earlier signature",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report: Path = args.report
    if report.is_dir():
        raise DrillbookError(f"{report}: is a directory; sign a report file")
    copy = run_copy_path(report)
    if copy is not None:
        print(f"signing {copy}: the session's own copy of {report} (the next session replaces it)")
        report = copy
    attestation = make_attestation(report, args.by, args.role, datetime.now(UTC))
    earlier = load_attestations(report)
    changed = [entry for entry in earlier if entry.sha256 != attestation.sha256]
    if changed and not args.force:
        raise DrillbookError(
            f"{report} changed after it was signed by {_people(changed)}: see "
            f"`drillbook verify {report}`; to sign the changed report anyway, add --force"
        )
    for entry in earlier:
        if _same_signer(entry, attestation) and entry.sha256 == attestation.sha256:
            print(
                f"{entry.name} ({entry.role}) already signed this version of {report} at "
                f"{entry.to_dict()['signed_at']}; nothing added"
            )
            return 0
    _note_participants(report, attestation)
    signed = append_attestation(report, attestation)
    print(
        f"signed {report} as {attestation.name} ({attestation.role}), sha256 "
        f"{attestation.sha256}; {len(signed)} signature(s) in {signoff_path(report)}"
    )
    _still_awaited(report)
    return 0


def _same_signer(one: Attestation, other: Attestation) -> bool:
    return (one.name, one.role) == (other.name, other.role)


def _people(entries: list[Attestation]) -> str:
    return ", ".join(f"{entry.name} ({entry.role})" for entry in entries)


def _note_participants(report: Path, attestation: Attestation) -> None:
    """A note when the report lists participants and the signer is not among them."""
    names = [name for name, _ in _participants(report)]
    if names and attestation.name not in names:
        print(
            f"note: {attestation.name} is not among the report's participants ({', '.join(names)})",
            file=sys.stderr,
        )


def _participants(report: Path) -> tuple[tuple[str, str], ...]:
    """The participants of the session whose report this is (its JSON copy's, for a copy
    under reports/runs/), or those a JSON report elsewhere lists."""
    session = session_of(report)
    if session is not None:
        return session.participants
    if report.suffix != ".json":
        return ()
    return read_participants(report)


def _still_awaited(report: Path) -> None:
    """Who of the session's participants has yet to sign, once this signature is in."""
    session = session_of(report)
    if session is None or not session.participants:
        return
    if session.waiting_for:
        print(f"still awaited for this session: {', '.join(session.waiting_for)}")
    else:
        print("every participant of this session has signed")
