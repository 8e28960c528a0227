"""One sign-off: who signed, in which role, when (UTC), and the digest of what they signed."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drillbook import __version__
from drillbook.errors import DrillbookError

MAX_LENGTH = 200
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class BadAttestation(ValueError):
    """Attestation data that cannot be read; ``field`` names the culprit when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Attestation:
    """A person's statement that they reviewed the report whose bytes had ``sha256``."""

    name: str
    role: str
    signed_at: datetime
    sha256: str
    drillbook_version: str

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "role": self.role,
            "signed_at": self.signed_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "sha256": self.sha256,
            "drillbook_version": self.drillbook_version,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Attestation:
        """An attestation ``to_dict`` wrote; BadAttestation says what is wrong with other data."""
        if not isinstance(data, dict):
            raise BadAttestation("an attestation must be an object")
        values = {}
        for key in ("name", "role", "signed_at", "sha256"):
            value = data.get(key)
            if not isinstance(value, str):
                raise BadAttestation(f"'{key}' must be a string", key)
            values[key] = value
        if not _SHA256.fullmatch(values["sha256"]):
            raise BadAttestation("'sha256' must be 64 lower-case hex digits", "sha256")
        version = data.get("drillbook_version")
        return cls(
            name=_field("name", values["name"]),
            role=_field("role", values["role"]),
            signed_at=_signed_at(values["signed_at"]),
            sha256=values["sha256"],
            drillbook_version=version if isinstance(version, str) else "",
        )


def _field(what: str, value: str) -> str:
    try:
        return check_text(what, value)
    except ValueError as error:
        raise BadAttestation(str(error), what) from None


def _signed_at(value: str) -> datetime:
    try:
        signed_at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadAttestation("'signed_at' must be an ISO 8601 time", "signed_at") from None
    if signed_at.utcoffset() is None:
        raise BadAttestation("'signed_at' must carry its UTC offset", "signed_at")
    return signed_at.astimezone(UTC)


def check_text(what: str, value: str) -> str:
    """``value`` stripped, when it is a usable name or role; ValueError says why not."""
    stripped = value.strip()
    if not stripped:
        raise ValueError(f"the {what} is empty")
    if any(not char.isprintable() for char in stripped):
        raise ValueError(f"the {what} {value!r} holds control characters (newlines, tabs...)")
    if len(stripped) > MAX_LENGTH:
        raise ValueError(f"the {what} is longer than {MAX_LENGTH} characters")
    return stripped


def digest_file(path: Path) -> str:
    """The SHA-256 of the file's bytes, in hex; DrillbookError when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        raise DrillbookError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DrillbookError(f"{path}: is a directory, not a report file") from None
    except OSError as error:
        raise DrillbookError(f"{path}: cannot read it: {error.strerror or error}") from None
    return digest.hexdigest()


def make_attestation(report: Path, name: str, role: str, now: datetime) -> Attestation:
    """The attestation of ``name`` in ``role`` for ``report`` as it is now."""
    try:
        name, role = check_text("name", name), check_text("role", role)
    except ValueError as error:
        raise DrillbookError(f"cannot sign {report}: {error}") from None
    return Attestation(name, role, now.astimezone(UTC), digest_file(report), __version__)
