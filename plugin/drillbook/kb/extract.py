"""Documents cut into passages: the one entry point that picks the reader for each kind, and
turns a file that cannot be read into a ``file:line: reason`` problem instead of an error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drillbook.errors import LoadError, LoadErrors
from drillbook.formats.loader import validate_document
from drillbook.formats.runbook import Runbook
from drillbook.formats.yaml_source import load_yaml_file
from drillbook.kb.extract_markdown import postmortem_passages, report_passages
from drillbook.kb.extract_runbook import runbook_passages
from drillbook.kb.model import Passage
from drillbook.kb.sources import Source


@dataclass(frozen=True)
class Problem:
    """A file that could not be read into passages: ``path:line: reason``."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def passages_of(source: Source) -> tuple[list[Passage], list[Problem]]:
    """The passages of one source file, or the problem reading it (and then no passages)."""
    try:
        if source.kind == "runbook":
            return _runbook(source), []
        text = Path(source.absolute).read_text(encoding="utf-8")
    except (LoadError, LoadErrors) as exc:
        first = exc if isinstance(exc, LoadError) else exc.errors[0]
        return [], [Problem(source.path, first.line, f"{first.message}; skipped")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(source.path, 1, f"cannot be read ({exc}); skipped")]
    if source.kind == "postmortem":
        return list(postmortem_passages(text, source.path)), []
    return list(report_passages(text, source.path)), []


def _runbook(source: Source) -> list[Passage]:
    """A runbook's passages; YAML that is not a runbook (no ``steps``, e.g. detection rules
    kept beside the runbooks) has none and is no problem."""
    document = load_yaml_file(Path(source.absolute))
    if not isinstance(document.data, dict) or "steps" not in document.data:
        return []
    loaded = validate_document(document.data, document.source, Runbook, "runbook")
    return list(runbook_passages(loaded, source.path))
