"""Properties of the formats: any valid runbook or drill survives dump -> YAML -> load, and
whatever a file holds, loading gives a model or LoadError(s) pointing inside the file."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from drillbook.errors import LoadError, LoadErrors
from drillbook.formats.drill import TOXIC_TYPES, Drill
from drillbook.formats.loader import load_drill, load_runbook
from drillbook.formats.runbook import Runbook
from drillbook.formats.schema import SCHEMAS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

# Whole documents cost ~10-50 ms an example (PyYAML's emitter, two loads, the schema):
# 100 of them, and 200 of the cheap fuzz, keep the file well under 20 s.
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CHEAP = settings(SETTINGS, max_examples=200)
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a new line


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("formats")


# --- strategies for valid documents, written the ways a person may write them --------------

text = st.text(max_size=20)
words = st.text(min_size=1, max_size=20)
LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
WORD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
identifiers = st.builds(  # IDENTIFIER_PATTERN
    str.__add__, st.sampled_from(LOWER), st.text(LOWER + "._-", max_size=20)
)
var_names = st.builds(  # VAR_NAME_PATTERN
    str.__add__, st.sampled_from(WORD), st.text(WORD + "0123456789", max_size=10)
)
tags = st.lists(text, max_size=3)
finite = st.floats(allow_nan=False, allow_infinity=False)
numbers = st.one_of(st.integers(), finite)
unit_fraction = st.floats(min_value=0, max_value=1)

durations = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.floats(min_value=0, max_value=1e9),
    st.builds(
        lambda amount, unit: f"{amount}{unit}",
        st.one_of(st.integers(0, 10**4), st.decimals(0, 10**4, places=2).map(str)),
        st.sampled_from(["", "ms", "s", "m", "h", " s"]),
    ),
)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)
json_present = json_values.filter(lambda value: value is not None)


def optional(**fields: st.SearchStrategy[Any]) -> dict[str, st.SearchStrategy[Any]]:
    return fields


json_checks = st.fixed_dictionaries(
    {"path": words},
    optional=optional(
        notEquals=json_present,
        gt=finite,
        ge=finite,
        lt=finite,
        le=finite,
        contains=json_present,
        matches=text,
        exists=st.booleans(),
    ),
).flatmap(
    # at least one comparison: ``equals`` when nothing else was drawn
    lambda check: (
        st.just(check)
        if len(check) > 1
        else json_present.map(lambda value: {**check, "equals": value})
    )
)

expects_by_stdout = st.fixed_dictionaries(
    {},
    optional=optional(
        exitCode=st.integers(-255, 255),
        stdoutContains=text,
        stdoutMatches=text,
        stderrContains=text,
        stderrMatches=text,
        json=st.lists(json_checks, max_size=2),
        status=st.one_of(st.integers(100, 599), st.lists(st.integers(100, 599), max_size=3)),
    ),
)


def _with_body_names(expect: dict[str, Any], use: bool) -> dict[str, Any]:
    """``bodyContains``/``bodyMatches`` are other names for the stdout fields."""
    if not use:
        return expect
    renamed = {"stdoutContains": "bodyContains", "stdoutMatches": "bodyMatches"}
    return {renamed.get(key, key): value for key, value in expect.items()}


expects = st.builds(_with_body_names, expects_by_stdout, st.booleans())

methods = st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).flatmap(
    lambda method: st.sampled_from([method, method.lower()])
)

http_requests = st.fixed_dictionaries(
    {"url": words},
    optional=optional(
        method=methods,
        headers=st.dictionaries(text, text, max_size=2),
        followRedirects=st.booleans(),
    ),
).flatmap(
    lambda request: st.one_of(
        st.just(request),
        json_present.map(lambda body: {**request, "json": body}),
        text.map(lambda body: {**request, "body": body}),
    )
)

untils = st.fixed_dictionaries({}, optional=optional(interval=durations, timeout=durations))

action_fields = optional(expect=expects, timeout=durations, until=untils, manual=st.booleans())


def actions(required: dict[str, Any], extra: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An Action's keys plus ``extra``, with a command, an http request, or neither."""
    base = st.fixed_dictionaries(required, optional={**action_fields, **extra})
    runnable = st.one_of(
        st.just({}),
        text.map(lambda command: {"command": command}),
        http_requests.map(lambda http: {"http": http}),
    )
    return st.builds(lambda fields, run: {**fields, **run}, base, runnable)


