"""Opening a listening TCP socket for an address as toxiproxy's ``net.Listen`` would."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from drillbook.faults.server.addresses import Address, format_address
from drillbook.faults.server.errors import ApiError

BACKLOG = 1024


async def open_listener(loop: asyncio.AbstractEventLoop, address: Address) -> socket.socket:
    """A non-blocking socket listening on ``address`` (every interface when the host is empty).

    A failure answers 500 with Go's wording, e.g. ``listen tcp 127.0.0.1:80: bind: ...``.
    """
    try:
        for family, host in await _candidates(loop, address):
            try:
                return _bind(family, host, address.port)
            except OSError:
                if host != "::":  # every interface: IPv4 may still work
                    raise
    except OSError as exc:
        where = format_address(address.host, address.port)
        reason = (exc.strerror or str(exc)).lower()
        raise ApiError(f"listen tcp {where}: bind: {reason}", 500) from None
    raise ApiError(f"listen tcp {address}: no address to listen on", 500)


async def _candidates(
    loop: asyncio.AbstractEventLoop, address: Address
) -> list[tuple[socket.AddressFamily, str]]:
    if not address.host:
        return [(socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")]
    infos = await loop.getaddrinfo(
        address.host, address.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # IPv4 first, as Go prefers
    return [(info[0], str(info[4][0])) for info in infos[:1]]


def _bind(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and host == "::":
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((host, port))
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock
