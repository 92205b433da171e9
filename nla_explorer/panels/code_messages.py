"""The message box under the code: its style (an error, or a notice), the line a message names,
and the ways out it makes links."""

from __future__ import annotations

import re

from nla_explorer.drawing.style import ViewStyle

#: An error that names its line ("line 9: inner sizes differ"), as the engine writes them.
LINE_IN_ERROR = re.compile(r"^line (\d+):")

#: The ways out a message may name, made links: a cell of the code, or all of it.
RUN_LINKS = {"run": "press Run cell (Shift+Enter)", "all": "press Run all (Ctrl+Shift+Enter)"}


def error_style(style: ViewStyle, points: float = 11, notice: bool = False) -> str:
    """The error box: ``style``'s error colour on its error fill, in a frame of the same red, in
    the code's type size (a style sheet keeps a label from following its parent's font); a
    ``notice`` (a file opened, not run) in the note colours instead."""
    ink, fill = (style.note_text, style.note_fill) if notice else (style.error, style.error_fill)
    return (f"QLabel {{ color: {ink}; background: {fill}; border: 1px solid {ink}; "
            f"border-radius: 4px; padding: 6px; font-size: {points}pt; }}")


def line_named_in(message: str) -> int | None:
    """The 1-based line an error message names at its start (``line 9: …``), or ``None``."""
    match = LINE_IN_ERROR.match(message.strip())
    return int(match.group(1)) if match else None
