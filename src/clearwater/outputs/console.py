"""Data printed to the terminal is shown literally.

Rich reads ``[red]``, ``[/red]`` and ``[link=...]`` in any string it prints as markup, so an id
or a column header from the data could crash a command (MarkupError) or plant a terminal
hyperlink.  Everything that comes from data goes through :func:`literal` (for f-strings mixed
with our own markup) or :func:`text` (a Rich ``Text``, never parsed for markup).
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text


def literal(value: Any) -> str:
    """``value`` as a string Rich prints exactly as it is (markup escaped)."""
    return escape(str(value))


def text(value: Any, style: str = "") -> Text:
    """``value`` as a Rich ``Text`` (never parsed for markup), e.g. for a table cell."""
    return Text("" if value is None else str(value), style=style)
