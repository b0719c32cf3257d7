"""A batch on a real multi-node Ray cluster that loses a worker node mid-batch.

A head and two worker nodes on loopback (Ray's own `ray.cluster_utils.Cluster`, one CPU
each), a grid of simulated `tiny` trials run with the Ray runner, and one worker node
removed once a third of the trials have saved their files. Printed: trials planned,
completed exactly once, lost attempts (kept as `error` files, never results), and the
wall time against the same grid on the same cluster with no node lost (ratio).
Target (issue: batches that survive a lost node): every planned trial completed exactly
once; the ratio is what losing a node costs, shown, not held to a number.

Run: .venv/bin/python -m bench.ray_soak [--trials 24]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.arms import resolve_arm
from engine.batch import BatchPlan, plan_cells, run_batch
from engine.events import EventSink
from engine.ray_runner import UNPLACEABLE_S, RayRunner
from engine.trial import TrialConfig, TrialOutcome
from sessions import SessionWriter, load_session
from sessions.store import finished_trials


@dataclass
class Soak:
    planned: int
    completed_once: int
    completed_twice: int
    lost_attempts: int
    unfinished: int
    wall_s: float
    nodes_lost: int


def soak(
    trials: int,
    directory: Path,
    kill_after: int | None,
    *,
    kills: int = 1,
    head_cpus: int = 1,
    unplaceable_s: float = UNPLACEABLE_S,
) -> Soak:
    """Run `trials` trials (arms A and B on tiny) on a fresh three-node cluster; remove
    `kills` worker nodes once `kill_after` session files exist (None: lose no node).
    Trials already finished in `directory` are not run again (a resumed batch)."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": head_cpus})
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    runner = RayRunner(address=cluster.address, unplaceable_s=unplaceable_s)
    runner.start()
    directory.mkdir(parents=True, exist_ok=True)
    lost: list[int] = []
    stop = threading.Event()

    def killer() -> None:
        while kill_after is not None and not stop.wait(0.2):
            if len(list(directory.glob("*.jsonl"))) >= kill_after:
                for worker in workers[:kills]:
                    cluster.remove_node(worker, allow_graceful=False)
                    lost.append(1)
                return

    watcher = threading.Thread(target=killer, daemon=True)
    plan = BatchPlan((resolve_arm("A"), resolve_arm("B")), ("tiny",), trials=trials // 2, workers=3)
    outcomes: list[TrialOutcome | None] = []

    def new_sinks(config: TrialConfig) -> tuple[list[EventSink], Callable[[], None]]:
        writer = SessionWriter(directory)
        return [writer], writer.close

    def finished(
        arm: str, task: str, seed: int, outcome: TrialOutcome | None, error: str | None
    ) -> None:
        outcomes.append(outcome)

    started = time.perf_counter()
    watcher.start()
    try:
        cells = plan_cells(plan, finished_trials(directory))
        asyncio.run(run_batch(plan, cells, new_sinks, finished, runner))
    finally:
        stop.set()
        runner.close()
        cluster.shutdown()  # type: ignore[no-untyped-call]
    wall_s = time.perf_counter() - started
    sessions = [load_session(p) for p in directory.glob("*.jsonl")]
    completed = Counter(
        (s.header.arm, s.header.seed)
        for s in sessions
        if s.end is not None and s.end.status == "completed"
    )
    planned = {(arm.name, seed) for arm in plan.arms for seed in range(plan.trials)}
    lost_attempts = sum(
        1 for s in sessions if s.end is not None and s.end.reason.startswith("worker lost")
    )
    return Soak(
        planned=len(planned),
        completed_once=sum(1 for n in completed.values() if n == 1),
        completed_twice=sum(1 for n in completed.values() if n > 1),
        lost_attempts=lost_attempts,
        unfinished=len(planned - set(completed)),
        wall_s=wall_s,
        nodes_lost=len(lost),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=24)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        calm = soak(args.trials, Path(tmp) / "calm", None)
        rough = soak(args.trials, Path(tmp) / "rough", args.trials // 3)
        # Round two: the head runs no trials, and both workers go; the rest cannot run
        # anywhere until nodes come back, then the same batch again finishes them.
        stranded_dir = Path(tmp) / "stranded"
        stranded = soak(args.trials, stranded_dir, args.trials // 3, kills=2, head_cpus=0)
        resumed = soak(args.trials, stranded_dir, None, head_cpus=0)
    print(f"trials planned                       {rough.planned}")
    print(f"worker nodes removed mid-batch       {rough.nodes_lost}")
    print(f"completed exactly once               {rough.completed_once} (target {rough.planned})")
    print(f"completed more than once             {rough.completed_twice} (target 0)")
    print(f"not finished                         {rough.unfinished} (target 0)")
    print(f"lost attempts kept as error files    {rough.lost_attempts}")
    print(
        f"wall time                            {rough.wall_s:.1f} s against {calm.wall_s:.1f} s "
        f"with no node lost (ratio {rough.wall_s / calm.wall_s:.2f})"
    )
    print("round two: a head that runs no trials loses both workers")
    print(f"left unfinished, named, batch exit 1 {stranded.unfinished} in {stranded.wall_s:.1f} s")
    print(
        f"after nodes return, the same batch    {resumed.completed_once} completed exactly once "
        f"(target {resumed.planned}), {resumed.completed_twice} more than once (target 0), "
        f"{resumed.unfinished} not finished (target 0)"
    )


if __name__ == "__main__":
    main()
