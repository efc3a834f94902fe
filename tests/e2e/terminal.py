"""The real terminal for the end-to-end tests: a private tmux server, ``batch-tui
demo-server`` processes, and what to read from a captured pane."""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from pathlib import Path

from helpers import free_port, start_demo_process


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

    def wait_for(self, predicate, timeout: float = 60.0) -> str:
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


def clean_env(tmp_path: Path) -> dict[str, str]:
    return {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "CHECK_API_KEY": "",
        "TEXTUAL_ANIMATIONS": "none",
    }


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
