"""? on every screen, and a help that explains what the screen shows."""

from __future__ import annotations

from apphelpers import SIZE, failed_validation, highlight_where, open_results
from batch_tui.ui.dialogs.error_text import ErrorText
from batch_tui.ui.dialogs.help import HelpScreen
from batch_tui.ui.dialogs.item import ItemScreen


def rows(help_screen: HelpScreen) -> dict[str, str]:
    return {keys: words for _, section in help_screen.sections for keys, words in section}


async def test_the_dashboard_help_covers_results_palette_and_what_marks_mean(run_app):
    async with run_app(size=SIZE) as pilot:
        await pilot.press("question_mark")
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        titles = [title for title, _ in help_screen.sections]
        assert any(title.startswith("Results") for title in titles)
        shown = rows(help_screen)
        assert "ctrl+p" in shown and "!" in shown and "?" in shown
        assert "status line" in shown and "colours" in shown
        assert any("Failed only" in words for words in shown.values())


async def test_question_mark_works_on_the_item_and_error_screens(run_app):
    async with run_app(size=SIZE) as pilot:
        await open_results(pilot, "Article verification")
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, ItemScreen)
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape", "escape", "escape")
        assert pilot.app.screen is pilot.app.dashboard
        await highlight_where(pilot, failed_validation)
        await pilot.press("tab", "enter")
        assert isinstance(pilot.app.screen, ErrorText)
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
