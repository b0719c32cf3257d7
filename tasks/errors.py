"""The one base class of problems a user can fix.

Each subclass's message names the problem and the fix in one line; the command line prints
it with exit code 2 and the app shows it as a notification. Catching `FepError` catches
them all, so no caller keeps a list of error types in step with the code.

It lives here, in the lowest package, because tasks, the engine and sessions all raise
such errors and tasks imports neither of the others; `engine.errors` re-exports it.
"""

from __future__ import annotations


class FepError(Exception):
    pass
