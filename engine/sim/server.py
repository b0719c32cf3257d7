"""The simulator: a loopback HTTP service speaking the Anthropic Messages API and Ollama chat.

The engine reaches it only through the official `anthropic` and `ollama` clients, pointed
at `SimulatorServer.url`. Replies come from the scripted agents; usage from tiktoken counts
and the prompt-cache model. Time is a simulated clock advanced by each reply's modelled
latency, plus the real time between one reply's end and the next request (the agent's
tools and the judge run for real, and a cache entry expires during them as it would live).
Every response carries `x-fep-simulated: true`.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec

from engine.advisor_pairs import advisor_pair_problem
from engine.arms import ADVISOR_BETA
from engine.billing import accepts_inference_geo
from engine.caching import CacheRuleError, PromptCache
from engine.pricing import model_alias, retirement
from engine.sim import anthropic_wire, ollama_wire
from engine.sim.agents import Scenario, next_turn
from engine.sim.faults import OLLAMA_STATUS_FAULTS, Fault
from engine.sim.pacing import paced
from engine.sim.profiles import (
    ANTHROPIC_MODELS,
    OLLAMA_CAPABILITIES,
    OLLAMA_MODELS,
    profile_for,
)
from engine.usage import Usage

_FIRST_TOKEN_S = 0.4
_MODEL_LOAD_S = 2.5


@dataclass
class BilledRequest:
    """What the simulator billed for one successful request (for tests and audits)."""

    api: str
    model: str
    usage: Usage


@dataclass
class _State:
    scenario: Scenario
    faults: list[Fault]
    clock_s: float = 0.0
    # When the last reply ended (the wall clock), while no request is being served.
    idle_since: float | None = None
    attempts: dict[str, int] = field(default_factory=lambda: {"anthropic": 0, "ollama": 0})
    messages_served: int = 0
    billed: list[BilledRequest] = field(default_factory=list)
    ollama_prefix: dict[str, tuple[int, ...]] = field(default_factory=dict)
    ollama_loaded: set[str] = field(default_factory=set)
    # The last request bodies per API, so tests can see exactly what a client sent.
    received: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"anthropic": [], "ollama": []}
    )


# How often the serving loop looks for a stop.
STOP_POLL_S = 0.02


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-stream (a cancelled trial, a quitting app) is
        # ordinary; the standard server prints a traceback for it.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SimulatorServer:
    """Start with `with SimulatorServer(scenario) as sim:`; `sim.url` is the base URL."""

    def __init__(
        self,
        scenario: Scenario,
        faults: Sequence[Fault] = (),
        stream_delay_s: float = 0.0,
    ) -> None:
        self._lock = threading.Lock()
        self._state = _State(scenario, list(faults))
        self._cache = PromptCache(lambda: self._state.clock_s)
        # The wall clock the time between requests is read from (a test can move it).
        self.wall_clock: Callable[[], float] = time.monotonic
        self.stream_delay_s = stream_delay_s
        # Seconds slept so far to pace streams for a viewer: not part of the trial's time.
        self.paced_s = 0.0
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def paced(self, seconds: float) -> None:
        with self._lock:
            self.paced_s += seconds

    def received(self, api: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._state.received[api])

    @property
    def billed(self) -> list[BilledRequest]:
        with self._lock:
            return list(self._state.billed)

    def start(self) -> SimulatorServer:
        # Stopping waits for the serving loop's next poll, on the engine's loop that every
        # running trial shares: at the standard 0.5 s, each trial's end stalled the others.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": STOP_POLL_S},
            name="fep-sim",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from handler threads) ---------------------------------

    def take_fault(self, api: str) -> Fault | None:
        with self._lock:
            self._state.attempts[api] += 1
            attempt = self._state.attempts[api]
            for fault in self._state.faults:
                if fault.api == api and fault.attempt == attempt:
                    return fault
        return None

    def request_done(self) -> None:
        """A reply has been sent: from now until the next request, the trial's own work
        (its tools, the judge) is what the clock counts."""
        with self._lock:
            self._state.idle_since = self.wall_clock()

    def request_begins(self) -> None:
        """Add the real time since the last reply (tools, the judge, a client's wait before
        a retry) to the clock."""
        with self._lock:
            if self._state.idle_since is not None:
                self._state.clock_s += max(0.0, self.wall_clock() - self._state.idle_since)
                self._state.idle_since = None

    def anthropic_reply(
        self,
        body: dict[str, Any],
        betas: frozenset[str] = frozenset(),
        fault: Fault | None = None,
    ) -> tuple[anthropic_wire.ParsedRequest, dict[str, Any]]:
        self._keep("anthropic", body)
        parsed = anthropic_wire.parse_request(body)
        # Dated ids are served as their alias; retired models are not served at all.
        if model_alias(parsed.model) not in ANTHROPIC_MODELS or retirement(parsed.model):
            raise _NotFound(f"model: {parsed.model}")
        parsed = replace(parsed, model=model_alias(parsed.model))
        if parsed.transcript.advisor_model and ADVISOR_BETA not in betas:
            raise anthropic_wire.WireError(
                f"the advisor tool needs the anthropic-beta header {ADVISOR_BETA}"
            )
        if parsed.transcript.advisor_model:
            problem = advisor_pair_problem(parsed.model, parsed.transcript.advisor_model)
            if problem is not None:
                raise anthropic_wire.WireError(f"tools.0.advisor.model: {problem}")
        profile = profile_for(parsed.model)
        turn = next_turn(parsed.transcript, profile, self._state.scenario)
        with self._lock:
            self._state.messages_served += 1
            serial = self._state.messages_served
            input_side = self._cache.process(parsed.model, parsed.blocks, parsed.automatic_ttl)
            blocks = anthropic_wire.content_blocks(turn, f"toolu_sim{serial:04d}")
            split_at = anthropic_wire.paused_and_rest(blocks)
            if parsed.paused_call is not None and split_at is not None:
                return parsed, self._resumed(parsed, input_side, blocks, split_at[1], serial)
            if fault is not None and fault.kind == "blank_text":
                blocks = [{"type": "text", "text": ""}, *blocks]
            out = anthropic_wire.output_tokens(blocks)
            stop_reason: str | None = None
            if fault is not None and fault.kind == "max_tokens_cut":
                # The reply ran out of room inside its last tool call: the model wrote up
                # to max_tokens, and that is what is billed.
                stop_reason, out = "max_tokens", parsed.max_tokens
            elif fault is not None and fault.kind == "empty_end_turn":
                # "an empty response (2-3 tokens, no content) with stop_reason end_turn"
                # (docs: build-with-claude/handling-stop-reasons).
                blocks, stop_reason, out = [], "end_turn", 3
            elif fault is not None and fault.kind == "refusal":
                # Refused before any output: nothing is billed (handle-streaming-refusals).
                blocks, stop_reason, out = [], "refusal", 0
            elif fault is not None and fault.kind == "pause_turn" and split_at is not None:
                # The advisor call is still pending: the reply stops after it, and only the
                # executor's first pass is billed so far.
                blocks, stop_reason = split_at[0], "pause_turn"
                out = anthropic_wire.output_tokens(blocks)
            usage = Usage(
                input_side.input_tokens,
                out,
                input_side.cache_write_5m,
                input_side.cache_write_1h,
                input_side.cache_read,
            )
            iterations: list[dict[str, Any]] | None = None
            advisor_usage = None
            split = anthropic_wire.advice_split(blocks)
            if stop_reason == "pause_turn":
                iterations = [_iteration("message", usage)]
            elif split is not None and parsed.transcript.advisor_model:
                usage, advisor_usage, iterations = _advised(parsed, input_side, split)
            self._state.clock_s += (
                _FIRST_TOKEN_S
                + (usage.input_tokens + usage.cache_write) / profile.prefill_tokens_per_s
                + out / profile.output_tokens_per_s
            )
            if stop_reason == "refusal":
                usage = Usage.of()
            self._state.billed.append(BilledRequest("anthropic", parsed.model, usage))
            if advisor_usage is not None and parsed.transcript.advisor_model:
                advisor = parsed.transcript.advisor_model
                self._state.billed.append(BilledRequest("anthropic", advisor, advisor_usage))
        message = anthropic_wire.message_json(
            f"msg_sim{serial:04d}",
            parsed.model,
            blocks,
            usage,
            iterations,
            stop_reason,
            _served_geo(parsed, fault),
        )
        if fault is not None and fault.kind == "split_mismatch":
            # The TTL split reports less than the billed total, as real responses have.
            split = message["usage"]["cache_creation"]
            split["ephemeral_5m_input_tokens"] = split["ephemeral_5m_input_tokens"] // 2
        return parsed, message

    def _resumed(
        self,
        parsed: anthropic_wire.ParsedRequest,
        input_side: Usage,
        planned: list[dict[str, Any]],
        rest: list[dict[str, Any]],
        serial: int,
    ) -> dict[str, Any]:
        """The rest of a paused reply: the advisor's result (answering the call the
        request sent back) and what the executor wrote after it, billed as the advisor's
        iteration and the executor's second pass (called with the lock held)."""
        call = parsed.paused_call
        blocks = [
            {**b, "tool_use_id": call} if b["type"] == "advisor_tool_result" else b for b in rest
        ]
        split = anthropic_wire.advice_split(planned)
        assert split is not None
        _, advice, after = split
        prompt = sum(b.tokens for b in parsed.blocks)
        advisor = Usage.of(input_tokens=prompt, output_tokens=advice)
        second = msgspec.structs.replace(input_side, output_tokens=after)
        profile = profile_for(parsed.model)
        self._state.clock_s += _FIRST_TOKEN_S + after / profile.output_tokens_per_s
        self._state.billed.append(BilledRequest("anthropic", parsed.model, second))
        model = parsed.transcript.advisor_model or ""
        self._state.billed.append(BilledRequest("anthropic", model, advisor))
        iterations = [
            _iteration("advisor_message", advisor, model=model),
            _iteration("message", second),
        ]
        return anthropic_wire.message_json(
            f"msg_sim{serial:04d}",
            parsed.model,
            blocks,
            second,
            iterations,
            None,
            _served_geo(parsed),
        )

    def ollama_reply(
        self, body: dict[str, Any], fault: Fault | None = None
    ) -> tuple[ollama_wire.ParsedChat, dict[str, Any], ollama_wire.Metrics]:
        self._keep("ollama", body)
        parsed = ollama_wire.parse_chat(body)
        if parsed.model not in OLLAMA_MODELS:
            raise _NotFound(f"model '{parsed.model}' not found")
        if body.get("tools") and "tools" not in OLLAMA_CAPABILITIES[parsed.model]:
            raise ollama_wire.OllamaWireError(f"{parsed.model} does not support tools")
        profile = profile_for(parsed.model)
        turn = next_turn(parsed.transcript, profile, self._state.scenario)
        message = ollama_wire.assistant_message(turn)
        if fault is not None and fault.kind == "tool_as_text" and turn.calls:
            message = ollama_wire.calls_as_text(turn)
        thinks = "thinking" in OLLAMA_CAPABILITIES[parsed.model] and body.get("think") is not False
        if fault is not None and fault.kind == "thinking" and thinks:
            message["thinking"] = ollama_wire.thinking_text(turn)
        elif fault is not None and fault.kind == "thinking_only":
            message = {
                "role": "assistant",
                "content": "",
                "thinking": ollama_wire.thinking_text(turn),
            }
        out = ollama_wire.output_tokens(message)
        with self._lock:
            self._state.messages_served += 1
            # Ollama keeps the KV cache of the previous prompt: only the new tail is evaluated.
            previous = self._state.ollama_prefix.get(parsed.model, ())
            shared = 0
            for old, new in zip(previous, parsed.message_hashes, strict=False):
                if old != new:
                    break
                shared += 1
            reused = sum(parsed.message_tokens[:shared])
            self._state.ollama_prefix[parsed.model] = parsed.message_hashes
            load = 0.0 if parsed.model in self._state.ollama_loaded else _MODEL_LOAD_S
            self._state.ollama_loaded.add(parsed.model)
            metrics = ollama_wire.Metrics(
                prompt_eval_count=parsed.prompt_tokens,
                eval_count=out,
                prompt_eval_s=max(1, parsed.prompt_tokens - reused) / profile.prefill_tokens_per_s,
                eval_s=out / profile.output_tokens_per_s,
                load_s=load,
            )
            self._state.clock_s += metrics.prompt_eval_s + metrics.eval_s + load
            self._state.billed.append(
                BilledRequest(
                    "ollama",
                    parsed.model,
                    Usage.of(input_tokens=parsed.prompt_tokens, output_tokens=out),
                )
            )
        return parsed, message, metrics

    def _keep(self, api: str, body: dict[str, Any]) -> None:
        with self._lock:
            kept = self._state.received[api]
            kept.append(body)
            del kept[:-_KEEP_BODIES]


