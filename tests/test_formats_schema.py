"""The exported JSON Schemas: committed copies up to date, and the files drillbook reads
validate against them with the ``jsonschema`` library."""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from drillbook import cli
from drillbook.errors import DrillbookError
from drillbook.formats.schema import (
    DIALECT,
    SCHEMAS,
    drill_schema,
    register,
    runbook_schema,
    schema_text,
)

ROOT = Path(__file__).parent.parent
SCHEMA_DIR = ROOT / "schemas"
SEED = Path(__file__).parent / "fixtures" / "seed"
FORMATS = Path(__file__).parent / "fixtures" / "formats"


@functools.cache
def validator(kind: str) -> jsonschema.Draft202012Validator:
    """A validator for the schema of ``kind``, itself checked against the 2020-12 metaschema."""
    schema = SCHEMAS[kind]()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(kind: str, document: Any) -> list[str]:
    return [error.message for error in validator(kind).iter_errors(document)]


def run(argv: list[str]) -> int:
    """``drillbook schema ...`` through this module's own ``register``."""
    parser = argparse.ArgumentParser(prog="drillbook")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "build"), [("runbook", runbook_schema), ("drill", drill_schema)])
def test_committed_schema_is_what_the_code_generates(name: str, build: Any) -> None:
    committed = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(build()), (
        f"schemas/{name}.schema.json is out of date; run "
        f"`drillbook schema {name} --out schemas/{name}.schema.json` and commit it"
    )


@pytest.mark.parametrize(("name", "build"), [("runbook", runbook_schema), ("drill", drill_schema)])
def test_schema_header(name: str, build: Any) -> None:
    schema = build()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:drillbook:schema:{name}"
    assert schema["title"] == f"drillbook {name}"
    assert schema["description"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False


@pytest.mark.parametrize("path", sorted(SEED.glob("*.yaml")), ids=lambda p: p.name)
def test_seed_runbooks_validate(path: Path) -> None:
    assert errors("runbook", read_yaml(path)) == []


def test_complete_fixtures_validate() -> None:
    assert errors("runbook", read_yaml(FORMATS / "complete-runbook.yaml")) == []
    assert errors("drill", read_yaml(FORMATS / "complete-drill.yaml")) == []


@pytest.mark.parametrize("duration", [30, 0.5, "500ms", "30s", "2m", "1h", "1.5s", "45"])
def test_durations_are_numbers_or_strings(duration: float | str) -> None:
    runbook = read_yaml(SEED / "database-outage.yaml")
    runbook["steps"][0]["timeout"] = duration
    runbook["steps"][0]["until"] = {"interval": duration, "timeout": duration}
    assert errors("runbook", runbook) == []
    drill = read_yaml(FORMATS / "complete-drill.yaml")
    drill["timeout"] = duration
    assert errors("drill", drill) == []


@pytest.mark.parametrize("duration", ["soon", "5 days", -1, True, None, [30]])
def test_bad_durations_are_refused(duration: Any) -> None:
    runbook = read_yaml(SEED / "database-outage.yaml")
    runbook["steps"][0]["timeout"] = duration
    assert errors("runbook", runbook) != []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda r: r.pop("severity"), "'severity' is a required property"),
        (lambda r: r.update(severity="high"), "'high' is not one of"),
        (lambda r: r.update(id="Database Outage"), "does not match"),
        (lambda r: r["steps"][0].update(expectedOutcom="x"), "Additional properties"),
        (lambda r: r["steps"][0].update(order=0), "less than the minimum"),
        (lambda r: r.update(vars={"bad-name": {}}), "is not valid under any of the given schemas"),
        (lambda r: r.update(steps=[]), "should be non-empty"),
    ],
)
def test_schema_refuses_what_the_loader_refuses(change: Any, problem: str) -> None:
    runbook = read_yaml(SEED / "database-outage.yaml")
    change(runbook)
    found = errors("runbook", runbook)
    assert any(problem in message for message in found), found


def test_schema_accepts_the_loader_shorthands() -> None:
    runbook = read_yaml(FORMATS / "complete-runbook.yaml")
    runbook["vars"] = ["APP_URL", "ADMIN_TOKEN"]
    runbook["steps"][0]["http"]["method"] = "post"
    runbook["steps"][0]["expect"]["bodyMatches"] = "^ok"
    assert errors("runbook", runbook) == []
    runbook["vars"] = ["not-a-var-name"]
    assert errors("runbook", runbook) != []


def test_drill_faults_without_kind_are_toxics() -> None:
    drill = read_yaml(FORMATS / "complete-drill.yaml")
    drill["inject"] = [{"type": "latency", "proxy": "postgres"}]
    assert errors("drill", drill) == []
    drill["inject"] = [{"type": "explode", "proxy": "postgres"}]
    assert errors("drill", drill) != []
    drill["inject"] = [{"kind": "proxy_down"}]
    assert errors("drill", drill) != []


def test_no_field_titles() -> None:
    schema = runbook_schema()
    step = schema["$defs"]["Step"]
    assert step["title"] == "Step"
    assert all("title" not in prop for prop in step["properties"].values())


def test_the_drillbook_command_has_this_subcommand() -> None:
    assert cli.SUBCOMMANDS["schema"] == "drillbook.formats.schema"


def test_cli_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "drill"]) == 0
    out = capsys.readouterr().out
    assert out == schema_text(drill_schema())
    assert out.endswith("}\n") and out.startswith('{\n  "$defs"')
    assert json.loads(out)["title"] == "drillbook drill"


def test_cli_writes_the_schema_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runbook.schema.json"
    assert run(["schema", "runbook", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == schema_text(runbook_schema())
    printed = capsys.readouterr()
    assert printed.out == ""
    assert str(out) in printed.err


def test_cli_reports_an_unwritable_file(tmp_path: Path) -> None:
    out = tmp_path / "missing-dir" / "runbook.schema.json"
    with pytest.raises(DrillbookError, match=f"cannot write {out}: No such file"):
        run(["schema", "runbook", "--out", str(out)])


def test_cli_refuses_an_unknown_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run(["schema", "playbook"])
    assert info.value.code == 2
    assert "invalid choice: 'playbook'" in capsys.readouterr().err
