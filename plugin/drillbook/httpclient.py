"""HttpClientUser: the lifetime of the httpx.Client behind drillbook's small HTTP clients.

Given a client, such an object uses it and leaves it open (the caller owns it); given none, it
makes one and closes it in :meth:`HttpClientUser.close`, also on leaving a ``with`` block.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx


class HttpClientUser:
    """Base of objects that talk HTTP through one httpx.Client, owned or borrowed.

    A subclass calls :meth:`_use_http` in ``__init__`` and then sends through ``self._http``.
    """

    _http: httpx.Client
    _owns_http: bool

    def _use_http(self, client: httpx.Client | None, timeout: float) -> None:
        """Use ``client``, or a new one with ``timeout`` that this object then owns."""
        self._owns_http = client is None
        self._http = client if client is not None else httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client if this object made it (a borrowed one stays open)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
