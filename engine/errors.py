"""`FepError`, the base of every problem a user can fix (defined in tasks/errors.py, the
lowest package, so tasks can raise it without importing the engine)."""

from __future__ import annotations

from tasks.errors import FepError

__all__ = ["FepError"]
