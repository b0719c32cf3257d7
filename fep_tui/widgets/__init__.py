"""Widgets of the trial screen; each renders from a Timeline snapshot or the pane fold."""
