"""``Dialog``: what every modal dialog of the dashboard is.

A dialog stands centred over the screen it was opened from, in one bordered frame
(its first child, a ``Vertical`` or a ``VerticalScroll``) as tall as its content.
That look is written here once; each dialog's own CSS says only what is its own:
its width, a red border for a question about cancelling or an error, its padding
when it holds a table.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """A modal dialog: centred, in one bordered frame."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog > Vertical, Dialog > VerticalScroll {
        height: auto;
        max-width: 95%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    """
