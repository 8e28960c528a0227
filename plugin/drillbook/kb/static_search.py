"""The dashboard's in-browser search: one self-contained ``kb-search.js`` holding a prebuilt
inverted index of the knowledge base's passages and a small BM25 ranking in plain JavaScript.

It works from ``file://`` (no fetches) and binds to ``<input id="kb-query">``, rendering hits
into ``<ol id="kb-results">`` (and a note into ``<p id="kb-status">`` when the page has one).
Every piece of text goes in through ``textContent``/``createElement``, never as HTML.

Queries are cut and stemmed the same way the index was: letters and digits, lowercase, then a
light suffix stripper (``refused``, ``refusing`` and ``refuses`` meet at ``refus``). All words
must match (a "quoted phrase" must appear as written); when nothing has them all, passages
with any of them are shown and the note says so.

Size: runbooks and post-mortems are indexed whole; of drill reports only the passages of
drills that did not pass (failed or error), the newest ``MAX_REPORT_PASSAGES`` of them, so ten
thousand reports of mostly passing drills stay a small file. Each passage's shown text is cut
at ``SHOWN_CHARS`` and its indexed text at ``INDEXED_CHARS``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources

from drillbook.kb.index import KnowledgeBase
from drillbook.kb.model import Passage

ASSET_NAME = "kb-search.js"
MAX_REPORT_PASSAGES = 2000
SHOWN_CHARS = 400
INDEXED_CHARS = 2000
# Integer field weights (title counts twice a word of the text, a section heading 1.5 times).
WEIGHTS = (("title", 4), ("section", 3), ("text", 2))
_TOKEN = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"^[a-z]+$")
_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))


def stem(word: str) -> str:
    """A light English suffix stripper, the same as the JavaScript ``stem``."""
    if len(word) <= 3 or not _ASCII_WORD.match(word):
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The stemmed, lowercase words of ``text``, as the JavaScript ``terms``."""
    return [stem(token.lower()) for token in _TOKEN.findall(text)]


def chosen_passages(kb: KnowledgeBase) -> list[Passage]:
    """All runbook and post-mortem passages, and the newest failed drills' report passages."""
    kept: list[Passage] = []
    reports: list[Passage] = []
    for passage in kb.passages():
        if passage.kind != "report":
            kept.append(passage)
        elif passage.status in ("failed", "error"):
            reports.append(passage)
    # Report file names start with their UTC time, so the newest sort last.
    reports.sort(key=lambda p: (p.path, p.line), reverse=True)
    return kept + reports[:MAX_REPORT_PASSAGES]


def build_index(passages: list[Passage]) -> dict[str, object]:
    """The data the script searches: documents, postings (term -> [doc, weight, ...]), lengths."""
    postings: dict[str, list[int]] = {}
    lengths: list[int] = []
    docs: list[list[object]] = []
    for number, passage in enumerate(passages):
        weighted: Counter[str] = Counter()
        for name, weight in WEIGHTS:
            for term in terms(getattr(passage, name)[:INDEXED_CHARS]):
                weighted[term] += weight
        for term, count in weighted.items():
            postings.setdefault(term, []).extend((number, count))
        lengths.append(sum(weighted.values()))
        shown = passage.text[:SHOWN_CHARS] + ("…" if len(passage.text) > SHOWN_CHARS else "")
        docs.append(
            [passage.kind, passage.path, passage.line, passage.title, passage.section, shown]
        )
    return {"docs": docs, "postings": postings, "lengths": lengths}


def search_assets(kb: KnowledgeBase) -> dict[str, str]:
    """File name -> content for the dashboard's in-browser search: one self-contained
    ``kb-search.js`` (prebuilt index + search code; loaded with <script src>, works from
    file://, no fetches). It binds to <input id="kb-query"> and fills <ol id="kb-results">."""
    data = json.dumps(build_index(chosen_passages(kb)), ensure_ascii=False, separators=(",", ":"))
    data = data.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    code = resources.files("drillbook.kb").joinpath("kb_search.js").read_text(encoding="utf-8")
    return {ASSET_NAME: code.replace("/*KB_DATA*/null", data, 1)}