rollbacks = st.one_of(text, actions({}, optional(description=text)))
checks = actions({"description": words}, optional(expected=text, tags=tags))
contacts = st.fixed_dictionaries(
    {"role": words, "name": words},
    optional=optional(phone=text, slack=text, email=text, priority=text),
)
variables = st.fixed_dictionaries(
    {},
    optional=optional(description=text, secret=st.booleans(), default=text, required=st.booleans()),
)
vars_written = st.one_of(
    st.dictionaries(var_names, variables, max_size=3),
    st.lists(var_names, max_size=3, unique=True),  # shorthand: required, described nowhere
)


@st.composite
def step_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    orders = draw(st.lists(st.integers(1, 50), min_size=1, max_size=3, unique=True))
    step = actions(
        {"description": words},
        optional(
            expectedOutcome=text,
            rollbackProcedure=rollbacks,
            notes=text,
            readOnly=st.booleans(),
            changesProduction=st.booleans(),
            tags=tags,
        ),
    )
    return [{"order": order, **draw(step)} for order in orders]


runbooks = st.fixed_dictionaries(
    {
        "id": identifiers,
        "title": words,
        "severity": st.sampled_from(["P1", "P2", "P3", "P4"]),
        "steps": step_lists(),
    },
    optional=optional(
        scenario=text,
        verification=st.lists(checks, max_size=2),
        contacts=st.lists(contacts, max_size=2),
        escalation=text,
        tags=tags,
        vars=vars_written,
        owner=text,
    ),
)

toxic_faults = st.fixed_dictionaries(
    {"proxy": words, "type": st.sampled_from(TOXIC_TYPES)},
    optional=optional(
        kind=st.just("toxic"),  # a fault with a type and no kind is a toxic
        name=text,
        stream=st.sampled_from(["upstream", "downstream"]),
        toxicity=unit_fraction,
        attributes=st.dictionaries(text, numbers, max_size=3),
    ),
)
proxy_down_faults = st.fixed_dictionaries({"kind": st.just("proxy_down"), "proxy": words})
http_faults = st.fixed_dictionaries(
    {"kind": st.just("http"), "target": words},
    optional=optional(
        status=st.integers(200, 599),
        body=json_present,
        delay=durations,
        fraction=unit_fraction,
        count=st.integers(1, 10**6),
        path=text,
    ),
)
timed = {"within": durations}

drills = st.fixed_dictionaries(
    {"id": identifiers, "title": words, "runbook": words},
    optional=optional(
        description=text,
        tags=tags,
        environment=text,
        vars=st.dictionaries(var_names, text, max_size=3),
        steady_state=st.lists(checks, max_size=2),
        inject=st.lists(st.one_of(toxic_faults, proxy_down_faults, http_faults), max_size=3),
        expect=st.fixed_dictionaries(
            {},
            optional=optional(
                detection=st.fixed_dictionaries({"rule": words}, optional=timed),
                paging=st.lists(
                    st.fixed_dictionaries({"target": words}, optional=timed), max_size=2
                ),
            ),
        ),
        respond=st.fixed_dictionaries(
            {},
            optional=optional(
                mode=st.sampled_from(["auto", "manual", "skip"]),
                steps=st.one_of(
                    st.sampled_from(["all", "read-only"]),
                    st.lists(st.integers(1, 50), max_size=4),
                ),
                timeout=durations,
            ),
        ),
        verify=st.fixed_dictionaries(
            {},
            optional=optional(
                runbook=st.booleans(),
                checks=st.lists(checks, max_size=2),
                during_fault=st.booleans(),
            ),
        ),
        recover=st.lists(checks, max_size=2),
        timeout=durations,
    ),
)


# --- helpers ------------------------------------------------------------------------------------


def write_yaml(path: Path, data: Any) -> Path:
    """``yaml.safe_dump``'s default output; ``allow_unicode=True`` is not used because PyYAML
    then writes U+0085 as a raw line break that reads back as a space."""
    path.write_bytes(yaml.safe_dump(data).encode("utf-8"))
    return path


def dumped(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


@functools.cache
def validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMAS[kind]())


def assert_schema_accepts(kind: str, document: Any) -> None:
    problems = [error.message for error in validator(kind).iter_errors(document)]
    assert problems == [], problems


# --- round trips -------------------------------------------------------------------------------


