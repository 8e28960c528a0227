"""A drill's synthetic traffic as the reports show it: how much, how many failed, how fast.

Built from ``TrafficReport.to_dict()`` data. Latencies read in milliseconds or seconds, error
ratios as percentages; whether the generator kept up is said in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drillbook.report import formatting as fmt


@dataclass(frozen=True)
class LatencyView:
    p50: str
    p95: str
    p99: str
    max: str
    samples: str


@dataclass(frozen=True)
class EntryView:
    """The requests of one entry of the traffic mix."""

    name: str
    weight: str
    requests: str
    errors: str
    error_ratio: str
    latency: LatencyView
    statuses: str


@dataclass(frozen=True)
class TrafficView:
    """Everything the Traffic section shows."""

    requests: str
    rate: str
    duration: str
    errors: str
    error_ratio: str
    latency: LatencyView
    statuses: str
    kept_up: str
    fell_behind: bool  # requests started late or were never sent: the load was lighter
    warmup: str
    error_examples: list[str]
    entries: list[EntryView]


def traffic_view(data: Any) -> TrafficView | None:
    """The Traffic section for ``TrafficReport.to_dict()`` data, or None when none was sent."""
    if not isinstance(data, dict):
        return None
    return TrafficView(
        requests=_count(data.get("requests")),
        rate=_rate(data.get("achieved_rate"), data.get("target_rate")),
        duration=fmt.seconds(data.get("duration")),
        errors=_count(data.get("errors")),
        error_ratio=fmt.ratio(data.get("error_ratio")),
        latency=_latency(data.get("latency")),
        statuses=_statuses(data.get("statuses")),
        kept_up=_kept_up(data),
        fell_behind=bool(_as_int(data.get("late")) or _as_int(data.get("missed"))),
        warmup=_warmup(data.get("warmup_requests")),
        error_examples=_examples(data.get("error_examples")),
        entries=[_entry(e) for e in _list(data.get("entries")) if isinstance(e, dict)],
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(value: Any) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "—"


def _rate(achieved: Any, target: Any) -> str:
    """'10.2/s (target 10/s)'."""
    shown = f"{_per_second(achieved)}/s" if fmt.is_number(achieved) else "—"
    return f"{shown} (target {_per_second(target)}/s)" if fmt.is_number(target) else shown


def _per_second(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def _latency(data: Any) -> LatencyView:
    values = data if isinstance(data, dict) else {}
    return LatencyView(
        p50=fmt.brief_seconds(values.get("p50")),
        p95=fmt.brief_seconds(values.get("p95")),
        p99=fmt.brief_seconds(values.get("p99")),
        max=fmt.brief_seconds(values.get("max")),
        samples=_count(values.get("samples")),
    )


def _statuses(data: Any) -> str:
    """'200: 36, 502: 3', most frequent first; '—' when nothing came back."""
    if not isinstance(data, dict) or not data:
        return "—"
    ordered = sorted(data.items(), key=lambda item: (-_as_int(item[1]), str(item[0])))
    return ", ".join(f"{status}: {count}" for status, count in ordered)


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _kept_up(data: dict[str, Any]) -> str:
    late, missed = _as_int(data.get("late")), _as_int(data.get("missed"))
    lag = fmt.brief_seconds(data.get("max_lag"))
    if not late and not missed:
        return f"yes (worst lag {lag})"
    return f"no: {late} started late (worst lag {lag}), {missed} never sent"


def _warmup(value: Any) -> str:
    if not value:
        return "none"
    return f"{_count(value)} requests sent while the system warmed up, left out of these figures"


def _examples(data: Any) -> list[str]:
    """Distinct error examples in first-seen order, repeats counted ('... (3 times)')."""
    counts: dict[str, int] = {}
    for example in _list(data):
        counts[str(example)] = counts.get(str(example), 0) + 1
    return [f"{text} ({n} times)" if n > 1 else text for text, n in counts.items()]


def _entry(data: dict[str, Any]) -> EntryView:
    weight = data.get("weight")
    return EntryView(
        name=str(data.get("name") or ""),
        weight=f"{weight:g}" if fmt.is_number(weight) else "—",
        requests=_count(data.get("requests")),
        errors=_count(data.get("errors")),
        error_ratio=fmt.ratio(data.get("error_ratio")),
        latency=_latency(data.get("latency")),
        statuses=_statuses(data.get("statuses")),
    )
