"""The provider chain: order, reasons, durations, masking, and the error when nothing provides."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import pytest
from drillbook.errors import DrillbookError
from drillbook.services.chain import (
    NoProvider,
    ProviderChain,
    ProviderContext,
    Unavailable,
)
from hypothesis import given
from hypothesis import strategies as st


@dataclass
class Fake:
    """A provider whose behaviour the test picks: give a value, pass, or fail unexpectedly."""

    name: str
    behaviour: str = "give"  # give | pass | crash
    fix: str = "do the thing"
    delay: float = 0.0
    calls: list[ProviderContext] = field(default_factory=list)

    def provide(self, ctx: ProviderContext) -> str:
        self.calls.append(ctx)
        if self.delay:
            time.sleep(self.delay)
        if self.behaviour == "pass":
            raise Unavailable(f"{self.name} is not here")
        if self.behaviour == "crash":
            raise RuntimeError(f"{self.name} broke")
        return f"value of {self.name}"


def test_first_provider_that_gives_is_used_and_later_ones_are_not_asked() -> None:
    a, b, c = Fake("a", "pass"), Fake("b"), Fake("c")
    provided = ProviderChain("thing", [a, b, c], environ={}).obtain()
    assert provided.value == "value of b"
    assert provided.provider == "b"
    assert [x.provider for x in provided.attempts] == ["a", "b"]
    assert [x.outcome for x in provided.attempts] == ["unavailable", "used"]
    assert c.calls == []


def test_describe_names_what_was_used_and_why_the_others_passed() -> None:
    chain = ProviderChain("thing", [Fake("a", "pass"), Fake("b", "crash"), Fake("c")], environ={})
    line = chain.obtain().describe()
    assert line == ("thing: using value of c (a: a is not here; b: failed: RuntimeError: b broke)")


def test_describe_without_earlier_attempts_has_no_parenthesis() -> None:
    assert ProviderChain("thing", [Fake("a")], environ={}).obtain().describe() == (
        "thing: using value of a"
    )


def test_slow_attempts_show_their_duration() -> None:
    chain = ProviderChain("thing", [Fake("slow", "pass", delay=0.03), Fake("b")], environ={})
    provided = chain.obtain()
    assert provided.attempts[0].seconds >= 0.03
    assert re.search(r"slow: slow is not here \(0\.0[3-9] s\)", provided.describe())


def test_summarize_decides_how_the_value_is_shown() -> None:
    chain = ProviderChain("thing", [Fake("a")], summarize=str.upper, environ={})
    assert chain.obtain().summary == "VALUE OF A"


def test_context_carries_environment_and_earlier_attempts() -> None:
    a, b = Fake("a", "pass"), Fake("b")
    ProviderChain("thing", [a, b], environ={"X": "1"}).obtain()
    assert b.calls[0].environ == {"X": "1"}
    assert b.calls[0].component == "thing"
    assert [x.provider for x in b.calls[0].attempts] == ["a"]


def test_nothing_provides_lists_every_reason_and_fix() -> None:
    chain = ProviderChain(
        "postgres",
        [Fake("given-url", "pass", fix="pass --postgres-url"), Fake("embedded", "pass")],
        environ={},
    )
    with pytest.raises(NoProvider) as caught:
        chain.obtain()
    assert isinstance(caught.value, DrillbookError)
    assert str(caught.value).splitlines() == [
        "no way to obtain postgres; tried in order:",
        "  - given-url: given-url is not here",
        "    fix: pass --postgres-url",
        "  - embedded: embedded is not here",
        "    fix: do the thing",
    ]


def test_unavailable_may_carry_its_own_fix() -> None:
    class Picky(Fake):
        def provide(self, ctx: ProviderContext) -> str:
            raise Unavailable("wrong version", fix="upgrade to 16")

    with pytest.raises(NoProvider, match="fix: upgrade to 16"):
        ProviderChain("thing", [Picky("p")], environ={}).obtain()


def test_an_empty_chain_says_no_provider_was_chosen() -> None:
    with pytest.raises(NoProvider, match="no provider was chosen"):
        ProviderChain[str]("thing", [], environ={}).obtain()


def test_reasons_are_masked() -> None:
    class Leaky(Fake):
        def provide(self, ctx: ProviderContext) -> str:
            raise Unavailable("postgresql://alice:hunter22@db:5432/x refused")

    with pytest.raises(NoProvider) as caught:
        ProviderChain("thing", [Leaky("l")], environ={}).obtain()
    assert "hunter22" not in str(caught.value)
    assert "postgresql://alice:********@db:5432/x refused" in str(caught.value)


@given(st.lists(st.sampled_from(["give", "pass", "crash"]), max_size=6))
def test_the_first_giver_wins_or_every_attempt_is_reported(behaviours: list[str]) -> None:
    fakes = [Fake(f"p{i}", b) for i, b in enumerate(behaviours)]
    chain = ProviderChain("thing", fakes, environ={})
    if "give" in behaviours:
        winner = behaviours.index("give")
        provided = chain.obtain()
        assert provided.provider == f"p{winner}"
        assert len(provided.attempts) == winner + 1
        assert all(not f.calls for f in fakes[winner + 1 :])
    else:
        with pytest.raises(NoProvider) as caught:
            chain.obtain()
        assert [a.provider for a in caught.value.attempts] == [f.name for f in fakes]
        expected = ["unavailable" if b == "pass" else "error" for b in behaviours]
        assert [a.outcome for a in caught.value.attempts] == expected
