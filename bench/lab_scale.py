"""Real bring-ups of 3, 6 and 12 lab nodes through the real Pulumi CLI: figures per action,
engine seconds per step, a no-op ``up`` and ``preview``, and the lab's memory (PSS).

Each size is one lab/create bring-up (fabric, mirrors, node image, stack config with real
``pulumi config``, ``pulumi up`` in the fabric, every node Ready), then an unchanged
``up`` and a ``preview``; the lab is removed before the next size. Joins run in parallel
(each worker depends on kubeadm init and its own preparation only), so the ``pulumi-up``
action should grow much less than the node count; ratios are printed against the
smallest size of the same run. Nothing is asserted about time: the machine is shared.

Memory: the PSS of every process of the lab (its nodes' systemd, kubelet, containerd,
control plane, sshd; the mirrors) read from /proc after the bring-up; and the inotify
instances each node holds (fs.inotify.max_user_instances is one machine-wide budget for
root, 128 here, and a real node takes about 20). A size whose projection from the last
size does not fit in MemAvailable (with a margin) or in the free inotify instances is
skipped with the reason, before a bring-up that would fail half-way.

Usage (root): .venv/bin/python -m bench.lab_scale [--sizes 3,6,12]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MARGIN_BYTES = 4 << 30  # what the other users of the machine keep
# Every systemd, kubelet, containerd (its CRI plugin watches the CNI config), logind,
# dbus and kube-proxy of a node holds inotify instances, counted per user (root) against
# this one machine-wide limit: when it runs out, the next node's containerd starts
# without CRI ("unknown service runtime.v1.RuntimeService") or its systemd fails to boot.
INOTIFY_LIMIT = Path("/proc/sys/fs/inotify/max_user_instances")


@dataclass(frozen=True)
class Figures:
    nodes: int
    wall_seconds: float
    action_seconds: dict[str, float]
    step_seconds: dict[str, dict[str, int]]
    noop_up_seconds: float
    noop_up_changes: dict[str, int]
    preview_seconds: float
    pss_bytes: int
    pss_per_node: dict[str, int]
    inotify_per_node: dict[str, int]


def pss_bytes(pids: list[int]) -> int:
    """Proportional set size of these processes (gone ones count nothing)."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total


def inotify_instances(pids: list[int]) -> int:
    """inotify instances root's processes among these hold (one per open inotify
    descriptor; other users' count against their own limit)."""
    total = 0
    for pid in pids:
        try:
            if Path(f"/proc/{pid}").stat().st_uid != 0:
                continue
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        for fd in fds:
            try:
                total += os.readlink(fd) == "anon_inode:inotify"
            except OSError:
                continue
    return total


def all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def mem_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def measure(nodes: int) -> Figures:
    from lab.cleanup import remove_lab
    from lab.create import Options, bring_up
    from lab.create.pulumi_up import in_fabric
    from lab.nodes.lifecycle import lab_processes
    from lab.spec import new_lab_id

    lab_id = new_lab_id()
    started = time.monotonic()
    try:
        state = bring_up(Options(nodes=nodes, lab_id=lab_id), say=lambda line: print(line, file=sys.stderr))
        wall = time.monotonic() - started
        assert state.lab is not None and state.workspace_dir is not None
        per_node = {spec.name: pss_bytes(state.lab.node_pids(spec.name)) for spec in state.lab.nodes}
        total = pss_bytes(lab_processes(lab_id))
        inotify = {spec.name: inotify_instances(state.lab.node_pids(spec.name)) for spec in state.lab.nodes}
        noop, _ = in_fabric(state.lab, state.workspace_dir, state.options.stack, "up")
        preview, _ = in_fabric(state.lab, state.workspace_dir, state.options.stack, "preview")
        if not (noop["ok"] and preview["ok"]):
            raise SystemExit(f"{nodes} nodes: the no-op up or the preview failed: {noop['errors'] or preview['errors']}")
        return Figures(nodes, wall, dict(state.seconds), state.facts.get("step_seconds", {}),  # type: ignore[arg-type]
                       noop["seconds"], noop["changes"], preview["seconds"], total, per_node, inotify)
    finally:
        remove_lab(lab_id)


