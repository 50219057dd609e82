"""The pure core never imports Pulumi: only the thin shell (cluster.py, kube.py,
program.py) does. What relies on it: ``python -m components render`` and the
spark-submit helper run on a machine without the Pulumi SDK's runtime, and every host
file and manifest stays a pure function of the validated config, testable without mocks."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import components

ROOT = Path(__file__).resolve().parents[2]
SHELL = {"components.cluster", "components.kube", "components.program"}
PULUMI_PACKAGES = ("pulumi", "pulumi_kubernetes", "pulumi_command")


def core_modules() -> list[str]:
    found = [m.name for m in pkgutil.walk_packages(components.__path__, "components.")]
    return sorted(set(found) - SHELL)


def imported_pulumi(modules: list[str]) -> list[str]:
    """The Pulumi packages loaded after importing ``modules`` in a fresh interpreter."""
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {PULUMI_PACKAGES!r})))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_the_core_is_every_module_but_the_shell() -> None:
    modules = core_modules()
    assert {"components.render", "components.validation", "components.steps", "components.spark_submit"} <= set(modules)
    assert SHELL.isdisjoint(modules)


def test_importing_the_whole_core_loads_no_pulumi_package() -> None:
    assert imported_pulumi(core_modules()) == []


def test_the_check_sees_a_pulumi_import() -> None:
    # the negative control: the shell does import it, so an empty answer above means something
    assert "pulumi" in imported_pulumi(["components.program"])
