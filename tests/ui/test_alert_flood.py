"""A flood of alerts stays a handful of notifications (a fleet of short batches
finishing and alarming all day must neither bury the screen nor grow the app)."""

from __future__ import annotations

from dataclasses import replace

from apphelpers import SIZE, notifications
from batch_tui.monitor.monitor import Change, Snapshot
from batch_tui.ui.alerts.on_screen import ALARM_TIMEOUT, ALARM_TITLE
from batch_tui.ui.app import MAX_NOTIFICATIONS


def failing(app, n: int) -> dict[str, Snapshot]:
    """``n`` running batches, each with a third of its items failed."""
    model = next(s for s in app.monitor.snapshots.values() if not s.batch.is_terminal)
    return {
        f"batch_alarm{k:02d}": replace(
            model,
            batch=replace(
                model.batch,
                id=f"batch_alarm{k:02d}",
                name=f"Run {k}",
                status="processing",
                processed_items=30,
                failure_count=10,
            ),
        )
        for k in range(n)
    }


def alarms_shown(app) -> list[str]:
    return [n.message for n in notifications(app) if n.title == ALARM_TITLE]


async def test_alarms_are_one_notification_naming_the_recent_ones(run_app, clock):
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        alerts = app.dashboard.alerts
        clock.advance(ALARM_TIMEOUT)  # the demo fleet's own alarm at start is old news
        snapshots = failing(app, 6)
        ids = list(snapshots)
        for batch_id in ids[:5]:  # five alarms, a second apart
            alerts.tell(Change(alarms=frozenset({batch_id})), snapshots)
            clock.advance(1)
            await pilot.pause()
        [message] = alarms_shown(app)
        assert message.startswith("5 running batches have many failed items: Run 4 (33%), Run 3")
        assert "and 2 more" in message and "press c" in message
        clock.advance(ALARM_TIMEOUT)  # those are old news: a new alarm names itself only
        alerts.tell(Change(alarms=frozenset({ids[5]})), snapshots)
        await pilot.pause()
        [message] = alarms_shown(app)
        assert message.startswith("Run 5: 33% of processed items failed (10 of 30).")


async def test_no_more_than_a_few_notifications_at_once(run_app, clock):
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        for k in range(10):
            app.notify(f"export {k} written", markup=False)
        await pilot.pause()
        assert [n.message for n in notifications(app)] == [
            f"export {k} written" for k in range(10 - MAX_NOTIFICATIONS, 10)
        ]
