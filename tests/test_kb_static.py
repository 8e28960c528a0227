"""The dashboard's kb-search.js, run under node where node is installed: its ranking, its
stemmer (the same as the Python side's), the rendering with <mark> through DOM calls only."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from drillbook.kb.index import KnowledgeBase
from drillbook.kb.model import Passage
from drillbook.kb.static_search import (
    ASSET_NAME,
    MAX_REPORT_PASSAGES,
    build_index,
    chosen_passages,
    search_assets,
    stem,
)
from test_kb_index import make_workspace

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed (not a dependency)")

# A DOM just big enough for render(): elements with children, text nodes, textContent.
FAKE_DOM = """
function el(tag) { return { tag: tag, children: [], text: "",
  appendChild(c) { this.children.push(c); }, get firstChild() { return this.children[0]; },
  removeChild(c) { this.children.splice(this.children.indexOf(c), 1); },
  set textContent(v) { this.children = [{ tag: "#text", text: String(v) }]; } }; }
const doc = { createElement: el, createTextNode: (t) => ({ tag: "#text", text: t }) };
function dump(n) { return n.tag === "#text" ? n.text
  : "<" + n.tag + ">" + n.children.map(dump).join("") + "</" + n.tag + ">"; }
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    workspace = make_workspace(tmp_path)
    with KnowledgeBase.build(workspace) as kb:
        assets = search_assets(kb)
    assert list(assets) == [ASSET_NAME]
    path = tmp_path / ASSET_NAME
    path.write_text(assets[ASSET_NAME], encoding="utf-8")
    return path


def node(script: Path, body: str) -> object:
    assert NODE is not None
    program = f"const kb = require({json.dumps(str(script))});\n{FAKE_DOM}\n{body}"
    done = subprocess.run(
        [NODE, "-e", program], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@needs_node
def test_search_ranks_the_specific_passage_first(script: Path) -> None:
    result = node(script, "console.log(JSON.stringify(kb.search('connection refused', 5)))")
    assert isinstance(result, dict) and result["anyTerm"] is False
    first = result["hits"][0]
    assert (first["path"], first["line"]) == ("postmortems/2026-03-pool.md", 13)
    scores = [hit["score"] for hit in result["hits"]]
    assert scores == sorted(scores, reverse=True)


@needs_node
def test_phrases_stems_and_fallback(script: Path) -> None:
    result = node(
        script,
        "console.log(JSON.stringify(['\"too many connections\"', '\"many too connections\"',"
        " 'refused', 'importer xylophonequartz', 'db-01:5432', '']"
        ".map(q => kb.search(q, 10))))",
    )
    assert isinstance(result, list)
    phrase, wrong_order, refused, fallback, host, empty = result
    assert phrase["hits"][0]["path"] == "postmortems/2026-03-pool.md"
    assert wrong_order["hits"] == []
    assert any("PgBouncer refusing" in hit["text"] for hit in refused["hits"])
    assert fallback["anyTerm"] is True and "importer" in fallback["hits"][0]["text"]
    assert "db-01:5432" in host["hits"][0]["text"]
    assert empty["hits"] == []


@needs_node
def test_render_marks_matches_with_dom_calls(script: Path) -> None:
    body = """
const list = el("ol"), status = el("p");
kb.render(doc, kb.search('connection refused', 1), list, status);
kb.render(doc, kb.search('<img src=x onerror=alert(1)> connection refused', 1), list, status);
console.log(JSON.stringify([dump(list), dump(status)]));
"""
    result = node(script, body)
    assert isinstance(result, list)
    html, status = result
    assert html.count("<li>") == 1
    assert "<code>postmortems/2026-03-pool.md:13</code>" in html
    assert "<mark>connection</mark> <mark>refused</mark>" in html
    assert "No passage has all the words" in status  # the img "words" are not in any passage
    assert "innerHTML" not in script.read_text(encoding="utf-8")


@needs_node
def test_the_stemmer_is_the_pythons(script: Path) -> None:
    words = [
        "refused",
        "refusing",
        "refuses",
        "connections",
        "queries",
        "class",
        "pass",
        "db",
        "latency",
        "errors",
        "failover",
        "naïve",
        "x1s",
        "used",
        "caches",
    ]
    answer = node(script, f"console.log(JSON.stringify({json.dumps(words)}.map(kb.stem)))")
    assert answer == [stem(word) for word in words]
    assert stem("refused") == stem("refusing") == stem("refuses")


def _report(number: int, status: str) -> Passage:
    path = f"reports/runs/drill-report-2026{number:08d}.md"
    return Passage("report", path, 1, "drill", "text", "Timeline", status)


def test_only_failed_drills_report_passages_newest_first_and_capped() -> None:
    class Fake:
        def passages(self) -> list[Passage]:
            return [_report(n, "failed" if n % 2 else "passed") for n in range(5000)] + [
                Passage("postmortem", "pm.md", 1, "t", "x")
            ]

    chosen = chosen_passages(Fake())  # type: ignore[arg-type]
    reports = [p for p in chosen if p.kind == "report"]
    assert len(reports) == MAX_REPORT_PASSAGES and {p.status for p in reports} == {"failed"}
    assert reports[0].path.endswith("00004999.md")
    assert any(p.kind == "postmortem" for p in chosen)


def test_index_postings_weigh_titles_above_text() -> None:
    data = build_index([Passage("runbook", "a.yaml", 1, "Disk", "disk full", "Step 1")])
    postings = data["postings"]
    assert isinstance(postings, dict)
    assert postings["disk"] == [0, 6] and postings["full"] == [0, 2]


@needs_node
def test_a_report_section_repeated_by_other_reports_is_one_hit(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    runs = workspace.reports / "runs"
    [original] = runs.glob("drill-report-*.md")
    for stamp in ("20260502T120000Z-def456", "20260503T120000Z-0a1b2c"):
        shutil.copy(original, runs / f"drill-report-{stamp}.md")
    with KnowledgeBase.build(workspace) as kb:
        path = tmp_path / ASSET_NAME
        path.write_text(search_assets(kb)[ASSET_NAME], encoding="utf-8")
    body = """
const result = kb.search('payment', 50), list = el("ol");
kb.render(doc, result, list, null);
console.log(JSON.stringify([result.hits.filter(h => h.kind === "report"), dump(list)]));
"""
    result = node(path, body)
    assert isinstance(result, list)
    reports, html = result
    sections = [(hit["title"], hit["section"]) for hit in reports]
    assert reports and len(sections) == len(set(sections))
    assert all(hit["similar"] == 2 for hit in reports)
    assert "<small>and 2 more drill reports with this section</small>" in html
