"""How program evaluation grows with the rack: resources and seconds for 3 to 1000 nodes.

Runs the real program under the recording mocks (no Pulumi CLI here), so the time is the
program's own: config validation, planning, rendering every script, declaring every
resource. Usage: python -m bench.program_scale [--sizes 3,30,300,1000]
"""

from __future__ import annotations

import argparse
import time

from tests.program_mocks import run_program
from tests.scale import scaled_config


def measure(nodes: int) -> tuple[int, float]:
    config, secret_keys = scaled_config(nodes - 1)
    started = time.perf_counter()
    result = run_program(config, secret_keys, stack="bench")
    elapsed = time.perf_counter() - started
    if result.error is not None:
        raise SystemExit(f"program failed at {nodes} nodes: {result.error}")
    return len(result.registrations), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="3,30,300,1000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    measure(3)  # warm imports and caches
    print(f"{'nodes':>6} {'resources':>10} {'res/node':>9} {'seconds':>8} {'s/100 nodes':>12}")
    rows = []
    for nodes in sizes:
        resources, seconds = measure(nodes)
        rows.append((nodes, seconds))
        print(f"{nodes:>6} {resources:>10} {resources / nodes:>9.2f} {seconds:>8.2f} {100 * seconds / nodes:>12.3f}")
    (small, t_small), (large, t_large) = rows[0], rows[-1]
    print(f"growth: {large / small:.0f}x nodes -> {t_large / t_small:.1f}x time")


if __name__ == "__main__":
    main()
