"""Desktop notifications through the terminal (the exact bytes, hostile names
included), and the whole path: a batch finishing in the dashboard sends one, and
runs the hook once."""

from __future__ import annotations

import json
import os
import sys

from apphelpers import notifications
from batch_tui.ui.alerts.desktop import notification_sequence, tmux_passthrough
from helpers import TEST_KEY, soonest_to_finish, wait_until
from unit.test_hooks import RECORDER, recorded

HOSTILE = "evil\x1b]777;notify;fake;pwned\x07\x1b\\\x9c\x9d52;c;aGk=\x07\x00\x7f;x"


def test_osc_9_and_osc_777_are_written_exactly():
    assert notification_sequence(
        "batch-tui: Batch finished", "A is completed.", kind="desktop", tmux=False
    ) == ("\x1b]9;batch-tui: Batch finished: A is completed.\x07")
    assert notification_sequence("t;itle", "body; with ; semis", kind="osc777", tmux=False) == (
        "\x1b]777;notify;t,itle;body; with ; semis\x07"
    )


def test_inside_tmux_the_sequence_is_wrapped_for_passthrough_with_each_esc_doubled():
    assert notification_sequence("T", "b", kind="desktop", tmux=True) == (
        "\x1bPtmux;\x1b\x1b]9;T: b\x07\x1b\\"
    )
    assert (
        tmux_passthrough("\x1b]777;notify;T;b\x07") == "\x1bPtmux;\x1b\x1b]777;notify;T;b\x07\x1b\\"
    )


def test_a_hostile_name_cannot_end_the_sequence_or_start_another():
    for kind in ("desktop", "osc777"):
        sequence = notification_sequence(HOSTILE, HOSTILE, kind=kind, tmux=False)
        payload = sequence[len("\x1b]") : -1]
        assert sequence.startswith("\x1b]") and sequence.endswith("\x07")
        for control in ("\x1b", "\x07", "\x9c", "\x9d", "\x00", "\x7f"):
            assert control not in payload, (kind, repr(control))
        wrapped = notification_sequence(HOSTILE, HOSTILE, kind=kind, tmux=True)
        inner = wrapped[len("\x1bPtmux;") : -len("\x1b\\")]
        assert inner.replace("\x1b\x1b", "") == sequence.replace("\x1b", "")  # only the doubled ESC
        assert "\x1b\\" not in inner and "\x9c" not in inner


async def test_a_batch_finishing_sends_one_desktop_notification_and_runs_the_hook_once(
    run_app, clock, simulator, tmp_path, monkeypatch
):
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.setenv("CHECK_API_KEY", "vfy_in_the_environment")
    out = tmp_path / "hook.jsonl"
    hook = (sys.executable, "-c", RECORDER, str(out))
    spec = soonest_to_finish(simulator, clock())
    async with run_app(notify="desktop", on_event=hook) as pilot:
        app = pilot.app
        written: list[str] = []
        real_write = app._driver.write
        monkeypatch.setattr(
            app._driver, "write", lambda data: (written.append(data), real_write(data))
        )
        # At start, one running batch is over the failure-rate alarm; the batches
        # that finished before we looked run no hook.
        await wait_until(lambda: len(recorded(out)) == 1, pilot=pilot)
        assert [r["env"]["BATCH_EVENT"] for r in recorded(out)] == ["failure_alarm"]
        await wait_until(lambda: app.outlets.desktop.sent == 1, pilot=pilot)
        written.clear()
        clock.advance(spec.finishes_at - clock() + 1)
        await pilot.press("r")
        await wait_until(lambda: len(recorded(out)) == 2, pilot=pilot)
        await wait_until(lambda: any(w.startswith("\x1b]9;") for w in written), pilot=pilot)
        sent = [w for w in written if w.startswith("\x1b]9;")]
        assert sent == [
            f"\x1b]9;batch-tui: Batch finished: {spec.name} ({spec.id}) is completed.\x07"
        ]
        run = recorded(out)[1]
        env = run["env"]
        assert (env["BATCH_EVENT"], env["BATCH_ID"], env["BATCH_STATUS"]) == (
            "completed",
            spec.id,
            "completed",
        )
        assert env["BATCH_PROCESSED"] == env["BATCH_TOTAL"] == str(spec.total_items)
        assert "CHECK_API_KEY" not in env and TEST_KEY not in json.dumps(run)


async def test_a_failing_hook_is_told_on_screen_and_the_dashboard_goes_on(
    run_app, clock, simulator
):
    spec = soonest_to_finish(simulator, clock())
    async with run_app(notifications=True, on_event=("/nonexistent/chat-hook",)) as pilot:
        app = pilot.app
        clock.advance(spec.finishes_at - clock() + 1)
        await pilot.press("r")
        expected = f"hook chat-hook: program not found (completed {spec.id})"
        await wait_until(
            lambda: any(n.message == expected for n in notifications(app)), pilot=pilot
        )
        [told] = [n for n in notifications(app) if n.message == expected]
        assert (told.title, told.severity) == ("Hook", "warning")
        await pilot.press("j")
        assert app.is_running


async def test_inside_tmux_that_drops_them_the_dashboard_says_how_to_let_them_through(
    run_app, tmp_path, monkeypatch
):
    """tmux is asked in a thread (the start does not wait for the program); its
    answer still becomes one warning."""
    from batch_tui.ui import tmux_check

    fake = tmp_path / "tmux"
    fake.write_text("#!/bin/sh\necho off\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TMUX", "/tmp/tmux-test/default,1,0")
    tmux_check.passthrough_problem.cache_clear()
    monkeypatch.setattr(tmux_check, "_told", set())
    try:
        async with run_app(notify="desktop", notifications=True) as pilot:
            app = pilot.app
            await wait_until(
                lambda: any(n.title == "tmux" for n in notifications(app)), pilot=pilot
            )
            [told] = [n for n in notifications(app) if n.title == "tmux"]
            assert "allow-passthrough is off" in told.message
            assert told.severity == "warning"
    finally:
        tmux_check.passthrough_problem.cache_clear()


def test_many_events_at_once_become_one_summary():
    from batch_tui.api.models import Batch
    from batch_tui.monitor.alarms import BatchEvent
    from batch_tui.ui.alerts.desktop import summary_notice

    events = [
        BatchEvent(kind, f"batch_{n}", Batch(id=f"batch_{n}"))
        for n, kind in enumerate(["completed"] * 3 + ["stalled", "failure_alarm"])
    ]
    assert summary_notice(events) == (
        "Batches",
        "5 batch events: 3 completed, 1 failure alarm, 1 stalled.",
    )
