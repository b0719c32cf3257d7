"""Tool calls and their results as a tree: one collapsed node per call, the result inside.

Result lines are added when a node is first expanded, so a seek that shows hundreds of
calls adds hundreds of nodes, not tens of thousands of lines.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from fep_tui.roles import short_role
from sessions.panes import ToolEntry, describe_call

_RESULT_LINES = 40
_MAX_CALLS = 200


def call_label(entry: ToolEntry) -> Text:
    label = Text(f"t{entry.turn} {short_role(entry.role)} ", style="dim")
    label.append(f"{entry.name} ", style="bold cyan")
    label.append(describe_call(entry.name, entry.input, 70))
    if entry.refused:
        label.append(" REFUSED", style="bold red")
    elif entry.is_error:
        label.append(" error", style="red")
    elif entry.output is None:
        label.append(" …", style="dim")
    return label


class ToolTree(Tree[str]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("tool calls", id=id)
        self.show_root = False
        self._call_nodes: dict[str, TreeNode[str]] = {}
        self._entries: dict[str, ToolEntry] = {}
        self._answered: set[str] = set()
        self._filled: set[str] = set()

    def forget(self) -> None:
        self.clear()
        self._call_nodes.clear()
        self._entries.clear()
        self._answered.clear()
        self._filled.clear()

    def show(self, entries: list[ToolEntry]) -> None:
        # A cursor resting on the newest call keeps following, like `tail -f`; one moved up
        # or onto an opened call stays where the user put it.
        following = self.cursor_line < 0 or self.cursor_line == self.last_line
        added = False
        for entry in entries[-_MAX_CALLS:]:
            node = self._call_nodes.get(entry.call_id)
            if node is None:
                added = True
                node = self.root.add(call_label(entry), entry.call_id, expand=False)
                self._call_nodes[entry.call_id] = node
                self._entries[entry.call_id] = entry
            if entry.output is not None and entry.call_id not in self._answered:
                node.set_label(call_label(entry))
                self._answered.add(entry.call_id)
        while len(self._call_nodes) > _MAX_CALLS:
            oldest = next(iter(self._call_nodes))
            self._call_nodes.pop(oldest).remove()
            self._entries.pop(oldest, None)
        if added and following:
            if self.cursor_line >= 0 or self.has_focus:
                self.cursor_line = self.last_line
            self.scroll_end(animate=False)

    def on_focus(self, event: events.Focus) -> None:
        # Without a cursor, enter does nothing: a newcomer tabs here and presses enter.
        if self.cursor_line < 0 and self.root.children:
            self.cursor_line = self.last_line
            self.scroll_to_line(self.cursor_line, animate=False)

    @on(Tree.NodeExpanded)
    def _fill(self, event: Tree.NodeExpanded[str]) -> None:
        call_id = event.node.data
        entry = self._entries.get(call_id) if call_id is not None else None
        if entry is None or call_id is None:
            return
        # The result opens below the call, often below a five-line pane: bring it into view.
        self.call_after_refresh(self._reveal, event.node)
        if call_id in self._filled:
            return
        lines = (entry.output or "(no result yet)").splitlines() or ["(no output)"]
        for line in lines[:_RESULT_LINES]:
            event.node.add_leaf(Text(line, style="red" if entry.is_error else ""))
        if len(lines) > _RESULT_LINES:
            event.node.add_leaf(Text(f"… {len(lines) - _RESULT_LINES} more lines", style="dim"))
        if entry.output is not None:
            self._filled.add(call_id)

    def _reveal(self, node: TreeNode[str]) -> None:
        """Scroll so the opened call and as much of its result as fits are in view."""
        if not node.is_expanded or self.last_line < 0 or node.line < 0:
            return
        self.scroll_to_line(node.line + len(node.children), animate=False)
        self.scroll_to_line(node.line, animate=False)
