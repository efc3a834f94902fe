"""End to end in a real terminal: ``batch-tui --demo`` inside tmux, driven by send-keys."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import free_port, start_demo_process

pytestmark = pytest.mark.tmux

if shutil.which("tmux") is None:
    if os.environ.get("CI"):
        raise RuntimeError("tmux is required in CI (.ci/run installs it)")
    pytest.skip("tmux is not installed", allow_module_level=True)


class Tmux:
    """One tmux server on a private socket, so the user's own sessions are never touched."""

    def __init__(self, tmp_path: Path) -> None:
        self.socket = f"batch-tui-test-{uuid.uuid4().hex[:8]}"
        self.session = "dash"
        self.exit_file = tmp_path / "exit-status"
        self.config = tmp_path / "tmux.conf"
        # Escape promptly; and keep what applications write to the clipboard (OSC 52)
        # in a paste buffer, where a test can see it.
        self.config.write_text("set -s escape-time 10\nset -s set-clipboard on\n")

    def run(self, *args: str) -> str:
        # COLUMNS and LINES (set by some test runners) would override the pane's real size.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True, env=env
        )
        return result.stdout

    def start(self, command: str, env: dict[str, str], size=(120, 36)) -> None:
        width, height = size
        self.run(
            "-f",
            str(self.config),
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(width),
            "-y",
            str(height),
            *[arg for key, value in env.items() for arg in ("-e", f"{key}={value}")],
            f"{command}; echo $? > {self.exit_file}",
        )

    def screen(self, *, attributes: bool = False) -> str:
        """The pane's text; with ``attributes``, with its colours and styles as SGR sequences."""
        flags = ["-e"] if attributes else []
        return self.run("capture-pane", "-p", "-J", *flags, "-t", self.session)

    def title(self) -> str:
        return self.run("display", "-p", "-t", self.session, "#{pane_title}").strip()

    def buffers(self) -> str:
        """tmux's paste buffers: where an OSC 52 clipboard write lands."""
        return self.run("list-buffers")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def wait_for(self, predicate, timeout: float = 20.0) -> str:
        """Capture the pane until ``predicate(screen)`` holds (bounded, event driven)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            try:
                screen = self.screen()
            except subprocess.CalledProcessError:
                screen = ""
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"screen never matched; last screen:\n{screen}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


class DemoProcesses:
    """``batch-tui demo-server`` processes, started on a port and stopped by port."""

    def __init__(self) -> None:
        self.running: dict[int, subprocess.Popen] = {}

    def __call__(self, *args: str, port: int | None = None) -> str:
        port = port or free_port()
        self.running[port], url = start_demo_process(*args, port=port)
        return url

    def stop(self, port: int) -> None:
        process = self.running.pop(port)
        process.terminate()
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for port in list(self.running):
            self.stop(port)


@pytest.fixture
def demo_process():
    processes = DemoProcesses()
    yield processes
    processes.stop_all()


@pytest.fixture
def tmux(tmp_path):
    session = Tmux(tmp_path)
    yield session
    session.kill()


def clean_env(tmp_path: Path) -> dict[str, str]:
    return {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "CHECK_API_KEY": "",
        "TEXTUAL_ANIMATIONS": "none",
    }


def test_demo_dashboard_runs_navigates_and_quits_cleanly(tmux, tmp_path):
    tmux.start(f"{sys.executable} -m batch_tui --demo", clean_env(tmp_path))
    screen = tmux.wait_for(lambda s: "connected" in s and s.count("batch_") >= 12)
    assert "processing" in screen and "completed" in screen and "failed" in screen

    first_name = tmux.wait_for(lambda s: "Name " in s).split("Name", 2)[-1].split("│")[0].strip()
    tmux.keys("j", "j", "j", "j")
    moved = tmux.wait_for(lambda s: "Name" in s and first_name not in s.split("Detail")[-1])
    assert "Processed" in moved

    tmux.keys("q")
    deadline = time.monotonic() + 15
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
    tmux.keys("y")
    screen = tmux.wait_for(lambda s: "cancelled successfully" in s)
    row = next(line for line in screen.splitlines() if "Science news digest" in line)
    assert "cancelled" in row
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


SGR = re.compile(r"\x1b\[([0-9;:]*)m")
#: Attributes the app never draws with; the hostile data asks for blink.
FOREIGN_ATTRIBUTES = {"5", "6", "8"}  # blink, rapid blink, hidden


def sgr_attributes(parameters: str) -> set[str]:
    """The attributes an SGR sequence sets, skipping colour arguments (38;5;n, 48;2;r;g;b)."""
    found, parts = set(), parameters.split(";")
    index = 0
    while index < len(parts):
        part = parts[index]
        if part in ("38", "48", "58") and index + 1 < len(parts):
            index += 3 if parts[index + 1] == "5" else 5 if parts[index + 1] == "2" else 1
            continue
        found.add(part.split(":")[0])
        index += 1
    return found


def terminal_was_driven(capture: str) -> list[str]:
    """Signs in an attribute capture that escape sequences from the data reached the
    terminal: anything but SGR, an attribute the app never uses, or a cleared screen."""
    signs = []
    rest = SGR.sub("", capture)
    if "\x1b" in rest or "\x07" in rest:
        signs.append(f"a raw escape or bell: {rest[rest.find(chr(27)) :][:20]!r}")
    for parameters in SGR.findall(capture):
        if foreign := sgr_attributes(parameters) & FOREIGN_ATTRIBUTES:
            signs.append(f"SGR {parameters} sets {sorted(foreign)}")
    lines = SGR.sub("", capture).splitlines()
    if not lines or "Status" not in lines[0] or "Quit" not in lines[-1]:
        signs.append("the header or the footer was wiped")
    return signs


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
    for _ in range(11):  # 12 batches: from the first row to the last
        before = detail_name(screen)
        tmux.keys("j")
        screen = tmux.wait_for(lambda s, before=before: detail_name(s) not in ("", before))
        assert terminal_was_driven(tmux.screen(attributes=True)) == []
    tmux.keys("Home")
    tmux.wait_for(lambda s: "Name       [bold red]Pwned[/] [@click=app.quit]click me[/]" in s)
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
    screen = tmux.wait_for(lambda s: "● connected" in s and "error:" not in s, timeout=30)
    assert "batch_" in screen
    tmux.keys("q")


def test_missing_key_in_a_real_terminal_prints_one_line(tmux, tmp_path):
    tmux.start(f"{sys.executable} -m batch_tui; sleep 5", clean_env(tmp_path))
    screen = tmux.wait_for(lambda s: "error" in s)
    lines = [line for line in screen.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "--demo" in lines[0] and "Traceback" not in screen


def test_history_screen_over_the_store_in_a_real_terminal(tmux, tmp_path, demo_process):
    url = demo_process("--hostile")
    env = {**clean_env(tmp_path), "CHECK_API_KEY": "vfy_test", "TZ": "UTC"}
    env["BATCH_TUI_STATE_DIR"] = str(tmp_path / "state")
    tmux.start(f"{sys.executable} -m batch_tui --base-url {url}", env, size=(100, 30))
    title_before = tmux.title()
    tmux.wait_for(lambda s: "connected" in s and "Pwned" in s)
    tmux.keys("h")
    screen = tmux.wait_for(
        lambda s: "finished in 30 days" in s and re.search(r"\d-\d\d: \d+ finished", s) is not None
    )
    assert "History: batches finished in the last 30 days, by local day (UTC+00:00)" in screen
    assert "Batches / day" in screen and "Cost / day" in screen
    # Today's batches, hostile names included, are drawn literally.
    assert "[link=https://evil.e" in screen
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
