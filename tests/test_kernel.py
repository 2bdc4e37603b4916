"""dlcourse.kernel: waits for kernel messages poll in slices, so a missed wake-up costs one slice."""
import asyncio
import queue
import time

import pytest
from jupyter_client.manager import AsyncKernelManager

from dlcourse import kernel


class MissesWakeUps(kernel.SlicedChannel):
    """A SlicedChannel over a poll that never wakes up early: it sees a message only when its
    timeout ends (what pyzmq's asyncio poller does when it misses the wake-up)."""

    def __init__(self, arrives_after: float | None):
        self.arrival = None if arrives_after is None else time.monotonic() + arrives_after
        self.timeouts = []

    async def poll(self, timeout):
        self.timeouts.append(timeout)
        await asyncio.sleep(timeout)
        if self.arrival is not None and time.monotonic() >= self.arrival:
            return {"msg_type": "execute_reply"}
        raise queue.Empty


@pytest.fixture(autouse=True)
def short_slices(monkeypatch):
    monkeypatch.setattr(kernel, "SLICE_SECONDS", 0.1)
    # the channel's own poll stands in for zmq's: SlicedChannel's super().get_msg is this
    monkeypatch.setattr(kernel.AsyncZMQSocketChannel, "get_msg",
                        lambda self, timeout=None: self.poll(timeout))


def wait(channel, timeout):
    start = time.monotonic()
    try:
        return asyncio.run(channel.get_msg(timeout=timeout)), time.monotonic() - start
    except queue.Empty:
        return None, time.monotonic() - start


def test_a_message_is_seen_one_slice_after_it_arrives_not_at_the_timeout():
    channel = MissesWakeUps(arrives_after=0.05)
    msg, seconds = wait(channel, timeout=3.0)
    assert msg == {"msg_type": "execute_reply"}
    assert seconds < 1.0, f"waited {seconds:.2f} s for a message that arrived after 0.05 s"
    assert channel.timeouts == [0.1]


def test_the_timeout_still_holds():
    channel = MissesWakeUps(arrives_after=None)
    msg, seconds = wait(channel, timeout=0.35)
    assert msg is None and 0.3 <= seconds < 1.0
    assert channel.timeouts[:3] == [0.1, 0.1, 0.1] and sum(channel.timeouts) == pytest.approx(0.35, abs=0.05)


def test_no_timeout_waits_in_slices_until_the_message_comes():
    channel = MissesWakeUps(arrives_after=0.3)
    msg, _ = wait(channel, timeout=None)
    assert msg is not None and len(channel.timeouts) >= 3 and set(channel.timeouts) == {0.1}


def test_kernel_managers_hand_out_sliced_clients_on_the_shell_and_iopub_channels():
    km = kernel.use_sliced_polls(AsyncKernelManager())
    kc = km.client()
    assert isinstance(kc, kernel.SlicedKernelClient)
    assert kc.shell_channel_class is kernel.SlicedChannel and kc.iopub_channel_class is kernel.SlicedChannel
