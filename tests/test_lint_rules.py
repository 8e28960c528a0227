"""Each lint rule on a minimal file that triggers it and one that does not; suppression."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest
from drillbook.lint import Finding, Severity, lint_paths

HEAD = """\
id: sample
title: Sample runbook
severity: P3
escalation: team-oncall
contacts:
  - role: On-call
    name: Team
    slack: "#team"
verification:
  - description: healthy
    command: "true"
    expect: {exitCode: 0}
"""


def runbook(steps: str, head: str = HEAD) -> str:
    """A complete runbook (nothing else to complain about) around ``steps``."""
    return head + "steps:\n" + textwrap.indent(textwrap.dedent(steps), "  ")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def lint_text(tmp_path: Path, text: str, *, path_check: bool = False) -> list[Finding]:
    return lint_paths([write(tmp_path, "runbook.yaml", text)], check_path_commands=path_check)


def of_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule == rule]


def where(text: str, token: str, occurrence: int = 1) -> tuple[int, int]:
    """The 1-based line and column of the ``occurrence``-th ``token`` in ``text``."""
    start = -1
    for _ in range(occurrence):
        start = text.index(token, start + 1)
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


def at(finding: Finding) -> tuple[int, int]:
    return (finding.line, finding.column)


SIMPLE_STEP = """\
- order: 1
  description: look
  command: echo hello
