"""The boot sequence of a lab node, run inside the node by Lab.simulate_reboot.

Not a stand-in for a tool: it does what systemd-sysctl and systemd do at boot, as far
as a node's own state goes. It applies the net.* keys of sysctl.d (other keys are
machine-global and stay untouched), then starts every unit the systemctl stand-in
recorded as enabled, in the order they were enabled, and prints a JSON report.
"""

from __future__ import annotations

import json
from typing import Any

from .common import save_json
from .sysctl import apply, file_assignments, system_files
from .systemctl import STATE_FILE, load_state, run_unit


def apply_net_sysctls() -> list[dict[str, Any]]:
    """Write every net.* key of the sysctl files, as systemd-sysctl would; report each."""
    results = []
    for path in system_files():
        for key, value in file_assignments(path):
            if key.startswith("net."):
                error = apply(key, value)
                results.append({"key": key, "value": value, "ok": error is None, **({"error": error} if error else {})})
    return results


def main(tool: str, argv: list[str]) -> int:
    state = load_state()
    state["active"] = {}
    report = {"sysctl": apply_net_sysctls(), "units": []}
    for unit in state["enabled"]:
        report["units"].append({"unit": unit, "returncode": run_unit(unit, state)})
    save_json(STATE_FILE, state)
    print(json.dumps(report))
    return 0
