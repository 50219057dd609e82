"""The real Pulumi CLI, driven for the lab: every end-to-end run goes through it.

The CLI, its Python language host and the pulumi-kubernetes provider are the ones
lab/toolchain built from Go modules; pulumi-command is the stand-in of
lab/standins/pulumi_command (its module is refused by the Go module proxy). The driver
installs those plugins into PULUMI_HOME (``plugins.py``), runs the CLI offline with a
closed environment (``cli.py``), keeps each stack in a workspace of its own: a copy of
the project, a file backend, a passphrase (``workspace.py``), points a stack at a lab
(``labstack.py``) and reads what each command did from the engine's event log
(``events.py``).

    python -m lab.driver preview --stack dev --ssh-key KEY [--policy-pack policy]
    python -m lab.driver up --lab LAB_ID          # the dev stack on a running lab
"""

from .cli import Cli, DriverError, Toolchain
from .events import Outcome, Step
from .labstack import for_lab
from .workspace import Workspace

__all__ = ["Cli", "DriverError", "Outcome", "Step", "Toolchain", "Workspace", "for_lab"]
