"""Tool calls and their results as a tree: one collapsed node per call, the result inside."""

from __future__ import annotations

import json

from rich.text import Text
from textual.widgets import Tree
from textual.widgets._tree import TreeNode

from sessions.panes import ToolEntry

_RESULT_LINES = 40


def call_label(entry: ToolEntry) -> Text:
    args = entry.input
    if "instruction" in args:
        brief = str(args["instruction"]).splitlines()[0]
    elif "path" in args:
        brief = f"{args.get('command', '')} {args['path']}"
    else:
        brief = str(args.get("command", json.dumps(args)))
    role = {"orchestrator": "orch", "executor": "exec"}.get(entry.role, entry.role)
    label = Text(f"t{entry.turn} {role} ", style="dim")
    label.append(f"{entry.name} ", style="bold cyan")
    label.append(brief[:70])
    if entry.refused:
        label.append(" REFUSED", style="bold red")
    elif entry.is_error:
        label.append(" error", style="red")
    return label


class ToolTree(Tree[str]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("tool calls", id=id)
        self.show_root = False
        self._call_nodes: dict[str, TreeNode[str]] = {}
        self._filled: set[str] = set()

    def forget(self) -> None:
        self.clear()
        self._call_nodes.clear()
        self._filled.clear()

    def show(self, entries: list[ToolEntry]) -> None:
        for entry in entries:
            node = self._call_nodes.get(entry.call_id)
            if node is None:
                node = self.root.add(call_label(entry), entry.call_id, expand=False)
                self._call_nodes[entry.call_id] = node
            if entry.output is not None and entry.call_id not in self._filled:
                node.set_label(call_label(entry))
                lines = entry.output.splitlines() or ["(no output)"]
                for line in lines[:_RESULT_LINES]:
                    node.add_leaf(Text(line, style="red" if entry.is_error else ""))
                if len(lines) > _RESULT_LINES:
                    node.add_leaf(Text(f"… {len(lines) - _RESULT_LINES} more lines", style="dim"))
                self._filled.add(entry.call_id)
