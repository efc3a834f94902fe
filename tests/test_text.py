"""Server text becomes inert display content: no markup, no escape sequences, bounded length."""

from __future__ import annotations

from rich.text import Text

from batch_tui.ui.text import REPLACEMENT, clean, inert, plain


def test_markup_is_kept_literally():
    for hostile in (
        "[bold]x[/bold]",
        "[/]",
        "[@click=app.quit]click[/]",
        "a[b]c",
        "[link=http://x]y[/link]",
    ):
        rendered = inert(hostile)
        assert isinstance(rendered, Text)
        assert rendered.plain == hostile
        assert not rendered.spans


def test_escape_sequences_never_survive():
    hostile = "name\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\x1b]52;c;ZXZpbA==\x07end"
    cleaned = clean(hostile)
    assert "\x1b" not in cleaned and "\x07" not in cleaned
    assert cleaned == "nameredend"


def test_other_controls_are_replaced_visibly():
    assert clean("a\x00b\x7fc\x85d") == f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}d"
    assert clean("right\u202eto-left") == f"right{REPLACEMENT}to-left"


def test_newlines_fold_to_spaces_unless_multiline():
    assert clean("one\ntwo\r\nthree") == "one two three"
    assert clean("one\ntwo", multiline=True) == "one\ntwo"


def test_long_text_is_cut_with_an_ellipsis():
    cleaned = clean("x" * 10_000)
    assert len(cleaned) == 500 and cleaned.endswith("…")
    assert plain("y" * 20, max_chars=10) == "y" * 9 + "…"
