"""The toxics of the embedded toxiproxy server, one module each, and their registry."""

from __future__ import annotations

from drillbook.faults.server.toxics.bandwidth import BandwidthToxic
from drillbook.faults.server.toxics.base import Chunk, Stub, Toxic
from drillbook.faults.server.toxics.latency import LatencyToxic
from drillbook.faults.server.toxics.limit_data import LimitDataToxic
from drillbook.faults.server.toxics.noop import NoopToxic
from drillbook.faults.server.toxics.reset_peer import ResetPeerToxic
from drillbook.faults.server.toxics.slicer import SlicerToxic
from drillbook.faults.server.toxics.slow_close import SlowCloseToxic
from drillbook.faults.server.toxics.timeout import TimeoutToxic

REGISTRY: dict[str, type[Toxic]] = {
    kind.type_name: kind
    for kind in (
        NoopToxic,
        LatencyToxic,
        BandwidthToxic,
        SlowCloseToxic,
        TimeoutToxic,
        ResetPeerToxic,
        SlicerToxic,
        LimitDataToxic,
    )
}

__all__ = ["REGISTRY", "Chunk", "Stub", "Toxic"]
