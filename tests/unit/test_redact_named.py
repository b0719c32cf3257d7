"""Masking NAME_WITH_SECRET=value only where a name holds a guard, and keyword=value only
where a keyword and a sign are, gives what scanning the whole text with the pattern gives,
on random texts built from the pieces that matter: names with and without guards, signs,
quotes (escaped too), values with and without digits and letters, JSON keys such as
"cache_read_input_tokens", and Unicode letters."""

from __future__ import annotations

import random

import pytest

from sessions.redact import (
    _KEYWORD_VALUE,
    _NAMED_VALUE,
    MASK,
    Redactor,
    _mask_keyword_values,
    _mask_named_values,
)

PIECES = [
    "api_key", "API_KEY", "my_token", "cache_read_input_tokens", "input_tokens", "db_password",
    "secret_sauce", "AWS_ACCESS_KEY_ID", "aws_secret_access_key", "x", "é_key", "_key_",
    "=", ":", " = ", ": ", '"', "'", '\\"', "\\'", " ", "\n", ",", "{", "}", "[", "(",
    "abc12345xyz", "12345678", "abcdefghij", "s3cr3tV4lu3+/=", "15373675", "A1b2C3d4E5",
    "token", "password", "keyed", "monkey_keys", "é", "日本", "-", ".", "/", "apikey",
    "api-key", "Secret", "TOKEN", "passwords", "\t",
    # A no-break space (\s, not an ASCII space) and the Kelvin sign (lowers to "k");
    # one keyword's value running over the next keyword's sign.
    "\u00a0", "\u212a", 'secret="', "token:",
]  # fmt: skip


def _whole_scan(text: str) -> str:
    return _NAMED_VALUE.sub(lambda m: m.group(1) + MASK, text)


@pytest.mark.parametrize("seed", range(400))
def test_guarded_named_masking_equals_scanning_everything(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
    assert _mask_named_values(text, text.lower()) == _whole_scan(text), text
    whole = _KEYWORD_VALUE.sub(lambda m: m.group(1) + MASK, text)
    assert _mask_keyword_values(text, text.lower()) == whole, text


def test_a_session_usage_line_is_left_alone_and_a_named_secret_is_masked() -> None:
    line = '{"kind":"usage","usage":{"input_tokens":12,"cache_read_input_tokens":15373675}}'
    assert Redactor().text(line) == line
    env = 'export GITHUB_API_TOKEN="abc123def456ghi"; echo ok'
    assert Redactor().text(env) == f'export GITHUB_API_TOKEN="{MASK}"; echo ok'


def test_a_bearer_token_before_a_named_secret_masks_both() -> None:
    """The bearer mask shortens the text before the named one is looked for: positions
    found in the text as it was would cut the wrong characters."""
    text = "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345 then db_password=hunter2024x"
    assert Redactor().text(text) == f"Authorization: Bearer {MASK} then db_password={MASK}"
