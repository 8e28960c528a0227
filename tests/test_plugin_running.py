"""Running drills through pytest: failures that read like bug reports, dry runs, reports,
xdist, JUnit properties, and cleaning up the system under test (pytester)."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest

RUNBOOK = """\
id: payments
title: Payments
severity: P1
vars:
  API_TOKEN:
    description: a token for the payment provider
    secret: true
  MARKER:
    description: where steps leave their trace
steps:
  - order: 1
    description: Look at the failure rate
    readOnly: true
    command: |
      echo "step one ran" >> "$MARKER"
      echo '{"failureRate": 0.4, "token": "'"$API_TOKEN"'"}'
    expect:
      json:
        - path: failureRate
          lt: 0.1
  - order: 2
    description: Enable the retry queue
    command: echo "step two ran" >> "$MARKER"
verification:
  - description: Payments work
    command: "true"
"""

DRILL = """\
id: payments-drill
title: Payments drill
tags: [payments]
runbook: payments
vars:
  API_TOKEN: sk_live_abcdef123456
  MARKER: {marker}
"""


@pytest.fixture
def tree(pytester: pytest.Pytester) -> Path:
    (pytester.path / "runbooks").mkdir()
    (pytester.path / "drills").mkdir()
    (pytester.path / "runbooks" / "payments.yaml").write_text(RUNBOOK)
    marker = pytester.path / "marker.txt"
    (pytester.path / "drills" / "payments.yaml").write_text(DRILL.format(marker=marker))
    return marker


def test_a_failed_drill_reads_like_a_bug_report(pytester: pytest.Pytester, tree: Path) -> None:
    result = pytester.runpytest("drills", "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*drill payments-drill (Payments drill) failed in phase respond",
            "*runbook step failed: step 1: Look at the failure rate",
            "*at *runbooks/payments.yaml:11 (step: *",
            "*command: echo*",
            "*exit code: 0",
            "*expected against actual:",
            "*failureRate*expected*< 0.1*got 0.4*",
            "*last lines of stdout:",
        ]
    )
    output = result.stdout.str()
    assert "sk_live_abcdef123456" not in output
    assert "Traceback" not in output
    assert tree.read_text() == "step one ran\n", "step 2 must not run after step 1 failed"


def test_the_reports_hold_the_drill_and_never_the_secret(
    pytester: pytest.Pytester, tree: Path
) -> None:
    reports = pytester.path / "out"
    result = pytester.runpytest(
        "drills",
        "-q",
        f"--drill-report-dir={reports}",
        "--drill-participant",
        "Ada Lovelace:trainee",
        "--drill-participant",
        "Grace:lead",
        f"--junitxml={pytester.path / 'junit.xml'}",
    )
    result.assert_outcomes(failed=1)
    report = json.loads((reports / "drill-report.json").read_text())
    assert [d["drill_id"] for d in report["drills"]] == ["payments-drill"]
    assert report["drills"][0]["failure"]["phase"] == "respond"
    names = [p["name"] for p in report["session"]["participants"]]
    assert names == ["Ada Lovelace", "Grace"]
    for path in reports.glob("drill-report.*"):
        assert "sk_live_abcdef123456" not in path.read_text(), path
    properties = {
        prop.get("name"): prop.get("value")
        for prop in ET.parse(pytester.path / "junit.xml").iter("property")
    }
    assert properties["drill.outcome"] == "failed"
    assert "sk_live_abcdef123456" not in (pytester.path / "junit.xml").read_text()


def test_dry_run_runs_nothing_and_says_what_would_run(
    pytester: pytest.Pytester, tree: Path
) -> None:
    result = pytester.runpytest("drills", "-q", "--dry-run", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*dry run of drill payments-drill*"])
    assert not tree.exists()


def test_drill_var_overrides_the_drill(pytester: pytest.Pytester, tree: Path) -> None:
    other = pytester.path / "other.txt"
    result = pytester.runpytest("drills", "-q", f"--drill-var=MARKER={other}")
    result.assert_outcomes(failed=1)
    assert other.read_text() == "step one ran\n"
    assert not tree.exists()


def test_xdist_workers_fragments_merge_into_one_report(pytester: pytest.Pytester) -> None:
    (pytester.path / "runbooks").mkdir()
    (pytester.path / "drills").mkdir()
    (pytester.path / "runbooks" / "ok.yaml").write_text(
        textwrap.dedent("""\
        id: ok
        title: OK
        severity: P3
        steps:
          - order: 1
            description: nothing to do
            command: "true"
        """)
    )
    for index in range(4):
        (pytester.path / "drills" / f"d{index}.yaml").write_text(
            f"id: drill-{index}\ntitle: Drill {index}\nrunbook: ok\n"
        )
    reports = pytester.path / "out"
    result = pytester.runpytest("drills", "-n", "2", "-q", f"--drill-report-dir={reports}")
    result.assert_outcomes(passed=4)
    report = json.loads((reports / "drill-report.json").read_text())
    assert sorted(d["drill_id"] for d in report["drills"]) == [f"drill-{i}" for i in range(4)]
    assert report["summary"]["passed"] == 4
    assert not (reports / ".fragments").exists() or not any((reports / ".fragments").iterdir())


def test_faults_without_an_environment_are_an_error_not_a_pass(pytester: pytest.Pytester) -> None:
    (pytester.path / "runbooks").mkdir()
    (pytester.path / "drills").mkdir()
    (pytester.path / "runbooks" / "ok.yaml").write_text(
        "id: ok\ntitle: OK\nseverity: P3\nsteps:\n  - order: 1\n    description: d\n"
        "    command: 'true'\n"
    )
    (pytester.path / "drills" / "f.yaml").write_text(
        "id: f\ntitle: F\nrunbook: ok\ninject:\n  - proxy: postgres\n    type: latency\n"
        "    attributes: {latency: 500}\n"
    )
    result = pytester.runpytest("drills", "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["drill f (F) error in phase inject", "*it has no `environment:` whose proxies*"]
    )


SLOW_SERVICE_ENV = """\
id: broken-env
services:
  sleeper:
    command: ["{python}", "-c", "import time; print('warming up', flush=True); time.sleep(60)"]
    ready:
      tcp: "127.0.0.1:{port}"
      timeout: 1
