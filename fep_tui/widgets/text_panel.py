"""A Static for values redrawn every frame.

`Static.update` lays out the whole screen by default; at 20 frames a second that starves
input. This skips unchanged text and asks for layout only when the number of lines changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TextPanel(Static):
    DEFAULT_CSS = """
    TextPanel { height: auto; }
    """

    def __init__(self, text: str | Text = "", *, id: str | None = None) -> None:
        self._text = text if isinstance(text, Text) else Text(text)
        super().__init__(self._text, id=id, markup=False)

    @property
    def text(self) -> Text:
        return self._text

    def set_text(self, text: str | Text) -> None:
        new = text if isinstance(text, Text) else Text(text)
        if new == self._text:
            return
        relayout = new.plain.count("\n") != self._text.plain.count("\n")
        self._text = new
        self.update(new, layout=relayout)
