"""An embedded toxiproxy-compatible server (Shopify toxiproxy 2.x API and semantics).

``ToxiproxyServer(host, port).start()`` runs it in-process on its own event loop thread;
``drillbook toxiproxy`` runs it standalone (command.py).
"""

from __future__ import annotations

from drillbook.faults.server.api import VERSION
from drillbook.faults.server.errors import ApiError
from drillbook.faults.server.server import ToxiproxyServer

__all__ = ["VERSION", "ApiError", "ToxiproxyServer"]
