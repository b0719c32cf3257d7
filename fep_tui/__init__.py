"""fep-tui: watch, replay and compare multi-model coding-agent trials."""
