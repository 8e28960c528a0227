"""Helpers shared by the rules that read the programs a step's command runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from drillbook.lint.actions import ActionRef, actions
from drillbook.lint.document import LintDocument
from drillbook.lint.shell import Invocation, Script, Word, parse_script


@dataclass(frozen=True)
class CommandUse:
    """One program run by one action, with the parsed script it belongs to."""

    action: ActionRef
    script: Script
    invocation: Invocation

    @property
    def program(self) -> str:
        """The program's name without its directory (``/usr/bin/watch`` is ``watch``)."""
        return self.invocation.name.text.rsplit("/", 1)[-1]

    @property
    def args(self) -> list[str]:
        return [word.text for word in self.invocation.args]


def command_uses(document: LintDocument, *, include_manual: bool) -> Iterator[CommandUse]:
    """Every program the document's commands run, in file order."""
    for action in actions(document):
        if action.command is None or (action.manual and not include_manual):
            continue
        script = parse_script(action.command)
        for invocation in script.invocations():
            yield CommandUse(action, script, invocation)


def word_position(document: LintDocument, action: ActionRef, word: Word) -> tuple[int, int]:
    return document.position_in_value(action.command_key, word.line, word.column, word.raw)


def short_flags(args: list[str]) -> set[str]:
    """The letters of clustered short options (``-rf`` gives ``r`` and ``f``)."""
    letters: set[str] = set()
    for arg in args:
        if arg.startswith("-") and not arg.startswith("--"):
            letters.update(arg[1:])
    return letters


def subcommands(args: list[str], count: int = 2) -> list[str]:
    """The first ``count`` arguments that are not options."""
    return [arg for arg in args if not arg.startswith("-")][:count]


def shown(use: CommandUse, limit: int = 4) -> str:
    """The program and its first arguments as written, with token-like words left out."""
    args = [_redacted(word.raw) for word in use.invocation.args[:limit]]
    text = " ".join([use.invocation.name.raw, *args]).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


# A literal credential in a command (a long token, a URL with a password) is not repeated.
_TOKEN_LIKE = re.compile(r"^(?=.*\d)[\w-]{20,}$")
_URL_PASSWORD = re.compile(r"://[^/\s]*:[^/\s]*@")


def _redacted(word: str) -> str:
    return "***" if _TOKEN_LIKE.search(word) or _URL_PASSWORD.search(word) else word
