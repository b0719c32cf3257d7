"""A text widget for values redrawn every frame.

`Static.update` always asks for a new layout, which re-lays out the whole screen; at 20
frames a second that starves input. This repaints only when the text changed, and asks for
layout only when the number of lines changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class TextPanel(Widget):
    DEFAULT_CSS = """
    TextPanel { height: auto; }
    """

    def __init__(self, text: str | Text = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = text if isinstance(text, Text) else Text(text)

    @property
    def text(self) -> Text:
        return self._text

    def set_text(self, text: str | Text) -> None:
        new = text if isinstance(text, Text) else Text(text)
        if new == self._text:
            return
        relayout = new.plain.count("\n") != self._text.plain.count("\n")
        self._text = new
        self.refresh(layout=relayout)

    def render(self) -> Text:
        return self._text
