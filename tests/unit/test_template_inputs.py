"""Each shell template declares the values it needs (``# Inputs: A B``) and rendering
checks them (components/shell.py ``check_inputs``).

Why: values enter a script only as ``readonly`` assignments above its templates, and
shellcheck cannot see them (SC2154 is off in templates), so a renamed variable in Python
or a new ``$VALUE`` in a template would otherwise run on a host as an empty string under
``set -u``... or worse, as the host's own environment variable of that name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components import shell
from components.paths import BOOT_SCRIPT_TEMPLATES, shell_templates

# A value is referenced ($NAME, ${NAME...}) and not assigned in the template itself
# (NAME=, readonly/local/declare NAME=, for NAME in, read NAME). Comments and
# single-quoted text (awk programs, printf formats) are not shell expansions.
REFERENCE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
ASSIGNMENT = re.compile(
    r"(?:^|[\s;(])(?:readonly\s+|local\s+(?:-[a-zA-Z]+\s+)?|export\s+|declare\s+(?:-[a-zA-Z]+\s+)?)?([A-Z][A-Z0-9_]*)="
    r"|(?:for|read(?:\s+-[a-zA-Z]+)*)\s+([A-Z][A-Z0-9_]*)",
    re.MULTILINE,
)
STEP_CONTEXT = {"SOM_NODE", "SOM_RUNS_ON", "SOM_STEP"}  # set in every step script
BASH_OWN = {"BASH_COMMAND", "LINENO"}


def needed(text: str) -> set[str]:
    code = "\n".join(re.sub(r"'[^']*'", "''", line) for line in text.splitlines() if not line.lstrip().startswith("#"))
    assigned = {a or b for a, b in ASSIGNMENT.findall(code)}
    return set(REFERENCE.findall(code)) - assigned - STEP_CONTEXT - BASH_OWN


TEMPLATE_FILES = shell_templates()


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=[path.name for path in TEMPLATE_FILES])
def test_a_template_declares_exactly_the_values_it_uses(path: Path) -> None:
    text = path.read_text()
    assert re.search(r"^# Inputs:", text, re.MULTILINE), f"{path.name} has no '# Inputs:' header"
    assert shell.declared_inputs(path) == needed(text)


def test_rendering_refuses_a_missing_or_undeclared_value() -> None:
    template = BOOT_SCRIPT_TEMPLATES / "pod-forwarding.sh"
    shell.check_inputs([template], {"POD_POOL": "10.0.64.0/20"})
    with pytest.raises(ValueError, match=r"inputs missing \['POD_POOL'\]"):
        shell.check_inputs([template], {})
    with pytest.raises(ValueError, match=r"given but not declared \['POD_POL'\]"):
        shell.check_inputs([template], {"POD_POOL": "10.0.64.0/20", "POD_POL": "typo"})


def test_the_parser_sees_through_comments_and_quoted_awk() -> None:
    assert needed("# $COMMENTED\nawk '{ print $NF }' \"$FILE\"\nlocal DONE=1\necho \"$DONE ${WANTED:-x}\"\n") == {"FILE", "WANTED"}