"""


def test_a_complete_runbook_has_no_findings(tmp_path: Path) -> None:
    assert lint_text(tmp_path, runbook(SIMPLE_STEP)) == []


# -- schema ---------------------------------------------------------------------------------


def test_schema_reports_each_validation_error_at_its_line(tmp_path: Path) -> None:
    text = (
        runbook(SIMPLE_STEP)
        .replace("severity: P3", "severity: P9")
        .replace("title: Sample runbook\n", "")
    )
    text += "colour: blue\n"
    findings = of_rule(lint_text(tmp_path, text), "schema")
    messages = {finding.message.split(";")[0]: at(finding) for finding in findings}
    assert messages["`severity` is 'P9'"] == where(text, "P9")
    assert messages["unknown key `colour`"] == where(text, "colour")
    assert any("title" in message for message in messages)
    assert all(f.severity is Severity.ERROR for f in findings)


def test_schema_reports_yaml_syntax_errors(tmp_path: Path) -> None:
    text = "id: broken\nsteps:\n  - order: 1\n    description: [unclosed\n"
    [finding] = lint_text(tmp_path, text)
    assert finding.rule == "schema"
    assert "YAML syntax error" in finding.message
    assert finding.line >= 4


def test_schema_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "runbooks" / "latin1.yaml"
    path.parent.mkdir()
    path.write_bytes("id: caf\u00e9\nsteps: []\n".encode("latin-1"))
    [finding] = lint_paths([path], check_path_commands=False)
    assert (finding.rule, finding.line) == ("schema", 1)
    assert "UTF-8" in finding.message


def test_schema_reports_a_non_mapping_in_a_runbooks_directory(tmp_path: Path) -> None:
    path = write(tmp_path, "runbooks/list.yaml", "- just\n- a list\n")
    [finding] = lint_paths([path])
    assert finding.rule == "schema"
    assert "mapping" in finding.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_schema_reports_an_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "runbooks/secret.yaml", runbook(SIMPLE_STEP))
    path.chmod(0)
    try:
        [finding] = lint_paths([path])
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert finding.rule == "schema"
    assert "cannot read" in finding.message


def test_schema_reports_a_dangling_link_found_in_a_directory(tmp_path: Path) -> None:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    [finding] = lint_paths([tmp_path])
    assert (finding.rule, finding.line, finding.column) == ("schema", 1, 1)
    assert "cannot read the file" in finding.message


def test_files_that_are_neither_runbook_nor_drill_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "environments/local.yaml", "id: local\nservices: {}\n")
    write(tmp_path, ".github/workflows/ci.yml", "on: push\njobs: [\n")  # broken, but hidden
    assert lint_paths([tmp_path]) == []


# -- duplicate-id ---------------------------------------------------------------------------


def test_duplicate_id_names_the_other_file(tmp_path: Path) -> None:
    first = write(tmp_path, "runbooks/a.yaml", runbook(SIMPLE_STEP))
    second = write(tmp_path, "runbooks/b.yaml", "\n\n" + runbook(SIMPLE_STEP))
    findings = of_rule(lint_paths([tmp_path]), "duplicate-id")
    assert [(f.path, f.line) for f in findings] == [(first, 1), (second, 3)]
    assert f"{second}:3" in findings[0].message
    assert f"{first}:1" in findings[1].message


def test_duplicate_id_counts_runbooks_and_drills_apart(tmp_path: Path) -> None:
    write(tmp_path, "runbooks/a.yaml", runbook(SIMPLE_STEP))
    write(tmp_path, "drills/a.yaml", "id: sample\ntitle: Drill\nrunbook: sample\n")
    assert of_rule(lint_paths([tmp_path]), "duplicate-id") == []


def test_duplicate_drill_ids_are_found(tmp_path: Path) -> None:
    write(tmp_path, "runbooks/a.yaml", runbook(SIMPLE_STEP))
    write(tmp_path, "drills/one.yaml", "id: same\ntitle: One\nrunbook: sample\n")
    write(tmp_path, "drills/two.yaml", "id: same\ntitle: Two\nrunbook: sample\n")
    findings = of_rule(lint_paths([tmp_path]), "duplicate-id")
    assert len(findings) == 2
    assert "drill id `same`" in findings[0].message


# -- step-order -----------------------------------------------------------------------------


def steps_with_orders(*orders: int) -> str:
    return "".join(
        f"- order: {order}\n  description: step {order}\n  command: echo {order}\n"
        for order in orders
    )


def test_step_order_gap_says_which_number_is_missing(tmp_path: Path) -> None:
    text = runbook(steps_with_orders(1, 2, 4))
    [finding] = of_rule(lint_text(tmp_path, text), "step-order")
    assert finding.severity is Severity.ERROR
    assert "3 is missing" in finding.message
    assert at(finding) == where(text, "4", 1)


def test_step_order_duplicates_are_errors(tmp_path: Path) -> None:
    text = runbook(steps_with_orders(1, 1, 2))
    [finding] = of_rule(lint_text(tmp_path, text), "step-order")
    assert finding.severity is Severity.ERROR
    assert "used twice" in finding.message
    assert finding.line == where(text, "order: 1", 2)[0]


def test_step_order_listed_out_of_order_is_a_warning(tmp_path: Path) -> None:
    text = runbook(steps_with_orders(2, 1, 3))
    [finding] = of_rule(lint_text(tmp_path, text), "step-order")
    assert finding.severity is Severity.WARNING
    assert "step 1 is listed after step 2" in finding.message


def test_step_order_contiguous_is_fine(tmp_path: Path) -> None:
    assert of_rule(lint_text(tmp_path, runbook(steps_with_orders(1, 2, 3))), "step-order") == []


# -- missing-verification / missing-contacts / missing-escalation ---------------------------

BARE_HEAD = "id: bare\ntitle: Bare\nseverity: P3\n"


def test_missing_parts_are_warnings(tmp_path: Path) -> None:
    findings = lint_text(tmp_path, runbook(SIMPLE_STEP, head=BARE_HEAD))
    rules = sorted(f.rule for f in findings)
    assert rules == ["missing-contacts", "missing-escalation", "missing-verification"]
    assert all(f.severity is Severity.WARNING and f.line == 1 for f in findings)


def test_an_empty_list_is_reported_at_its_key(tmp_path: Path) -> None:
    head = HEAD.replace(
        'contacts:\n  - role: On-call\n    name: Team\n    slack: "#team"\n', "contacts: []\n"
    )
    text = runbook(SIMPLE_STEP, head=head)
    [finding] = lint_text(tmp_path, text)
    assert finding.rule == "missing-contacts"
    assert at(finding) == where(text, "contacts: []")


# -- undeclared-var -------------------------------------------------------------------------


def test_undeclared_var_points_at_the_reference(tmp_path: Path) -> None:
    text = runbook("""\
        - order: 1
          description: pause jobs
          command: |
            curl -X POST https://example.org/pause \\
              -H "Authorization: Bearer $ADMIN_TOKEN"
            echo ${REGION} done
        """)
    findings = of_rule(lint_text(tmp_path, text), "undeclared-var")
    assert [at(f) for f in findings] == [where(text, "$ADMIN_TOKEN"), where(text, "${REGION}")]
    assert "secret: true" in findings[0].message
    assert "vars" in findings[1].message


def test_undeclared_var_reports_a_name_once_with_its_other_lines(tmp_path: Path) -> None:
    text = runbook("""\
        - order: 1
          description: one
          command: echo $TOKEN
        - order: 2
          description: two
          command: echo $TOKEN
        """)
    [finding] = of_rule(lint_text(tmp_path, text), "undeclared-var")
    assert f"also at line {where(text, '$TOKEN', 2)[0]}" in finding.message


def test_declared_shell_internal_and_environment_names_are_fine(tmp_path: Path) -> None:
    head = HEAD + "vars:\n  ADMIN_TOKEN: {secret: true}\n"
    text = runbook(
        """\
        - order: 1
          description: all fine
          command: |
            FOO=1; echo $FOO $1 $? $@ $$ $HOME $PATH $USER $PWD
            export BAR=2 && echo "$BAR" '$NOT_EXPANDED' \\$ESCAPED $ADMIN_TOKEN
            for item in a b; do echo "$item"; done
            # a comment mentioning $COMMENTED
        """,
        head=head,
    )
    assert of_rule(lint_text(tmp_path, text), "undeclared-var") == []


def test_vars_given_as_a_list_count_as_declared(tmp_path: Path) -> None:
    text = runbook("- order: 1\n  description: d\n  command: echo $A\n", head=HEAD + "vars: [A]\n")
    assert of_rule(lint_text(tmp_path, text), "undeclared-var") == []


def test_undeclared_var_in_http_and_rollback(tmp_path: Path) -> None:
    text = runbook("""\
        - order: 1
          description: call
          http:
            url: $APP_URL/health
            headers:
              Authorization: Bearer ${API_KEY}
          rollbackProcedure: echo $UNDO_TARGET
        """)
    findings = of_rule(lint_text(tmp_path, text), "undeclared-var")
    assert [at(f) for f in findings] == [
        where(text, "$APP_URL"),
        where(text, "${API_KEY}"),
        where(text, "$UNDO_TARGET"),
    ]


def test_drills_are_not_checked_for_vars(tmp_path: Path) -> None:
    write(tmp_path, "runbooks/a.yaml", runbook(SIMPLE_STEP))
    drill = write(
        tmp_path,
        "drills/d.yaml",
        """\
