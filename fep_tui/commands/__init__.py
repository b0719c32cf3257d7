"""The command line's commands, one module per group, imported only when run.

fep_tui/cli.py registers each by import path, so `fep-tui --help` imports none of them.
"""
