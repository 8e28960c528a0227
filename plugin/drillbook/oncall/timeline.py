"""A schedule's final timeline: layers stacked (later layers win where they cover), then
overrides on top (later overrides win over earlier ones), adjacent spans of one person
merged. Every instant is an aware UTC datetime."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from drillbook.formats.oncall import Restriction, Schedule, as_utc
from drillbook.oncall.restrictions import Interval, clip, intersect, windows
from drillbook.oncall.rotation import Rotation
from drillbook.oncall.zones import require_aware, zone

_TICK = timedelta(microseconds=1)
_HORIZONS = (timedelta(days=35), timedelta(days=400), timedelta(days=5 * 366))


@dataclass(frozen=True, order=True)
class Entry:
    """``person`` is on call from ``start`` to ``end`` (UTC, end excluded)."""

    start: datetime
    end: datetime
    person: str


@dataclass(frozen=True)
class Shift:
    """Who is on call at an instant (None: nobody), since and until when; None for a bound
    beyond the five years drillbook looks."""

    person: str | None
    since: datetime | None
    until: datetime | None


@dataclass(frozen=True)
class _Piece:
    priority: int
    entry: Entry


class Timeline:
    """The rendered answers of one schedule."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.zone = zone(schedule.timezone)
        self.rotations = [Rotation(layer, self.zone) for layer in schedule.layers]
        self.overrides = [
            Entry(as_utc(o.start, self.zone), as_utc(o.end, self.zone), o.person)
            for o in schedule.overrides
        ]

    @property
    def restrictions(self) -> list[list[Restriction]]:
        return [layer.restrictions for layer in self.schedule.layers]

    def layer_entries(self, index: int, start: datetime, end: datetime) -> list[Entry]:
        """Layer ``index`` alone over ``[start, end)``: its turns within its restrictions."""
        rotation, restrictions = self.rotations[index], self.restrictions[index]
        allowed = windows(restrictions, self.zone, start, end) if restrictions else None
        entries: list[Entry] = []
        for turn in rotation.turns(start, end):
            parts = intersect(turn.start, turn.end, allowed) if allowed is not None else None
            spans: list[Interval] = list(parts) if parts is not None else [(turn.start, turn.end)]
            entries.extend(Entry(low, high, turn.person) for low, high in spans)
        return entries

    def render(self, start: datetime, end: datetime) -> list[Entry]:
        """The entries between ``start`` and ``end``, clipped to them; gaps have none."""
        start, end = require_aware(start, "start"), require_aware(end, "end")
        if end <= start:
            return []
        pieces = [
            _Piece(index, entry)
            for index in range(len(self.rotations))
            for entry in self.layer_entries(index, start, end)
        ]
        for number, override in enumerate(self.overrides):
            for low, high in clip([(override.start, override.end)], start, end):
                top = len(self.rotations) + number
                pieces.append(_Piece(top, Entry(low, high, override.person)))
        return _merge(_stack(pieces))

    def person_at(self, at: datetime) -> str | None:
        """Who is on call at ``at``, worked out from the top of the stack down."""
        at = require_aware(at)
        for override in reversed(self.overrides):
            if override.start <= at < override.end:
                return override.person
        for rotation, restrictions in zip(
            reversed(self.rotations), reversed(self.restrictions), strict=True
        ):
            person = rotation.person_at(at)
            if person is not None and (
                not restrictions or windows(restrictions, self.zone, at, at + _TICK)
            ):
                return person
        return None

    def shift_at(self, at: datetime) -> Shift:
        """Who is on call at ``at``, and the bounds of that entry (or of the gap)."""
        at = require_aware(at)
        person = self.person_at(at)
        return Shift(person, self._since(at, person), self._until(at, person))

    def _until(self, at: datetime, person: str | None) -> datetime | None:
        for horizon in _HORIZONS:
            entries = self.render(at, at + horizon)
            if person is not None and entries and entries[0].end < at + horizon:
                return entries[0].end
            if person is None and entries:
                return entries[0].start
        return None

    def _since(self, at: datetime, person: str | None) -> datetime | None:
        for horizon in _HORIZONS:
            entries = self.render(at - horizon, at + _TICK)
            if person is not None and entries and entries[-1].start > at - horizon:
                return entries[-1].start
            if person is None and entries:
                return entries[-1].end
        return None

    def gaps(self, start: datetime, end: datetime) -> list[Interval]:
        """The spans in ``[start, end)`` with nobody on call."""
        found: list[Interval] = []
        cursor = start
        for entry in self.render(start, end):
            if entry.start > cursor:
                found.append((cursor, entry.start))
            cursor = entry.end
        if cursor < end:
            found.append((cursor, end))
        return found

    def coverage_start(self) -> datetime | None:
        """When the last layer to begin takes its first turn: the schedule is complete."""
        return max((rotation.begins for rotation in self.rotations), default=None)


def _stack(pieces: list[_Piece]) -> list[Entry]:
    """The top piece over each stretch of time: a sweep over every piece's bounds."""
    bounds = sorted({piece.entry.start for piece in pieces} | {piece.entry.end for piece in pieces})
    starting: dict[datetime, list[_Piece]] = {}
    ending: dict[datetime, list[_Piece]] = {}
    for piece in pieces:
        starting.setdefault(piece.entry.start, []).append(piece)
        ending.setdefault(piece.entry.end, []).append(piece)
    active: dict[int, str] = {}
    stacked: list[Entry] = []
    for low, high in itertools.pairwise(bounds):
        for piece in ending.get(low, []):
            active.pop(piece.priority, None)
        for piece in starting.get(low, []):
            active[piece.priority] = piece.entry.person
        if active:
            stacked.append(Entry(low, high, active[max(active)]))
    return stacked


def _merge(entries: list[Entry]) -> list[Entry]:
    """Adjacent entries of the same person as one."""
    merged: list[Entry] = []
    for entry in entries:
        if merged and merged[-1].person == entry.person and merged[-1].end == entry.start:
            merged[-1] = Entry(merged[-1].start, entry.end, entry.person)
        else:
            merged.append(entry)
    return merged
