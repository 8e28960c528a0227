"""The one Clock every wait goes through, so tests can run long waits in virtual time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall time for timelines, monotonic time for durations, and sleeping."""

    def now(self) -> datetime:
        """The current wall time, timezone-aware (UTC)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; only differences mean anything."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (virtual clocks return at once, having moved time on)."""


class RealClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """A clock that moves only when slept on or advanced: minutes of waiting in no time."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._elapsed = 0.0

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self._elapsed += seconds
