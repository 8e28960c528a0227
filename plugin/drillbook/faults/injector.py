"""The seam between the drill runner and whatever applies faults."""

from __future__ import annotations

from typing import Protocol

from drillbook.formats.drill import Fault


class FaultInjector(Protocol):
    """Applies faults and lifts them all again; lifting is idempotent."""

    def apply(self, fault: Fault) -> str:
        """Apply one fault; returns a description of what is now active."""

    def active(self) -> list[str]:
        """Descriptions of the faults still in place, oldest first."""

    def lift_all(self) -> list[str]:
        """Lift every fault, newest first; returns what was lifted."""
