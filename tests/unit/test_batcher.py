"""Gather events, then summarise: the one batcher the on-screen alerts and the
desktop notifications share."""

from __future__ import annotations

from batch_tui.ui.alerts.batcher import GATHER_SECONDS, Batcher


class Owner:
    """Runs no timer: records each one asked for, to be fired by hand."""

    def __init__(self) -> None:
        self.timers: list[tuple[float, object]] = []

    def set_timer(self, delay, callback):
        self.timers.append((delay, callback))
        return object()


def test_a_burst_is_told_once_after_the_first_starts_the_wait():
    owner, told = Owner(), []
    batcher = Batcher(owner, told.append)
    batcher.add(["a"])
    batcher.add(["b", "c"])
    assert told == [] and [delay for delay, _ in owner.timers] == [GATHER_SECONDS]
    _, fire = owner.timers[0]
    fire()
    assert told == [["a", "b", "c"]]
    batcher.add(["d"])  # a new burst waits afresh
    assert len(owner.timers) == 2


def test_with_a_key_the_latest_of_one_key_is_told_in_the_first_s_place():
    owner, told = Owner(), []
    batcher = Batcher(owner, told.append, key=lambda pair: pair[0])
    batcher.add([("b1", "processing"), ("b2", "completed")])
    batcher.add([("b1", "failed")])
    batcher.flush()
    assert told == [[("b1", "failed"), ("b2", "completed")]]


def test_nothing_gathered_tells_nothing():
    owner, told = Owner(), []
    batcher = Batcher(owner, told.append)
    batcher.add([])
    batcher.flush()
    assert told == [] and owner.timers == []
