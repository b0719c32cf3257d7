"""A widget with its border title set where it is composed, beside its id, so the title
and the widget it names are read together (not in a second list in on_mount)."""

from __future__ import annotations

from typing import TypeVar

from textual.widget import Widget

W = TypeVar("W", bound=Widget)


def titled(widget: W, title: str) -> W:
    widget.border_title = title
    return widget
