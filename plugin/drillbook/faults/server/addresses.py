"""TCP addresses as toxiproxy writes them: ``host:port``, ``[v6]:port`` or ``:port``."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass

from drillbook.faults.server.errors import ApiError


@dataclass(frozen=True)
class Address:
    """A host (empty for every interface) and a port."""

    host: str
    port: int

    def __str__(self) -> str:
        return format_address(self.host, self.port)


def parse_address(text: str, what: str) -> Address:
    """``host:port`` split into an Address; a 400 ApiError naming ``what`` when malformed."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise ApiError(f"invalid {what} address {text!r}: expected host:port", 400)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ApiError(f"invalid {what} address {text!r}: put an IPv6 host in brackets", 400)
    return Address(host, int(port_text))


def format_address(host: str, port: int) -> str:
    """``host:port``, with brackets around an IPv6 host."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def bound_address(sock: socket.socket) -> str:
    """The address a listening socket really has, as toxiproxy reports it."""
    name = sock.getsockname()
    host = str(name[0])
    if host == "::":
        return f"[::]:{name[1]}"
    return format_address(host, int(name[1]))


def normalized(text: str) -> str:
    """An address written canonically (``localhost`` becomes ``127.0.0.1``), for comparisons."""
    try:
        address = parse_address(text, "listen")
    except ApiError:
        return text
    host = "127.0.0.1" if address.host == "localhost" else address.host
    with contextlib.suppress(ValueError):
        host = str(ipaddress.ip_address(host))
    return format_address(host, address.port)