_KEEP_BODIES = 8


def _advised(
    parsed: anthropic_wire.ParsedRequest, input_side: Usage, split: tuple[int, int, int]
) -> tuple[Usage, Usage, list[dict[str, Any]]]:
    """Bill a reply that consulted the advisor as its three iterations.

    The executor's first pass is billed like any request; the advisor reads the whole
    transcript so far, uncached (advisor caching is off by default); the executor's second
    pass re-reads the prefix the first one cached and processes the new tail.
    """
    before, advice, after = split
    prompt = sum(b.tokens for b in parsed.blocks)
    first = msgspec.structs.replace(input_side, output_tokens=before)
    advisor = Usage.of(input_tokens=prompt + before, output_tokens=advice)
    second = Usage.of(
        input_tokens=input_side.input_tokens + before + advice,
        output_tokens=after,
        cache_read=input_side.cache_read + input_side.cache_write,
    )

    model = parsed.transcript.advisor_model or ""
    iterations = [
        _iteration("message", first),
        _iteration("advisor_message", advisor, model=model),
        _iteration("message", second),
    ]
    return first + second, advisor, iterations


def _iteration(kind: str, usage: Usage, **extra: str) -> dict[str, Any]:
    return {
        "type": kind,
        **extra,
        "input_tokens": usage.input_tokens,
        "cache_read_input_tokens": usage.cache_read,
        "cache_creation_input_tokens": usage.cache_write,
        "output_tokens": usage.output_tokens,
    }


