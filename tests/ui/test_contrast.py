"""Every colour that carries meaning stands out at least 3:1 (WCAG's minimum for
large text and interface parts, the README's promise): the statuses on the default
dark theme, the alarm cell, and the footer's keys on the light themes."""

from __future__ import annotations

from apphelpers import SIZE, contrast, settled, status_cells
from batch_tui.ui.widgets.batch_list import BatchList

MINIMUM = 3.0


def ratio(segments) -> float:
    return min(contrast(s.style.color, s.style.bgcolor) for s in segments)


async def test_status_colours_stand_out_in_the_default_dark_theme(run_app):
    async with run_app(size=SIZE) as pilot:
        drawn = status_cells(pilot.app)
        assert len(drawn) >= 5
        ratios = {status: round(ratio(segments), 2) for status, segments in drawn.items()}
        assert min(ratios.values()) >= MINIMUM, ratios


async def test_the_alarm_cell_stands_out(run_app):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        table = app.dashboard.query_one(BatchList)
        alarmed = [i for i, s in app.monitor.snapshots.items() if s.alarm]
        assert alarmed, "the demo fleet has a batch past the failure-rate alarm"
        batch_id = alarmed[0]
        if table.current_batch_id == batch_id:
            await pilot.press("j")
            await settled(pilot)
        strips = app.screen._compositor.render_strips()
        y = table.region.y + 1 + table.get_row_index(batch_id) - round(table.scroll_y)
        failed = table.cell_text(batch_id, "failed").strip()
        cells = [s for s in strips[y] if s.text.strip() == failed and s.style and s.style.bgcolor]
        assert cells
        assert ratio(cells) >= MINIMUM, round(ratio(cells), 2)


def footer_key_segments(app):
    strips = app.screen._compositor.render_strips()
    footer = strips[-1]
    keys = {"r", "?", "c", "/", "s", "o", "p", "q", "tab", "⏎", "^p"}
    return [s for s in footer if s.text.strip() in keys and s.style and s.style.bgcolor]


async def test_footer_keys_stand_out_on_every_theme(run_app):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        ratios = {}
        for theme in ("textual-dark", "textual-light", "solarized-light", "catppuccin-latte"):
            if theme not in app.available_themes:
                continue
            app.theme = theme
            await pilot.pause()
            segments = footer_key_segments(app)
            assert segments, theme
            ratios[theme] = round(ratio(segments), 2)
        assert min(ratios.values()) >= MINIMUM, ratios
