"""Imported by the import's forkserver before it starts any worker (store.py): the modules
a worker converts and writes with, and the tokenizer's table (0.3 s to load), so that each
of the workers forked from it starts with them instead of loading them again."""

from __future__ import annotations

from engine.tokens import warm_up
from sessions.analysis.claude_code import store

__all__ = ["store"]

warm_up()
