"""A tool call that arrived as text: the model meant to call a tool and wrote the call out.

Ollama turns a model's tool-call output into `tool_calls` only when the model wraps it in
its template's tags (`<tool_call>...</tool_call>` for Qwen). A local model that drops the
tags leaves the call in `content`, and an agent loop that takes "no tool calls" for "done"
ends the executor with that text as its summary, the task undone (field reports in the
Ollama tracker for qwen3 and qwen3.5). The shapes recognised are the two Qwen writes:
qwen3.5's XML (`<function=bash>`, Ollama's model/parsers/qwen35.go) and the Hermes JSON
(`{"name": "bash", "arguments": ...}`) of qwen2.5/qwen3.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_SHAPES = (
    re.compile(r"<function=([A-Za-z0-9_.-]+)>"),
    re.compile(r'<tool_call>\s*\{\s*"name"\s*:\s*"([A-Za-z0-9_.-]+)"'),
    re.compile(r'^\s*\{\s*"name"\s*:\s*"([A-Za-z0-9_.-]+)"\s*,\s*"(?:arguments|parameters)"', re.M),
)

NUDGE = (
    "Your last reply wrote a tool call as text ({shape}); it was not run. Call the tool "
    "through the tool-calling interface."
)


def tool_call_in_text(text: str, tools: Collection[str]) -> str | None:
    """The shape of a call to one of `tools` written out in `text` (`<function=bash>`),
    or None. A tool the role does not have is prose about tools, not a call."""
    for shape in _SHAPES:
        for found in shape.finditer(text):
            if found.group(1) in tools:
                return found.group(0).strip()
    return None
