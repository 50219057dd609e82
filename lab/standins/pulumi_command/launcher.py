"""The executable the engine runs as ``pulumi-resource-command``: a shell script that
starts this package with the project's interpreter.

Why a script: ``pulumi plugin install resource command 1.2.1 --file F`` copies one file
into the plugin directory and the engine executes it with the engine's address as its
argument; the script carries the absolute paths of the interpreter and of the project
(``PYTHONPATH``) so it works from wherever the engine starts it.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
EXECUTABLE_NAME = "pulumi-resource-command"


def launcher_text(python: str = sys.executable, project_root: Path = PROJECT_ROOT) -> str:
    return (
        "#!/bin/sh\n"
        "# STAND-IN for pulumi-resource-command 1.2.1 (see lab/standins/pulumi_command).\n"
        f"PYTHONPATH={shlex.quote(str(project_root))} exec {shlex.quote(python)} -m lab.standins.pulumi_command \"$@\"\n"
    )


def write_launcher(directory: Path, python: str = sys.executable, project_root: Path = PROJECT_ROOT) -> Path:
    """Writes the executable into ``directory`` and returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / EXECUTABLE_NAME
    path.write_text(launcher_text(python, project_root))
    path.chmod(0o755)
    return path
