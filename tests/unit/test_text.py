"""Server text becomes inert display content: no markup, no escape sequences, bounded length."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rich.text import Text

from batch_tui.core.textsafe import _scrub
from batch_tui.ui.text import REPLACEMENT, clean, inert, labelled, plain


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
    assert clean("right\u202eto-left") == "right<U+202E>to-left"


def test_newlines_fold_to_spaces_unless_multiline():
    assert clean("one\ntwo\r\nthree") == "one two three"
    assert clean("one\ntwo", multiline=True) == "one\ntwo"


def test_long_text_is_cut_with_an_ellipsis():
    cleaned = clean("x" * 10_000)
    assert len(cleaned) == 500 and cleaned.endswith("…")
    assert plain("y" * 20, max_chars=10) == "y" * 9 + "…"


@pytest.mark.parametrize(
    "hostile",
    [
        "before\x1b]0;after is still here",  # OSC never terminated
        "before\x1b]8;;https://evil.example\x1bafter is still here",  # ESC but no ST
        "before\x1bPqafter is still here",  # DCS never terminated
        "before\x1b_after is still here",  # APC never terminated
        "before\x9d0;after is still here",  # 8-bit OSC never terminated
    ],
)
def test_an_unterminated_string_sequence_does_not_swallow_the_rest(hostile):
    cleaned = clean(hostile)
    assert cleaned.startswith("before")
    assert "after is still here" in cleaned
    assert "\x1b" not in cleaned and "\x9d" not in cleaned


def test_terminated_string_sequences_are_still_removed_whole():
    assert clean("a\x1b]0;title\x1b\\b\x1bPdata\x1b\\c\x9d0;t\x9cd") == "abcd"


@pytest.mark.parametrize(
    "mark",
    [
        "\u200b",
        "\u200c",
        "\u200d",
        "\ufeff",
        "\u200e",
        "\u200f",
        "\u061c",
        *(chr(c) for c in range(0x202A, 0x202F)),
        *(chr(c) for c in range(0x2066, 0x206A)),
        "\U000e0000",
        "\U000e0041",
        "\U000e007f",
        "\u2060",
        "\u00ad",
    ],
)
def test_invisible_and_direction_marks_are_shown_by_code_point(mark):
    shown = f"<U+{ord(mark):04X}>"
    assert clean(f"batch{mark}_abc") == f"batch{shown}_abc"
    assert clean(f"a{mark}\nb", multiline=True) == f"a{shown}\nb"


def test_look_alike_ids_read_differently():
    real, fake = "batch_abc123", "batch_abc\u200b123"
    assert clean(real) != clean(fake)
    assert clean("batch_\u202eabc") == "batch_<U+202E>abc"


def test_lone_surrogates_cannot_break_an_encoder():
    cleaned = clean("bad\ud800half")
    assert cleaned == f"bad{REPLACEMENT}half"
    cleaned.encode("utf-8")  # would raise for a lone surrogate


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("internal error", "error: internal error"),
        ("error: internal error", "error: internal error"),
        ("Error: ERROR:internal error", "error: internal error"),
        ("error:", "error: error:"),  # nothing after it: kept as sent
        ("errors: 3", "error: errors: 3"),
        ("\x1b[31merror: x", "error: x"),
    ],
)
def test_a_label_is_not_repeated(message, expected):
    assert labelled("error", message) == expected


@given(st.text(alphabet=st.characters(max_codepoint=0x3000)) | st.text())
@example("plain name 42")
@example("tab\there")
@example("\x1b[2Jwiped")
@example("del\x7f")
def test_plain_ascii_skips_the_passes_and_loses_nothing_they_would_catch(text):
    """Names and ids are nearly always printable ASCII, cleaned on every row drawn: they
    skip the passes, and whatever skips them comes out as the passes would leave it."""
    for multiline in (False, True):
        assert clean(text, max_chars=None, multiline=multiline) == _scrub(text, multiline)
