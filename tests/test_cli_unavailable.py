"""A subcommand whose module cannot be imported answers with the reason; the others still work."""

from __future__ import annotations

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
