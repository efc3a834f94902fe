"""What the list and the panes say when there is nothing to show: an unreachable
server named with its full error, a find or filter that matches nothing."""

from __future__ import annotations

import pytest

from apphelpers import screen_text, settled
from batch_tui import session
from batch_tui.settings.config import Settings
from helpers import TEST_KEY, free_port, wait_until


def unreachable_app(clock, port: int):
    settings = Settings(
        api_key=TEST_KEY, base_url=f"http://127.0.0.1:{port}", interval=30.0, solo=True
    )
    return session.make_app(settings, clock=clock)


async def test_an_unreachable_server_is_named_with_its_full_error(clock):
    port = free_port()
    app = unreachable_app(clock, port)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(lambda: app.monitor.status.state == "error", pilot=pilot)
        await pilot.pause()
        error = app.monitor.status.last_error
        text = screen_text(app)
        assert f"Cannot reach 127.0.0.1:{port}" in text
        # The whole error, wrapped in the list's place (not cut at the status line).
        assert " ".join(error.split()) in " ".join(
            line.strip() for line in text.splitlines() if line.strip()
        ) or all(word in text for word in error.split())
        assert "No batch selected" not in text
        assert f"127.0.0.1:{port} cannot be reached" in text
        assert TEST_KEY not in text


async def test_a_find_that_matches_nothing_says_so(run_app):
    async with run_app() as pilot:
        app = pilot.app
        await pilot.press("slash", *"zzzq")
        await settled(pilot)
        text = screen_text(app)
        assert "No batch matches" in text and "zzzq" in text
        assert "No batch selected" not in text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://api.example.com", "api.example.com"),
        ("http://127.0.0.1:8080/", "127.0.0.1:8080"),
        ("http://[::1]:8080", "[::1]:8080"),
        ("http://user:secret@host.example:9000", "host.example:9000"),
        ("http://host.example:99999", "host.example"),
    ],
)
def test_the_server_is_named_by_its_host_and_port_never_its_user_info(url, shown):
    from batch_tui.ui.empty_state import host_of

    assert host_of(url) == shown
