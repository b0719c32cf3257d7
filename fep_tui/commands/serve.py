"""`fep-tui serve`: the whole app in a browser, through textual-serve.

Each browser tab gets its own app process, started as `fep-tui` is from a terminal, on the
same sessions directory. On 127.0.0.1 (the default) only this machine can reach it. Bound
elsewhere it has no authentication of its own; `--token` then makes every tab show the
token once (`http://HOST:PORT/?token=...`), after which a cookie carries it.
`--read-only` serves the sessions to look at: new trials, deletes, imports and chart
exports are refused, one line each (fep_tui/write_guard.py).
"""

from __future__ import annotations

import hmac
import os
import shlex
import sys
from typing import Annotated, Any

from cyclopts import Parameter

from fep_tui.commands.common import warn
from fep_tui.commands.options import Flag, SessionsDir, UsageError

DEFAULT_PORT = 8765
_COOKIE = "fep_tui_token"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    *,
    host: Annotated[str, Parameter(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, Parameter(help="port to listen on")] = DEFAULT_PORT,
    token: Annotated[
        str | None, Parameter(help="require ?token=TOKEN on the first visit of each browser")
    ] = None,
    sessions_dir: SessionsDir = None,
    read_only: Annotated[
        bool, Flag, Parameter(help="browse only: no new trials, deletes or imports")
    ] = False,
) -> int:
    """Serve the app to a browser: http://127.0.0.1:8765 by default."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise UsageError("serving needs textual-serve: pip install 'fep-tui[serve]'") from None
    if not 0 < port < 65536:
        raise UsageError(f"--port {port}: give a port from 1 to 65535")
    if host not in _LOOPBACK and token is None:
        can = "read every session" if read_only else "run trials (and spend on live APIs)"
        warn(
            f"serving on {host} with no authentication: anyone who can reach it can {can}; "
            "pass --token"
        )
    if sessions_dir is not None:
        os.environ["FEP_SESSIONS_DIR"] = str(sessions_dir)
    command = shlex.join(
        [sys.executable, "-m", "fep_tui.cli", *(["--read-only"] if read_only else [])]
    )

    class Guarded(Server):
        async def _make_app(self) -> Any:
            # textual-serve's own builder, overridden to add the token check
            # (fep_tui/textual_compat.py lists every such private hook).
            app = await super()._make_app()
            if token is not None:
                app.middlewares.append(_token_middleware(token))
            return app

    Guarded(command, host=host, port=port, title="fep-tui").serve()
    return 0


def _token_middleware(token: str) -> Any:
    from aiohttp import web

    @web.middleware
    async def check(request: web.Request, handler: Any) -> Any:
        given = request.query.get("token") or request.cookies.get(_COOKIE, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise web.HTTPUnauthorized(text="fep-tui serve: open the URL with ?token=TOKEN\n")
        response = await handler(request)
        if "token" in request.query and isinstance(response, web.StreamResponse):
            response.set_cookie(_COOKIE, token, httponly=True, samesite="Strict")
        return response

    return check
