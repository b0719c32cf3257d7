"""Secrets never reach a session file: API keys and credential-looking strings are masked."""

from __future__ import annotations

import os
import re
from typing import Any

MASK = "[REDACTED]"
_SECRET_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OLLAMA_API_KEY")
_PATTERNS = (
    re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.=]{16,}"),
    # A value: 8+ token characters including a digit. Source code the agent reads has
    # `password: Annotated[str, ...]` and `token: str`; those are annotations, not secrets.
    re.compile(
        r"(?i)((?:api[_-]?key|secret|token|password)\s*[=:]\s*)['\"]?"
        r"(?=[A-Za-z0-9_\-.+/=]*\d)[A-Za-z0-9_\-.+/=]{8,}(?![\[(])"
    ),
)


class Redactor:
    def __init__(self, extra_secrets: tuple[str, ...] = ()) -> None:
        values = [os.environ.get(name, "") for name in _SECRET_ENV] + list(extra_secrets)
        self._literals = sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for literal in self._literals:
            value = value.replace(literal, MASK)
        for pattern in _PATTERNS:
            value = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value
