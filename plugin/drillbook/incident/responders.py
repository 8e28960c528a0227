"""Scripted responders for drills: who acknowledges a page, and how long after being paged.

::

    responders:
      - {who: primary, acknowledges: false}        # the primary sleeps through it
      - {who: secondary, acknowledges: true, after: 2m}

``who`` names, tried in this order against each page: a person id (``engineer-1``), a
schedule among the level's targets (``primary`` for a level targeting ``schedule primary``),
``level N``, or the aliases ``primary`` and ``secondary`` for levels 1 and 2. The first entry
that matches a page decides; someone no entry matches does not acknowledge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from drillbook.errors import DrillbookError
from drillbook.formats.common import Duration, SnakeModel
from drillbook.formats.loader import Loaded, load_model, load_model_text
from drillbook.formats.yaml_source import SourceMap
from drillbook.oncall.roster import EscalationStep

_LEVEL = re.compile(r"^\s*level[\s_-]*(\d+)\s*$", re.I)
ALIASES = {"primary": 1, "secondary": 2}


class EscalationError(DrillbookError):
    """An escalation that cannot run as written; the message says what to change."""


class ScriptedResponder(SnakeModel):
    """One responder's behaviour: whether they acknowledge when paged, and after how long."""

    who: Annotated[str, Field(min_length=1, max_length=128)]
    acknowledges: bool = True
    after: Duration = 0.0


@dataclass(frozen=True)
class Audience:
    """What a ``who`` turned out to name on a path: a person, a schedule or a level."""

    kind: Literal["person", "schedule", "level"]
    value: str | int

    def covers(self, step: EscalationStep, person: str) -> bool:
        """Whether ``person`` paged at ``step`` is in this audience."""
        if self.kind == "person":
            return person == self.value
        if self.kind == "schedule":
            return f"schedule {self.value}" in step.targets
        return step.level == self.value


class ResponderScript(SnakeModel):
    """How the people on an escalation path answer their pages in a drill."""

    responders: list[ScriptedResponder] = Field(default_factory=list)

    def bind(self, steps: Sequence[EscalationStep]) -> BoundScript:
        """This script read against ``steps``; EscalationError for a ``who`` naming nobody."""
        check_responders(self, steps)
        return BoundScript([(entry, _audience(entry.who, steps)) for entry in self.responders])


@dataclass(frozen=True)
class BoundScript:
    """A responder script whose every ``who`` is resolved against one escalation path."""

    entries: list[tuple[ScriptedResponder, Audience | None]]

    def responder_for(self, step: EscalationStep, person: str) -> ScriptedResponder | None:
        """The first entry that covers ``person`` paged at ``step`` (None: no one does)."""
        for entry, audience in self.entries:
            if audience is not None and audience.covers(step, person):
                return entry
        return None


def load_responder_script(path: Path | str) -> Loaded[ResponderScript]:
    """Read a responder script; problems raise LoadError(s) naming file:line:col."""
    return load_model(path, ResponderScript, "responder script")


def load_responder_script_text(text: str, path: str = "<string>") -> Loaded[ResponderScript]:
    return load_model_text(text, ResponderScript, "responder script", path)


def check_responders(
    script: ResponderScript,
    steps: Sequence[EscalationStep],
    *,
    source: SourceMap | None = None,
    key_prefix: tuple[str | int, ...] = (),
) -> None:
    """Refuse an entry whose ``who`` matches nobody on the path (a typo would otherwise
    script nobody). With the script's ``source``, the error names file:line:col."""
    for index, entry in enumerate(script.responders):
        if _audience(entry.who, steps) is not None:
            continue
        message = (
            f"responder {entry.who!r} is nobody on this escalation path; write one of: "
            f"{', '.join(_choices(steps))}"
        )
        if source is not None:
            raise source.error((*key_prefix, "responders", index, "who"), message)
        raise EscalationError(message)


def _audience(who: str, steps: Sequence[EscalationStep]) -> Audience | None:
    """What ``who`` names on ``steps``: a person, else a schedule, else a level (or alias)."""
    name = who.strip()
    if any(name in step.people for step in steps):
        return Audience("person", name)
    if any(f"schedule {name}" in step.targets and step.people for step in steps):
        return Audience("schedule", name)
    found = _LEVEL.match(name)
    level = int(found[1]) if found is not None else ALIASES.get(name.lower())
    if level is not None and any(step.level == level and step.people for step in steps):
        return Audience("level", level)
    return None


def _choices(steps: Sequence[EscalationStep]) -> list[str]:
    people = sorted({person for step in steps for person in step.people})
    schedules = sorted(
        {
            label.removeprefix("schedule ")
            for step in steps
            for label in step.targets
            if label.startswith("schedule ") and step.people
        }
    )
    levels = [f"level {step.level}" for step in steps if step.people]
    return [*people, *schedules, *levels] or ["(nobody: the path pages no one)"]
