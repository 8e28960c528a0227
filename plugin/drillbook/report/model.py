"""The session a drill report describes: when, where, who took part, and where it was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPORT_SCHEMA_VERSION = "1.0"

PARTICIPANT_FORMAT = "'Name:role' (for example 'Ada Lovelace:trainee')"


@dataclass(frozen=True)
class Participant:
    """One person who took part in the drills, with their role (trainee, lead, observer...)."""

    name: str
    role: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role}


def parse_participant(text: str) -> Participant:
    """Read ``--drill-participant "Name:role"``; the role is what follows the last colon."""
    name, colon, role = text.rpartition(":")
    if not colon:
        raise ValueError(
            f"--drill-participant expects {PARTICIPANT_FORMAT}, got {text!r}: "
            "add ':' and the person's role after the name"
        )
    name, role = name.strip(), role.strip()
    if not name:
        raise ValueError(
            f"--drill-participant expects {PARTICIPANT_FORMAT}, got {text!r}: "
            "the name before ':' is empty"
        )
    if not role:
        raise ValueError(
            f"--drill-participant expects {PARTICIPANT_FORMAT}, got {text!r}: "
            "the role after ':' is empty"
        )
    if any(not ch.isprintable() for ch in name + role):
        raise ValueError(
            f"--drill-participant expects {PARTICIPANT_FORMAT}, got {text!r}: "
            "remove the control characters (newlines, tabs) from it"
        )
    return Participant(name=name, role=role)


@dataclass
class SessionInfo:
    """One pytest session of drills: its times, host, tool version, arguments and people."""

    started_at: datetime
    ended_at: datetime
    participants: list[Participant] = field(default_factory=list)
    hostname: str = ""
    drillbook_version: str = ""
    pytest_args: list[str] = field(default_factory=list)
    run_id: str = ""

    @property
    def duration(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "duration": round(self.duration, 6),
            "hostname": self.hostname,
            "drillbook_version": self.drillbook_version,
            "pytest_args": list(self.pytest_args),
            "participants": [p.to_dict() for p in self.participants],
        }


@dataclass(frozen=True)
class ReportPaths:
    """Where one report was written, in each of its three forms."""

    json: Path
    markdown: Path
    html: Path
