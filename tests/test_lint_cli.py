"""The output formats and the ``drillbook lint`` command's exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from drillbook.cli import main
from drillbook.lint import Finding, Severity, format_findings, lint_paths

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "seed"
CLEAN = FIXTURES / "lint" / "clean"

GITHUB_LINE = re.compile(
    r"^::(error|warning|notice) file=[^,:\r\n]*,line=\d+,col=\d+,title=[a-z-]+::[^\r\n]*$"
)


def sample() -> list[Finding]:
    return [
        Finding(Path("runbooks/a,b:c%.yaml"), 3, 7, "schema", Severity.ERROR, "bad\nvalue 100%"),
        Finding(Path("runbooks/a.yaml"), 12, 7, "interactive-command", Severity.WARNING, "w"),
        Finding(Path("runbooks/b.yaml"), 1, 1, "not-machine-checkable", Severity.INFO, "i"),
    ]


def test_finding_str() -> None:
    finding = Finding(Path("runbooks/x.yaml"), 12, 7, "interactive-command", Severity.ERROR, "m")
    assert str(finding) == "runbooks/x.yaml:12:7: error[interactive-command] m"


def test_text_format_ends_with_a_summary() -> None:
    text = format_findings(sample(), "text")
    lines = text.splitlines()
    assert lines[-1] == "1 error, 1 warning, 1 info in 3 files"
    assert lines[1] == "value 100%"  # the message's own newline is kept for people
    assert format_findings([], "text", files_checked=1) == "0 errors, 0 warnings in 1 file"


def test_json_format_parses() -> None:
    records = json.loads(format_findings(sample(), "json"))
    assert [record["rule"] for record in records] == [f.rule for f in sample()]
    assert records[0] == {
        "path": "runbooks/a,b:c%.yaml",
        "line": 3,
        "column": 7,
        "rule": "schema",
        "severity": "error",
        "message": "bad\nvalue 100%",
    }


def test_github_format_is_well_formed_and_escaped() -> None:
    lines = format_findings(sample(), "github").splitlines()
    assert len(lines) == 3
    assert all(GITHUB_LINE.match(line) for line in lines), lines
    assert lines[0] == (
        "::error file=runbooks/a%2Cb%3Ac%25.yaml,line=3,col=7,title=schema::bad%0Avalue 100%25"
    )
    assert lines[1].startswith("::warning ")
    assert lines[2].startswith("::notice ")


def test_seed_lint_fails_with_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(SEED), "--no-path-check"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^\d+ errors, \d+ warnings, \d+ info in 2 files$", out.splitlines()[-1])
    assert "error[yaml-comment-value]" in out


def test_warnings_alone_do_not_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        (CLEAN / "runbooks" / "api-down.yaml")
        .read_text()
        .replace("escalation: platform-oncall\n", "")
    )
    (tmp_path / "r.yaml").write_text(text)
    assert main(["lint", str(tmp_path), "--no-path-check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 errors, 1 warning in 1 file"


def test_clean_tree_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(CLEAN), "--no-path-check", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_json_through_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(SEED), "--no-path-check", "--format", "json"]) == 1
    records = json.loads(capsys.readouterr().out)
    expected = lint_paths([SEED], check_path_commands=False)
    assert [(r["path"], r["line"], r["rule"]) for r in records] == [
        (str(f.path), f.line, f.rule) for f in expected
    ]


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["lint", str(CLEAN), str(missing)]) == 2
    captured = capsys.readouterr()
    assert f"{missing}: no such file or directory" in captured.err
    assert captured.out == ""


def test_lint_paths_reports_a_missing_path_instead_of_raising(tmp_path: Path) -> None:
    [finding] = lint_paths([tmp_path / "nope"])
    assert (finding.rule, finding.severity) == ("schema", Severity.ERROR)


def test_real_subprocess_github_format(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "drillbook"
    result = subprocess.run(
        [str(command), "lint", str(SEED), "--format", "github", "--no-path-check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines
    assert all(GITHUB_LINE.match(line) for line in lines), lines
    assert any("title=production-change" in line for line in lines)
