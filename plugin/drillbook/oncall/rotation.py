"""One layer's rotation: who takes which turn, with turns counted in wall time.

Turn ``k`` begins at the wall time ``first handoff + k * rotation`` in the schedule's zone,
so a Monday 09:00 handoff stays at 09:00 on both sides of a daylight-saving change (that
week's turn is an hour shorter or longer in real time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from drillbook.formats.oncall import Layer, as_utc
from drillbook.oncall.zones import instant, wall


@dataclass(frozen=True)
class Turn:
    """Turn ``index`` of a layer: ``person`` from ``start`` to ``end`` (UTC)."""

    index: int
    start: datetime
    end: datetime
    person: str


class Rotation:
    """The turns of one layer in one zone."""

    def __init__(self, layer: Layer, where: ZoneInfo) -> None:
        self.users = list(layer.users)
        self.zone = where
        self.length = timedelta(days=layer.rotation)
        self.first_handoff = first_handoff(layer, where)
        self.begins = instant(self.first_handoff, where)
        self.ends = as_utc(layer.end, where) if layer.end is not None else None

    def handoff(self, index: int) -> datetime:
        """The instant turn ``index`` begins (UTC)."""
        return instant(self.first_handoff + index * self.length, self.zone)

    def turn(self, index: int) -> Turn:
        person = self.users[index % len(self.users)]
        return Turn(index, self.handoff(index), self.handoff(index + 1), person)

    def index_at(self, at: datetime) -> int:
        """The turn holding ``at`` (negative before the first handoff)."""
        estimate = (wall(at, self.zone) - self.first_handoff) // self.length
        while self.handoff(estimate) > at:
            estimate -= 1
        while self.handoff(estimate + 1) <= at:
            estimate += 1
        return estimate

    def person_at(self, at: datetime) -> str | None:
        """Whose turn it is at ``at``, or None outside the layer's span."""
        if at < self.begins or (self.ends is not None and at >= self.ends):
            return None
        return self.users[self.index_at(at) % len(self.users)]

    def turns(self, start: datetime, end: datetime) -> Iterator[Turn]:
        """The turns overlapping ``[start, end)``, clipped to it and to the layer's span."""
        low = max(start, self.begins)
        high = min(end, self.ends) if self.ends is not None else end
        if low >= high:
            return
        index = self.index_at(low)
        while True:
            turn = self.turn(index)
            if turn.start >= high:
                return
            yield Turn(index, max(turn.start, low), min(turn.end, high), turn.person)
            index += 1


def first_handoff(layer: Layer, where: ZoneInfo) -> datetime:
    """The wall time of the first handoff at or after ``start``: on the handoff's weekday
    (weekly rotations) at its time; without ``handoffTime``, ``start`` itself."""
    start = wall(as_utc(layer.start, where), where)
    if layer.handoff_time is None:
        return start
    candidate = datetime.combine(start.date(), layer.handoff_time.clock)
    weekday = layer.handoff_time.weekday
    step = timedelta(days=7 if weekday is not None else 1)
    if weekday is not None:
        candidate += timedelta(days=(weekday - candidate.weekday()) % 7)
    if candidate < start:
        candidate += step
    return candidate
