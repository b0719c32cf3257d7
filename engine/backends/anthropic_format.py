"""Engine conversation -> Anthropic Messages request, with the published cache breakpoints.

Breakpoints sit where the published experiment put them: the system prompt, the last tool
definition and the latest user message (three of the four allowed). The flattened
(source, block) list returned beside the request is what re-read attribution counts.
"""

from __future__ import annotations

from typing import Any

from engine.messages import (
    SOURCE_BASE,
    Message,
    ModelRequest,
    RawBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)

EPHEMERAL: dict[str, str] = {"type": "ephemeral"}

SourcedBlock = tuple[str, dict[str, Any]]


def build_request(request: ModelRequest) -> tuple[dict[str, Any], list[SourcedBlock]]:
    tools = [
        {"name": t.name, "description": t.description, "input_schema": t.input_schema}
        for t in request.tools
    ]
    if tools:
        tools[-1]["cache_control"] = EPHEMERAL
    # Server tools first, so the last custom tool keeps the breakpoint as published.
    tools = [dict(t) for t in request.server_tools] + tools
    system = [{"type": "text", "text": request.system, "cache_control": EPHEMERAL}]
    last_user = max((i for i, m in enumerate(request.messages) if m.role == "user"), default=-1)
    messages = []
    flat: list[SourcedBlock] = [(SOURCE_BASE, t) for t in tools] + [(SOURCE_BASE, system[0])]
    for index, message in enumerate(request.messages):
        # The API rejects text blocks that are empty or only whitespace ("text content
        # blocks must contain non-whitespace text"), yet has itself returned `text: ""`
        # before a tool call: such a block is dropped when the turn is sent back.
        # Thinking blocks come only from a local model's turns, which never reach Anthropic.
        kept = [
            b
            for b in message.blocks
            if not isinstance(b, ThinkingBlock)
            and not (isinstance(b, TextBlock) and not b.text.strip())
        ]
        if not kept:
            continue
        content = [_block(b) for b in kept]
        if index == last_user and content:
            content[-1] = {**content[-1], "cache_control": EPHEMERAL}
        messages.append({"role": message.role, "content": content})
        flat += [(_source(message, b), wire) for b, wire in zip(kept, content, strict=True)]
    kwargs: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "system": system,
        "messages": messages,
    }
    if tools:
        kwargs["tools"] = tools
    if request.inference_geo is not None:
        kwargs["inference_geo"] = request.inference_geo
    return kwargs, flat


def _source(message: Message, block: TextBlock | ToolUseBlock | ToolResultBlock | RawBlock) -> str:
    return block.source if isinstance(block, ToolResultBlock) else message.source


def _block(block: TextBlock | ToolUseBlock | ToolResultBlock | RawBlock) -> dict[str, Any]:
    if isinstance(block, RawBlock):
        return dict(block.data)
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    result: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": block.tool_use_id,
        "content": block.content or "(no output)",
    }
    if block.is_error:
        result["is_error"] = True
    return result
