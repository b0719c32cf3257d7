"""Masking NAME_WITH_SECRET=value only where a name holds a guard, and keyword=value only
where a keyword and a sign are, gives what scanning the whole text with the pattern gives,
on random texts built from the pieces that matter: names with and without guards, signs,
quotes (escaped too), values with and without digits and letters, JSON keys such as
"cache_read_input_tokens", and Unicode letters."""

from __future__ import annotations

import json
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
    # A no-break space (\s, not an ASCII space), the Kelvin sign (lowers to "k"), the
    # long s and dotless i (a case-blind pattern takes them for s and i);
    # one keyword's value running over the next keyword's sign.
    "\u00a0", "\u212a", 'secret="', "token:",
    "\u017f", "\u0131", "_\u017fecret", "pa\u017f\u017fword",
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


LINE_PIECES = [
    *PIECES, "sk-ant-api03-abcdefgh1234", "Bearer abcdefghijklmnop12345", "AKIA0123456789ABCDEF",
    "https://user:hunter22@host/x", "-----BEGIN RSA PRIVATE KEY-----", "MIIEabc123",
    "-----END RSA PRIVATE KEY-----", "ghp_" + "a1" * 16,
]  # fmt: skip


@pytest.mark.parametrize("seed", range(200))
def test_masking_many_lines_at_once_equals_masking_each(seed: int) -> None:
    """An import masks a chunk of session lines in one pass (Redactor.lines); no mask may
    differ from masking each line alone, none may run from one line into the next (a PEM
    key's armour in one line and its end in another), and every line stays JSON."""
    rng = random.Random(seed)
    texts = ["".join(rng.choices(LINE_PIECES, k=rng.randint(0, 12))) for _ in range(12)]
    lines = [json.dumps({"kind": "text", "text": text}).encode() for text in texts]
    redactor = Redactor(extra_secrets=("literal-secret-1",) if seed % 2 else ())
    masked = redactor.lines(lines)
    assert masked == b"".join(redactor.line(line) + b"\n" for line in lines)
    assert all(json.loads(line) for line in masked.splitlines())
