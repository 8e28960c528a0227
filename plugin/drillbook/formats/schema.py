"""JSON Schema (draft 2020-12) for the runbook and drill formats, for editors and validators.

The schemas come from the pydantic models, in validation mode and by alias (the YAML keys),
then widened where a model accepts more than its fields say: a model validator rewrites the
input first (``vars`` as a list of names, a lowercase HTTP method) or a field has several
names (``bodyContains`` for ``stdoutContains``). A file the loader accepts in its written
form should validate against the schema. The schema cannot say everything the loader
checks (``command`` or ``http``, not both; unique step orders), so it may accept files
that drillbook refuses. ``drillbook schema runbook --out schemas/runbook.schema.json``
writes the committed copy.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import CoreSchema

from drillbook.errors import DrillbookError
from drillbook.formats.common import VAR_NAME_PATTERN, HttpRequest
from drillbook.formats.drill import Drill
from drillbook.formats.runbook import Runbook

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:drillbook:schema:{kind}"

JsonSchema = dict[str, Any]


class _Generator(GenerateJsonSchema):
    """Pydantic's generator without per-field titles: "Expectedoutcome" helps nobody."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


def runbook_schema() -> JsonSchema:
    """The JSON Schema of a runbook file (runbooks/*.yaml)."""
    schema = _model_schema(Runbook)
    _accept_var_list(schema)
    return _with_header(
        schema,
        "runbook",
        "drillbook runbook",
        "An incident runbook: ordered remediation steps (shell commands or HTTP requests "
        "with expectations), verification checks, contacts and escalation.",
    )


def drill_schema() -> JsonSchema:
    """The JSON Schema of a drill file (drills/*.yaml)."""
    return _with_header(
        _model_schema(Drill),
        "drill",
        "drillbook drill",
        "A chaos drill on one runbook: steady state, faults to inject, expected detection "
        "and paging, how the runbook responds, verification and recovery.",
    )


SCHEMAS: dict[str, Callable[[], JsonSchema]] = {"runbook": runbook_schema, "drill": drill_schema}


def schema_text(schema: JsonSchema) -> str:
    """The schema as written to files and stdout: indent 2, sorted keys, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _model_schema(model: type[BaseModel]) -> JsonSchema:
    schema = model.model_json_schema(by_alias=True, mode="validation", schema_generator=_Generator)
    for found, definition in _definitions(model, schema):
        _accept_alias_choices(found, definition)
    _accept_lowercase_methods(schema)
    _close_pattern_properties(schema)
    return schema


def _with_header(schema: JsonSchema, kind: str, title: str, description: str) -> JsonSchema:
    return {
        **schema,
        "$schema": DIALECT,
        "$id": SCHEMA_ID.format(kind=kind),
        "title": title,
        "description": description,
    }


def _definitions(
    root: type[BaseModel], schema: JsonSchema
) -> Iterator[tuple[type[BaseModel], JsonSchema]]:
    """Each model reachable from ``root`` with its object schema (the root's or in $defs)."""
    definitions = schema.get("$defs", {})
    for model in _reachable_models(root):
        if model is root:
            yield model, schema
        elif model.__name__ in definitions:
            yield model, definitions[model.__name__]


def _reachable_models(root: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    pending = [root]
    while pending:
        model = pending.pop()
        if model in found:
            continue
        found.append(model)
        for info in model.model_fields.values():
            pending.extend(_models_in(info.annotation))
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    inner = [*getattr(annotation, "__args__", ()), *getattr(annotation, "__metadata__", ())]
    return [found for arg in inner for found in _models_in(arg)]


def _accept_alias_choices(model: type[BaseModel], definition: JsonSchema) -> None:
    """A field with several names (``stdoutContains`` / ``bodyContains``) lists each."""
    properties = definition.get("properties", {})
    for info in model.model_fields.values():
        if not isinstance(info.validation_alias, AliasChoices):
            continue
        names = [name for name in info.validation_alias.choices if isinstance(name, str)]
        primary = next((name for name in names if name in properties), None)
        if primary is None:
            continue
        for name in names:
            properties.setdefault(name, copy.deepcopy(properties[primary]))


def _accept_var_list(schema: JsonSchema) -> None:
    """``vars: [APP_URL, TOKEN]`` is shorthand for a mapping of required variables."""
    mapping = schema["properties"]["vars"]
    as_list = {"type": "array", "items": {"type": "string", "pattern": VAR_NAME_PATTERN}}
    schema["properties"]["vars"] = {"anyOf": [mapping, as_list]}


def _accept_lowercase_methods(schema: JsonSchema) -> None:
    """The HTTP method is upper-cased before validation, so ``get`` is as good as ``GET``."""
    definition = schema.get("$defs", {}).get(HttpRequest.__name__)
    if definition is None:
        return
    method = definition["properties"]["method"]
    method["enum"] = [*method["enum"], *(name.lower() for name in method["enum"])]


def _close_pattern_properties(node: Any) -> None:
    """A mapping whose keys must match a pattern (``vars``) has no other keys."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_pattern_properties(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_properties(value)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``drillbook schema runbook|drill [--out FILE]``."""
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of a file format",
        description="Print the JSON Schema (draft 2020-12) of the runbook or drill format, "
        "for editors (yaml-language-server) and validators.",
    )
    parser.add_argument("kind", choices=sorted(SCHEMAS), help="which format")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write to FILE, not stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print or write the schema named by ``args.kind``."""
    text = schema_text(SCHEMAS[args.kind]())
    out: Path | None = args.out
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DrillbookError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"drillbook: wrote the {args.kind} schema to {out}", file=sys.stderr)
    return 0
