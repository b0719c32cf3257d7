"""Trials as Ray tasks: on a local Ray instance or an existing cluster (`--ray`).

Each trial is one Ray task that asks for the CPUs its task keeps busy. The task runs the
ordinary engine on its node and sends the trial's events home in batches to one small
actor, the hub; this process, the head, takes them from the hub, feeds them to its sinks
and is the only writer of session files, so the nodes need no shared filesystem. (An actor
rather than a Ray generator: generators cannot stream through Ray Client, `ray://`.)

Ray is an optional extra (`pip install 'fep-tui[ray]'`), imported only when a runner is
made; without `--ray` nothing here is loaded.

Faults, decided here and not left to Ray's retries (a retried task would send the same
events twice):
- a worker process or node that dies mid-trial: the head ends the session as `error`
  with reason `worker lost (...)` from what arrived, and the batch runs it again, up to
  three times (engine/runners.py);
- trials no live node can run (every node with enough CPUs gone for UNPLACEABLE_S) are
  given up, without a session file since they never started, and handled as lost, where
  Ray would queue them forever;
- the hub is pinned to the head's own node (hard node affinity): a worker node that goes
  away takes its trials with it, never the way home of every other trial;
- the head cancelled (Ctrl-C, quitting the app): the remote task is cancelled, and the head
  saves the session as `interrupted`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import socket
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec

from engine.arrived import Arrived
from engine.errors import FepError
from engine.events import AnyEvent, Event, EventSink, TrialEnded, TrialStarted
from engine.runners import WORKER_LOST
from engine.trial import TrialConfig, TrialOutcome, new_trial_id, run_trial, trial_start_event
from tasks.catalog import get_task

# A batch leaves the node after this long or this many events, whichever comes first:
# short enough that a watched trial looks live, long enough that a Ray object per event
# (about 1 ms each) is not the cost of a fast simulated trial.
FLUSH_S = 0.05
MAX_BATCH = 2000
# How long the head's take waits at the hub for a batch before it looks at the task again.
TAKE_WAIT_S = 0.2
# Once no live node has had the CPUs a trial asks for (every such node gone) for this long,
# trials waiting to start are given up as lost: Ray itself would queue them forever
# (ray-project/ray#33954), and the batch would never end. The batch's re-runs then wait
# for nodes to come back (engine/runners.py) before it names the trials left.
UNPLACEABLE_S = 20.0
# How often the runner asks Ray which nodes are alive while trials wait to start.
PLACEABLE_CHECK_S = 1.0

_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(list[AnyEvent])


class RayUnavailableError(FepError):
    """Ray is not installed, or the cluster cannot be reached."""


class EventHub:
    """The actor trials send their events to, in batches, and the head takes them from.

    One mailbox per trial. `take` waits a little for a batch rather than returning empty at
    once, so an idle trial costs the head a call every TAKE_WAIT_S, not a busy loop.
    """

    def __init__(self) -> None:
        self._boxes: dict[str, list[bytes]] = {}
        self._ready: dict[str, asyncio.Event] = {}

    def _box(self, trial_id: str) -> tuple[list[bytes], asyncio.Event]:
        if trial_id not in self._boxes:
            self._boxes[trial_id], self._ready[trial_id] = [], asyncio.Event()
        return self._boxes[trial_id], self._ready[trial_id]

    async def put(self, trial_id: str, data: bytes) -> None:
        box, ready = self._box(trial_id)
        box.append(data)
        ready.set()

    async def take(self, trial_id: str, wait_s: float) -> list[bytes]:
        box, ready = self._box(trial_id)
        if not box:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), wait_s)
        taken = list(box)
        box.clear()
        ready.clear()
        return taken

    async def forget(self, trial_id: str) -> None:
        self._boxes.pop(trial_id, None)
        self._ready.pop(trial_id, None)


def ray_address(value: bool | str) -> str | None:
    """`--ray` alone or `--ray local`: a local Ray instance (None); anything else is an
    address for `ray.init` (`auto`, `ray://host:10001`, `host:6379`)."""
    if value is True or value in ("", "local"):
        return None
    return str(value)


class RayRunner:
    """A trial runner that sends each trial to Ray (engine/runners.py's protocol)."""

    def __init__(
        self,
        address: str | None = None,
        num_cpus: int | None = None,
        unplaceable_s: float = UNPLACEABLE_S,
    ) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.unplaceable_s = unplaceable_s
        self._nodes = _NodeWatch(unplaceable_s)
        self.where = "ray"
        self._remote: Any = None
        self._hub: Any = None

    def start(self) -> None:
        """Connect, or start a local instance; RayUnavailableError saying how to fix it."""
        try:
            import ray
        except ImportError:
            raise RayUnavailableError(
                "--ray needs Ray, an optional extra: pip install 'fep-tui[ray]'"
            ) from None
        options: dict[str, Any] = {
            "log_to_driver": False,
            "logging_level": logging.ERROR,
            "ignore_reinit_error": True,
        }
        try:
            with warnings.catch_warnings():
                # Ray Client warns of a timeout before raising it; the error says it once.
                warnings.simplefilter("ignore", UserWarning)
                if self.address is None:
                    ray.init(num_cpus=self.num_cpus, include_dashboard=False, **options)
                else:
                    ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayUnavailableError(_cannot_start(self.address, exc)) from None
        # max_retries=0: a lost worker is re-queued by the batch, into a new session file.
        self._remote = ray.remote(max_retries=0)(trial_on_worker)
        # num_cpus=0: the hub only moves bytes, and must not hold a CPU a trial could use.
        # On the head's own node, not wherever Ray would put it: when the hub's node died,
        # every trial in flight, and each one's re-run, lost its way home (9 of 12).
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        self._hub = ray.remote(num_cpus=0)(EventHub).options(scheduling_strategy=here).remote()

    def close(self) -> None:
        if self._remote is None:
            return
        import ray

        ray.shutdown()
        self._remote = self._hub = None

    async def run(self, config: TrialConfig, sinks: Sequence[EventSink]) -> TrialOutcome:
        import ray
        from ray.exceptions import RayError, RayTaskError

        if self._remote is None:
            self.start()
        trial_id = new_trial_id(config.arm.name, config.task_id, config.seed)
        arrived = Arrived()
        targets: list[EventSink] = [arrived, *sinks]
        cpus = get_task(config.task_id).cpus
        ref = self._remote.options(num_cpus=cpus).remote(config, trial_id, self._hub)
        try:
            while True:
                # Every batch a finished task sent is in the hub before its result is ready
                # (it waits for its last send), so one take after that gets them all.
                finished = bool(ray.wait([ref], timeout=0)[0])
                wait_s = 0.0 if finished else TAKE_WAIT_S
                batches = await _result(self._hub.take.remote(trial_id, wait_s))
                for data in batches:
                    for event in _DECODER.decode(data):
                        for sink in targets:
                            sink.emit(event)
                if finished:
                    break
                hopeless = None if arrived.started else self._nodes.hopeless(cpus)
                if hopeless is not None:
                    ray.cancel(ref)
                    # It never started: no session file, nothing ran to keep.
                    return _lost_outcome(trial_id, hopeless)
            outcome: TrialOutcome = await _result(ref)
            return outcome
        except asyncio.CancelledError:
            ray.cancel(ref)
            _end_here(arrived, targets, config, trial_id, "interrupted", "cancelled by the user")
            raise
        except RayTaskError as exc:
            # The trial's own code raised on the node: the same error a local run raises.
            cause = exc.cause if isinstance(exc.cause, Exception) else exc
            raise RemoteTrialError(f"{type(cause).__name__}: {cause}") from None
        except RayError as exc:
            return _lost(arrived, targets, config, trial_id, f"worker lost ({type(exc).__name__})")
        finally:
            self._hub.forget.remote(trial_id)


class _NodeWatch:
    """Whether trials waiting to start can start anywhere, for the whole batch: once no live
    node has had the CPUs they ask for, for `patience_s` in a row, every such trial is
    hopeless at once, the waiting ones and each new one, rather than each waiting its own
    `patience_s` (a thousand-trial grid would otherwise take hours to give up)."""

    def __init__(self, patience_s: float) -> None:
        self.patience_s = patience_s
        self._checked = -float("inf")
        self._most = 0.0
        # By CPUs asked for: since when no live node has had that many.
        self._short_since: dict[float, float] = {}

    def hopeless(self, cpus: float) -> str | None:
        """Why a trial asking for `cpus` cannot start (None: it may yet)."""
        now = time.monotonic()
        if now - self._checked >= PLACEABLE_CHECK_S:
            self._checked = now
            self._most = most_cpus_on_a_live_node()
            self._short_since = {
                c: since for c, since in self._short_since.items() if self._most < c
            }
        if self._most >= cpus:
            return None
        since = self._short_since.setdefault(cpus, now)
        if now - since < self.patience_s:
            return None
        return (
            f"no live node could run it for {self.patience_s:g} s (it needs {cpus:g} CPU, "
            f"the largest live node has {self._most:g})"
        )


def most_cpus_on_a_live_node() -> float:
    """The CPUs of the largest node Ray counts alive (0 when none is)."""
    import ray

    nodes: list[dict[str, Any]] = ray.nodes()  # type: ignore[no-untyped-call]
    alive = (float(n["Resources"].get("CPU", 0.0)) for n in nodes if n.get("Alive"))
    return max(alive, default=0.0)


def _lost(
    arrived: Arrived,
    targets: Sequence[EventSink],
    config: TrialConfig,
    trial_id: str,
    reason: str,
) -> TrialOutcome:
    """A trial that will not end on its own: saved as an error from what arrived, and
    marked for the batch to run again (engine/runners.py)."""
    end = _end_here(arrived, targets, config, trial_id, "error", reason)
    return _lost_outcome(trial_id, reason, end)


def _lost_outcome(trial_id: str, reason: str, end: TrialEnded | None = None) -> TrialOutcome:
    return TrialOutcome(
        trial_id,
        "error",
        False,
        None,
        {} if end is None else end.roles,
        0.0 if end is None else end.total_cost_usd,
        0 if end is None else end.turns,
        0.0 if end is None else end.wall_s,
        reason=reason,
        extras={WORKER_LOST: True},
    )


async def _result(ref: Any) -> Any:
    # ObjectRef.future() works for a cluster member and through Ray Client alike.
    return await asyncio.wrap_future(ref.future())


class RemoteTrialError(RuntimeError):
    pass


def _cannot_start(address: str | None, exc: Exception) -> str:
    text = str(exc).strip()
    if address == "auto" and "Could not find any running Ray instance" in text:
        return (
            "--ray auto: no Ray cluster runs on this machine; start one with "
            "`ray start --head`, or pass --ray alone for a local instance"
        )
    first = text.splitlines()[0] if text else type(exc).__name__
    where = "a local Ray instance" if address is None else address
    hint = ""
    if address is not None and address.startswith("ray://") and "timeout" in text:
        # Ray 2.59+ starts clusters with token authentication, and Ray Client sends the
        # token only when told to: the usual reason a reachable head times out.
        hint = (
            "; check that the head's client port is reachable, and with token "
            "authentication set RAY_AUTH_MODE=token (token from `ray get-auth-token`)"
        )
    return f"--ray: cannot use {where}: {first}{hint}"


def _end_here(
    arrived: Arrived,
    targets: Sequence[EventSink],
    config: TrialConfig,
    trial_id: str,
    status: str,
    reason: str,
) -> TrialEnded:
    """Close a session the node could not: a start if none came, then a trial_end."""
    if arrived.started is None:
        start = trial_start_event(0.0, trial_id, config)
        for sink in targets:
            sink.emit(start)
    end = arrived.ending(status, reason)
    if not arrived.ended:
        for sink in targets:
            sink.emit(end)
    return end


class _Outbox:
    """The node's event sink: events queue here and leave in batches."""

    def __init__(self, node: str) -> None:
        self.node = node
        self.queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()

    def emit(self, event: Event) -> None:
        if isinstance(event, TrialStarted):
            event = msgspec.structs.replace(event, node=self.node)
        self.queue.put(event)

    def batches(self) -> Iterator[bytes]:
        """Batches until the trial's thread says it is done (None)."""
        while True:
            batch = [self.queue.get()]
            deadline = time.monotonic() + FLUSH_S
            while batch[-1] is not None and len(batch) < MAX_BATCH:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    batch.append(self.queue.get(timeout=left))
                except queue.Empty:
                    break
            done = batch[-1] is None
            events = [e for e in batch if e is not None]
            if events:
                yield _ENCODER.encode(events)
            if done:
                return


def node_name() -> str:
    """Which Ray node this is: the host name alone is the same for every node of a cluster
    on one machine, so its address and Ray's node id come with it."""
    import ray

    address: str = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
    node_id = ray.get_runtime_context().get_node_id()
    return f"{socket.gethostname()} {address} {node_id[:12]}"


def trial_on_worker(config: TrialConfig, trial_id: str, hub: Any) -> TrialOutcome:
    """The Ray task: provision the task on this node, run the trial, send its events to
    the hub as they come, and return its outcome once the last batch is in."""
    import ray

    node = node_name()
    task = get_task(config.task_id)
    if not task.provisioned():
        # Locked per node (tasks/typer_base/provision.py): trials that land on a fresh
        # node together build its cache once.
        task.provision(lambda _message: None)
    outbox = _Outbox(node)
    loop = asyncio.new_event_loop()
    main = loop.create_task(run_trial(config, [outbox], trial_id))
    result: list[TrialOutcome] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(loop.run_until_complete(main))
        except BaseException as exc:  # carried to the head, which decides
            failure.append(exc)
        finally:
            loop.close()
            outbox.queue.put(None)

    thread = threading.Thread(target=work, name="fep-tui-trial", daemon=True)
    thread.start()
    sent: list[Any] = []
    try:
        for data in outbox.batches():
            # Not waited for one by one: calls from one caller reach an actor in order.
            sent.append(hub.put.remote(trial_id, data))
        ray.get(sent)
    finally:
        # Cancelled by the head (a KeyboardInterrupt here): stop the trial so it removes
        # its workspace before the worker moves on.
        if thread.is_alive():
            # RuntimeError: the loop closed in between, so the trial had already ended.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(main.cancel)
            thread.join(timeout=30)
    if failure:
        raise failure[0]
    return result[0]