class _NotFound(LookupError):
    pass


def _handler_for(sim: SimulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_SimHandler):
        simulator = sim

    return Handler


class _SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    simulator: SimulatorServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- routing ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/api/tags":
            models = [
                {"name": m, "model": m, "size": 6_600_000_000, "details": {"family": "qwen"}}
                for m in OLLAMA_MODELS
            ]
            self._json(200, {"models": models})
        elif path == "/api/version":
            self._json(200, {"version": "0.33.0-simulated"})
        elif path in ("/", "/health"):
            self._json(200, {"status": "ok", "simulated": True})
        else:
            self._json(404, {"error": f"no route {path}"})

    def do_POST(self) -> None:
        self.simulator.request_begins()
        try:
            self._post()
        finally:
            self.simulator.request_done()

    def _post(self) -> None:
        path = self.path.split("?")[0]
        try:
            body = self._body()
        except ValueError:
            self._json(400, anthropic_wire.error_json(400, "request body is not valid JSON"))
            return
        if path == "/v1/messages":
            self._messages(body)
        elif path == "/v1/messages/count_tokens":
            self._count_tokens(body)
        elif path == "/api/chat":
            self._chat(body)
        elif path == "/api/show":
            name = str(body.get("model") or body.get("name") or "")
            if name in OLLAMA_MODELS:
                # The fields the server always sends (api/types.go ShowResponse); the client
                # refuses a reply without model_info.
                self._json(
                    200,
                    {
                        "modelfile": f"FROM {name}",
                        "parameters": "",
                        "template": "{{ .Prompt }}",
                        "details": {"family": name.split(":")[0], "format": "gguf"},
                        "model_info": {"general.architecture": name.split(":")[0]},
                        "capabilities": list(OLLAMA_CAPABILITIES[name]),
                        "modified_at": "2026-01-01T00:00:00Z",
                    },
                )
            else:
                self._json(404, {"error": f"model '{name}' not found"})
        else:
            self._json(404, {"error": f"no route {path}"})

    # -- Anthropic -------------------------------------------------------------------------

    def _authorised(self) -> bool:
        return bool(self.headers.get("x-api-key") or self.headers.get("authorization"))

    def _messages(self, body: dict[str, Any]) -> None:
        if not self._authorised():
            self._json(401, anthropic_wire.error_json(401, "x-api-key header is required"))
            return
        fault = self.simulator.take_fault("anthropic")
        if fault is not None and self._status_fault(fault, anthropic=True):
            return
        try:
            betas = frozenset(
                b.strip()
                for b in (self.headers.get("anthropic-beta") or "").split(",")
                if b.strip()
            )
            parsed, message = self.simulator.anthropic_reply(body, betas, fault)
        except (anthropic_wire.WireError, CacheRuleError) as exc:
            self._json(400, anthropic_wire.error_json(400, str(exc)))
            return
        except _NotFound as exc:
            self._json(404, anthropic_wire.error_json(404, str(exc)))
            return
        if not parsed.stream:
            self._json(200, message)
            return
        cut = fault is not None and fault.kind == "max_tokens_cut"
        events = [anthropic_wire.sse(e) for e in anthropic_wire.stream_events(message, cut)]
        error = anthropic_wire.sse(anthropic_wire.error_json(529, "Overloaded"))
        self._stream("text/event-stream", events, fault, error)

    def _count_tokens(self, body: dict[str, Any]) -> None:
        try:
            self._json(200, {"input_tokens": anthropic_wire.count_request_tokens(body)})
        except anthropic_wire.WireError as exc:
            self._json(400, anthropic_wire.error_json(400, str(exc)))

    # -- Ollama ----------------------------------------------------------------------------

    def _chat(self, body: dict[str, Any]) -> None:
        fault = self.simulator.take_fault("ollama")
        if fault is not None and self._status_fault(fault, anthropic=False):
            return
        try:
            parsed, message, metrics = self.simulator.ollama_reply(body, fault)
        except ollama_wire.OllamaWireError as exc:
            self._json(400, {"error": str(exc)})
            return
        except _NotFound as exc:
            self._json(404, {"error": str(exc)})
            return
        shape = fault.kind if fault is not None else None
        if not parsed.stream:
            self._json(200, ollama_wire.final_response(parsed.model, message, metrics, shape))
            return
        chunks = [
            ollama_wire.ndjson(c)
            for c in ollama_wire.stream_chunks(parsed.model, message, metrics, shape)
        ]
        self._stream(
            "application/x-ndjson",
            chunks,
            fault,
            ollama_wire.ndjson({"error": "an error was encountered while running the model"}),
        )

    # -- faults and plumbing -------------------------------------------------------------------

    def _status_fault(self, fault: Fault, *, anthropic: bool) -> bool:
        if not anthropic and fault.kind in OLLAMA_STATUS_FAULTS:
            status, said = OLLAMA_STATUS_FAULTS[fault.kind]
            self._json(status, {"error": said})
            return True
        statuses = {"rate_limit": 429, "overloaded": 529, "server_error": 500}
        if fault.kind not in statuses:
            return False
        status = statuses[fault.kind]
        if not anthropic and status == 529:
            status = 503
        headers = {"retry-after": f"{fault.retry_after_s:g}"} if status == 429 else {}
        message = {
            429: "Number of request tokens has exceeded your rate limit",
            529: "Overloaded",
            503: "server busy, please try again",
            500: "Internal server error",
        }[status]
        payload = anthropic_wire.error_json(status, message) if anthropic else {"error": message}
        self._json(status, payload, headers)
        return True

    def _stream(
        self, content_type: str, chunks: Iterable[bytes], fault: Fault | None, error_chunk: bytes
    ) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-fep-simulated", "true")
        self.end_headers()
        items = list(chunks)
        cut = max(1, len(items) // 2)
        delay = (
            fault.delay_s
            if fault is not None and fault.kind == "slow_stream"
            else self.simulator.stream_delay_s
            if paced()
            else 0.0
        )
        for n, chunk in enumerate(items):
            if fault is not None and fault.kind == "stream_cut" and b"message_delta" in chunk:
                break  # a clean end of the body, without message_delta and message_stop
            if fault is not None and n == cut:
                if fault.kind == "mid_stream_error":
                    self._chunk(error_chunk)
                    break
                if fault.kind in ("drop_connection", "disconnect"):
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
            self._chunk(chunk)
            if delay:
                time.sleep(delay)
                if fault is None or fault.kind != "slow_stream":
                    self.simulator.paced(delay)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-fep-simulated", "true")
        if status >= 400:
            self.send_header("request-id", "req_sim")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        return data


def _served_geo(parsed: anthropic_wire.ParsedRequest, fault: Fault | None = None) -> str | None:
    """Where the simulated inference ran: where the request asked, else the workspace's
    default (`us_only`: the US, on the models that take a region), else the model's own."""
    if fault is not None and fault.kind == "us_only" and accepts_inference_geo(parsed.model):
        return "us"
    return parsed.inference_geo if parsed.inference_geo != "global" else None
