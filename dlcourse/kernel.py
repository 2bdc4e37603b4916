"""A kernel client that waits for messages in short polls: Validate, grading and benchmarks use it.

nbclient (under nbgrader's Validate, ``make grade`` and ``make bench``) waits for a
cell's reply with one ``zmq.asyncio`` poll as long as the cell's time limit. On a busy
machine such a poll can miss the wake-up of a message that has already arrived and
report it only when the limit runs out (the sockets are made outside the running event
loop, cf. pyzmq issue 1558): we saw Validate of a 15-second notebook take 5 minutes, its
300-second cell limit. Polling in slices of at most a second looks at the socket again
after each slice, so a missed wake-up costs a second, not the whole limit.

Use it through a kernel manager: ``use_sliced_polls(km)``, or in a config file
``c.AsyncKernelManager.client_class = "dlcourse.kernel.SlicedKernelClient"``.
"""
from __future__ import annotations

import queue
import time

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

SLICE_SECONDS = 1.0


class SlicedChannel(AsyncZMQSocketChannel):
    """An async channel whose ``get_msg(timeout)`` polls in slices of at most a second."""

    async def get_msg(self, timeout: float | None = None) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = SLICE_SECONDS if deadline is None else deadline - time.monotonic()
            try:
                return await super().get_msg(timeout=max(0.0, min(SLICE_SECONDS, left)))
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class SlicedKernelClient(AsyncKernelClient):
    """AsyncKernelClient whose shell and iopub waits (the ones nbclient makes) poll in slices."""

    shell_channel_class = Type(SlicedChannel)
    iopub_channel_class = Type(SlicedChannel)


def use_sliced_polls(km):
    """Make an async kernel manager hand out SlicedKernelClients; returns ``km``."""
    km.client_factory = SlicedKernelClient
    return km
