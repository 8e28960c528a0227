"""Reading what a post-mortem is drafted from: a drill report (one draft per drill) or the
timeline ``drillbook run`` wrote during a real incident (one draft)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError, LoadError
from drillbook.interactive.timeline import FORMAT as TIMELINE_FORMAT
from drillbook.postmortem.data import mapping, records, text
from drillbook.postmortem.facts import PostmortemFacts
from drillbook.postmortem.from_drill import drill_facts
from drillbook.postmortem.from_timeline import timeline_facts

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Draft:
    """The facts for one post-mortem, and a name for its file (safe as a file name)."""

    name: str
    facts: PostmortemFacts


def load_drafts(path: Path, drill: str | None = None) -> list[Draft]:
    """The drafts ``path`` holds; ``drill`` picks one drill of a drill report by its id."""
    data = _read_json(path)
    if isinstance(data, dict) and isinstance(data.get("drills"), list):
        return _drill_drafts(path, data, drill)
    if isinstance(data, dict) and data.get("format") == TIMELINE_FORMAT:
        if drill is not None:
            raise DrillbookError(
                f"{path}: --drill picks a drill from a drill report, but this is the timeline "
                "of a `drillbook run`: leave --drill out"
            )
        return [_timeline_draft(path, data)]
    raise DrillbookError(
        f"{path}: neither a drill report (reports/drill-report.json, with a 'drills' list) nor "
        f'a `drillbook run` timeline (with "format": "{TIMELINE_FORMAT}")'
    )


def _read_json(path: Path) -> Any:
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DrillbookError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DrillbookError(f"{path}: cannot read it: {reason}") from None
    try:
        return json.loads(content)
    except json.JSONDecodeError as error:
        raise LoadError(path, error.lineno, error.colno, f"not valid JSON: {error.msg}") from None


def _drill_drafts(path: Path, report: dict[str, Any], wanted: str | None) -> list[Draft]:
    drills = records(report, "drills")
    if not drills:
        raise DrillbookError(f"{path}: the report holds no drills, so there is nothing to draft")
    if wanted is not None:
        drills = [drill for drill in drills if text(drill, "drill_id") == wanted]
        if not drills:
            known = ", ".join(
                sorted({text(d, "drill_id") or "?" for d in records(report, "drills")})
            )
            raise DrillbookError(f"{path}: no drill {wanted!r} in this report; it holds: {known}")
    session = mapping(report, "session")
    drafts = []
    for drill in drills:
        drill_id = text(drill, "drill_id") or "drill"
        facts = drill_facts(drill, session, f"drill {drill_id} in {path}")
        drafts.append(Draft(_file_name(drill_id), facts))
    return _unique(drafts)


def _timeline_draft(path: Path, timeline: dict[str, Any]) -> Draft:
    if timeline.get("dry_run") is True:
        raise DrillbookError(
            f"{path}: this timeline is of a dry run, in which nothing ran: there is no "
            "incident to write a post-mortem about"
        )
    facts = timeline_facts(timeline, f"drillbook run timeline {path}")
    return Draft(_file_name(facts.incident_id or path.stem), facts)


def _file_name(name: str) -> str:
    return _UNSAFE.sub("-", name).strip("-.") or "incident"


def _unique(drafts: list[Draft]) -> list[Draft]:
    """The drafts with repeated names numbered (the same drill run twice in one report)."""
    used: set[str] = set()
    named = []
    for draft in drafts:
        name, count = draft.name, 1
        while name in used:
            count += 1
            name = f"{draft.name}-{count}"
        used.add(name)
        named.append(Draft(name, draft.facts))
    return named
