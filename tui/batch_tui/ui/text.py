"""The one way server strings become display content: inert and free of escapes.

Everything the server sends is untrusted. Textual and Rich parse plain strings as
markup (``[@click=app.quit]`` would run an action, ``[/]`` would crash), and the
terminal obeys escape sequences (a name could retitle the window or write the
clipboard). So every widget shows server text through ``inert()`` (a Rich
``Text``, which is never parsed as markup) or ``plain()`` (for APIs that take a
string with ``markup=False``), after ``clean()`` has removed what could reach the
terminal. The plain-string functions live in ``batch_tui.core.textsafe`` (no Rich), so
the scripts and exports share them without importing the UI.
"""

from __future__ import annotations

from rich.text import Text

from batch_tui.core.textsafe import MAX_CHARS, REPLACEMENT, clean, labelled, plain

__all__ = ["MAX_CHARS", "REPLACEMENT", "clean", "cut", "inert", "labelled", "plain"]


def inert(value: object, style: str = "", **options: object) -> Text:
    """Server text as a Rich ``Text``: shown literally, never parsed as markup."""
    return Text(clean(value, **options), style=style, end="")  # type: ignore[arg-type]


def cut(text: Text, width: int) -> Text:
    """``text`` on one line of ``width`` cells, ending in "…" when it was longer (a
    table's own cut drops letters without a sign: ``Content exceeds maximum lengt``)."""
    if text.cell_len <= width:
        return text
    text = text.copy()
    text.truncate(width, overflow="ellipsis")
    return text
