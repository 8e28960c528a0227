"""``drillbook kb search`` and ``drillbook kb index``: output, highlighting and exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest
from drillbook.kb import command
from drillbook.workspace import Workspace
from test_kb_index import make_workspace


def kb(*argv: str) -> int:
    """Run ``drillbook kb ...`` through the command's own parser, as cli.main does."""
    parser = argparse.ArgumentParser(prog="drillbook")
    command.register(parser.add_subparsers())
    args = parser.parse_args(["kb", *argv])
    return int(args.func(args))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    make_workspace(tmp_path)
    return tmp_path


def test_search_prints_path_line_title_and_the_marked_passage(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kb("search", "connection", "refused", "--root", str(root), "--limit", "1") == 0
    out = capsys.readouterr().out.splitlines()
    path, line, title = out[0].split(":", 2)
    assert (path, line) == ("postmortems/2026-03-pool.md", "13")
    assert title.startswith(" Incident Post-Mortem: INC-101")
    text = (root / path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
    assert "connection refused" in text
    assert out[1].startswith("    ") and "[connection] [refused]" in out[1]
    assert "\033[" not in "\n".join(out)  # not a terminal: brackets, no escape codes


def test_search_builds_the_index_when_missing_and_nothing_matching_exits_1(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = Workspace.discover(root, environ={}).kb_index_path
    assert not index.exists()
    assert kb("search", "xylophonequartz", "--root", str(root)) == 1
    assert index.is_file()
    captured = capsys.readouterr()
    assert captured.out == "" and "nothing matches 'xylophonequartz'" in captured.err


def test_search_says_when_it_falls_back_to_any_word(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kb("search", "importer", "xylophonequartz", "--root", str(root)) == 0
    captured = capsys.readouterr()
    assert "showing passages with any of them" in captured.err
    assert "[importer]" in captured.out


def test_search_json_and_kind(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kb("search", "database", "--kind", "runbook", "--json", "--root", str(root)) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"] == "database" and data["any_term"] is False
    assert data["hits"] and {h["kind"] for h in data["hits"]} == {"runbook"}
    first = data["hits"][0]
    assert set(first) == {"kind", "path", "line", "title", "section", "score", "snippet", "similar"}
    assert "[database]" in first["snippet"].lower()


def test_bold_on_a_terminal(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert kb("search", "PgBouncer", "--root", str(root)) == 0
    out = capsys.readouterr().out
    assert f"{command.BOLD}PgBouncer{command.RESET}" in out and "[PgBouncer]" not in out


def test_index_counts_and_names_broken_files(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kb("index", "--root", str(root)) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("indexed ") and "from 7 files into reports/kb.sqlite" in (
        captured.out
    )
    passages = int(captured.out.split()[1])
    assert passages > 30
    assert "drillbook kb: runbooks/broken.yaml:3: " in captured.err
    assert "Traceback" not in captured.err


def test_a_query_without_words_is_refused(root: Path) -> None:
    from drillbook.errors import DrillbookError

    with pytest.raises(DrillbookError, match="no words"):
        kb("search", '"', "--root", str(root))


def test_limit_must_be_positive(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        kb("search", "x", "--limit", "0", "--root", str(root))
    assert "at least 1" in capsys.readouterr().err
