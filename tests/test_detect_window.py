"""Window arithmetic: counter increases with resets, rates, ratios and histogram quantiles."""

from __future__ import annotations

import math

import pytest
from drillbook.detect.prometheus import SeriesKey
from drillbook.detect.window import (
    CounterHistory,
    bucket_counts,
    counter_increase,
    histogram_quantile,
)
from hypothesis import assume, given
from hypothesis import strategies as st

A: SeriesKey = (("route", "/a"),)
B: SeriesKey = (("route", "/b"),)


def test_a_drop_is_a_reset_from_zero() -> None:
    # 5 -> 10 (+5), reset to 2 (+2), 2 -> 7 (+5)
    assert counter_increase([5, 10, 2, 7]) == 12
    assert counter_increase([3]) == 0


def test_the_window_starts_at_the_latest_scrape_at_least_window_old() -> None:
    history = CounterHistory(window=10)
    for at, value in ((0, 100.0), (5, 110.0), (10, 3.0)):
        history.add(at, {A: value})
    at_ten = history.delta()
    assert at_ten is not None
    assert (at_ten.span, at_ten.total) == (10, 13)  # 100 -> 110 (+10), reset to 3 (+3)
    history.add(15, {A: 8.0})
    at_fifteen = history.delta()
    assert at_fifteen is not None  # 110 (at 5) -> 3 (+3) -> 8 (+5)
    assert (at_fifteen.span, at_fifteen.total, at_fifteen.rate) == (10, 8, 0.8)
    assert len(history) == 3  # the scrape at 0 is no longer needed


def test_a_younger_history_than_the_window_uses_what_it_has() -> None:
    history = CounterHistory(window=300)
    history.add(0, {A: 10.0})
    assert history.delta() is None  # one scrape: no rate yet
    history.add(2, {A: 16.0})
    delta = history.delta()
    assert delta is not None and (delta.span, delta.rate) == (2, 3)


def test_a_series_born_inside_the_window_counts_from_zero() -> None:
    history = CounterHistory(window=60)
    history.add(0, {A: 50.0})
    history.add(10, {A: 51.0, B: 4.0})
    delta = history.delta()
    assert delta is not None
    assert dict(delta.increases) == {A: 1.0, B: 4.0}


def test_a_ratio_of_rates_is_the_ratio_of_increases_over_the_same_span() -> None:
    errors, total = CounterHistory(window=10), CounterHistory(window=10)
    for at, failed, all_ in ((0, 2.0, 100.0), (5, 4.0, 150.0), (10, 9.0, 200.0)):
        errors.add(at, {A: failed})
        total.add(at, {A: all_})
    error_delta, total_delta = errors.delta(), total.delta()
    assert error_delta is not None and total_delta is not None
    assert error_delta.rate / total_delta.rate == pytest.approx(7 / 100)


def test_scrapes_must_come_in_time_order() -> None:
    history = CounterHistory(window=10)
    history.add(5, {A: 1.0})
    with pytest.raises(ValueError, match="time order"):
        history.add(4, {A: 2.0})


BUCKETS = [(0.1, 1.0), (0.25, 3.0), (0.5, 3.0), (1.0, 4.0), (math.inf, 5.0)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0.5, 0.1 + (0.25 - 0.1) * (1.5 / 2)),  # rank 2.5, in (0.1, 0.25] holding 2
        (0.7, 0.5 + 0.5 * (0.5 / 1)),  # rank 3.5, in (0.5, 1] holding 1
        (0.95, 1.0),  # rank 4.75 falls in +Inf: the highest finite bound
        (0.2, 0.1),  # rank 1: the top of the first bucket
        (0.0, 0.0),
    ],
)
def test_quantiles_interpolate_like_promql(q: float, expected: float) -> None:
    assert histogram_quantile(q, BUCKETS) == pytest.approx(expected)


def test_a_quantile_needs_observations_and_an_inf_bucket() -> None:
    assert histogram_quantile(0.5, [(0.1, 0.0), (math.inf, 0.0)]) is None
    assert histogram_quantile(0.5, [(0.1, 1.0), (1.0, 2.0)]) is None
    assert histogram_quantile(0.5, [(math.inf, 2.0)]) is None


def test_bucket_increases_are_summed_across_series_by_bound() -> None:
    increases = {
        (("le", "0.1"), ("route", "/a")): 1.0,
        (("le", "0.1"), ("route", "/b")): 2.0,
        (("le", "inf"), ("route", "/a")): 4.0,
        (("le", "inf"), ("route", "/b")): 3.0,
    }
    assert bucket_counts(increases) == [(0.1, 3.0), (math.inf, 7.0)]


@st.composite
def histograms(draw: st.DrawFn) -> list[tuple[float, float]]:
    bounds = sorted(
        set(draw(st.lists(st.floats(0.001, 100, allow_nan=False), min_size=1, max_size=8)))
    )
    counts = draw(st.lists(st.integers(0, 50), min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    cumulative: list[float] = []
    for count in counts:
        cumulative.append((cumulative[-1] if cumulative else 0.0) + count)
    return list(zip([*bounds, math.inf], cumulative, strict=True))


@given(histograms(), st.floats(0, 1), st.floats(0, 1))
def test_quantiles_stay_in_the_buckets_and_grow_with_q(
    buckets: list[tuple[float, float]], q1: float, q2: float
) -> None:
    assume(buckets[-1][1] > 0)
    low, high = sorted((q1, q2))
    at_low, at_high = histogram_quantile(low, buckets), histogram_quantile(high, buckets)
    assert at_low is not None and at_high is not None
    highest_finite = buckets[-2][0]
    assert 0 <= at_low <= at_high <= highest_finite


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=30))
def test_an_increase_is_never_negative_and_exact_without_resets(values: list[float]) -> None:
    increase = counter_increase(values)
    assert increase >= 0
    ordered = sorted(values)
    assert counter_increase(ordered) == pytest.approx(ordered[-1] - ordered[0])


@given(
    st.lists(st.tuples(st.floats(0.1, 5), st.floats(0, 100)), min_size=2, max_size=40),
    st.floats(1, 60),
)
def test_a_history_rate_uses_the_window_and_the_kept_scrapes(
    steps: list[tuple[float, float]], window: float
) -> None:
    history = CounterHistory(window=window)
    at, value, scrapes = 0.0, 0.0, []
    for gap, growth in steps:
        at, value = at + gap, value + growth
        history.add(at, {A: value})
        scrapes.append((at, value))
    delta = history.delta()
    assert delta is not None
    base = max((s for s in scrapes if s[0] <= at - window), default=scrapes[0])
    assert delta.span == pytest.approx(at - base[0])
    assert delta.total == pytest.approx(value - base[1])
