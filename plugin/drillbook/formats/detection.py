"""The detection rules format: when an incident counts as detected, and at what severity.

A rules file lists rules of three kinds: an HTTP ``probe`` whose answer meets a condition, a
``metric`` read from a Prometheus text endpoint (a current value, a counter's rate, a ratio of
two rates, a histogram quantile) compared with a threshold over a window, and a ``python``
callable. The windows written are the production ones; a profile (``drill`` by default in
drills) shortens them so a drill does not wait ten minutes for a ten-minute window.

Metric selectors are written as in PromQL: a metric name and an optional label matcher set,
``http_requests_total{status=~"5..", route!="/health"}``; every matching series is summed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from drillbook.formats.common import (
    Duration,
    Expect,
    HttpRequest,
    Identifier,
    Severity,
    SnakeModel,
)
from drillbook.formats.loader import Loaded, load_model, load_model_text

# -- selectors ---------------------------------------------------------------------------

MatchOp = Literal["=", "!=", "=~", "!~"]
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'', re.S)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True)
class LabelMatcher:
    """One ``label op "value"`` of a selector; regular expressions match the whole value."""

    label: str
    op: MatchOp
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.label}{self.op}"{escaped}"'


@dataclass(frozen=True)
class Selector:
    """A metric name and the label matchers every summed series must meet."""

    name: str
    matchers: tuple[LabelMatcher, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        return all(matcher.matches(labels) for matcher in self.matchers)

    def __str__(self) -> str:
        if not self.matchers:
            return self.name
        return self.name + "{" + ", ".join(str(m) for m in self.matchers) + "}"


def parse_selector(text: str) -> Selector:
    """``name{a="b", c=~"re"}`` as a Selector; raises ValueError saying what to write."""
    stripped = text.strip()
    name = _NAME.match(stripped)
    if name is None:
        raise ValueError(
            f"{text!r} is not a metric selector; write a metric name, optionally with labels "
            'in braces: http_requests_total{status=~"5.."}'
        )
    rest = stripped[name.end() :].strip()
    if not rest:
        return Selector(name.group(0))
    if not (rest.startswith("{") and rest.endswith("}")):
        raise ValueError(
            f"{text!r}: after the metric name only a label set in braces may follow, "
            'like {status="500"}'
        )
    return Selector(name.group(0), _parse_matchers(rest[1:-1], text))


def _parse_matchers(body: str, text: str) -> tuple[LabelMatcher, ...]:
    matchers: list[LabelMatcher] = []
    position = 0
    while body[position:].strip():
        label = _LABEL.match(body, position)
        value = _STRING.match(body, label.end()) if label else None
        if label is None or value is None:
            raise ValueError(
                f"{text!r}: cannot read the label matcher at {body[position:].strip()!r}; "
                'write label="value", label!="value", label=~"regex" or label!~"regex"'
            )
        raw = value.group(1) if value.group(1) is not None else value.group(2)
        matchers.append(_matcher(label.group(1), label.group(2), _unescape(raw), text))
        position = value.end()
        separator = re.compile(r"\s*(,|$)").match(body, position)
        if separator is None or (separator.group(1) == "" and body[separator.end() :].strip()):
            raise ValueError(f"{text!r}: separate label matchers with commas")
        position = separator.end()
    return tuple(matchers)


def _matcher(label: str, op: str, value: str, text: str) -> LabelMatcher:
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"{text!r}: {value!r} is not a regular expression ({error})") from None
    return LabelMatcher(label, op, value)  # type: ignore[arg-type]  # the regex allows only these


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), raw, flags=re.S)


def _valid_selector(text: str) -> str:
    parse_selector(text)
    return text


SelectorText = Annotated[
    str,
    AfterValidator(_valid_selector),
    Field(description='a metric name with optional label matchers: name{label=~"re"}'),
]

# -- rule sources --------------------------------------------------------------------------


class Threshold(SnakeModel):
    """Fires when the value is strictly ``above`` or strictly ``below`` a number."""

    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _at_most_one(self) -> Threshold:
        if self.above is not None and self.below is not None:
            raise ValueError("give either above or below, not both")
        return self

    def describe_threshold(self) -> str:
        if self.above is not None:
            return f"above {self.above:g}"
        if self.below is not None:
            return f"below {self.below:g}"
        return "when true"

    def crosses(self, value: float) -> bool:
        if self.above is not None:
            return value > self.above
        if self.below is not None:
            return value < self.below
        raise ValueError("no threshold")


class ProbeSource(SnakeModel):
    """An HTTP request; the rule fires when its answer meets ``fires_when``."""

    http: HttpRequest
    fires_when: Expect
    fires_on_error: bool = False  # an unanswered request (refused, timed out) counts as firing
    timeout: Annotated[Duration, Field(gt=0)] = 5.0

    @model_validator(mode="after")
    def _condition(self) -> ProbeSource:
        if self.fires_when.is_empty():
            raise ValueError("fires_when needs a condition: status, json, bodyContains, ...")
        return self


class Ratio(SnakeModel):
    """The rate of ``numerator`` divided by the rate of ``denominator`` over the window."""

    numerator: SelectorText
    denominator: SelectorText


class Quantile(SnakeModel):
    """The ``q`` quantile of a histogram's observations over the window."""

    histogram: SelectorText  # the histogram's name (without _bucket), optionally with labels
    q: Annotated[float, Field(ge=0, le=1)]
    labels: dict[str, str] = Field(default_factory=dict)  # more label=value matchers


