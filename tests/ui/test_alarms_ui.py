"""Stalls and unaccounted items on screen: the row's mark, the detail pane and the
notification, against the demo server on a frozen clock."""

from __future__ import annotations

from apphelpers import cell, highlight_named, make_app, notifications, screen_text, settled
from batch_tui.api.models import Batch
from batch_tui.monitor.alarms import BatchEvent
from batch_tui.monitor.monitor import Change
from batch_tui.ui.alerts.on_screen import stalled_message
from helpers import wait_until


def told(app, title: str) -> list[str]:
    return [n.message for n in notifications(app) if n.title == title]


async def test_a_stalled_batch_is_marked_in_its_row_and_detail_until_it_moves(
    run_app, clock, demo_api
):
    demo_api.faults.stall_rate = 1.0
    async with run_app(notifications=True, stall_after=60.0) as pilot:
        app = pilot.app
        target = await highlight_named(pilot, "Article verification")
        assert cell(app, target, "status") == "processing"
        clock.advance(61)
        await pilot.press("r")
        await settled(pilot)
        assert cell(app, target, "status") == "stalled"
        assert "stalled · no progress since 10:00:00 UTC" in screen_text(app)
        # Seven batches stall at once: told together, in as few lines as it takes.
        await wait_until(lambda: told(app, "Batch stalled") != [], pilot=pilot)
        messages = told(app, "Batch stalled")
        assert len(messages) <= 3
        burst = [m for m in messages if "batches have stopped moving" in m]
        assert sum(int(m.split()[0]) for m in burst) + len(messages) - len(burst) == 7

        clock.advance(30)
        await pilot.press("r")
        await settled(pilot)
        assert told(app, "Batch stalled") == messages  # told once, not again

        demo_api.faults.stall_rate = 0.0
        clock.advance(30)
        await pilot.press("r")
        await settled(pilot)
        assert cell(app, target, "status") == "processing"
        assert "no progress since" not in screen_text(app)


async def test_a_batch_completing_with_items_unaccounted_for_is_marked_and_told(
    run_app, clock, demo_api
):
    demo_api.faults.unaccounted_rate = 1.0
    async with run_app(notifications=True) as pilot:
        app = pilot.app
        history = await highlight_named(pilot, "Daily fact check")
        assert cell(app, history, "status") == "incomplete"  # marked, never told
        assert "incomplete: 5 items unaccounted for" in screen_text(app)
        target = await highlight_named(pilot, "Product descriptions QA")
        clock.advance(12)
        await pilot.press("r")
        await settled(pilot)
        assert cell(app, target, "status") == "incomplete"
        assert "incomplete: 12 items unaccounted for" in screen_text(app)
        await wait_until(lambda: told(app, "Batch finished") != [], pilot=pilot)
        assert told(app, "Batch finished") == [
            "Product descriptions QA (batch_e5037d18f25d) is completed. "
            "Incomplete: 12 items unaccounted for."
        ]
        assert all(
            n.severity == "warning" for n in notifications(app) if n.title == "Batch finished"
        )


def test_a_stall_is_told_with_the_status_it_is_stuck_in_and_for_how_long():
    batch = Batch(id="batch_x", name="[b]Nightly[/b]\x1b]0;t\x07", status="validating")
    message = stalled_message(BatchEvent("stalled", "batch_x", batch, stalled_for=754.0))
    assert message == ("[b]Nightly[/b] (batch_x) has been validating with no progress for 12m 34s.")


def _after(seconds: float, highlight: str):
    """A ``run_before``: wait for data, let ``seconds`` pass, refresh, show ``highlight``."""

    async def run_before(pilot) -> None:
        from batch_tui.core.clock import FakeClock

        await settled(pilot)
        clock = pilot.app.clock
        assert isinstance(clock, FakeClock)
        clock.advance(seconds)
        await pilot.press("r")
        await highlight_named(pilot, highlight)
        # The alerts are told a moment later (in real time): tell them now and clear
        # them, so the picture never depends on how fast the machine is.
        alerts = pilot.app.dashboard.alerts
        alerts.flush()
        alerts.tell_stalls()
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


def test_look_of_stalled_batches(snap_compare, demo, demo_api, clock):
    demo_api.faults.stall_rate = 0.5
    app = make_app(demo, clock, stall_after=60.0)
    assert snap_compare(app, terminal_size=(120, 36), run_before=_after(61, "Science news digest"))


def test_look_of_a_batch_with_items_unaccounted_for(snap_compare, demo, demo_api, clock):
    demo_api.faults.unaccounted_rate = 0.5
    app = make_app(demo, clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_after(12, "Earnings call claims"))


def test_many_stalls_at_once_are_one_line_naming_the_first_few():
    from batch_tui.ui.alerts.on_screen import Alerts

    class Node:
        def __init__(self) -> None:
            self.told: list[str] = []

        def notify(self, message: str, **options) -> None:
            self.told.append(message)

        def set_timer(self, *args):
            return None

    node = Node()
    alerts = Alerts(node, bell=False)  # type: ignore[arg-type]
    events = tuple(
        BatchEvent("stalled", f"batch_{n}", Batch(id=f"batch_{n}", name=f"B{n}"), stalled_for=600)
        for n in range(8)
    )
    alerts.tell(Change(events=events), {})
    alerts.tell_stalls()  # what the gathering timer calls
    assert node.told == ["8 batches have stopped moving: B0, B1, B2, B3, B4 and 3 more."]
