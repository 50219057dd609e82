"""Wall time of a full deployment to 3, 6 and 12 lab nodes, and SSH sessions per node.

Joins run in parallel (each worker depends only on kubeadm init and its own preparation),
so the 12-node time should stay close to the 3-node time; the ratio is printed. Needs
root (the lab). Usage: sudo .venv/bin/python -m bench.lab_scale [--sizes 3,6,12]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from tests.e2e.runner import LabStack
from lab import DEFAULT_GATEWAY, DEFAULT_SUBNET, Lab, default_nodes


def critical_path_seconds(run: LabStack, seconds: dict[str, float]) -> float:
    """The longest chain of dependent commands, weighted by how long each took."""
    state = run.engine.state
    memo: dict[str, float] = {}

    def finish(urn: str) -> float:
        if urn not in memo:
            deps = [d for d in state[urn].dependencies if d in state]
            memo[urn] = seconds.get(urn, 0.0) + max((finish(d) for d in deps), default=0.0)
        return memo[urn]

    return max(finish(urn) for urn in state)


def deploy(nodes: int) -> tuple[float, float, list[int], int, float, float]:
    lab = Lab(DEFAULT_SUBNET, DEFAULT_GATEWAY, default_nodes(nodes)).up()
    run = LabStack(lab)
    try:
        started = time.perf_counter()
        report = run.up()
        elapsed = time.perf_counter() - started
        if report.error:
            raise SystemExit(f"deployment to {nodes} nodes failed: {report.error}")
        again = run.up()
        seconds = {e.urn: e.seconds for e in report.executed}
        busy = sum(seconds.values())
        return elapsed, again.seconds, list(run.executor.sessions.values()), len(report.executed), critical_path_seconds(run, seconds), busy
    finally:
        run.close()
        lab.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="3,6,12")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    print(
        f"{'nodes':>5} {'commands':>8} {'up (s)':>7} {'critical path (s)':>17} {'command-seconds':>15} "
        f"{'concurrency':>11} {'no-op re-run (s)':>16} {'ssh/worker':>10} {'ssh on cp':>9}"
    )
    times, paths = {}, {}
    for nodes in sizes:
        elapsed, rerun, sessions, commands, path, busy = deploy(nodes)
        times[nodes], paths[nodes] = elapsed, path
        control_plane, workers = max(sessions), [s for s in sessions if s != max(sessions)] or [0]
        print(
            f"{nodes:>5} {commands:>8} {elapsed:>7.2f} {path:>17.2f} {busy:>15.2f} {busy / elapsed:>11.2f} "
            f"{rerun:>16.2f} {statistics.mean(workers):>10.1f} {control_plane:>9}"
        )
    small, large = min(times), max(times)
    print(f"ratio {large} nodes / {small} nodes: {times[large] / times[small]:.2f}x wall time for {large / small:.0f}x nodes")
    print(
        "the critical path holds the same 5 commands at every size; where wall time grows with it, the "
        f"commands themselves got slower ({paths[large] / paths[small]:.2f}x): {os.cpu_count()} cores run every node's scripts"
    )


if __name__ == "__main__":
    main()
