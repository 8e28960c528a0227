"""The plugin as users run it: collection, selection, markers and broken files (pytester)."""

from __future__ import annotations

import textwrap

import pytest

RUNBOOK = """\
id: {id}
title: {title}
severity: {severity}
escalation: platform-primary
vars:
  GREETING:
    description: what to say
steps:
  - order: 1
    description: Say hello
    readOnly: true
    command: echo "$GREETING"
    expect:
      stdoutContains: hello
verification:
  - description: It still says hello
    command: echo "$GREETING"
    expected: exit code 0
contacts:
  - role: Owner
    name: Team Rocket
    email: rocket@holiday-aggregator.com
"""

DRILL = """\
id: {id}
title: {title}
tags: [{tags}]
runbook: {runbook}
vars:
  GREETING: hello world
respond:
  steps: all
"""


def write_tree(pytester: pytest.Pytester, drills: dict[str, str], runbooks: dict[str, str]) -> None:
    for name, text in runbooks.items():
        path = pytester.path / "runbooks" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for name, text in drills.items():
        path = pytester.path / "drills" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text))


def standard_tree(pytester: pytest.Pytester) -> None:
    write_tree(
        pytester,
        drills={
            "pay": DRILL.format(
                id="payment-drill",
                title="Stripe is down",
                tags="payments, stripe",
                runbook="payment-failure",
            ),
            "db": DRILL.format(
                id="db-drill",
                title="Primary database gone",
                tags="database",
                runbook="database-outage",
            ),
        },
        runbooks={
            "payment-failure": RUNBOOK.format(
                id="payment-failure", title="Payments", severity="P1"
            ),
            "database-outage": RUNBOOK.format(id="database-outage", title="DB", severity="P2"),
        },
    )


def test_drills_are_items_named_by_id_and_runbooks_are_lint_items(
    pytester: pytest.Pytester,
) -> None:
    standard_tree(pytester)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "drills/db.yaml::db-drill",
            "drills/pay.yaml::payment-drill",
            "runbooks/database-outage.yaml::lint",
            "runbooks/payment-failure.yaml::lint",
        ]
    )
    assert result.ret == 0


def test_k_matches_id_title_and_tags(pytester: pytest.Pytester) -> None:
    standard_tree(pytester)
    by_id = pytester.runpytest("drills", "-k", "payment", "-q")
    by_id.assert_outcomes(passed=1, deselected=1)
    by_title = pytester.runpytest("drills", "-k", "primary", "-q")
    by_title.assert_outcomes(passed=1, deselected=1)
    by_tag = pytester.runpytest("drills", "-k", "stripe", "-q")
    by_tag.assert_outcomes(passed=1, deselected=1)


def test_severity_and_tags_become_registered_markers(pytester: pytest.Pytester) -> None:
    standard_tree(pytester)
    p1 = pytester.runpytest("drills", "-m", "p1", "-q", "--strict-markers")
    p1.assert_outcomes(passed=1, deselected=1)
    tagged = pytester.runpytest("drills", "-m", "database and not p1", "-q", "--strict-markers")
    tagged.assert_outcomes(passed=1, deselected=1)
    assert "PytestUnknownMarkWarning" not in tagged.stdout.str()


def test_a_malformed_drill_fails_as_one_item_and_the_others_still_run(
    pytester: pytest.Pytester,
) -> None:
    standard_tree(pytester)
    (pytester.path / "drills" / "broken.yaml").write_text(
        "id: broken\ntitle: Broken\nrunbook: database-outage\nrespnd:\n  steps: all\n"
    )
    result = pytester.runpytest("drills", "-q")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*broken.yaml:4:1: unknown key `respnd`; did you mean `respond`?*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_drill_naming_a_missing_runbook_points_at_its_line(pytester: pytest.Pytester) -> None:
    standard_tree(pytester)
    (pytester.path / "drills" / "typo.yaml").write_text(
        "id: typo\ntitle: Typo\nrunbook: database-outag\n"
    )
    result = pytester.runpytest("drills", "-q")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*typo.yaml:3:10: no runbook with id `database-outag`*did you mean `database-outage`?"]
    )


@pytest.mark.parametrize(
    "text",
    [
        "id: x\ntitle: [unclosed\n",
        "id: x\nid: y\n",
        "!!python/object/apply:os.system ['touch pwned']\n",
        "",
        "- just\n- a list\n",
    ],
    ids=["syntax", "duplicate-key", "object-tag", "empty", "list"],
)
def test_no_malformed_file_gives_a_traceback(pytester: pytest.Pytester, text: str) -> None:
    standard_tree(pytester)
    (pytester.path / "drills" / "bad.yaml").write_text(text)
    result = pytester.runpytest("drills", "-q")
    result.assert_outcomes(passed=2, failed=1)
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "bad.yaml:" in output
    assert not (pytester.path / "pwned").exists()
