"""End to end in a real terminal: ``batch-tui --demo`` inside tmux, driven by send-keys."""

from __future__ import annotations

import re
import sys
import time

from helpers import free_port
from terminal import SGR, clean_env, terminal_was_driven


def test_demo_dashboard_runs_navigates_and_quits_cleanly(tmux, tmp_path):
    tmux.start(f"{sys.executable} -m batch_tui --demo", clean_env(tmp_path))
    screen = tmux.wait_for(lambda s: "connected" in s and s.count("batch_") >= 12)
    assert "processing" in screen and "completed" in screen and "failed" in screen

    first_name = tmux.wait_for(lambda s: "Name " in s).split("Name", 2)[-1].split("│")[0].strip()
    tmux.keys("j", "j", "j", "j")
    moved = tmux.wait_for(lambda s: "Name" in s and first_name not in s.split("Detail")[-1])
    assert "Processed" in moved

    tmux.keys("q")
    deadline = time.monotonic() + 60
    while not tmux.exit_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tmux.exit_file.read_text().strip() == "0"


def test_cancel_flow_in_a_real_terminal(tmux, tmp_path):
    tmux.start(f"{sys.executable} -m batch_tui --demo", clean_env(tmp_path))
    tmux.wait_for(lambda s: "connected" in s and s.count("processing") >= 3)
    tmux.keys("j", "j", "j")
    tmux.wait_for(lambda s: "Science news digest" in s.split("Detail")[-1])
    tmux.keys("c")
    modal = tmux.wait_for(lambda s: "Cancel this batch?" in s)
    assert "Cost so far" in modal
    # The question names the batch the cursor is on, and no other.
    assert "batch_572eb9daf916" in modal.split("Cancel this batch?")[-1], modal
    tmux.keys("y")

    def row(screen: str) -> str:
        return next(line for line in screen.splitlines() if "Science news digest" in line)

    # The toast and the row, as the user sees them a moment after answering. That the
    # toast is never raised before the row turns is the Pilot test's to show
    # (tests/ui/test_app.py): a terminal capture may fall between two frames.
    screen = tmux.wait_for(lambda s: "cancelled successfully" in s and "cancelled" in row(s))
    assert "processing" not in row(screen)
    tmux.keys("q")


def test_cancelling_many_marked_batches_in_a_small_terminal(tmux, tmp_path):
    tmux.start(f"{sys.executable} -m batch_tui --demo", clean_env(tmp_path), size=(80, 24))
    tmux.wait_for(lambda s: "connected" in s and s.count("processing") >= 3)
    tmux.keys("s", "*")  # every active batch
    tmux.wait_for(lambda s: re.search(r"✓ \d marked", s) is not None)
    tmux.keys("c")
    # All of it fits, and no notification covers it: the question, the cost and the
    # buttons (the screen is read until the whole frame has been drawn).
    tmux.wait_for(
        lambda s: (
            re.search(r"Cancel \d marked batch", s) is not None
            and "Cost so far" in s
            and "Keep running (n)" in s
        )
    )
    tmux.keys("y")
    outcome = tmux.wait_for(lambda s: "Cancel of many:" in s)
    title = next(line for line in outcome.splitlines() if "Cancel of many:" in line)
    assert "cancelled" in title and "failed" not in title
    tmux.keys("Escape")
    screen = tmux.wait_for(lambda s: "Cancel of many:" not in s)
    assert "marked" not in screen and "processing" not in screen
    tmux.keys("q")


def detail_name(screen: str) -> str:
    return next((line for line in screen.splitlines() if "│ Name " in line), "")


def test_hostile_names_are_literal_and_never_drive_the_terminal(tmux, tmp_path, demo_process):
    url = demo_process("--hostile")
    env = {**clean_env(tmp_path), "CHECK_API_KEY": "vfy_test"}
    tmux.start(f"{sys.executable} -m batch_tui --base-url {url}", env)
    title_before = tmux.title()
    screen = tmux.wait_for(lambda s: "connected" in s and "Pwned" in s)
    assert "[bold red]Pwned[/] [@…" in screen
    # Walk over every row, so every hostile name and error is drawn in the detail
    # pane and the errors table too; look at the terminal's cells after each step.
    screen = tmux.wait_for(lambda s: detail_name(s) != "")
    names = [detail_name(screen)]
    for _ in range(11):  # 12 batches: from the first row to the last
        before = detail_name(screen)
        tmux.keys("j")
        screen = tmux.wait_for(lambda s, before=before: detail_name(s) not in ("", before))
        names.append(detail_name(screen))
        assert terminal_was_driven(tmux.screen(attributes=True)) == []
    # Shown whole and literally in the detail pane. (Not "Home, then look": a batch
    # the server creates meanwhile would be the first row by then.)
    assert any("Name       [bold red]Pwned[/] [@click=app.quit]click me[/]" in n for n in names)
    assert tmux.buffers() == ""  # no OSC 52 clipboard write got through
    assert "PWNED" not in tmux.title()  # no OSC 0 retitle either
    assert tmux.title() == title_before
    tmux.keys("q")


