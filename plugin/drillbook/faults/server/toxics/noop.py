"""``noop``: passes everything through unchanged."""

from __future__ import annotations

from drillbook.faults.server.toxics.base import Toxic


class NoopToxic(Toxic):
    """Does nothing; the default behaviour of the base class."""

    type_name = "noop"
