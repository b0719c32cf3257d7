"""Before a live batch: one tiny real request per model the arms use, and what each found.

For an Anthropic model: the key is accepted, the model id exists, a request with a tool and
a cache breakpoint is accepted, and usage reports the cache buckets. For an Ollama model:
the server answers, the model is pulled and can call tools (engine/preflight.py), and a
chat with the arm's num_ctx reports its prompt tokens. Each request's cost is added up,
since live checks are billed. Against the simulator the same requests go to its servers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from engine.arms import ArmSpec, RoleSpec
from engine.pricing import RateCard

# Enough for a one-word answer; the check is that the request is accepted, not the reply.
PROBE_MAX_TOKENS = 16
PROBE_TOOL = {
    "name": "bash",
    "description": "Run a shell command in the repository.",
    "input_schema": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
}


@dataclass(frozen=True)
class Check:
    subject: str
    ok: bool
    detail: str
    cost_usd: float = 0.0
    seconds: float = 0.0


def models_of(arms: Iterable[ArmSpec]) -> list[RoleSpec]:
    """Each (provider, model) the arms use once, with the largest num_ctx asked for."""
    found: dict[tuple[str, str], RoleSpec] = {}
    for arm in arms:
        for spec in arm.roles().values():
            key = (spec.provider, spec.model)
            held = found.get(key)
            if held is None or spec.num_ctx > held.num_ctx:
                found[key] = spec
    return list(found.values())


async def run_checks(
    arms: Iterable[ArmSpec],
    card: RateCard,
    anthropic_url: str | None,
    anthropic_key: str | None,
    ollama_host: str,
) -> list[Check]:
    """Every model's check, in order; they all run, so one report shows every problem."""
    checks = []
    for spec in models_of(arms):
        if spec.provider == "anthropic":
            checks.append(await _anthropic(spec, card, anthropic_url, anthropic_key))
        else:
            checks.append(await _ollama(spec, ollama_host))
    return checks


def _since(started: float) -> float:
    return time.monotonic() - started


async def _anthropic(
    spec: RoleSpec, card: RateCard, base_url: str | None, api_key: str | None
) -> Check:
    import anthropic

    from engine.backends.anthropic_backend import RetryRecorder, make_client, usage_from_sdk

    subject = f"anthropic {spec.model}"
    if base_url is None and not (api_key or os.environ.get("ANTHROPIC_API_KEY")):
        return Check(subject, False, "ANTHROPIC_API_KEY is not set")
    client = make_client(base_url, api_key, RetryRecorder(max_retries=0))
    started = time.monotonic()
    try:
        reply = await client.messages.create(
            model=spec.model,
            max_tokens=PROBE_MAX_TOKENS,
            system=[
                {
                    "type": "text",
                    "text": "You check that a coding harness can reach you.",
                    "cache_control": {"type": "ephemeral"},
                }
            ],
            tools=[PROBE_TOOL],  # type: ignore[list-item]
            messages=[{"role": "user", "content": "Answer with one word: ready?"}],
        )
    except anthropic.APIError as exc:
        return Check(subject, False, _refused(exc, spec.model), seconds=_since(started))
    finally:
        await client.close()
    took = _since(started)
    usage = reply.usage
    cost = card.price(spec.model, "anthropic").cost(usage_from_sdk(usage))
    if usage.cache_creation_input_tokens is None or usage.cache_read_input_tokens is None:
        return Check(subject, False, "usage reports no cache buckets", cost, took)
    detail = (
        f"key, model, tools and cache breakpoint accepted; usage in {usage.input_tokens:,} "
        f"out {usage.output_tokens:,} cache write {usage.cache_creation_input_tokens:,} "
        f"read {usage.cache_read_input_tokens:,}"
    )
    return Check(subject, True, detail, cost, took)


def _refused(exc: Exception, model: str) -> str:
    """What an Anthropic error means for the run, in one line."""
    import anthropic

    if isinstance(exc, anthropic.AuthenticationError):
        return "the API key was refused (401); check ANTHROPIC_API_KEY"
    if isinstance(exc, anthropic.NotFoundError):
        return f"no model {model!r} (404); check the arm's model id"
    if isinstance(exc, anthropic.BadRequestError):
        return f"request refused (400): {_message(exc)}"
    if isinstance(exc, anthropic.APIStatusError):
        return f"HTTP {exc.status_code}: {_message(exc)}"
    return f"cannot reach the API ({type(exc).__name__})"


async def _ollama(spec: RoleSpec, host: str) -> Check:
    import httpx
    import ollama

    from engine.preflight import PreflightError, check_ollama

    subject = f"ollama {spec.model}"
    started = time.monotonic()
    try:
        await check_ollama(host, [spec.model])
    except PreflightError as exc:
        return Check(subject, False, str(exc), seconds=_since(started))
    client = ollama.AsyncClient(host=host)
    try:
        reply = await client.chat(
            model=spec.model,
            messages=[{"role": "user", "content": "Answer with one word: ready?"}],
            tools=[{"type": "function", "function": PROBE_TOOL_OLLAMA}],
            options={"num_ctx": spec.num_ctx, "num_predict": PROBE_MAX_TOKENS},
            stream=False,
        )
    except (ollama.ResponseError, httpx.HTTPError, ConnectionError) as exc:
        return Check(subject, False, f"chat failed at {host}: {exc}", seconds=_since(started))
    finally:
        await client._client.aclose()
    if reply.prompt_eval_count is None:
        return Check(
            subject,
            False,
            "the reply has no prompt_eval_count (tokens unknown)",
            0.0,
            _since(started),
        )
    detail = (
        f"reachable at {host}, pulled, can call tools; num_ctx {spec.num_ctx:,} accepted, "
        f"prompt {reply.prompt_eval_count:,} tokens (local: $0)"
    )
    return Check(subject, True, detail, 0.0, _since(started))


PROBE_TOOL_OLLAMA = {
    "name": PROBE_TOOL["name"],
    "description": PROBE_TOOL["description"],
    "parameters": PROBE_TOOL["input_schema"],
}


def _message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return str(exc)


def total_cost(checks: Iterable[Check]) -> float:
    return sum(c.cost_usd for c in checks)