def fits(nodes: int, last: Figures | None) -> str | None:
    """Why ``nodes`` would not fit, in memory or in the machine's inotify instances,
    projected from the last size measured (None: it fits, as far as one can tell)."""
    if last is None:
        return None
    workers = [name for name in last.pss_per_node if name != "cp1"]
    extra = nodes - last.nodes
    reasons = []
    per_worker = statistics.mean(last.pss_per_node[w] for w in workers) if workers else 0
    projected = last.pss_bytes + per_worker * extra
    available = mem_available()
    if projected + MARGIN_BYTES > available:
        reasons.append(f"memory: projected {projected / 2**30:.1f} GiB + {MARGIN_BYTES / 2**30:.0f} GiB margin "
                       f"> {available / 2**30:.1f} GiB available")
    needed = sum(last.inotify_per_node.values()) + (statistics.mean(last.inotify_per_node[w] for w in workers)
                                                     if workers else 0) * extra
    free = int(INOTIFY_LIMIT.read_text()) - inotify_instances(all_pids())
    if needed > free:
        reasons.append(f"inotify: ~{needed:.0f} instances needed, {free} free of "
                       f"{INOTIFY_LIMIT.read_text().strip()} ({INOTIFY_LIMIT}, shared by every lab on the machine)")
    return "; ".join(reasons) or None


def report(rows: list[Figures]) -> None:
    actions = list(rows[0].action_seconds)
    print("\nseconds per bring-up action (lab/create), real toolchain:")
    print(f"{'nodes':>5} " + " ".join(f"{a:>10}" for a in actions) + f" {'wall':>7} {'no-op up':>8} {'preview':>7}")
    for row in rows:
        print(f"{row.nodes:>5} " + " ".join(f"{row.action_seconds.get(a, 0):>10.1f}" for a in actions)
              + f" {row.wall_seconds:>7.1f} {row.noop_up_seconds:>8.1f} {row.preview_seconds:>7.1f}")
    print("\nengine seconds per slow step (CLI's 'created (Ns)'), max / mean over the nodes that ran it:")
    for row in rows:
        cells = {step: f"{max(by_node.values())}/{statistics.mean(by_node.values()):.1f}"
                 for step, by_node in row.step_seconds.items()}
        print(f"{row.nodes:>5} {json.dumps(cells)}")
    print("\nmemory after the bring-up (PSS):")
    for row in rows:
        workers = [v for k, v in row.pss_per_node.items() if k != "cp1"]
        print(f"{row.nodes:>5} lab {row.pss_bytes / 2**20:>7.0f} MiB; cp1 {row.pss_per_node.get('cp1', 0) / 2**20:.0f} MiB;"
              f" per worker {statistics.mean(workers) / 2**20 if workers else 0:.0f} MiB; inotify instances per node "
              f"{json.dumps(row.inotify_per_node)}; no-op up changes {row.noop_up_changes}")
    base = rows[0]
    for row in rows[1:]:
        ratios = {a: round(row.action_seconds[a] / base.action_seconds[a], 2) for a in actions if base.action_seconds.get(a)}
        print(f"\nratio {row.nodes}/{base.nodes} nodes ({row.nodes / base.nodes:.0f}x): wall "
              f"{row.wall_seconds / base.wall_seconds:.2f}x; per action {json.dumps(ratios)}; "
              f"no-op up {row.noop_up_seconds / base.noop_up_seconds:.2f}x; preview {row.preview_seconds / base.preview_seconds:.2f}x; "
              f"PSS {row.pss_bytes / base.pss_bytes:.2f}x")


def main(argv: list[str]) -> int:
    from lab.create.run import BringUpError

    parser = argparse.ArgumentParser(prog="python -m bench.lab_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3,6,12")
    try:
        sizes = sorted({int(size) for size in parser.parse_args(argv).sizes.split(",")})
    except ValueError:
        print("--sizes: comma-separated node counts, e.g. 3,6,12", file=sys.stderr)
        return 2
    if not sizes or min(sizes) < 2:
        print("--sizes: every size needs a control plane and a worker (>= 2)", file=sys.stderr)
        return 2
    rows: list[Figures] = []
    failed: list[int] = []
    for nodes in sizes:
        reason = fits(nodes, rows[-1] if rows else None)
        if reason:
            print(f"{nodes} nodes skipped: {reason}")
            continue
        try:
            rows.append(measure(nodes))
        except BringUpError as error:  # the lab is removed; the other sizes still tell something
            print(f"{nodes} nodes: bring-up failed: {str(error)[:1500]}", flush=True)
            failed.append(nodes)
            continue
        print(f"{nodes} nodes: wall {rows[-1].wall_seconds:.1f}s, PSS {rows[-1].pss_bytes / 2**20:.0f} MiB", flush=True)
    if rows:
        report(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
