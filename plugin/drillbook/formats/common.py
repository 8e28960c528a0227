"""Types shared by the runbook and drill formats: durations, expectations, requests, checks."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """Seconds from a number (seconds) or a string such as ``500ms``, ``30s``, ``2m``, ``1h``."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '30s' or '2m'")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return _finite(float(value))
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return _finite(float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    raise ValueError(
        f"{value!r} is not a duration; write seconds as a number, or a string like "
        "'500ms', '30s', '2m' or '1h'"
    )


def _finite(seconds: float) -> float:
    """Refuse ``.nan``, ``.inf`` and numbers too large for a float: every wait must end."""
    if not math.isfinite(seconds):
        raise ValueError("a duration must be a finite number of seconds")
    return seconds


def _format_duration(seconds: float) -> float | int:
    return int(seconds) if float(seconds).is_integer() else seconds


# What a file may hold for a duration, for the JSON Schema (validation accepts both forms).
DURATION_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": _DURATION.pattern},
    ],
    "description": "seconds as a number, or a string like '500ms', '30s', '2m' or '1h'",
}

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(_format_duration),
    WithJsonSchema(DURATION_JSON_SCHEMA, mode="validation"),
]

Severity = Literal["P1", "P2", "P3", "P4"]

IDENTIFIER_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN, max_length=128)]
VAR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class CamelModel(BaseModel):
    """A strict model whose YAML keys are camelCase, like the seed's runbooks."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, validate_default=True
    )


class SnakeModel(BaseModel):
    """A strict model whose YAML keys are written as the Python names (snake_case)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class JsonCheck(CamelModel):
    """One JSON field, selected by a JMESPath expression, compared with a value."""

    path: Annotated[str, Field(min_length=1)]
    equals: Any = None
    not_equals: Any = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    contains: Any = None
    matches: str | None = None
    exists: bool | None = None

    @model_validator(mode="after")
    def _one_comparison_at_least(self) -> JsonCheck:
        if all(getattr(self, name) is None for name in JSON_OPERATORS):
            raise ValueError(
                "a json check needs a comparison: one of " + ", ".join(JSON_OPERATOR_KEYS)
            )
        return self


JSON_OPERATORS = ("equals", "not_equals", "gt", "ge", "lt", "le", "contains", "matches", "exists")
JSON_OPERATOR_KEYS = tuple(to_camel(name) for name in JSON_OPERATORS)


class Expect(CamelModel):
    """What a step or check must produce. HTTP steps treat the response body as stdout."""

    exit_code: int | None = None
    stdout_contains: str | None = Field(
        default=None, validation_alias=AliasChoices("stdoutContains", "bodyContains")
    )
    stdout_matches: str | None = Field(
        default=None, validation_alias=AliasChoices("stdoutMatches", "bodyMatches")
    )
    stderr_contains: str | None = None
    stderr_matches: str | None = None
    json_checks: list[JsonCheck] | None = Field(default=None, alias="json")
    status: int | list[int] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_name_each(cls, data: Any) -> Any:
        """``bodyContains`` is another name for ``stdoutContains``: refuse both at once."""
        if isinstance(data, dict):
            for names in (("stdoutContains", "bodyContains"), ("stdoutMatches", "bodyMatches")):
                if all(name in data for name in names):
                    raise ValueError(f"give either {names[0]} or {names[1]}, not both")
        return data

    def is_empty(self) -> bool:
        return all(value is None for value in self.__dict__.values())


class HttpRequest(CamelModel):
    """An HTTP request made with httpx; ``$VAR`` in url, headers and body come from the vars."""

    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    url: Annotated[str, Field(min_length=1)]
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    body: str | None = None
    follow_redirects: bool = False

    @model_validator(mode="before")
    @classmethod
    def _upper_method(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            data = {**data, "method": data["method"].upper()}
        return data

    @model_validator(mode="after")
    def _one_body(self) -> HttpRequest:
        if self.json_body is not None and self.body is not None:
            raise ValueError("give either json or body, not both")
        return self


class Until(CamelModel):
    """Retry the step until its expectation holds: the replacement for ``watch``."""

    interval: Duration = 5.0
    timeout: Duration = 300.0


class Action(CamelModel):
    """Something that can be run: a shell command or an HTTP request, with expectations."""

    command: str | None = None
    http: HttpRequest | None = None
    expect: Expect | None = None
    timeout: Duration = 60.0
    until: Until | None = None
    manual: bool = False

    @model_validator(mode="after")
    def _command_or_http(self) -> Action:
        if self.command is not None and self.http is not None:
            raise ValueError("give either command or http, not both")
        return self

    @property
    def runnable(self) -> bool:
        return not self.manual and (self.command is not None or self.http is not None)


class Check(Action):
    """A verification check (the seed's ``verification`` entries and drill checks).

    ``capture`` keeps values from a passing check's JSON answer for later steps and checks:
    ``capture: {AUTH_TOKEN: access_token}`` sets ``$AUTH_TOKEN`` from a JMESPath."""

    description: Annotated[str, Field(min_length=1)]
    expected: str | None = None
    tags: list[str] = Field(default_factory=list)
    capture: dict[Annotated[str, Field(pattern=VAR_NAME_PATTERN)], str] = Field(
        default_factory=dict
    )
