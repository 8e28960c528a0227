"""Making and winding down the event loops the server runs on."""

from __future__ import annotations

import asyncio


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop when uvloop is importable (it relays faster), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def finish_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel whatever still runs on a stopped loop and let it unwind, before closing it."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()

    async def unwind() -> None:
        await asyncio.gather(*pending, return_exceptions=True)
        await loop.shutdown_asyncgens()

    loop.run_until_complete(unwind())
