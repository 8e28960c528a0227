"""What the knowledge base holds and answers: passages of documents, and ranked hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["runbook", "postmortem", "report"]
KINDS: tuple[str, ...] = ("runbook", "postmortem", "report")


@dataclass(frozen=True)
class Passage:
    """One searchable piece of a document, with where it starts."""

    kind: str  # "runbook" | "postmortem" | "report"
    path: str  # relative to the workspace root where possible
    line: int  # 1-based line of the passage's start
    title: str  # the document's title (runbook title, post-mortem heading, drill title)
    text: str  # the passage itself (plain text)
    section: str = ""  # where in the document: a step, a heading, a drill's report section
    status: str = ""  # a report passage's drill outcome ("failed", "passed", ...); else ""

    @property
    def location(self) -> str:
        """``path:line``, the way editors and terminals link to it."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Hit:
    """A passage that answers a query, how well, and the passage with the matches marked."""

    passage: Passage
    score: float  # higher is more relevant
    snippet: str  # the passage with matched terms marked [like this]
    marked: str = field(default="", compare=False)  # the snippet with \x02 \x03 as marks
    similar: int = 0  # how many other drill reports have the same drill section matching

    def highlighted(self, before: str, after: str) -> str:
        """The snippet with each match between ``before`` and ``after`` (e.g. terminal bold)."""
        if not self.marked:
            return self.snippet
        return self.marked.replace("\x02", before).replace("\x03", after)
