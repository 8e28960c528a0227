"""``drillbook kb search QUERY...`` and ``drillbook kb index``.

``search`` prints each hit as ``path:line: title`` and the passage with the matched words
marked; it exits 0 with hits, 1 when nothing matched. ``index`` rebuilds the index and says how
many passages from how many files it holds. Files that cannot be read are named and skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from drillbook.errors import DrillbookError
from drillbook.kb.index import KnowledgeBase, SearchResult
from drillbook.kb.model import KINDS, Hit
from drillbook.kb.query import Query
from drillbook.workspace import Workspace

if TYPE_CHECKING:
    from drillbook.kb.extract import Problem

BOLD = "\033[1m"
RESET = "\033[0m"


def register(subparsers: Any) -> None:
    """Add ``drillbook kb search|index``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "kb",
        help="search runbooks, post-mortems and drill reports",
        description="A full-text knowledge base over the workspace's runbooks, post-mortems "
        "and Markdown drill reports, answering with the passage and its file:line.",
    )
    actions = parser.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    search = actions.add_parser(
        "search",
        help="find the passages that best match a query",
        description='Find passages with all the words ("quoted words" as a phrase; words '
        "match their other forms: refused finds refusing). When no passage has them all, "
        "passages with any of them are shown, and that is said. Exit 1 when nothing matched.",
    )
    search.add_argument("query", nargs="+", metavar="QUERY", help="words to look for")
    search.add_argument("--kind", choices=KINDS, help="only this kind of document")
    search.add_argument("--limit", type=_positive, default=10, metavar="N", help="at most N hits")
    search.add_argument("--json", action="store_true", help="print the hits as JSON")
    _add_root(search)
    search.set_defaults(func=run_search)
    index = actions.add_parser(
        "index",
        help="rebuild the index",
        description="Index every runbook, post-mortem and drill report of the workspace afresh.",
    )
    _add_root(index)
    index.set_defaults(func=run_index)


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, metavar="PATH", help="the workspace (default: current directory)"
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give a number of hits of at least 1")
    return value


def run_search(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    if Query.parse(query).empty:
        raise DrillbookError(f"the query {query!r} has no words to look for")
    workspace = Workspace.discover(args.root)
    with KnowledgeBase.open_or_build(workspace) as kb:
        _print_problems(kb.problems)
        result = kb.search_result(query, limit=args.limit, kind=args.kind, refresh=False)
    if args.json:
        print(json.dumps(_as_json(query, result), indent=2, ensure_ascii=False))
    else:
        _print_hits(query, result, sys.stdout)
    return 0 if result.hits else 1


def run_index(args: argparse.Namespace) -> int:
    workspace = Workspace.discover(args.root)
    with KnowledgeBase.build(workspace) as kb:
        _print_problems(kb.problems)
        passages, files = kb.counts()
    print(f"indexed {passages} passages from {files} files into {_shown(kb.path, workspace)}")
    return 0


def _print_hits(query: str, result: SearchResult, out: TextIO) -> None:
    if not result.hits:
        print(f"nothing matches {query!r}", file=sys.stderr)
        return
    if result.any_term:
        print(
            "no passage has all of the words; showing passages with any of them",
            file=sys.stderr,
        )
    bold = out.isatty()
    for hit in result.hits:
        print(_heading(hit), file=out)
        marked = hit.highlighted(BOLD, RESET) if bold else hit.snippet
        for line in marked.splitlines() or [""]:
            print(textwrap.indent(line, "    "), file=out)
        if hit.similar:
            print(f"    (and {hit.similar} more drill reports with this section)", file=out)


def _heading(hit: Hit) -> str:
    passage = hit.passage
    where = f" ({passage.section})" if passage.section else ""
    return f"{passage.location}: {passage.title}{where}"


def _as_json(query: str, result: SearchResult) -> dict[str, Any]:
    return {
        "query": query,
        "any_term": result.any_term,
        "hits": [
            {
                "kind": hit.passage.kind,
                "path": hit.passage.path,
                "line": hit.passage.line,
                "title": hit.passage.title,
                "section": hit.passage.section,
                "score": round(hit.score, 4),
                "similar": hit.similar,
                "snippet": hit.snippet,
            }
            for hit in result.hits
        ],
    }


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(f"drillbook kb: {problem}", file=sys.stderr)


def _shown(path: Path, workspace: Workspace) -> str:
    try:
        return str(path.relative_to(workspace.root))
    except ValueError:
        return str(path)