id: d
title: D
runbook: sample
steady_state:
  - description: up
    command: curl -f $APP_URL
    expect: {exitCode: 0}
""",
    )
    assert [f for f in lint_paths([tmp_path]) if f.path == drill] == []


# -- interactive-command --------------------------------------------------------------------


def one_command(command: str, extra: str = "") -> str:
    block = textwrap.indent(command, "    ")
    return runbook(f"- order: 1\n  description: d\n{extra}  command: |\n{block}\n")


@pytest.mark.parametrize(
    ("command", "token", "advice"),
    [
        ("watch -n 10 'curl -s https://x/health'", "watch", "until:"),
        ('psql "$DATABASE_URL"', "psql", "psql"),
        ("sudo -u postgres psql", "psql", "-c"),
        ("ssh db.internal", "ssh", "remote command"),
        ("ssh -p 2222 db.internal", "ssh", "remote command"),
        ("tail -f /var/log/app.log", "tail", "tail -n"),
        ("kubectl logs -f deploy/api", "kubectl", "bounded"),
        ("less /var/log/app.log", "less", "pager"),
        ("vim /etc/app.conf", "vim", "editor"),
        ("top", "top", "top -b -n 1"),
        ("echo start && htop", "htop", "key"),
    ],
)
def test_interactive_commands_are_errors(
    tmp_path: Path, command: str, token: str, advice: str
) -> None:
    text = one_command(command)
    [finding] = of_rule(lint_text(tmp_path, text), "interactive-command")
    assert finding.severity is Severity.ERROR
    assert advice in finding.message
    assert at(finding) == where(text, token, text.count(token) if token == "top" else 1)


@pytest.mark.parametrize(
    "command",
    [
        'psql "$DATABASE_URL" -c "SELECT 1"',
        "psql -Atc 'select 1' mydb",
        "psql --command='select 1'",
        "psql -f check.sql",
        "echo 'select 1' | psql",
        "psql < check.sql",
        "psql <<'SQL'\nSELECT 1;\nSQL",
        "ssh db.internal uptime",
        "ssh -p 2222 db.internal 'systemctl status app'",
        "ssh -f -N -L 5432:db:5432 bastion",
        "tail -n 100 /var/log/app.log",
        "timeout 30 tail -f /var/log/app.log",
        "top -b -n 1",
        "kubectl apply -f deploy.yaml",
        "echo watch less vim",
        "# watch -n 1 date",
    ],
)
def test_commands_that_finish_are_fine(tmp_path: Path, command: str) -> None:
    assert of_rule(lint_text(tmp_path, one_command(command)), "interactive-command") == []


def test_manual_steps_may_use_interactive_commands(tmp_path: Path) -> None:
    text = one_command("watch kubectl get pods", extra="  manual: true\n")
    assert of_rule(lint_text(tmp_path, text), "interactive-command") == []


def test_interactive_command_in_a_verification_check(tmp_path: Path) -> None:
    head = HEAD.replace('command: "true"', "command: watch date")
    text = runbook(SIMPLE_STEP, head=head)
    [finding] = of_rule(lint_text(tmp_path, text), "interactive-command")
    assert "verification check 1" in finding.message
    assert at(finding) == where(text, "watch date")


# -- production-change ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "token"),
    [
        ("vercel deploy --prod", "vercel"),
        ("vercel env add READONLY_MODE true", "vercel"),
        ("fly deploy", "fly"),
        ("rm -rf /var/cache/app", "rm"),
        ("rm -r -f /var/cache/app", "rm"),
        ("kubectl -n prod delete pod api-0", "kubectl"),
        ("kubectl scale deploy/api --replicas=0", "kubectl"),
        ("kubectl rollout restart deploy/api", "kubectl"),
        ("terraform -chdir=infra apply -auto-approve", "terraform"),
        ("terraform destroy", "terraform"),
        ('psql "$DB" -c "DROP TABLE sessions"', "DROP TABLE"),
        ('psql "$DB" -c "truncate jobs"', "truncate"),
        ("psql <<'SQL'\nDROP DATABASE old;\nSQL", "DROP DATABASE"),
        ("echo ok && sudo -E npm run deploy", "npm"),
    ],
)
def test_production_changes_need_acknowledging(tmp_path: Path, command: str, token: str) -> None:
    text = one_command(command)
    [finding] = of_rule(lint_text(tmp_path, text), "production-change")
    assert finding.severity is Severity.ERROR
    assert "changesProduction: true" in finding.message
    assert at(finding) == where(text, token)


def test_production_change_messages_do_not_repeat_literal_tokens(tmp_path: Path) -> None:
    text = one_command("vercel env add STRIPE_KEY sk_live_51HqLyjWDarjtT1zdp7dc")
    [finding] = of_rule(lint_text(tmp_path, text), "production-change")
    assert "sk_live" not in finding.message
    assert "`vercel env add STRIPE_KEY ***`" in finding.message


def test_acknowledged_production_changes_are_fine(tmp_path: Path) -> None:
    text = one_command(
        "vercel deploy --prod\nrm -rf /tmp/build", extra="  changesProduction: true\n"
    )
    assert of_rule(lint_text(tmp_path, text), "production-change") == []


@pytest.mark.parametrize(
    "command",
    [
        "vercel env pull",
        "vercel deploy-status",
        "rm -f /tmp/lock",
        "kubectl get deploy",
        "kubectl rollout status deploy/api",
        "terraform plan",
        "echo 'careful: never DROP-TABLE here'",
        "# vercel deploy --prod  (done by hand)",
    ],
)
def test_read_only_commands_are_not_production_changes(tmp_path: Path, command: str) -> None:
    assert of_rule(lint_text(tmp_path, one_command(command)), "production-change") == []


def test_a_rollback_that_changes_production(tmp_path: Path) -> None:
    text = runbook(SIMPLE_STEP + "  rollbackProcedure: vercel rollback\n")
    [finding] = of_rule(lint_text(tmp_path, text), "production-change")
    assert "rollback" in finding.message
    assert at(finding) == where(text, "vercel rollback")


def test_a_verification_check_must_not_change_production(tmp_path: Path) -> None:
    head = HEAD.replace('command: "true"', "command: vercel deploy --prod")
    [finding] = of_rule(lint_text(tmp_path, runbook(SIMPLE_STEP, head=head)), "production-change")
    assert "verification check must not" in finding.message


# -- placeholder-contact --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "+61-xxx-xxx-xxx"),
        ("email", "oncall@example.com"),
        ("name", "TBD"),
        ("slack", '"#TODO"'),
        ("phone", "changeme"),
        ("name", "<team name>"),
    ],
)
def test_placeholder_contacts_are_warnings(tmp_path: Path, field: str, value: str) -> None:
    contact = {"name": "Team", "slack": '"#team"', field: value}
    body = "".join(f"    {key}: {text}\n" for key, text in contact.items())
    head = HEAD.replace('    name: Team\n    slack: "#team"\n', body)
    text = runbook(SIMPLE_STEP, head=head)
    [finding] = of_rule(lint_text(tmp_path, text), "placeholder-contact")
    assert finding.severity is Severity.WARNING
    assert field in finding.message
    assert at(finding) == where(text, value)


def test_real_contacts_are_fine(tmp_path: Path) -> None:
    head = HEAD.replace('slack: "#team"', 'phone: "+61 2 9999 1234"\n    email: dba@acme.io')
    assert (
        of_rule(lint_text(tmp_path, runbook(SIMPLE_STEP, head=head)), "placeholder-contact") == []
    )


# -- yaml-comment-value ---------------------------------------------------------------------


def test_a_value_read_as_a_comment(tmp_path: Path) -> None:
    text = runbook(SIMPLE_STEP, head=HEAD.replace('slack: "#team"', "slack: #database-oncall"))
    [finding] = of_rule(lint_text(tmp_path, text), "yaml-comment-value")
    assert finding.severity is Severity.ERROR
    assert at(finding) == where(text, "#database-oncall")
    assert 'quote it: slack: "#database-oncall"' in finding.message


def test_quoted_values_and_real_comments_are_fine(tmp_path: Path) -> None:
    text = runbook(SIMPLE_STEP + "  notes: # nothing to add yet\n")
    assert of_rule(lint_text(tmp_path, text), "yaml-comment-value") == []


# -- not-machine-checkable ------------------------------------------------------------------


def test_prose_in_a_verification_check_is_a_warning(tmp_path: Path) -> None:
    head = HEAD.replace("    expect: {exitCode: 0}\n", "    expected: Payment successful\n")
    text = runbook(SIMPLE_STEP, head=head)
    [finding] = of_rule(lint_text(tmp_path, text), "not-machine-checkable")
    assert finding.severity is Severity.WARNING
    assert '"Payment successful"' in finding.message
    assert "expect:" in finding.message
    assert at(finding) == where(text, "Payment successful")


def test_prose_in_a_step_is_info(tmp_path: Path) -> None:
    text = runbook(SIMPLE_STEP + "  expectedOutcome: Jobs paused\n")
    [finding] = of_rule(lint_text(tmp_path, text), "not-machine-checkable")
    assert finding.severity is Severity.INFO
    assert at(finding) == where(text, "Jobs paused")


@pytest.mark.parametrize(
    "extra",
    [
        "  expectedOutcome: HTTP 200 response\n",
        '  expectedOutcome: checks.database.status = "healthy"\n',
        "  expectedOutcome: Jobs paused\n  expect: {stdoutContains: paused}\n",
        "  expectedOutcome: Jobs paused\n  manual: true\n",
    ],
)
def test_checkable_or_explicit_expectations_are_fine(tmp_path: Path, extra: str) -> None:
    text = runbook(SIMPLE_STEP + extra)
    assert of_rule(lint_text(tmp_path, text), "not-machine-checkable") == []


def test_prose_in_drill_checks_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "runbooks/a.yaml", runbook(SIMPLE_STEP))
    drill = write(
        tmp_path,
        "drills/d.yaml",
        """\
