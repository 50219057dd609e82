"""STAND-IN for systemctl (a lab node runs no systemd): records every call.

Keeps which units are enabled and active in /var/lib/som-lab/systemctl.json;
is-enabled / is-active answer from it with systemctl's words and exit codes.
enable/disable [--now], start, stop, restart, daemon-reload and the rest are
recorded. start/restart (and enable --now) run the unit's ExecStartPre=, ExecStart=
and ExecStartPost= when its unit file exists (/etc/systemd/system, /lib/systemd/system):
oneshot units to completion, others in the background. Units without a file (e.g.
kubelet, containerd, whose packages cannot be installed here) are only marked active.
The lab's simulated reboot starts every enabled unit the same way (boot.py).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

from .common import STATE_DIR, load_json, record, save_json

STATE_FILE = STATE_DIR / "systemctl.json"
UNIT_DIRS = (Path("/etc/systemd/system"), Path("/lib/systemd/system"), Path("/usr/lib/systemd/system"))
UNIT_LOGS = Path("/var/log/som-lab/units")
EXEC_KEYS = ("ExecStartPre", "ExecStart", "ExecStartPost")


def unit_name(name: str) -> str:
    return name if "." in name else f"{name}.service"


def unit_file(unit: str) -> Path | None:
    return next((d / unit for d in UNIT_DIRS if (d / unit).is_file()), None)


def parse_unit(path: Path) -> dict[str, list[str]]:
    """The [Service] keys of a unit file: key -> values in order (repeatable keys)."""
    service: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "Service" and "=" in line and not line.startswith(("#", ";")):
            key, value = (part.strip() for part in line.split("=", 1))
            service.setdefault(key, []).append(value)
    return service


def load_state() -> dict[str, Any]:
    return load_json(STATE_FILE, {"enabled": [], "active": {}})


def run_unit(unit: str, state: dict[str, Any]) -> int:
    """Start a unit as systemd would run its Exec lines; mark it active on success."""
    path = unit_file(unit)
    if path is None:
        state["active"][unit] = None
        return 0
    service = parse_unit(path)
    env = dict(os.environ)
    for assignment in (w for value in service.get("Environment", []) for w in shlex.split(value)):
        key, _, value = assignment.partition("=")
        env[key] = value
    oneshot = service.get("Type", ["simple"])[-1] == "oneshot"
    log_path = UNIT_LOGS / f"{unit}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    main_pid = None
    with open(log_path, "a") as log:
        for key in EXEC_KEYS:
            for line in service.get(key, []):
                ignore_failure = line.startswith("-")
                argv = shlex.split(line.lstrip("-@+!:"))
                if key == "ExecStart" and not oneshot:
                    main_pid = subprocess.Popen(argv, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                                start_new_session=True).pid
                    continue
                code = subprocess.run(argv, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL).returncode
                if code and not ignore_failure:
                    state["active"].pop(unit, None)
                    return code
    state["active"][unit] = main_pid
    return 0


def stop_unit(unit: str, state: dict[str, Any]) -> None:
    pid = state["active"].pop(unit, None)
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)


def is_running(state: dict[str, Any], unit: str) -> bool:
    if unit not in state["active"]:
        return False
    pid = state["active"][unit]
    return pid is None or Path(f"/proc/{pid}").exists()


def start(units: list[str], state: dict[str, Any]) -> int:
    """Start units in order; systemd's message and exit code on the first failure."""
    for unit in units:
        if run_unit(unit, state):
            print(f'Job for {unit} failed because the control process exited with error code.\n'
                  f'See "systemctl status {unit}" and "journalctl -xeu {unit}" for details.')
            return 1
    return 0


def main(tool: str, argv: list[str]) -> int:
    record(tool, argv)
    words = [a for a in argv if not a.startswith("-")]
    command, units = (words[0], [unit_name(u) for u in words[1:]]) if words else ("", [])
    now = "--now" in argv
    state = load_state()
    code = 0
    if command == "enable":
        state["enabled"] += [u for u in units if u not in state["enabled"]]
        code = start(units, state) if now else 0
    elif command == "disable":
        state["enabled"] = [u for u in state["enabled"] if u not in units]
        for unit in units if now else []:
            stop_unit(unit, state)
    elif command in ("start", "restart", "try-restart", "reload-or-restart"):
        for unit in units if command != "start" else []:
            stop_unit(unit, state)
        code = start(units, state)
    elif command == "stop":
        for unit in units:
            stop_unit(unit, state)
    elif command in ("is-enabled", "is-active"):
        yes, no, failed = ("enabled", "disabled", 1) if command == "is-enabled" else ("active", "inactive", 3)
        answers = [yes if (u in state["enabled"] if command == "is-enabled" else is_running(state, u)) else no
                   for u in units]
        if not {"-q", "--quiet"} & set(argv):
            print("\n".join(answers))
        code = 0 if all(a == yes for a in answers) else failed
    save_json(STATE_FILE, state)
    return code
