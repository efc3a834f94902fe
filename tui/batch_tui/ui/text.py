"""The one way server strings become display content: inert and free of escapes.

Everything the server sends is untrusted. Textual and Rich parse plain strings as
markup (``[@click=app.quit]`` would run an action, ``[/]`` would crash), and the
terminal obeys escape sequences (a name could retitle the window or write the
clipboard). So every widget shows server text through ``inert()`` (a Rich
``Text``, which is never parsed as markup) or ``plain()`` (for APIs that take a
string with ``markup=False``), after ``clean()`` has removed what could reach the
terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

# CSI, OSC (ended by BEL or ST), DCS/SOS/PM/APC strings, and two-byte escapes.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]              # CSI ... final byte
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?   # OSC ... BEL or ST (or cut off)
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?        # DCS, SOS, PM, APC ... ST
  | \x1b[@-Z\\-_]                        # other two-byte escapes
  | \x9b[0-?]*[ -/]*[@-~]                # 8-bit CSI
  | \x9d[^\x07\x9c]*[\x07\x9c]?          # 8-bit OSC
    """,
    re.VERBOSE,
)
# C0 and C1 controls, DEL, and the bidi overrides and isolates that could
# reorder what the user reads.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
REPLACEMENT = "\ufffd"
#: The longest text one cell or line shows; the rest is cut with an ellipsis.
MAX_CHARS = 500


def clean(value: object, *, max_chars: int | None = MAX_CHARS, multiline: bool = False) -> str:
    """``value`` as text that cannot drive the terminal.

    Escape sequences are removed, other control characters become U+FFFD, and
    newlines become spaces unless ``multiline``. Long text is cut to ``max_chars``.
    """
    text = value if isinstance(value, str) else str(value)
    text = _ESCAPES.sub("", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\t", "    ")
        text = "\n".join(_CONTROLS.sub(REPLACEMENT, line) for line in text.split("\n"))
    else:
        text = re.sub(r"[\r\n\t]+", " ", text)
        text = _CONTROLS.sub(REPLACEMENT, text)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text


def inert(value: object, style: str = "", **options: object) -> Text:
    """Server text as a Rich ``Text``: shown literally, never parsed as markup."""
    return Text(clean(value, **options), style=style, end="")  # type: ignore[arg-type]


def plain(value: object, **options: object) -> str:
    """Server text as a cleaned string, for APIs that take ``markup=False``."""
    return clean(value, **options)  # type: ignore[arg-type]
