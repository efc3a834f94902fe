"""Small truths: the footer says what p does now; y says where the id went."""

from __future__ import annotations

from apphelpers import SIZE, notifications, screen_text


async def test_the_footer_offers_resume_while_paused(run_app):
    async with run_app(size=SIZE) as pilot:
        app = pilot.app
        footer = lambda: screen_text(app).splitlines()[-1]  # noqa: E731
        assert "p Pause" in footer()
        await pilot.press("p")
        await pilot.pause()
        assert app.monitor.paused and "p Resume" in footer() and "Pause" not in footer()
        await pilot.press("p")
        await pilot.pause()
        assert not app.monitor.paused and "p Pause" in footer()


async def test_y_says_the_id_was_sent_to_the_terminal_clipboard(run_app):
    async with run_app(size=SIZE, notifications=True) as pilot:
        app = pilot.app
        await pilot.press("y")
        await pilot.pause()
        (message,) = [n.message for n in notifications(app) if "clipboard" in n.message]
        assert "Sent" in message and "terminal clipboard (OSC 52)" in message
        assert "Copied" not in message


def test_the_status_table_headers_line_up_with_their_values():
    from batch_tui.api.models import Batch
    from batch_tui.headless.status import status_table

    batches = [
        Batch(
            id="batch_a",
            name="A",
            status="processing",
            total_items=2_000_000,
            processed_items=1_000_000,
            success_count=999_000,
            failure_count=1_000,
            total_cost_cents=123_456_78,
        ),
        Batch(id="batch_b", name="B", status="pending", total_items=40, processed_items=0),
    ]
    header, *rows = status_table(batches).splitlines()
    for title in ("PROGRESS", "OK", "FAILED", "COST"):
        end = header.index(title) + len(title)  # right-aligned: values end where it ends
        for row in rows:
            assert row[end - 1] != " " and (end == len(row) or row[end] == " "), (title, row)


def test_a_pending_batch_is_not_drawn_in_the_processing_colour():
    from batch_tui.ui.styles import progress_bar

    def styles(text) -> set[str]:
        return {str(span.style) for span in text.spans} | {str(text.style)}

    assert not any("orange" in s for s in styles(progress_bar(0.0, status="pending")))
    assert any("orange" in s for s in styles(progress_bar(0.4, status="processing")))
    figures = progress_bar(0.4, status="processing")
    end = len(figures.plain)
    assert not any("orange" in str(s.style) for s in figures.spans if s.end == end)
    assert "orange" not in str(figures.style)
