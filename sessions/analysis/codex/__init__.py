"""Codex CLI sessions (`~/.codex/sessions/**/rollout-*.jsonl`) as fep-tui trials."""
