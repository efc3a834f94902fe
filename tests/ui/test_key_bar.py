"""The key bar at the foot of each screen does what Textual's footer did: a click on a
key runs it, a key that does not apply now is dim and rings the bell, the key under
the mouse is lit and says what it does."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding

from apphelpers import screen_text, settled
from batch_tui.ui.widgets.key_bar import KeyBar


def _x_of(bar: KeyBar, key: str) -> int:
    index = next(i for i, k in enumerate(bar.keys) if k.key == key)
    return bar._spans[index][0] + 1


async def test_a_click_on_a_key_runs_it(run_app):
    async with run_app() as pilot:
        app = pilot.app
        bar = app.dashboard.query_one(KeyBar)
        assert " p Pause " in screen_text(app).splitlines()[-1]
        await pilot.click(KeyBar, offset=(_x_of(bar, "p"), 0))
        await settled(pilot)
        assert app.monitor.paused
        assert " p Resume " in screen_text(app).splitlines()[-1]


async def test_the_key_under_the_mouse_is_lit_and_says_what_it_does(run_app):
    async with run_app() as pilot:
        app = pilot.app
        bar = app.dashboard.query_one(KeyBar)
        x = _x_of(bar, "r")
        plain = bar.render_line(0)
        await pilot.hover(KeyBar, offset=(x, 0))
        await pilot.pause()
        lit = bar.render_line(0)
        hover = bar.get_component_rich_style("key-bar--hover").bgcolor

        def background_at(strip, cell):
            return strip.crop(cell, cell + 1)._segments[0].style.bgcolor

        assert background_at(lit, x) == hover != background_at(plain, x)
        assert background_at(lit, _x_of(bar, "q")) != hover  # only the key under the mouse
        assert bar.tooltip == "Refresh"
        await pilot.hover(KeyBar, offset=(_x_of(bar, "q"), 0))
        await pilot.pause()
        assert background_at(bar.render_line(0), x) != hover


class _Keys(App):
    BINDINGS = [
        Binding("a", "ring('a')", "Applies"),
        Binding("n", "ring('n')", "Not now"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if parameters == ("n",) else True  # shown, but it does not apply

    def action_ring(self, which: str) -> None:
        self.ran.append(which)

    def bell(self) -> None:
        self.bells += 1


async def test_a_key_that_does_not_apply_now_is_dim_and_a_click_on_it_rings_the_bell():
    app = _Keys()
    async with app.run_test(size=(60, 3)) as pilot:
        await pilot.pause()
        bar = app.query_one(KeyBar)
        assert [(k.key, k.enabled) for k in bar.keys] == [("a", True), ("n", False)]
        segments = {s.text.strip(): s.style for s in bar.render_line(0) if s.text.strip()}
        assert segments["n"].dim and not segments["a"].dim
        await pilot.click(KeyBar, offset=(_x_of(bar, "n"), 0))
        await pilot.click(KeyBar, offset=(_x_of(bar, "a"), 0))
        await pilot.pause()
        assert app.ran == ["a"] and app.bells == 1


async def test_keys_too_many_for_the_width_scroll_sideways_under_the_mouse_wheel(run_app):
    async with run_app(size=(60, 20)) as pilot:
        app = pilot.app

        def bar_line() -> str:
            return screen_text(app).splitlines()[-1]

        assert " q Quit " not in bar_line() and bar_line().rstrip().endswith("▏^p palette")

        async def wheel(event: type[events.MouseEvent], times: int) -> None:
            # Pilot has no helper for the wheel: its own way of posting mouse events.
            for _ in range(times):
                await pilot._post_mouse_events([event], KeyBar, offset=(5, 0))

        await wheel(events.MouseScrollDown, 30)
        assert " q Quit " in bar_line() and " tab " not in bar_line()
        assert bar_line().rstrip().endswith("▏^p palette")  # the palette's key stays put
        # A click lands on the key drawn there now, not on the one scrolled out.
        column = bar_line().index(" p Pause ") + 1
        await pilot.click(KeyBar, offset=(column, 0))
        await settled(pilot)
        assert app.monitor.paused
        await wheel(events.MouseScrollUp, 30)
        assert bar_line().startswith(" tab ") and " q Quit " not in bar_line()
