"""The line under the panes: where a replay stands, or that a trial is live."""

from __future__ import annotations

from fep_tui.widgets.text_panel import TextPanel


class ReplayBar(TextPanel):
    DEFAULT_CSS = """
    ReplayBar { height: 1; padding: 0 1; background: $panel; }
    """