def test_recovers_by_itself_after_the_server_restarts(tmux, tmp_path, demo_process):
    port = free_port()
    url = demo_process(port=port)
    env = {**clean_env(tmp_path), "CHECK_API_KEY": "vfy_test"}
    tmux.start(f"{sys.executable} -m batch_tui --base-url {url} --interval 1", env)
    tmux.wait_for(lambda s: "connected" in s and "batch_" in s)
    demo_process.stop(port)
    tmux.wait_for(lambda s: "connection failed" in s)
    demo_process(port=port)
    screen = tmux.wait_for(lambda s: "● connected" in s and "error:" not in s, timeout=90)
    assert "batch_" in screen
    tmux.keys("q")


def test_missing_key_in_a_real_terminal_prints_one_line(tmux, tmp_path):
    # The pane stays open after the error (until the tmux server is killed), however long
    # a busy machine takes to capture it.
    tmux.start(f"{sys.executable} -m batch_tui; sleep 600", clean_env(tmp_path))
    screen = tmux.wait_for(lambda s: "error" in s)
    lines = [line for line in screen.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "--demo" in lines[0] and "Traceback" not in screen


def noon_now() -> tuple[str, str]:
    """A time zone in which it is about noon now, as ``TZ`` wants it and as the history
    screen names it: the demo's batches, finished minutes ago, finished "today" at
    any hour the tests run (in UTC, just after midnight they finished yesterday)."""
    offset = 12 - time.gmtime().tm_hour
    return f"UTC{-offset:+d}", f"UTC{offset:+03d}:00"  # POSIX counts west of UTC


def test_history_screen_over_the_store_in_a_real_terminal(tmux, tmp_path, demo_process):
    url = demo_process("--hostile")
    tz, zone = noon_now()
    env = {**clean_env(tmp_path), "CHECK_API_KEY": "vfy_test", "TZ": tz}
    env["BATCH_TUI_STATE_DIR"] = str(tmp_path / "state")
    tmux.start(f"{sys.executable} -m batch_tui --base-url {url}", env, size=(100, 30))
    title_before = tmux.title()
    tmux.wait_for(lambda s: "connected" in s and "Pwned" in s)
    tmux.keys("h")
    screen = tmux.wait_for(
        lambda s: "finished in 30 days" in s and re.search(r"\d-\d\d: \d+ finished", s) is not None
    )
    assert f"History: batches finished in the last 30 days, by local day ({zone})" in screen
    assert "Batches / day" in screen and "Cost / day" in screen
    # Today's batches, hostile names included, are drawn literally.
    assert "[link=https://evil" in screen  # the name column cuts it with an ellipsis
    capture = SGR.sub("", tmux.screen(attributes=True))
    assert "\x1b" not in capture and "\x07" not in capture
    assert tmux.buffers() == "" and tmux.title() == title_before
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "finished: " in s and "(Escape clears)" in s)
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "finished: " not in s and "Pwned" in s)
    tmux.keys("q")


def test_chosen_columns_and_a_rebound_cancel_key_in_a_real_terminal(tmux, tmp_path):
    config = tmp_path / "columns.toml"
    config.write_text('columns = ["name", "status", "eta", "cost"]\n[keys]\ncancel = "z"\n')
    tmux.start(f"{sys.executable} -m batch_tui --demo --config {config}", clean_env(tmp_path))
    screen = tmux.wait_for(lambda s: "connected" in s and "z Cancel batch" in s)
    assert screen.splitlines()[0].split() == ["Name", "Status", "ETA", "Cost"]
    tmux.keys("j", "j", "j")
    tmux.wait_for(lambda s: "Science news digest" in s.split("Detail")[-1])
    tmux.keys("c")  # no longer cancel: nothing opens
    tmux.keys("z")
    tmux.wait_for(lambda s: "Cancel this batch?" in s)
    tmux.keys("n", "q")
