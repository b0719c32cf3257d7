"""Secrets never reach a session file: API keys and credential-looking strings are masked."""

from __future__ import annotations

import os
import re

MASK = "[REDACTED]"
_SECRET_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OLLAMA_API_KEY")
_API_KEY = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=]{16,}")
# A value: 8+ token characters including a digit. Source code the agent reads has
# `password: Annotated[str, ...]` and `token: str`; those are annotations, not secrets.
# The quote may be escaped (`\"`): a whole JSON line is redacted at once (Redactor.line).
# The opening quote is kept, so the mask reads as the quoted value it replaces.
_KEYWORD_VALUE = re.compile(
    r"(?i)((?:api[_-]?key|secret|token|password)\s*[=:]\s*(?:\\?['\"])?)"
    r"(?=[A-Za-z0-9_\-.+/=]*\d)[A-Za-z0-9_\-.+/=]{8,}(?![\[(])"
)
# Where a _KEYWORD_VALUE match can start. Found with str.find on a lowered copy and the
# pattern tried only there: scanning every position of a long tool result with the
# case-blind pattern costs ~100 us per 3 KB, and transcripts are mostly such text.
_KEYWORD_STARTS = ("api", "secret", "token", "password")


def _keyword_then_sign(low: str, at: int) -> bool:
    """Cheap test of what _KEYWORD_VALUE needs after a keyword start: `key` after `api`
    (`apikey`, `api_key`, `api-key`), then spaces and = or :. Most hits are words like
    `tokens` or `capital`, and this skips the pattern for them."""
    end = at
    if low.startswith("api", at):
        end = at + 3
        if low[end : end + 1] in ("_", "-"):
            end += 1
        if not low.startswith("key", end):
            return False
        end += 3
    else:
        end = at + next(len(w) for w in _KEYWORD_STARTS[1:] if low.startswith(w, at))
    while end < len(low) and low[end] in " \t\r\n":
        end += 1
    return end < len(low) and low[end] in "=:"


def _mask_keyword_values(value: str) -> str:
    low = value.lower()
    if len(low) != len(value):
        # Lowering changed the length (a few Unicode letters do): positions would not
        # line up, so scan the plain way.
        return _KEYWORD_VALUE.sub(lambda m: m.group(1) + MASK, value)
    starts = []
    for word in _KEYWORD_STARTS:
        at = low.find(word)
        while at >= 0:
            starts.append(at)
            at = low.find(word, at + 1)
    pieces: list[str] = []
    last = 0
    for at in sorted(starts):
        if at < last or not _keyword_then_sign(low, at):
            continue
        match = _KEYWORD_VALUE.match(value, at)
        if match is not None:
            pieces += [value[last:at], match.group(1), MASK]
            last = match.end()
    if not pieces:
        return value
    pieces.append(value[last:])
    return "".join(pieces)


class Redactor:
    def __init__(self, extra_secrets: tuple[str, ...] = ()) -> None:
        values = [os.environ.get(name, "") for name in _SECRET_ENV] + list(extra_secrets)
        self._literals = sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for literal in self._literals:
            value = value.replace(literal, MASK)
        if "sk-ant-" in value:
            value = _API_KEY.sub(MASK, value)
        if "bearer" in value.lower():
            value = _BEARER.sub(lambda m: m.group(1) + MASK, value)
        return _mask_keyword_values(value)

    def line(self, encoded: bytes) -> bytes:
        """A JSON line with its secrets masked, in one pass over its text. The masks replace
        only characters that never need escaping, so the line stays valid JSON."""
        text = encoded.decode("utf-8")
        masked = self.text(text)
        return encoded if masked is text else masked.encode("utf-8")
