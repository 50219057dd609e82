"""Where the project's own non-Python sources live: each shell template beside the Python
module that renders it (kubespray's one concern a folder, defaults beside templates)."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
STEP_TEMPLATES = PACKAGE / "steps"  # each step's script templates, and the step library (lib.sh)
BOOT_SCRIPT_TEMPLATES = PACKAGE / "hostfiles"  # the scripts a node keeps and its boot unit runs


def shell_templates() -> list[Path]:
    """Every shell template of the project (what shellcheck and the input checks read)."""
    return sorted([*STEP_TEMPLATES.glob("*.sh"), *BOOT_SCRIPT_TEMPLATES.glob("*.sh")])
