"""``python -m lab.driver COMMAND``: the real Pulumi CLI on a stack of this project.

Commands: ``plugins`` (install them into PULUMI_HOME), ``preview``, ``up``, ``refresh``,
``destroy``, ``outputs``. With ``--lab ID`` the stack is pointed at that running lab
(host keys, its SSH key) and the CLI runs in the lab's fabric; otherwise ``--ssh-key
FILE`` sets the stack's key (read from the file, handed to the CLI on stdin). Prints
one JSON summary; exit status 1 when the command failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from lab import Lab, LabError
from lab.toolchain import cache_root

from .cli import Cli, DriverError, Toolchain, default_home
from .events import Outcome
from .labstack import PROJECT, for_lab
from .plugins import install_all
from .workspace import Workspace

OPERATIONS = ("preview", "up", "refresh", "destroy", "outputs")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lab.driver", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("plugins", *OPERATIONS))
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--lab", metavar="LAB_ID", help="point the stack at this running lab")
    parser.add_argument("--workspace", type=Path, help="workspace dir (default: the lab's, or $SOM_CACHE/driver/STACK)")
    parser.add_argument("--ssh-key", type=Path, help="private key file for sshPrivateKey (without --lab)")
    parser.add_argument("--policy-pack", type=Path, action="append", default=[], help="e.g. policy (repeatable)")
    parser.add_argument("--expect-no-changes", action="store_true")
    parser.add_argument("--show-secrets", action="store_true", help="outputs: secrets in plain text")
    return parser.parse_args(argv)


def workspace(args: argparse.Namespace) -> Workspace:
    toolchain = Toolchain.available()
    if toolchain.language_bin is None and (args.lab or args.policy_pack):
        raise DriverError("--lab and --policy-pack need the Python language host, which lab/toolchain has not built")
    if args.lab:
        return for_lab(Lab.attach(args.lab), args.stack, args.workspace, toolchain)
    from components.program import main as program

    ws = Workspace.create(args.workspace or cache_root() / "driver" / args.stack, args.stack, toolchain=toolchain,
                          program=program if toolchain.language_bin is None else None)
    if args.ssh_key:
        ws.set_secret(f"{PROJECT}:sshPrivateKey", args.ssh_key.read_text())
    return ws


def summary(result: Outcome) -> dict[str, object]:
    return {
        "command": result.command, "ok": result.ok, "seconds": round(result.seconds, 2),
        "changes": result.changes, "failed": result.failed, "errors": result.errors,
        "policy_violations": [asdict(v) for v in result.policy_violations],
    }


def main(argv: list[str]) -> int:
    args = parse(argv)
    try:
        if args.command == "plugins":
            home = default_home()
            home.mkdir(parents=True, exist_ok=True)
            cli = Cli(Toolchain.available(), home, cache_root() / "driver" / "plugins-state", cache_root() / "driver" / "plugins-secrets")
            print(json.dumps({"installed": install_all(cli), "home": str(home)}))
            return 0
        ws = workspace(args)
        # relative packs are the workspace's copy (beside the copied program, as in the checkout)
        packs = [p if p.is_absolute() else ws.project_dir / p for p in args.policy_pack]
        if args.command == "outputs":
            print(json.dumps(ws.outputs(args.show_secrets), indent=1))
            return 0
        operation = {
            "preview": lambda: ws.preview(packs, args.expect_no_changes),
            "up": lambda: ws.up(packs),
            "refresh": ws.refresh,
            "destroy": ws.destroy,
        }[args.command]
        result = operation()
    except (DriverError, LabError, OSError) as error:
        print(f"lab.driver: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary(result), indent=1))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
