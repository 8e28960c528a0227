"""A subcommand whose module cannot be imported answers with the reason; the others still work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from drillbook import cli


def test_broken_subcommand_does_not_take_the_others_down(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = dict(cli.SUBCOMMANDS, dashboard="drillbook.no_such_module_for_this_test")
    monkeypatch.setattr(cli, "SUBCOMMANDS", broken)
    assert cli.main(["dashboard", "--out", "site"]) == 2
    err = capsys.readouterr().err
    assert "drillbook dashboard is unavailable" in err
    assert "no_such_module_for_this_test" in err
    assert cli.main(["schema", "runbook"]) == 0
    assert '"title"' in capsys.readouterr().out


def test_a_subcommand_imports_only_its_own_module(tmp_path: Path) -> None:
    """kb search on a built index loads neither the other subcommands nor the runbook models
    (pydantic), which only re-indexing needs."""
    assert cli.main(["kb", "index", "--root", str(tmp_path)]) == 0
    code = (
        "import sys; from drillbook.cli import main;"
        f"main(['kb', 'search', 'zzqx', '--root', {str(tmp_path)!r}]);"
        "print(sorted(m for m in sys.modules if m.startswith(('drillbook.', 'pydantic'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    ).stdout
    assert "drillbook.kb.command" in out
    for other in ("drillbook.dashboard", "drillbook.lint", "drillbook.interactive", "pydantic"):
        assert other not in out
