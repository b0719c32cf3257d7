"""The published tasks on typer 0.26.8: T1 breakage recovery, T2 refactor, T3 feature-add.

The base (sdist plus a test environment) is provisioned once per machine; each trial works
on a fresh copy of the tree with a thin virtual environment layered over the shared one.
"""
