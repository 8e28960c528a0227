"""Everything ``drillbook run`` says to the responder and asks of them, behind one interface.

Questions offer words (``run``, ``skip``, ``abort``) shown as ``[r]un / [s]kip / [a]bort``;
an answer is the word or its first letter. The console implementation reads stdin; the
scripted one answers from a list, for tests.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from drillbook.errors import DrillbookError


class Prompter(Protocol):
    """Shows text to the responder and asks them to choose or to type a value."""

    @property
    def interactive(self) -> bool:
        """Whether a person can be asked to type values (stdin is a terminal)."""

    def show(self, text: str) -> None:
        """Print ``text`` (already masked) for the responder."""

    def choose(self, question: str, choices: Sequence[str], *, on_end: str) -> str:
        """One of ``choices``; ``on_end`` when input has ended (no one left to answer)."""

    def ask_value(self, name: str, description: str | None, *, secret: bool) -> str | None:
        """A value for var ``name`` (secret ones are not echoed); None when input has ended."""


def choice_menu(choices: Sequence[str]) -> str:
    """``("run", "skip")`` as ``[r]un / [s]kip``."""
    return " / ".join(f"[{word[0]}]{word[1:]}" for word in choices)


def match_choice(answer: str, choices: Sequence[str]) -> str | None:
    """The choice ``answer`` names (its first letter or the whole word), or None."""
    answer = answer.strip().lower()
    for word in choices:
        if answer in (word, word[0]):
            return word
    return None


class ConsolePrompter:
    """Asks on the terminal: stdout for text, stdin for answers, getpass for secrets."""

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty()

    def show(self, text: str) -> None:
        print(text, flush=True)

    def choose(self, question: str, choices: Sequence[str], *, on_end: str) -> str:
        prompt = f"{question} {choice_menu(choices)}? "
        while True:
            try:
                answer = input(prompt)
            except EOFError:
                self.show(f"\n(no more input: {on_end})")
                return on_end
            chosen = match_choice(answer, choices)
            if chosen is not None:
                return chosen
            letters = ", ".join(word[0] for word in choices)
            self.show(f"please answer one of {letters}")

    def ask_value(self, name: str, description: str | None, *, secret: bool) -> str | None:
        question = f"{name} ({description}): " if description else f"{name}: "
        try:
            return getpass.getpass(question) if secret else input(question)
        except EOFError:
            return None


INTERRUPT = "^C"
"""A scripted answer that presses Ctrl-C at the prompt."""


class ScriptExhausted(DrillbookError):
    """A scripted prompter was asked more than its script answers."""


class ScriptedPrompter:
    """Answers from a script, prints what it is shown, and keeps a record: for tests."""

    def __init__(
        self,
        answers: Iterable[str] = (),
        *,
        values: Mapping[str, str] | None = None,
        interactive: bool = True,
        echo: bool = True,
    ) -> None:
        self._answers = list(answers)
        self._values = dict(values or {})
        self._interactive = interactive
        self._echo = echo
        self.questions: list[str] = []
        self.shown: list[str] = []

    @property
    def interactive(self) -> bool:
        return self._interactive

    @property
    def unused(self) -> list[str]:
        """Answers the script holds that nobody asked for."""
        return list(self._answers)

    def show(self, text: str) -> None:
        self.shown.append(text)
        if self._echo:
            print(text)

    def choose(self, question: str, choices: Sequence[str], *, on_end: str) -> str:
        self.questions.append(f"{question} {choice_menu(choices)}")
        if not self._answers:
            raise ScriptExhausted(f"no scripted answer left for: {question}")
        answer = self._answers.pop(0)
        if answer == INTERRUPT:
            raise KeyboardInterrupt
        chosen = match_choice(answer, choices)
        if chosen is None:
            raise ScriptExhausted(f"scripted answer {answer!r} is not one of {choices}")
        return chosen

    def ask_value(self, name: str, description: str | None, *, secret: bool) -> str | None:
        self.questions.append(f"{name} (secret)" if secret else name)
        return self._values.get(name)
