"""PromptPrefix credits a prompt's prefix as attribute_counts does, block by block, on
random prompts: the same shares, to the token, including a read longer than the counted
prompt (spread pro rata) and one that ends inside a block."""

from __future__ import annotations

import random

import pytest

from engine.attribution import PromptPrefix, attribute_counts
from engine.usage import Usage

SOURCES = ["base", "task", "own", "tool_results", "summary 1", "summary 2"]


@pytest.mark.parametrize("seed", range(40))
def test_prefix_credit_equals_walking_the_blocks(seed: int) -> None:
    rng = random.Random(seed)
    blocks = [(rng.choice(SOURCES), rng.randint(1, 3000)) for _ in range(rng.randint(1, 60))]
    prefix = PromptPrefix(blocks)
    for _ in range(30):
        n = rng.randint(1, len(blocks))
        counted = sum(t for _, t in blocks[:n])
        # Reported input a little off the count (another tokenizer), and reads from none
        # to more than the counted prompt.
        total = max(1, int(counted * rng.uniform(0.8, 1.25)))
        read = rng.choice([0, rng.randint(0, total), total, total + rng.randint(1, 500)])
        usage = Usage.of(input_tokens=max(0, total - read), cache_read=read)
        assert prefix.credit(n, usage) == attribute_counts(blocks[:n], usage), (n, usage)
