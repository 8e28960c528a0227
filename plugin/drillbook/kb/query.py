"""User queries as safe FTS5 match expressions: the user's words are never FTS5 syntax.

A query is split into terms: a double-quoted part stays a phrase, every other word is cut into
the tokens the index would make of it (``db-01:5432`` becomes the phrase ``db 01 5432``).
Every term is written as a quoted FTS5 string, so ``AND``, ``NEAR``, ``*``, ``:`` or an odd
quote in what the user typed are only text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# unicode61 keeps letters, digits (and marks) together and splits on everything else.
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_QUOTED = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Query:
    """The terms of a user query; each term is a tuple of tokens (more than one: a phrase)."""

    terms: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        terms: list[tuple[str, ...]] = []
        position = 0
        for match in _QUOTED.finditer(text):
            terms.extend(_word_terms(text[position : match.start()]))
            phrase = tokens(match.group(1))
            if phrase:
                terms.append(phrase)
            position = match.end()
        terms.extend(_word_terms(text[position:].replace('"', " ")))
        return cls(tuple(dict.fromkeys(terms)))

    @property
    def empty(self) -> bool:
        return not self.terms

    def match_all(self) -> str:
        """The FTS5 expression requiring every term."""
        return " AND ".join(_fts_term(term) for term in self.terms)

    def match_any(self) -> str:
        """The FTS5 expression requiring at least one term."""
        return " OR ".join(_fts_term(term) for term in self.terms)

    def words(self) -> list[str]:
        """Every token of the query, in order, once."""
        return list(dict.fromkeys(token for term in self.terms for token in term))


def tokens(text: str) -> tuple[str, ...]:
    """The lowercase tokens of ``text``, as the index's tokenizer cuts it."""
    return tuple(token.lower() for token in _TOKEN.findall(text))


def _word_terms(text: str) -> list[tuple[str, ...]]:
    return [term for word in text.split() if (term := tokens(word))]


def _fts_term(term: tuple[str, ...]) -> str:
    # Tokens hold only letters and digits, so quoting cannot be broken out of.
    return '"' + " ".join(term) + '"'
