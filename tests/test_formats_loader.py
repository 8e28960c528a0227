"""The runbook and drill loaders: the seed loads as written, and every bad file gets one
``file:line:col`` message that points at the right place."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from drillbook.errors import LoadError, LoadErrors
from drillbook.formats.common import Expect, JsonCheck, parse_duration
from drillbook.formats.loader import Loaded, load_drill, load_runbook
from drillbook.formats.prose import effective_expect
from drillbook.formats.runbook import Runbook

SEED = Path(__file__).parent / "fixtures" / "seed"
FORMATS = Path(__file__).parent / "fixtures" / "formats"

VALID = """\
id: db-outage
title: Database outage
severity: P1
steps:
  - order: 1
    description: Check the database
    command: pg_isready
"""

VALID_DRILL = """\
id: db-drill
title: Database drill
runbook: db-outage
inject:
  - type: latency
    proxy: postgres
"""


def write(tmp_path: Path, text: str | bytes, name: str = "runbook.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def runbook_error(tmp_path: Path, text: str | bytes) -> tuple[Path, LoadError]:
    """Load ``text`` as a runbook; it must fail with exactly one LoadError."""
    path = write(tmp_path, text)
    with pytest.raises(LoadError) as info:
        load_runbook(path)
    return path, info.value


def assert_at(error: LoadError, path: Path, line: int, column: int, *phrases: str) -> None:
    assert (error.path, error.line, error.column) == (path, line, column), str(error)
    assert str(error).startswith(f"{path}:{line}:{column}: ")
    assert "\n" not in str(error) and "Traceback" not in str(error)
    for phrase in phrases:
        assert phrase in error.message, error.message


# --- the seed ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database() -> Loaded[Runbook]:
    return load_runbook(SEED / "database-outage.yaml")


@pytest.fixture(scope="module")
def payment() -> Loaded[Runbook]:
    return load_runbook(SEED / "payment-failure.yaml")


def test_seed_database_outage_header(database: Loaded[Runbook]) -> None:
    runbook = database.model
    assert runbook.id == "database-outage"
    assert runbook.title == "Database Connection Failure"
    assert runbook.scenario == "Primary database is unreachable or returning errors"
    assert runbook.severity == "P1"
    assert database.path == SEED / "database-outage.yaml"


def test_seed_database_outage_steps(database: Loaded[Runbook]) -> None:
    steps = database.model.steps
    assert [step.order for step in steps] == [1, 2, 3, 4, 5, 6]
    assert [step.description for step in steps][:2] == [
        "Verify the database outage",
        "Check database provider status",
    ]
    assert steps[0].command == (
        "# Check database health endpoint\n"
        "curl -f https://app.holiday-aggregator.com/api/health/ready | jq '.checks.database'\n"
        "\n"
        "# Try direct connection\n"
        'psql $DATABASE_URL -c "SELECT 1"\n'
    )
    assert steps[5].expected_outcome == "Database status returns to healthy"
    assert all(step.http is None and step.expect is None for step in steps)
    assert all(step.timeout == 60.0 and step.rollback_procedure is None for step in steps)


def test_seed_database_outage_lines(database: Loaded[Runbook]) -> None:
    assert [database.line("steps", i) for i in range(6)] == [8, 18, 25, 34, 42, 50]
    assert [database.line("steps", i, "command") for i in range(6)] == [10, 20, 27, 36, 44, 52]
    assert database.line("steps", 0, "expectedOutcome") == 16
    assert [database.line("verification", i) for i in range(2)] == [58, 62]
    assert database.line("verification", 1, "expected") == 64
    assert [database.line("contacts", i) for i in range(2)] == [67, 72]
    # a key not in the file falls back to its nearest ancestor that is
    assert database.line("steps", 3, "rollbackProcedure") == 34


def test_seed_database_outage_contacts(database: Loaded[Runbook]) -> None:
    admin, support = database.model.contacts
    assert (admin.role, admin.name, admin.phone) == (
        "Database Admin",
        "DBA Team",
        "+61-xxx-xxx-xxx",
    )
    # `slack: #database-oncall` is a YAML comment after the key: the value is null as written
    assert admin.slack is None
    assert (support.role, support.name) == ("Provider Support", "Supabase Support")
    assert (support.email, support.priority) == ("support@supabase.io", "P1 ticket")
    assert support.phone is None


def test_seed_database_outage_verification(database: Loaded[Runbook]) -> None:
    connectivity, basic = database.model.verification
    assert connectivity.description == "Verify database connectivity"
    assert connectivity.command == "curl https://app.holiday-aggregator.com/api/health/ready"
    assert connectivity.expected == 'checks.database.status = "healthy"'
    assert basic.expected == "HTTP 200 response"
    assert effective_expect(connectivity.expect, connectivity.expected) == Expect(
        json=[JsonCheck(path="checks.database.status", equals="healthy")]
    )
    assert effective_expect(basic.expect, basic.expected) == Expect(status=200)


def test_seed_step_outcomes_stay_prose(database: Loaded[Runbook], payment: Loaded[Runbook]) -> None:
    steps = [*database.model.steps, *payment.model.steps]
    assert all(step.expected_outcome for step in steps)
    assert [effective_expect(step.expect, step.expected_outcome) for step in steps] == [None] * 11


def test_seed_payment_failure(payment: Loaded[Runbook]) -> None:
    runbook = payment.model
    assert (runbook.id, runbook.severity) == ("payment-failure", "P1")
    assert runbook.title == "Stripe Payment Processing Failure"
    assert [step.order for step in runbook.steps] == [1, 2, 3, 4, 5]
    assert runbook.steps[0].expected_outcome == "High failure rate (>10%)"
    assert runbook.contacts == [] and runbook.vars == {} and runbook.escalation is None
    (check,) = runbook.verification
    assert check.expected == "Payment successful"
    assert check.command is not None and check.command.startswith("# Use test card")
    assert effective_expect(check.expect, check.expected) is None
    assert [payment.line("steps", i) for i in range(5)] == [8, 16, 28, 36, 44]
    assert payment.line("verification", 0, "command") == 54


def test_complete_fixtures_load() -> None:
    runbook = load_runbook(FORMATS / "complete-runbook.yaml").model
    assert [step.timeout for step in runbook.steps] == [0.5, 120.0, 60.0]
    assert runbook.steps[0].http is not None and runbook.steps[0].http.method == "GET"
    assert runbook.steps[0].expect is not None
    assert runbook.steps[0].expect.stdout_contains == "ok"  # written as bodyContains
    assert runbook.steps[2].until is not None and runbook.steps[2].until.timeout == 300.0
    assert runbook.secret_names() == {"ADMIN_TOKEN"}
    rollback = runbook.steps[1].rollback_action()
    assert rollback is not None and rollback.command == "./bin/flag set checkout-queue off"
    drill = load_drill(FORMATS / "complete-drill.yaml").model
    assert [fault.kind for fault in drill.inject] == ["toxic", "proxy_down", "http"]
    assert drill.expect.detection is not None and drill.expect.detection.within == 120.0
    assert (drill.respond.steps, drill.timeout) == ([1, 2], 900.0)


# --- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("500ms", 0.5),
        ("2m", 120.0),
        (30, 30.0),
        ("30", 30.0),
        ("1.5s", 1.5),
        ("1h", 3600.0),
        (" 2 m ", 120.0),
        (0.25, 0.25),
        (0, 0.0),
    ],
)
def test_durations(tmp_path: Path, written: str | int | float, seconds: float) -> None:
    assert parse_duration(written) == seconds
    value = repr(written) if isinstance(written, str) else str(written)
    loaded = load_runbook(write(tmp_path, VALID + f"    timeout: {value}\n"))
    assert loaded.model.steps[0].timeout == seconds


@pytest.mark.parametrize(
    ("written", "phrase"),
    [
        ("soon", "'soon' is not a duration"),
        ("-5", "cannot be negative"),
        ("5 days", "not a duration"),
        (".inf", "finite"),
        (".nan", "finite"),
        ("true", "is a number of seconds"),
        ("'" + "9" * 400 + "s'", "finite"),
    ],
)
def test_invalid_durations(tmp_path: Path, written: str, phrase: str) -> None:
    path, error = runbook_error(tmp_path, VALID + f"    timeout: {written}\n")
    assert_at(error, path, 8, 14, "`steps[0].timeout`", phrase)


# --- one clear message per error class ---------------------------------------------------------


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path, error = runbook_error(
        tmp_path, VALID.replace("title: Database outage", "title: [Database")
    )
    assert_at(error, path, 3, 9, "YAML syntax error", "flow sequence at line 2, column 8")


def test_yaml_unclosed_quote(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, 'id: x\ntitle: "Database outage\nseverity: P1\n')
    assert_at(error, path, 4, 1, "end of stream", "quoted scalar at line 2, column 8")


def test_wrong_type(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID.replace("order: 1", "order: first"))
    assert_at(error, path, 5, 12, "`steps[0].order`", "valid integer")


def test_wrong_literal(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID.replace("severity: P1", "severity: high"))
    assert_at(error, path, 3, 11, "`severity` is 'high'", "'P1', 'P2', 'P3' or 'P4'")


def test_bad_id(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID.replace("id: db-outage", "id: DB Outage"))
    assert_at(error, path, 1, 5, "`id` is 'DB Outage'", "lowercase letters")


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID + "    expectedOutcom: healthy\n")
    assert_at(error, path, 8, 5, "unknown key `expectedOutcom`", "did you mean `expectedOutcome`?")


def test_unknown_key_without_a_close_match_lists_the_known_ones(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID + "    zzz: 1\n")
    assert_at(error, path, 8, 5, "unknown key `zzz`", "known keys here:", "expectedOutcome")


def test_missing_required_key(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID.replace("severity: P1\n", ""))
    assert_at(error, path, 1, 1, "missing required key `severity`")


def test_missing_required_key_in_a_step_points_at_the_step(tmp_path: Path) -> None:
    path, error = runbook_error(
        tmp_path, VALID.replace("    description: Check the database\n", "")
    )
    assert_at(error, path, 5, 5, "missing required key `description`")


def test_duplicate_key(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID + "title: Again\n")
    assert_at(error, path, 8, 1, "duplicate key 'title'", "first at line 2")


def test_object_constructing_tag_is_refused_and_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = VALID.replace(
        "command: pg_isready", 'command: !!python/object/apply:os.system ["touch pwned"]'
    )
    path, error = runbook_error(tmp_path, text)
    assert_at(error, path, 7, 14, "'!!python/object/apply:os.system' is not allowed")
    assert not (tmp_path / "pwned").exists()


def test_billion_laughs_fails_fast(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    started = time.perf_counter()
    with pytest.raises(LoadError) as info:
        load_runbook(path)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert_at(info.value, path, 6, 4, "expands to more than", "aliases")


def test_alias_cycle(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID + "tags: &t [a, *t]\n")
    assert_at(error, path, 8, 7, "contains an alias to itself")


def test_deep_nesting(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID + "tags: " + "[" * 300 + "]" * 300 + "\n")
    assert_at(error, path, 8, 106, "nests more than 100 levels")


def test_multi_document_file(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID + "---\nid: other\n")
    assert_at(error, path, 9, 1, "several YAML documents")


@pytest.mark.parametrize("text", ["", "# nothing here yet\n", "\n\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path, error = runbook_error(tmp_path, text)
    assert_at(error, path, 1, 1, "a runbook file holds a mapping", "this is empty")


def test_a_list_is_not_a_runbook(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, "- order: 1\n")
    assert_at(error, path, 1, 1, "this is a list")


def test_non_utf8_file(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, b"id: x\ntitle: Caf\xe9 outage\nseverity: P1\n")
    assert_at(error, path, 2, 1, "not UTF-8")


def test_control_character(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID.replace("pg_isready", "pg_is\x07ready"))
    assert_at(error, path, 7, 19, "U+0007 is not allowed")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        load_runbook(tmp_path)
    assert_at(info.value, tmp_path, 1, 1, "cannot read the file")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(LoadError) as info:
        load_runbook(path)
    assert_at(info.value, path, 1, 1, "cannot read the file", "No such file")


def test_command_and_http_together(tmp_path: Path) -> None:
    path, error = runbook_error(tmp_path, VALID + "    http: {url: $APP_URL}\n")
    assert_at(error, path, 5, 5, "`steps[0]`", "either command or http")


def test_stdout_and_body_contains_together(tmp_path: Path) -> None:
    text = VALID + "    expect:\n      stdoutContains: a\n      bodyContains: b\n"
    path, error = runbook_error(tmp_path, text)
    assert_at(error, path, 9, 7, "either stdoutContains or bodyContains")


def test_drill_with_unknown_fault_type(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_DRILL.replace("type: latency", "type: explode"), "drill.yaml")
    with pytest.raises(LoadError) as info:
        load_drill(path)
    assert_at(info.value, path, 5, 11, "`inject[0].type` is 'explode'", "'latency'", "'noop'")


def test_drill_with_unknown_fault_kind(tmp_path: Path) -> None:
    text = VALID_DRILL.replace("  - type: latency\n", "  - kind: earthquake\n")
    path = write(tmp_path, text, "drill.yaml")
    with pytest.raises(LoadError) as info:
        load_drill(path)
    assert_at(info.value, path, 5, 5, "`inject[0]`", "'earthquake'", "'proxy_down'")


def test_drill_keys_are_snake_case(tmp_path: Path) -> None:
    path = write(tmp_path, VALID_DRILL + "steadyState: []\n", "drill.yaml")
    with pytest.raises(LoadError) as info:
        load_drill(path)
    assert_at(info.value, path, 7, 1, "unknown key `steadyState`", "did you mean `steady_state`?")


def test_several_problems_are_reported_together_sorted_by_line(tmp_path: Path) -> None:
    text = (
        VALID.replace("severity: P1\n", "").replace("order: 1", "order: first")
        + "    expectedOutcom: ok\n"
        + "owner: [not, a, string]\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(LoadErrors) as info:
        load_runbook(path)
    errors = info.value.errors
    assert [(e.line, e.column) for e in errors] == [(1, 1), (4, 12), (7, 5), (8, 8)]
    assert "missing required key `severity`" in errors[0].message
    assert "`steps[0].order`" in errors[1].message
    assert "did you mean `expectedOutcome`?" in errors[2].message
    assert "`owner`" in errors[3].message
    assert str(info.value).splitlines() == [str(e) for e in errors]


def test_an_error_at_the_end_of_a_file_without_a_final_newline_points_inside_it(
    tmp_path: Path,
) -> None:
    path, error = runbook_error(tmp_path, "id: x\ntitle: {")
    assert_at(error, path, 2, 9, "YAML syntax error")