@SETTINGS
@given(written=runbooks)
def test_runbook_round_trip(workdir: Path, written: dict[str, Any]) -> None:
    original = Runbook.model_validate(written)
    # as written (shorthands, string durations, lowercase methods) the loader reads the same
    as_written = load_runbook(write_yaml(workdir / "written.yaml", written))
    assert as_written.model == original
    # the model's own dump reads back as the same model
    again = load_runbook(write_yaml(workdir / "dumped.yaml", dumped(original)))
    assert again.model == original
    assert dumped(again.model) == dumped(original)
    # and both forms are valid for the exported schema
    assert_schema_accepts("runbook", written)
    assert_schema_accepts("runbook", dumped(original))


@SETTINGS
@given(written=drills)
def test_drill_round_trip(workdir: Path, written: dict[str, Any]) -> None:
    original = Drill.model_validate(written)
    as_written = load_drill(write_yaml(workdir / "written.yaml", written))
    assert as_written.model == original
    again = load_drill(write_yaml(workdir / "dumped.yaml", dumped(original)))
    assert again.model == original
    assert dumped(again.model) == dumped(original)
    assert_schema_accepts("drill", written)
    assert_schema_accepts("drill", dumped(original))


# --- fuzz: anything in, a model or a positioned error out --------------------------------------


def _format_keys(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Every key of the formats (aliases and field names), walked through nested models."""
    if model in seen:
        return set()
    seen.add(model)
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.update({name, info.alias or name})
        pending = [info.annotation]
        while pending:
            annotation = pending.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                keys |= _format_keys(annotation, seen)
            pending.extend(getattr(annotation, "__args__", ()))
            pending.extend(getattr(annotation, "__metadata__", ()))
    return keys


FORMAT_KEYS = sorted(_format_keys(Runbook, set()) | _format_keys(Drill, set()))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # .nan and .inf included
    st.text(max_size=10),
    st.sampled_from(["P1", "30s", "2m", "latency", "toxic", "http", "GET", "all", "-1"]),
)
keys = st.one_of(st.sampled_from(FORMAT_KEYS), st.text(max_size=8))
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
documents = st.one_of(trees, st.dictionaries(keys, trees, min_size=1, max_size=8))


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A valid document with one value somewhere inside replaced by junk."""
    document = draw(valid)
    node: Any = document
    while isinstance(node, dict | list) and node:
        index = draw(st.integers(0, len(node) - 1))
        key = list(node)[index] if isinstance(node, dict) else index
        if not isinstance(node[key], dict | list) or draw(st.booleans()):
            node[key] = draw(trees)
            break
        node = node[key]
    return document


def assert_loads_or_points_inside(path: Path, text: str) -> None:
    lines = LINE_BREAK.split(text)
    for loader in (load_runbook, load_drill):
        try:
            loader(path)
        except LoadErrors as errors:
            assert errors.errors, "LoadErrors without errors"
            for error in errors.errors:
                assert_inside(error, lines)
        except LoadError as error:
            assert_inside(error, lines)


def assert_inside(error: LoadError, lines: list[str]) -> None:
    assert error.message and "Traceback" not in error.message
    assert 1 <= error.line <= len(lines), (error.line, len(lines), str(error))
    assert 1 <= error.column <= len(lines[error.line - 1]) + 1, (str(error), lines)


@CHEAP
@given(text=st.text(max_size=200))
def test_any_text_loads_or_fails_with_a_position(workdir: Path, text: str) -> None:
    path = workdir / "text.yaml"
    path.write_bytes(text.encode("utf-8"))
    assert_loads_or_points_inside(path, text)


@SETTINGS
@given(
    document=st.one_of(documents, mutated(runbooks), mutated(drills)),
    allow_unicode=st.booleans(),
    flow_style=st.sampled_from([None, False, True]),
)
def test_any_yaml_tree_loads_or_fails_with_a_position(
    workdir: Path, document: Any, allow_unicode: bool, flow_style: bool | None
) -> None:
    text = yaml.safe_dump(document, allow_unicode=allow_unicode, default_flow_style=flow_style)
    path = workdir / "tree.yaml"
    path.write_bytes(text.encode("utf-8"))
    assert_loads_or_points_inside(path, text)


@CHEAP
@given(data=st.binary(max_size=100))
def test_any_bytes_load_or_fail_with_a_position(workdir: Path, data: bytes) -> None:
    path = workdir / "bytes.yaml"
    path.write_bytes(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        for loader in (load_runbook, load_drill):
            with pytest.raises(LoadError, match="not UTF-8") as info:
                loader(path)
            assert 1 <= info.value.line <= data.count(b"\n") + 1
        return
    assert_loads_or_points_inside(path, text)
