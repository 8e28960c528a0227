"""A bounded buffer that keeps only the last bytes written to it, whatever was written."""

from __future__ import annotations


class TailBuffer:
    """The last ``limit`` bytes of everything appended; memory stays bounded by ``limit``."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError("a buffer limit cannot be negative")
        self._limit = limit
        self._data = bytearray()
        self._total = 0

    def append(self, chunk: bytes) -> None:
        """Add ``chunk``, dropping the oldest bytes beyond the limit."""
        self._total += len(chunk)
        if self._limit == 0:
            return
        if len(chunk) >= self._limit:
            self._data[:] = chunk[-self._limit :]
            return
        self._data += chunk
        excess = len(self._data) - self._limit
        if excess > 0:
            del self._data[:excess]

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def total(self) -> int:
        """How many bytes were appended in all, kept or not."""
        return self._total

    @property
    def dropped(self) -> int:
        """How many of the earliest bytes were not kept."""
        return self._total - len(self._data)

    def getvalue(self) -> bytes:
        return bytes(self._data)

    def text(self) -> str:
        """The kept bytes as UTF-8, undecodable bytes replaced (a cut may split a character)."""
        return self._data.decode("utf-8", errors="replace")
