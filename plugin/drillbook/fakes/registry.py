"""The stand-ins by name, and ``create_app``: one served app with its options checked."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.fakes.auth import AuthFake
from drillbook.fakes.base import Fake, FakeServer
from drillbook.fakes.pagerduty import PagerDutyFake
from drillbook.fakes.recording import DEFAULT_MAX_RECORDS, RequestLog
from drillbook.fakes.slack import SlackFake
from drillbook.fakes.statuspage import StatuspageFake
from drillbook.fakes.stripe import StripeFake
from drillbook.faults.http.book import FaultBook

FAKES: dict[str, type[Fake]] = {
    fake.name: fake for fake in (StripeFake, AuthFake, PagerDutyFake, SlackFake, StatuspageFake)
}
ENV_PREFIX = "env:"


class FakeConfigError(DrillbookError, ValueError):
    """A stand-in name or option that cannot be used; the message says what to write."""


def create_app(
    name: str,
    *,
    seed: int | None = None,
    now: Callable[[], float] = time.time,
    max_records: int = DEFAULT_MAX_RECORDS,
    **options: Any,
) -> FakeServer:
    """The ASGI app of stand-in ``name`` with its ``options`` (see ``FAKES[name].OPTIONS``).

    ``seed`` makes generated ids and the faults' ``fraction`` rolls repeatable: the fault
    book rolls ``random.Random(seed)``. ``now`` is the clock of the stand-in's timestamps.
    """
    fake_class = fake_named(name)
    unknown = sorted(set(options) - set(fake_class.OPTIONS))
    if unknown:
        raise FakeConfigError(
            f"the {name} stand-in has no option(s) {', '.join(unknown)}; "
            f"its options are: {_option_names(fake_class)}"
        )
    rng = random.Random(f"{name}:{seed}") if seed is not None else random.Random()
    try:
        fake = fake_class(rng=rng, now=now, **options)
    except (ValueError, TypeError) as error:
        raise FakeConfigError(f"the {name} stand-in cannot start: {error}") from None
    book = FaultBook(random.Random(seed) if seed is not None else None)
    return FakeServer(fake, book=book, log=RequestLog(max_records))


def fake_named(name: str) -> type[Fake]:
    """The Fake class called ``name``, or FakeConfigError listing the names."""
    fake_class = FAKES.get(name)
    if fake_class is None:
        raise FakeConfigError(
            f"there is no stand-in called {name!r}; the stand-ins are: {', '.join(FAKES)}"
        )
    return fake_class


def parse_options(name: str, items: Sequence[str]) -> dict[str, Any]:
    """``key=value`` texts as the typed options of stand-in ``name``.

    A value ``env:NAME`` is read from the environment variable NAME, so secrets need not
    be on the command line.
    """
    fake_class = fake_named(name)
    options: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise FakeConfigError(f"option {item!r} is not key=value (e.g. --option keys=...)")
        option = fake_class.OPTIONS.get(key)
        if option is None:
            raise FakeConfigError(
                f"the {name} stand-in has no option {key!r}; "
                f"its options are: {_option_names(fake_class)}"
            )
        value = _from_environment(key, text)
        try:
            options[key] = option.parse(value)
        except ValueError as error:
            raise FakeConfigError(f"option {key}: {error}; expected {option.help}") from None
    return options


def describe_options() -> str:
    """Every stand-in's options, for ``--help``."""
    lines = ["stand-ins and their options (--option key=value; value env:NAME reads $NAME):"]
    for name, fake_class in FAKES.items():
        lines.append(f"  {name}")
        lines += [f"    {key}: {option.help}" for key, option in fake_class.OPTIONS.items()]
    return "\n".join(lines)


def _from_environment(key: str, text: str) -> str:
    if not text.startswith(ENV_PREFIX):
        return text
    variable = text[len(ENV_PREFIX) :]
    value = os.environ.get(variable)
    if value is None:
        raise FakeConfigError(
            f"option {key} reads ${variable}, which is not set; export it or give the value"
        )
    return value


def _option_names(fake_class: type[Fake]) -> str:
    return ", ".join(fake_class.OPTIONS) or "(none)"