id: d
title: D
runbook: sample
recover:
  - description: back
    command: "true"
    expected: Everything is back
""",
    )
    [finding] = [f for f in lint_paths([tmp_path]) if f.path == drill]
    assert (finding.rule, finding.severity, finding.line) == (
        "not-machine-checkable",
        Severity.WARNING,
        7,
    )


# -- command-not-found ----------------------------------------------------------------------


@pytest.fixture
def only_mytool_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "mytool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))


@pytest.mark.usefixtures("only_mytool_on_path")
def test_command_not_found_checks_each_pipeline_segment(tmp_path: Path) -> None:
    text = one_command(
        "# nosuch-in-comment\n"
        "FOO=1 sudo -u app mytool --flag \\\n"
        "  continued-nosuch | nosuch-b && cd /tmp; nosuch-c\n"
        "export X=1; echo $X; time nosuch-d\n"
        "nosuch-b again"
    )
    findings = of_rule(lint_text(tmp_path, text, path_check=True), "command-not-found")
    assert [(at(f), f.message.split("`")[1]) for f in findings] == [
        (where(text, "nosuch-b"), "nosuch-b"),
        (where(text, "nosuch-c"), "nosuch-c"),
        (where(text, "nosuch-d"), "nosuch-d"),
    ]
    assert f"also at line {where(text, 'nosuch-b', 2)[0]}" in findings[0].message


@pytest.mark.usefixtures("only_mytool_on_path")
def test_command_not_found_skips_builtins_functions_and_variables(tmp_path: Path) -> None:
    text = one_command(
        "set -e\nhelper() { mytool; }\nhelper\n$TOOL --x\n./local-script.sh\n"
        "if mytool; then echo yes; fi\n"
    )
    assert of_rule(lint_text(tmp_path, text, path_check=True), "command-not-found") == []


def test_no_path_check_turns_the_rule_off(tmp_path: Path) -> None:
    text = one_command("drillbook-no-such-tool-7f3a --help")
    assert of_rule(lint_text(tmp_path, text, path_check=True), "command-not-found") != []
    assert of_rule(lint_text(tmp_path, text, path_check=False), "command-not-found") == []


# -- unknown-runbook ------------------------------------------------------------------------

DRILL = "id: the-drill\ntitle: Drill\nrunbook: {}\n"


def test_unknown_runbook_suggests_the_close_id(tmp_path: Path) -> None:
    write(tmp_path, "runbooks/a.yaml", runbook(SIMPLE_STEP))
    drill = write(tmp_path, "drills/d.yaml", DRILL.format("sampel"))
    [finding] = of_rule(lint_paths([tmp_path]), "unknown-runbook")
    assert (finding.path, finding.line, finding.column) == (drill, 3, 10)
    assert "did you mean `sample`?" in finding.message


def test_a_runbook_beside_the_drills_directory_counts(tmp_path: Path) -> None:
    write(tmp_path, "runbooks/a.yaml", runbook(SIMPLE_STEP))
    drill = write(tmp_path, "drills/d.yaml", DRILL.format("sample"))
    assert of_rule(lint_paths([drill]), "unknown-runbook") == []


def test_a_drill_alone_with_no_runbook_anywhere(tmp_path: Path) -> None:
    drill = write(tmp_path, "drills/d.yaml", DRILL.format("sample"))
    [finding] = of_rule(lint_paths([drill]), "unknown-runbook")
    assert "no runbook has id `sample`" in finding.message


# -- suppression ----------------------------------------------------------------------------

PLACEHOLDER_HEAD = HEAD.replace('slack: "#team"', "phone: +61-xxx-xxx-xxx")


@pytest.mark.parametrize(
    "comment_where",
    ["line before", "same line", "several rules"],
)
def test_an_ignore_comment_suppresses_the_finding(tmp_path: Path, comment_where: str) -> None:
    if comment_where == "line before":
        head = PLACEHOLDER_HEAD.replace(
            "    phone:", "    # drillbook: ignore[placeholder-contact]\n    phone:"
        )
    elif comment_where == "same line":
        head = PLACEHOLDER_HEAD.replace(
            "xxx-xxx-xxx", "xxx-xxx-xxx  # drillbook: ignore[placeholder-contact]"
        )
    else:
        head = PLACEHOLDER_HEAD.replace(
            "xxx-xxx-xxx", "xxx-xxx-xxx  # drillbook: ignore[schema, placeholder-contact]"
        )
    assert lint_text(tmp_path, runbook(SIMPLE_STEP, head=head)) == []


def test_an_ignore_comment_for_another_rule_does_not_suppress(tmp_path: Path) -> None:
    head = PLACEHOLDER_HEAD.replace("xxx-xxx-xxx", "xxx-xxx-xxx  # drillbook: ignore[schema]")
    assert [f.rule for f in lint_text(tmp_path, runbook(SIMPLE_STEP, head=head))] == [
        "placeholder-contact"
    ]


def test_an_ignore_comment_two_lines_above_does_not_suppress(tmp_path: Path) -> None:
    head = PLACEHOLDER_HEAD.replace(
        "    name: Team", "    # drillbook: ignore[placeholder-contact]\n    name: Team"
    )
    assert [f.rule for f in lint_text(tmp_path, runbook(SIMPLE_STEP, head=head))] == [
        "placeholder-contact"
    ]


def test_an_ignore_comment_inside_a_command_block(tmp_path: Path) -> None:
    text = one_command("# drillbook: ignore[interactive-command]\nwatch date")
    assert of_rule(lint_text(tmp_path, text), "interactive-command") == []
    unsuppressed = one_command("watch date")
    assert of_rule(lint_text(tmp_path, unsuppressed), "interactive-command") != []
