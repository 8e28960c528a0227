"""Which drill sessions have been signed off, which still wait, and which changed since
(the dashboard's Sign-off page, and what ``drillbook signoff`` says after signing).

A session's reports are its copies under ``reports/runs/`` (``drill-report-RUN.json``, ``.md``
and ``.html``), which no later session replaces; a signature on any of the three counts for the
session. Signatures made on the latest report (``reports/drill-report.html``, replaced by every
session) before ``drillbook signoff`` moved to the copies are matched to their session by the
digest they recorded, so they are not lost. A session waits for sign-off while one of its
participants has not signed the report as it is now, or when a report changed after it was
signed. Only the newest sessions are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.signoff import Attestation, digest_file, load_attestations, signoff_path
from drillbook.signoff.run_copy import LATEST

SESSIONS_SHOWN = 50
FORMATS = (".html", ".md", ".json")


@dataclass(frozen=True)
class Signature:
    """One person's sign-off of one of a session's report files."""

    name: str
    role: str
    signed_at: datetime
    file: Path  # the file that was signed
    unchanged: bool  # the file still has the bytes that were signed


@dataclass(frozen=True)
class SessionSignoff:
    """A drill session and the sign-offs of its reports."""

    run_id: str
    report: Path  # the file to sign: the HTML copy when there is one
    started_at: datetime | None = None
    total: int = 0
    passed: int = 0
    participants: tuple[tuple[str, str], ...] = ()  # (name, role)
    signatures: tuple[Signature, ...] = ()
    problems: tuple[str, ...] = ()  # files that could not be read

    @property
    def changed(self) -> list[Signature]:
        """Signatures of a file that changed after it was signed."""
        return [s for s in self.signatures if not s.unchanged]

    @property
    def waiting_for(self) -> list[str]:
        """Participants who have not signed the reports as they are now."""
        signed = {s.name for s in self.signatures if s.unchanged}
        return [f"{name} ({role})" for name, role in self.participants if name not in signed]

    @property
    def status(self) -> str:
        if self.changed:
            return "changed after signing"
        if self.waiting_for:
            return "awaiting sign-off"
        return "signed" if self.signatures else "not signed"

    @property
    def needs_attention(self) -> bool:
        return self.status in ("changed after signing", "awaiting sign-off")


@dataclass(frozen=True)
class Signoffs:
    """The newest sessions' sign-off state, newest first."""

    sessions: tuple[SessionSignoff, ...] = ()
    older: int = 0  # sessions left out (older than those shown)
    problems: tuple[str, ...] = field(default=())

    @property
    def needing_attention(self) -> list[SessionSignoff]:
        return [session for session in self.sessions if session.needs_attention]


def read_signoffs(reports: Path, shown: int = SESSIONS_SHOWN) -> Signoffs:
    """The sign-off state of the newest ``shown`` sessions under ``reports/runs``."""
    runs = reports / "runs"
    if not runs.is_dir():
        return Signoffs()
    prefix = f"{LATEST}-"
    copies = sorted(runs.glob(f"{prefix}*.json"), reverse=True)  # run ids begin with the time
    copies = [path for path in copies if not path.name.endswith(".signoff.json")]
    latest = _LatestSignatures.read(reports)
    sessions = [
        _session(path, path.name[len(prefix) : -len(".json")], latest) for path in copies[:shown]
    ]  # only those shown are read: a history of thousands of sessions stays quick
    return Signoffs(
        sessions=tuple(sessions),
        older=max(0, len(copies) - shown),
        problems=tuple(latest.problems),
    )


def session_of(report: Path) -> SessionSignoff | None:
    """The session whose copy under ``reports/runs/`` ``report`` is; None for other files."""
    prefix = f"{LATEST}-"
    if report.parent.name != "runs" or not report.name.startswith(prefix):
        return None
    if report.suffix not in FORMATS or not report.with_suffix(".json").is_file():
        return None
    run_id = report.name[len(prefix) : -len(report.suffix)]
    json_copy = report.with_suffix(".json")
    return _session(json_copy, run_id, _LatestSignatures.read(report.parent.parent))


def _session(json_copy: Path, run_id: str, latest: _LatestSignatures) -> SessionSignoff:
    """One session, from its JSON copy and the sign-off files beside its copies."""
    problems: list[str] = []
    signatures: list[Signature] = []
    for suffix in FORMATS:
        copy = json_copy.with_suffix(suffix)
        try:
            signatures += _signatures(copy)
            signatures += latest.matching(copy)
        except DrillbookError as error:
            problems.append(str(error))
    html = json_copy.with_suffix(".html")
    session = _session_fields(json_copy, problems)
    return SessionSignoff(
        run_id=run_id,
        report=html if html.exists() else json_copy,
        signatures=tuple(sorted(signatures, key=lambda s: s.signed_at)),
        problems=tuple(problems),
        **session,
    )


def _signatures(copy: Path) -> list[Signature]:
    """The signatures in ``copy``'s own sign-off file."""
    if not signoff_path(copy).exists():
        return []
    attestations = load_attestations(copy)
    now = digest_file(copy) if copy.exists() else None
    return [_signature(entry, copy, entry.sha256 == now) for entry in attestations]


def _signature(entry: Attestation, file: Path, unchanged: bool) -> Signature:
    return Signature(entry.name, entry.role, entry.signed_at, file, unchanged)


def _session_fields(json_copy: Path, problems: list[str]) -> dict[str, Any]:
    """Start time, drill counts and participants from a session's JSON report."""
    try:
        data = json.loads(json_copy.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(f"{json_copy}: cannot be read ({error})")
        return {}
    session = _mapping(data, "session")
    summary = _mapping(data, "summary")
    people = session.get("participants")
    return {
        "started_at": _time(session.get("started_at")),
        "total": _count(summary.get("total")),
        "passed": _count(summary.get("passed")),
        "participants": tuple(_people(people if isinstance(people, list) else [])),
    }


def read_participants(report_json: Path) -> tuple[tuple[str, str], ...]:
    """(name, role) of each participant a JSON drill report lists; none when it lists none
    or is no drill report."""
    participants: tuple[tuple[str, str], ...] = _session_fields(report_json, []).get(
        "participants", ()
    )
    return participants


def _mapping(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.utcoffset() is not None else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _people(entries: list[Any]) -> Iterator[tuple[str, str]]:
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            role = entry.get("role")
            yield entry["name"], role if isinstance(role, str) else ""


@dataclass
class _LatestSignatures:
    """Signatures of the latest report (``reports/drill-report.html`` and its siblings), by
    the digest they recorded: each belongs to the session whose copy has those bytes."""

    by_digest: dict[tuple[str, str], list[tuple[Attestation, Path]]]
    problems: list[str]

    @classmethod
    def read(cls, reports: Path) -> _LatestSignatures:
        found: dict[tuple[str, str], list[tuple[Attestation, Path]]] = {}
        problems = []
        for suffix in FORMATS:
            latest = reports / f"{LATEST}{suffix}"
            if not signoff_path(latest).exists():
                continue
            try:
                attestations = load_attestations(latest)
            except DrillbookError as error:
                problems.append(str(error))
                continue
            for entry in attestations:
                found.setdefault((suffix, entry.sha256), []).append((entry, latest))
        return cls(found, problems)

    def matching(self, copy: Path) -> list[Signature]:
        """Signatures of the latest report made while it had ``copy``'s bytes."""
        if not self.by_digest or not copy.exists():
            return []
        entries = self.by_digest.get((copy.suffix, digest_file(copy)), [])
        return [_signature(entry, latest, True) for entry, latest in entries]