MetricKind = Literal["value", "rate", "increase", "ratio", "quantile"]
METRIC_KINDS: tuple[MetricKind, ...] = ("value", "rate", "increase", "ratio", "quantile")


class MetricSource(Threshold):
    """A number computed from a Prometheus text endpoint, compared with a threshold.

    Exactly one of ``value`` (the current sum), ``rate`` (per second over the window),
    ``increase`` (over the window), ``ratio`` and ``quantile``."""

    url: Annotated[str, Field(min_length=1)]
    headers: dict[str, str] = Field(default_factory=dict)
    value: SelectorText | None = None
    rate: SelectorText | None = None
    increase: SelectorText | None = None
    ratio: Ratio | None = None
    quantile: Quantile | None = None
    window: Duration | None = None
    drill_window: Duration | None = None
    timeout: Annotated[Duration, Field(gt=0)] = 5.0

    @model_validator(mode="after")
    def _one_kind_and_a_threshold(self) -> MetricSource:
        given = [kind for kind in METRIC_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(
                "a metric rule computes exactly one of value, rate, increase, ratio or quantile"
                + (f"; this one gives {', '.join(given)}" if given else "")
            )
        if self.above is None and self.below is None:
            raise ValueError("a metric rule needs a threshold: above or below")
        windowed = self.kind != "value"
        if windowed and (self.window is None or self.window <= 0):
            raise ValueError(f"a {self.kind} needs a window longer than 0, such as window: 5m")
        if not windowed and (self.window is not None or self.drill_window is not None):
            raise ValueError("value reads the current number; it takes no window")
        return self

    @property
    def kind(self) -> MetricKind:
        return next(kind for kind in METRIC_KINDS if getattr(self, kind) is not None)


_REFERENCE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def _valid_reference(text: str) -> str:
    if not _REFERENCE.fullmatch(text):
        raise ValueError(f"{text!r} does not name a python function; write package.module:function")
    return text


def _call_shorthand(data: Any) -> Any:
    return {"call": data} if isinstance(data, str) else data


class PythonSource(Threshold):
    """``package.module:function`` called with the drill's variables.

    It returns a bool (fires when true), ``(bool, detail)``, or a number compared with
    ``above`` / ``below``."""

    call: Annotated[str, AfterValidator(_valid_reference)]


# -- rules and the file --------------------------------------------------------------------


class Rule(SnakeModel):
    """One detection rule: a source, a condition, the severity and the runbook to follow."""

    id: Identifier
    name: Annotated[str, Field(min_length=1)]
    severity: Severity
    runbook: Annotated[str, Field(min_length=1)]
    description: str | None = None
    probe: ProbeSource | None = None
    metric: MetricSource | None = None
    python: Annotated[PythonSource, BeforeValidator(_call_shorthand)] | None = None
    for_: Duration = Field(default=0.0, alias="for")

    @model_validator(mode="after")
    def _one_source(self) -> Rule:
        given = [kind for kind in ("probe", "metric", "python") if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(
                "a rule has exactly one source: probe, metric or python"
                + (f"; this one has {' and '.join(given)}" if given else "")
            )
        return self

    @property
    def kind(self) -> Literal["probe", "metric", "python"]:
        if self.probe is not None:
            return "probe"
        return "metric" if self.metric is not None else "python"


class Profile(SnakeModel):
    """How a named profile (``drill``) shortens the production timings."""

    max_window: Annotated[Duration, Field(gt=0)] | None = None
    max_for: Duration | None = None
    interval: Annotated[Duration, Field(gt=0)] | None = None


class RulesFile(SnakeModel):
    """A detection rules file: the polling interval, the profiles and the rules."""

    interval: Annotated[Duration, Field(gt=0)] = 1.0
    profiles: dict[Identifier, Profile] = Field(default_factory=dict)
    rules: Annotated[list[Rule], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> RulesFile:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"two rules have the id {rule.id!r}; rule ids must be unique")
            seen.add(rule.id)
        return self

    def rule(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


def load_rules(path: Path | str) -> Loaded[RulesFile]:
    """Load a detection rules file; raises LoadError / LoadErrors naming file:line:col."""
    return load_model(path, RulesFile, "detection rules")


def load_rules_text(text: str, path: str = "<string>") -> Loaded[RulesFile]:
    return load_model_text(text, RulesFile, "detection rules", path)
