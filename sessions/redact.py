"""Secrets never reach a session file: API keys and credential-looking strings are masked."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

MASK = "[REDACTED]"
_SECRET_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OLLAMA_API_KEY")
# Any variable of the caller's environment whose name says it holds a secret: its value is
# masked wherever it appears, whatever its shape.
_SECRET_NAME = re.compile(r"(?i)(key|token|secret|passw|credential|auth)")
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
# _KEYWORD_VALUE for a lowered copy of the text, one pattern per keyword: each starts with
# a literal, which the regex engine finds with a fast substring search, and tries the rest
# in C. A case-blind alternation of the four is tried at every position (~100 us per 3 KB
# of tool result), and a Python loop over each place a keyword appears was 0.6 s of an
# import of 300 sessions (every session line has "tokens" in its keys).
_KEYWORD_VALUES_LOWERED = tuple(
    re.compile(
        rf"({keyword}\s*[=:]\s*(?:\\?['\"])?)"
        r"(?=[a-z0-9_\-.+/=]*\d)[a-z0-9_\-.+/=]{8,}(?![\[(])"
    )
    for keyword in ("api[_-]?key", "secret", "token", "password")
)


def _lowered_matches(value: str, low: str) -> bool:
    """Whether a search of the lowered text finds what a case-blind one of the text does:
    lowering kept every position (a few Unicode letters lengthen), and no long s or dotless
    i is there (the case-blind pattern takes them for s and i; lowering keeps them)."""
    return len(low) == len(value) and "\u017f" not in low and "\u0131" not in low


def _mask_keyword_values(value: str, low: str) -> str:
    if not _lowered_matches(value, low):
        return _KEYWORD_VALUE.sub(lambda m: m.group(1) + MASK, value)
    # One left-to-right scan, as the single pattern makes: the leftmost match of any
    # keyword is taken, and a keyword whose next match began inside it looks again after
    # it (no keyword is part of another, so two never start at one place).
    heads = [(pattern, pattern.search(low)) for pattern in _KEYWORD_VALUES_LOWERED]
    pieces: list[str] = []
    last = 0
    while True:
        found = [(m.start(), i) for i, (_, m) in enumerate(heads) if m is not None]
        if not found:
            break
        _, first = min(found)
        match = heads[first][1]
        assert match is not None
        pieces += [value[last : match.end(1)], MASK]
        last = match.end()
        heads = [
            (pattern, pattern.search(low, last) if m is not None and m.start() < last else m)
            for pattern, m in heads
        ]
    if not pieces:
        return value
    pieces.append(value[last:])
    return "".join(pieces)


# Credential formats, each tried only where a cheap substring says it may be: (guard, pattern,
# replacement). Formats from the issuers' documentation: AWS access key ids (AKIA/ASIA +
# 16), GitHub tokens (ghp_/gho_/ghu_/ghs_/ghr_, github_pat_), OpenAI keys (sk-, sk-proj-),
# Slack tokens (xoxb- and kin), Google API keys (AIza + 35), PEM private keys (the body
# between the armour lines), and the password in a URL (scheme://user:PASSWORD@host).
_SHAPES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    (("AKIA", "ASIA"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
        MASK,
    ),
    (("sk-",), re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"), MASK),
    (("xox",), re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), MASK),
    (("AIza",), re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"), MASK),
    (
        ("PRIVATE KEY-----",),
        re.compile(
            r"(-----BEGIN [A-Z ]*PRIVATE KEY-----)(?:(?!-----END).)*?"
            r"(-----END [A-Z ]*PRIVATE KEY-----)",
            re.DOTALL,
        ),
        rf"\1{MASK}\2",
    ),
    (
        ("://",),
        re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@\"']+:)([^/\s@\"']{3,})(@)"),
        rf"\1{MASK}\3",
    ),
)
# NAME_WITH_SECRET=value and "name_token": "value": a name containing KEY, TOKEN, SECRET or
# PASSWORD, then a value of 8+ token characters with a digit (an annotation has none) and a
# letter (a session's own `"cache_read_input_tokens":15373675` is a count, not a secret).
_NAMED_VALUE = re.compile(
    r"(?i)(\b[A-Za-z0-9_]*(?:_key|_token|_secret|secret_|_password|access_key)[A-Za-z0-9_]*"
    r"(?:\\?['\"])?\s*[=:]\s*(?:\\?['\"])?)"
    r"(?=[A-Za-z0-9_\-.+/=]*\d)(?=[A-Za-z0-9_\-.+/=]*[A-Za-z])[A-Za-z0-9_\-.+/=]{8,}"
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
# Every guard, in two patterns that each start with a literal (found by a fast substring
# search, four times faster than one alternation): `access_key` holds `_key`. Guards are
# name characters only, so a hit either skips by not overlapping lies in the same name,
# whose start is all that is needed.
# Each guard also looks ahead for the rest of a match (the name's end, a sign, a value), in
# C: a session line's own keys (`"input_tokens":12`) hold a guard but no value, and walking
# back to each one's name start in Python was most of the masking's time. The lookahead is
# case-blind on the lowered text, which classes each character as the pattern classes the
# original (lowering maps ASCII letters, the Kelvin sign, dotless i and long s into the
# case-blind [a-z]; a length-changing lowering takes the plain path).
_AFTER_GUARD = (
    r"(?=(?i:[A-Za-z0-9_]*(?:\\?['\"])?\s*[=:]\s*(?:\\?['\"])?"
    r"(?=[A-Za-z0-9_\-.+/=]*\d)(?=[A-Za-z0-9_\-.+/=]*[A-Za-z])[A-Za-z0-9_\-.+/=]{8,}))"
)
_NAMED_GUARD_PATTERNS = (
    re.compile("_(?:key|token|secret|password)" + _AFTER_GUARD),
    re.compile("secret_" + _AFTER_GUARD),
)
# Any credential format's guard: most lines have none, and one search says so.
_ANY_SHAPE = re.compile("|".join(re.escape(g) for guards, _, _ in _SHAPES for g in guards))


def _mask_named_values(value: str, low: str) -> str:
    """_NAMED_VALUE's masks, with the pattern tried only at the start of a name that holds
    a guard: a match can start nowhere else (it opens with a word boundary and name
    characters). Every session line has `"input_tokens"` or `"cache_read_input_tokens"`,
    and scanning each whole line with the case-blind pattern was 0.9 s of 1.5 s of
    redacting an import (bench/import_traces.py)."""
    if not _lowered_matches(value, low):
        return _NAMED_VALUE.sub(lambda m: m.group(1) + MASK, value)
    starts: set[int] = set()
    for guard in (hit for pattern in _NAMED_GUARD_PATTERNS for hit in pattern.finditer(low)):
        start = guard.start()
        while start > 0 and low[start - 1] in _NAME_CHARS:
            start -= 1
        starts.add(start)
    pieces: list[str] = []
    last = 0
    for start in sorted(starts):
        if start < last:
            continue
        match = _NAMED_VALUE.match(value, start)
        if match is not None:
            pieces += [value[last:start], match.group(1), MASK]
            last = match.end()
    if not pieces:
        return value
    pieces.append(value[last:])
    return "".join(pieces)


class Redactor:
    def __init__(self, extra_secrets: tuple[str, ...] = ()) -> None:
        values = [os.environ.get(name, "") for name in _SECRET_ENV] + list(extra_secrets)
        # Only values that look like one: a flag (`AUTH_MODE=password`) or a path would
        # mask an ordinary word or path everywhere.
        values += [
            v
            for k, v in os.environ.items()
            if _SECRET_NAME.search(k) and len(v) >= 12 and not v.startswith("/") and " " not in v
        ]
        self._literals = sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)
        # A literal with a newline could match across two lines masked at once (`lines`).
        self._literal_spans_lines = any("\n" in v for v in self._literals)

    def text(self, value: str) -> str:
        for literal in self._literals:
            if literal in value:
                value = value.replace(literal, MASK)
        if "sk-ant-" in value:
            value = _API_KEY.sub(MASK, value)
        if _ANY_SHAPE.search(value):
            for guards, pattern, replacement in _SHAPES:
                if any(guard in value for guard in guards):
                    value = pattern.sub(replacement, value)
        low = value.lower()
        if "bearer" in low:
            value = _BEARER.sub(lambda m: m.group(1) + MASK, value)
            low = value.lower()
        masked = _mask_named_values(value, low)
        return _mask_keyword_values(masked, low if masked is value else masked.lower())

    def lines(self, encoded: Sequence[bytes]) -> bytes:
        """JSON lines with their secrets masked, each followed by a newline: one pass over
        them all, as `line` masks each (tested equal). Per line, the Python around each
        pattern was most of the masking of an import (bench/import_traces.py). No mask
        spans a line: a JSON line holds no raw newline and ends in a brace, which no
        pattern takes, save a PEM key's body and a literal with a newline, done a line at
        a time."""
        joined = b"\n".join(encoded) + b"\n"
        if self._literal_spans_lines or b"PRIVATE KEY-----" in joined:
            return b"".join(self.line(one) + b"\n" for one in encoded)
        return self.line(joined)

    def line(self, encoded: bytes) -> bytes:
        """A JSON line with its secrets masked, in one pass over its text. The masks replace
        only characters that never need escaping, so the line stays valid JSON."""
        text = encoded.decode("utf-8")
        masked = self.text(text)
        return encoded if masked is text else masked.encode("utf-8")