"""


def test_a_service_that_never_gets_ready_is_reported_with_its_log_and_stopped(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "runbooks").mkdir()
    (pytester.path / "drills").mkdir()
    (pytester.path / "environments").mkdir()
    (pytester.path / "environments" / "broken-env.yaml").write_text(SLOW_SERVICE_ENV)
    (pytester.path / "runbooks" / "ok.yaml").write_text(
        "id: ok\ntitle: OK\nseverity: P3\nsteps:\n  - order: 1\n    description: d\n"
        "    command: 'true'\n"
    )
    (pytester.path / "drills" / "e.yaml").write_text(
        "id: e\ntitle: E\nrunbook: ok\nenvironment: broken-env\n"
    )
    before = {p.pid for p in psutil.process_iter()}
    result = pytester.runpytest("drills", "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*service 'sleeper' not ready after 1 s*", "*warming up*"])
    leftovers = [
        p
        for p in psutil.process_iter(["pid", "cmdline"])
        if p.pid not in before and "time.sleep(60)" in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []


PYPROJECT_ENV = """\
[tool.drillbook.environments.tiny]
exports = { APP_URL = "http://127.0.0.1:{services.app.port}" }

[tool.drillbook.environments.tiny.services.app]
command = ["{python}", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
%s = { http = "http://127.0.0.1:{port}/" }
"""


@pytest.mark.parametrize("key", ["ready", "raedy"])
def test_an_environment_can_live_in_pyproject(pytester: pytest.Pytester, key: str) -> None:
    (pytester.path / "pyproject.toml").write_text(PYPROJECT_ENV % key)
    (pytester.path / "runbooks").mkdir()
    (pytester.path / "drills").mkdir()
    (pytester.path / "runbooks" / "rb.yaml").write_text(
        "id: rb\ntitle: RB\nseverity: P3\nvars: [APP_URL]\nsteps:\n  - order: 1\n"
        "    description: the app answers\n    http: {url: $APP_URL/}\n"
    )
    (pytester.path / "drills" / "d.yaml").write_text(
        "id: d\ntitle: D\nrunbook: rb\nenvironment: tiny\n"
    )
    result = pytester.runpytest("drills", "-q")
    if key == "ready":
        result.assert_outcomes(passed=1)
    else:
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            ["*pyproject.toml:4:1: unknown key `raedy`; did you mean `ready`?"]
        )


def test_a_report_that_cannot_be_rendered_keeps_the_results(
    pytester: pytest.Pytester, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import drillbook.report.writer

    def broken(report: object) -> str:
        raise RuntimeError("template bug")

    monkeypatch.setattr(drillbook.report.writer, "render_markdown", broken)
    reports = pytester.path / "out"
    result = pytester.runpytest("drills", "-q", f"--drill-report-dir={reports}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*reports could not be written (RuntimeError: template bug)*"])
    assert "INTERNALERROR" not in result.stdout.str()
    saved = json.loads(next((reports / "runs").glob("drill-report-*.json")).read_text())
    assert [d["drill_id"] for d in saved["drills"]] == ["payments-drill"]
