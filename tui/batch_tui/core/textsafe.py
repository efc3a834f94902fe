"""Server text as plain strings that cannot drive the terminal.

Everything the server sends is untrusted: the terminal obeys escape sequences (a
name could retitle the window or write the clipboard), and characters that draw
nothing or reorder text could make two ids look alike. ``clean()`` removes what
could reach the terminal and spells out what would hide; the dashboard
(``ui/text.py``, which wraps these strings for Rich and Textual), the scripts and
the exports all clean text here.

A bottom-layer module: standard library only, no Rich, no Textual.
"""

from __future__ import annotations

import re

# CSI, OSC (ended by BEL or ST), DCS/SOS/PM/APC strings, and two-byte escapes.
# A string sequence is removed whole only when it is terminated: an unterminated
# ``ESC ]`` loses just those two characters (the two-byte rule), so it cannot
# hide the rest of a name. What remains can no longer reach the terminal as a
# sequence, because no ESC or C1 control survives ``_CONTROLS``.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                 # CSI ... final byte
  | \x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)  # OSC ... BEL or ST
  | \x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)      # DCS, SOS, PM, APC ... ST
  | \x1b[@-Z\\-_]                          # other two-byte escapes
  | \x9b[0-?]*[ -/]*[@-~]                   # 8-bit CSI
  | \x9d[^\x07\x1b\x9c]*(?:\x07|\x9c)          # 8-bit OSC ... BEL or ST
    """,
    re.VERBOSE,
)
# C0 and C1 controls, DEL, and lone surrogates (which no encoder accepts).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Characters that draw nothing or reorder what is drawn: zero-width spaces and
# joiners, the byte-order mark, direction marks, embeddings, overrides and
# isolates, invisible operators, fillers and tag characters. Shown by code point
# (``<U+200B>``), so two ids that differ only by them never look the same.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f]"
)
REPLACEMENT = "\ufffd"
#: The longest text one cell or line shows; the rest is cut with an ellipsis.
MAX_CHARS = 500


def clean(value: object, *, max_chars: int | None = MAX_CHARS, multiline: bool = False) -> str:
    """``value`` as text that cannot drive the terminal.

    Escape sequences are removed, other control characters become U+FFFD,
    invisible and direction-changing characters are spelled out (``<U+202E>``),
    and newlines become spaces unless ``multiline``. Long text is cut to
    ``max_chars``.
    """
    text = value if isinstance(value, str) else str(value)
    if not (text.isascii() and text.isprintable()):
        # Printable ASCII has nothing to remove or spell out (no escape, control,
        # newline or tab is printable, and every invisible character is beyond
        # ASCII): the common case, on every row and line drawn, skips the passes.
        text = _scrub(text, multiline)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text


def _scrub(text: str, multiline: bool) -> str:
    """``clean`` without the cut: escapes removed, controls replaced, invisible
    characters spelled out, newlines folded unless ``multiline``."""
    text = _ESCAPES.sub("", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\t", "    ")
        text = "\n".join(_CONTROLS.sub(REPLACEMENT, line) for line in text.split("\n"))
    else:
        text = re.sub(r"[\r\n\t]+", " ", text)
        text = _CONTROLS.sub(REPLACEMENT, text)
    return _INVISIBLE.sub(_code_point, text)


def _code_point(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def labelled(label: str, value: object, **options: object) -> str:
    """``label: value`` with the value cleaned, and the label said once even when
    the value already starts with it (a server's ``"Error: …"`` after ``error:``)."""
    text = clean(value, **options)  # type: ignore[arg-type]
    prefix = re.compile(rf"\s*{re.escape(label)}\s*:\s*", re.IGNORECASE)
    rest = text
    while match := prefix.match(rest):
        rest = rest[match.end() :]
    return f"{label}: {rest if rest.strip() else text}"


def plain(value: object, **options: object) -> str:
    """Server text as a cleaned string, for APIs that take ``markup=False``."""
    return clean(value, **options)  # type: ignore[arg-type]
