"""Checks before a live trial spends anything: is Ollama up, does it have the model."""

from __future__ import annotations

from engine.errors import FepError

PREFLIGHT_TIMEOUT_S = 2.0


class PreflightError(FepError, RuntimeError):
    """One line naming what is missing and how to fix it."""


async def check_ollama(
    host: str, models: list[str], timeout_s: float = PREFLIGHT_TIMEOUT_S
) -> None:
    # Imported here: see engine/backends/__init__.py on import cost. httpx brings its
    # command line (click, pygments, rich.syntax) with it: 40-60 ms of every app start.
    import httpx
    import ollama

    client = ollama.AsyncClient(host=host, timeout=timeout_s)
    try:
        try:
            listed = await client.list()
        except (ConnectionError, httpx.HTTPError, ollama.ResponseError) as exc:
            raise PreflightError(
                f"cannot reach Ollama at {host} ({type(exc).__name__}); start it with "
                "`ollama serve` or point OLLAMA_HOST at a running server"
            ) from None
        names = {m.model for m in listed.models if m.model}
        for model in models:
            if model not in names and f"{model}:latest" not in names:
                raise PreflightError(
                    f"Ollama at {host} (OLLAMA_HOST) has no model {model!r}; "
                    f"run: ollama pull {model}"
                )
            # A model that cannot call tools answers every turn with a 400: say so before
            # any paid turn of the orchestrator.
            try:
                shown = await client.show(model)
            except (ConnectionError, httpx.HTTPError, ollama.ResponseError, ValueError) as exc:
                raise PreflightError(
                    f"Ollama at {host} did not describe {model!r} (/api/show: "
                    f"{type(exc).__name__}); check the server's version"
                ) from None
            capabilities = list(shown.capabilities or [])
            if "tools" not in capabilities:
                raise PreflightError(
                    f"Ollama model {model!r} cannot call tools (its capabilities: "
                    f"{', '.join(capabilities) or 'none listed'}); pick one that can, "
                    "e.g. qwen3.5:9b"
                )
    finally:
        await client._client.aclose()
