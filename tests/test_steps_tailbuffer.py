"""The bounded output buffer keeps exactly the tail of what was written to it."""

from __future__ import annotations

import pytest
from drillbook.steps.tailbuffer import TailBuffer
from hypothesis import given
from hypothesis import strategies as st


@given(chunks=st.lists(st.binary(max_size=64), max_size=40), limit=st.integers(0, 200))
def test_buffer_equals_the_last_n_bytes_of_everything_written(
    chunks: list[bytes], limit: int
) -> None:
    buffer = TailBuffer(limit)
    for chunk in chunks:
        buffer.append(chunk)
    everything = b"".join(chunks)
    assert buffer.getvalue() == (everything[-limit:] if limit else b"")
    assert buffer.total == len(everything)
    assert buffer.dropped == len(everything) - len(buffer.getvalue())


@given(chunks=st.lists(st.binary(max_size=300), max_size=30), limit=st.integers(1, 100))
def test_buffer_never_holds_more_than_its_limit(chunks: list[bytes], limit: int) -> None:
    buffer = TailBuffer(limit)
    for chunk in chunks:
        buffer.append(chunk)
        assert len(buffer.getvalue()) <= limit


def test_text_replaces_a_character_split_by_the_cut() -> None:
    buffer = TailBuffer(3)
    buffer.append("é".encode() + b"ab")  # 0xC3 0xA9 a b: the cut keeps 0xA9 a b
    assert buffer.text() == "\ufffdab"


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        TailBuffer(-1)
