"""The mark of a part a person still has to write: one syntax, made here, found here.

A prompt reads ``<!-- prompt: KEY -->_[to fill: WHAT TO WRITE]_``: the comment names the
prompt for tools and stays invisible when rendered; the italic ``[to fill: ...]`` is what a
reader sees. Filling a prompt means replacing the visible marker with text; the comment may
stay. Escaped text (``\\_\\[to fill``, ``\\<!--``) is never a prompt, so a value from a report
that imitates one is shown, not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drillbook.report.markdown import Markdown

MARKER = re.compile(r"(?<!\\)_\[to fill: (?P<text>[^\]\n]*)\]_")
COMMENT = re.compile(r"(?<!\\)<!--\s*prompt:\s*(?P<key>[^\s>]*)\s*-->")
_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")
_TEXT = re.compile(r"[^\]\n_<>]+")


def prompt(key: str, text: str) -> Markdown:
    """The prompt ``key`` asking for ``text`` (both ours, never a report's values)."""
    if not _KEY.fullmatch(key) or not _TEXT.fullmatch(text):
        raise ValueError(f"not a valid prompt: key {key!r}, text {text!r}")
    return Markdown(f"<!-- prompt: {key} -->_[to fill: {text}]_")


@dataclass(frozen=True)
class FoundPrompt:
    """A prompt left in a document: 1-based column, key (when its comment is there), text."""

    column: int
    key: str | None
    text: str


def find_prompts(line: str) -> list[FoundPrompt]:
    """The visible prompt markers left on one line, each with the comment just before it."""
    found = []
    for match in MARKER.finditer(line):
        before = line[: match.start()]
        comments = list(COMMENT.finditer(before))
        key, start = None, match.start()
        if comments and comments[-1].end() == len(before):
            key, start = comments[-1].group("key"), comments[-1].start()
        found.append(FoundPrompt(start + 1, key, match.group("text")))
    return found


def without_comments(line: str) -> str:
    """The line with its prompt comments taken out."""
    return COMMENT.sub("", line)
