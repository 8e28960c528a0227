"""The set of HTTP faults in force, and the decision which one a request gets."""

from __future__ import annotations

import dataclasses
import itertools
import random
import threading
from dataclasses import dataclass
from typing import Any

from drillbook.faults.http.spec import HttpFaultSpec, HttpFaultSpecError


class DuplicateFaultError(HttpFaultSpecError):
    """A fault added under a name that an active fault already has."""


@dataclass(frozen=True)
class ActiveFault:
    """A fault in a book: its id (also its spec's name), and how many requests it has left."""

    id: str
    spec: HttpFaultSpec
    remaining: int | None
    applied: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form the admin API answers with: the spec's fields, id, remaining, applied."""
        return {
            "id": self.id,
            **self.spec.to_dict(),
            "remaining": self.remaining,
            "applied": self.applied,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ActiveFault:
        """Read back ``to_dict``'s form (as a client receives it)."""
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise HttpFaultSpecError(f"not an active fault: {data!r:.80}")
        fields = {k: v for k, v in data.items() if k not in ("id", "remaining", "applied")}
        remaining = data.get("remaining")
        applied = data.get("applied", 0)
        return cls(
            id=data["id"],
            spec=HttpFaultSpec.from_dict(fields),
            remaining=remaining if isinstance(remaining, int) else None,
            applied=applied if isinstance(applied, int) else 0,
        )


class FaultBook:
    """A thread-safe set of active HTTP faults, oldest first.

    ``decide`` picks, for one request, the first active fault whose method and path match
    and whose ``fraction`` roll succeeds; a fault with a count is used up atomically and
    leaves the book when spent. The ``rng`` is injectable so tests can be deterministic.
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._faults: dict[str, ActiveFault] = {}
        self._ids = itertools.count(1)

    def add(self, spec: HttpFaultSpec) -> str:
        """Put a fault in force; returns its id (its name, or a generated one)."""
        with self._lock:
            fault_id = spec.name or self._fresh_id()
            if fault_id in self._faults:
                raise DuplicateFaultError(
                    f"a fault named {fault_id!r} is already active; "
                    "remove it first or choose another name"
                )
            named = dataclasses.replace(spec, name=fault_id)
            self._faults[fault_id] = ActiveFault(fault_id, named, spec.count)
            return fault_id

    def remove(self, fault_id: str) -> bool:
        """Lift one fault; False when no active fault has that id."""
        with self._lock:
            return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        """Lift every fault."""
        with self._lock:
            self._faults.clear()

    def list(self) -> list[ActiveFault]:
        """The active faults, oldest first."""
        with self._lock:
            return list(self._faults.values())

    def get(self, fault_id: str) -> ActiveFault | None:
        """One active fault by id, or None."""
        with self._lock:
            return self._faults.get(fault_id)

    def decide(self, method: str, path: str) -> HttpFaultSpec | None:
        """The fault this request gets (its ``name`` is its id), or None for the real answer."""
        with self._lock:
            for fault in self._faults.values():
                if fault.spec.matches(method, path) and self._rolls(fault.spec.fraction):
                    self._use(fault)
                    return fault.spec
            return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def _rolls(self, fraction: float) -> bool:
        return fraction >= 1.0 or self._rng.random() < fraction

    def _use(self, fault: ActiveFault) -> None:
        remaining = None if fault.remaining is None else fault.remaining - 1
        if remaining == 0:
            del self._faults[fault.id]
        else:
            used = dataclasses.replace(fault, remaining=remaining, applied=fault.applied + 1)
            self._faults[fault.id] = used

    def _fresh_id(self) -> str:
        while True:
            candidate = f"fault-{next(self._ids)}"
            if candidate not in self._faults:
                return candidate
