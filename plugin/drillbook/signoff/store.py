"""The sign-off file next to a report (``REPORT.signoff.json``): an append-only list of
attestations. Appending holds a lock on the report, so two people signing at once both land;
the file is replaced atomically, so a reader never sees half of it."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from drillbook.errors import DrillbookError, LoadError
from drillbook.formats.yaml_source import load_yaml_text
from drillbook.report.atomic import write_text_atomic
from drillbook.signoff.attestation import Attestation, BadAttestation

FORMAT = "drillbook-signoff/1"
SUFFIX = ".signoff.json"


def signoff_path(report: Path) -> Path:
    """Where the sign-offs of ``report`` are kept: ``REPORT.signoff.json`` beside it."""
    return report.with_name(report.name + SUFFIX)


def load_attestations(report: Path) -> list[Attestation]:
    """The attestations of ``report`` in signing order; none when it was never signed."""
    path = signoff_path(report)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DrillbookError(f"{path}: cannot read it: {reason}") from None
    return _parse(path, text)


def append_attestation(report: Path, attestation: Attestation) -> list[Attestation]:
    """Add ``attestation`` after those already there; all of them, the new one last."""
    with _locked(report):
        attestations = [*load_attestations(report), attestation]
        document = {
            "format": FORMAT,
            "report": report.name,
            "attestations": [entry.to_dict() for entry in attestations],
        }
        path = signoff_path(report)
        try:
            write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        except OSError as error:
            raise DrillbookError(f"cannot write {path}: {error.strerror or error}") from None
    return attestations


@contextmanager
def _locked(report: Path) -> Iterator[None]:
    """An exclusive lock on the report file itself (it exists; no lock file is left over)."""
    try:
        handle = report.open("rb")
    except OSError as error:
        raise DrillbookError(f"{report}: cannot open it: {error.strerror or error}") from None
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _parse(path: Path, text: str) -> list[Attestation]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LoadError(path, error.lineno, error.colno, f"not valid JSON: {error.msg}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _error(path, text, (), f'not a sign-off file: expected "format": "{FORMAT}"')
    entries = data.get("attestations")
    if not isinstance(entries, list):
        raise _error(path, text, ("attestations",), "'attestations' must be a list")
    attestations = []
    for index, entry in enumerate(entries):
        try:
            attestations.append(Attestation.from_dict(entry))
        except BadAttestation as error:
            where: tuple[str | int, ...] = ("attestations", index)
            if error.field is not None:
                where += (error.field,)
            raise _error(path, text, where, f"attestation {index + 1}: {error}") from None
    return attestations


def _error(path: Path, text: str, key: tuple[str | int, ...], message: str) -> LoadError:
    """``message`` at the position of ``key`` in the file (JSON is read as YAML for that)."""
    try:
        line, column = load_yaml_text(text, path).source.value_position(key)
    except LoadError:
        line, column = 1, 1
    return LoadError(path, line, column, message)
