"""The load generator of `make bench` must not spend the machine's CPU on itself."""

import asyncio
import sys

from httpcore import _synchronization


def test_httpcore_finds_sniffio_instead_of_searching_for_it_at_every_lock():
    # Without sniffio, httpcore's every connection and lock tried to import it and
    # failed after a search of sys.path: 0.3 ms of the client a request, which made
    # baseline (a) the load generator's ceiling (1,045 requests/s, 1,425 with it).
    async def ask():
        return _synchronization.current_async_library()

    assert asyncio.run(ask()) == "asyncio"
    assert "sniffio" in sys.modules
