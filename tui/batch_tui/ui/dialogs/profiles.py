"""``P``: the profile switcher, a list of the config file's profiles."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from batch_tui.ui.connection import Choice
from batch_tui.ui.dialogs.base import Dialog
from batch_tui.ui.empty_state import host_of
from batch_tui.ui.styles import profile_text
from batch_tui.ui.text import inert


def choice_line(choice: Choice) -> Text:
    """``● production  api.check.ai  read-only``: the current mark, the name in its
    colour, the server's host, and read-only; or why the profile cannot be used."""
    line = Text("● " if choice.current else "  ", style="bold")
    settings = choice.settings
    line.append_text(profile_text(choice.name, settings.profile_color if settings else None))
    if settings is None:
        line.append("  ✗ ", style="red")
        line.append_text(inert(choice.problem or "", "red", max_chars=120))
        return line
    line.append("  ")
    line.append_text(inert(host_of(settings.base_url), "dim", max_chars=60))
    if settings.read_only:
        line.append("  read-only", style="italic")
    if choice.current:
        line.append("  (in use)", style="dim")
    return line


class ProfilePicker(Dialog[Choice | None]):
    """The profiles, the one in use marked; Enter picks one, Escape keeps the current."""

    BINDINGS = [
        Binding("escape", "give_up", "Close", show=False),
        Binding("q", "give_up", "Close", show=False),
        Binding("j", "move('down')", "Down", show=False),
        Binding("k", "move('up')", "Up", show=False),
    ]

    DEFAULT_CSS = """
    ProfilePicker > Vertical {
        width: 76;
        max-height: 90%;
    }
    ProfilePicker #title {
        text-style: bold;
        margin-bottom: 1;
    }
    ProfilePicker OptionList {
        height: auto;
        max-height: 20;
    }
    ProfilePicker #note {
        color: $text-muted;
        margin-top: 1;
    }
    """

    def __init__(self, choices: list[Choice]) -> None:
        super().__init__()
        self.choices = choices
        """The profiles, in the config file's order."""
        self.options = OptionList(*(Option(choice_line(c)) for c in choices), id="profiles")
        """Their lines; the one in use is highlighted first."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Switch profile", id="title")
            yield self.options
            yield Static("Enter connects to it; Escape keeps this one.", id="note")

    def on_mount(self) -> None:
        self.options.highlighted = next((i for i, c in enumerate(self.choices) if c.current), 0)
        self.options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[event.option_index])

    def action_move(self, direction: str) -> None:
        """``j`` and ``k`` move as in the list."""
        options = self.options
        (options.action_cursor_down if direction == "down" else options.action_cursor_up)()

    def action_give_up(self) -> None:
        self.dismiss(None)
