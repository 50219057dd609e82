"""spark-on-metal's policy rules as plain functions, and their wiring (``pack``).

Rules take what Pulumi shows a policy (type token, properties, name, options) and return
what is wrong, so tests and tools call them without the Pulumi engine.

The names they look for (labels, annotations, secret steps) and the label syntax are the
program's own, imported from ``components.vocabulary`` and ``components.syntax`` (modules
without dependencies), so the pack cannot drift from what the program builds. The
repository root goes at the end of sys.path, so nothing of the program shadows the
pack's own modules.
"""

import sys
from pathlib import Path

_REPOSITORY = str(Path(__file__).resolve().parents[2])
if _REPOSITORY not in sys.path:
    sys.path.append(_REPOSITORY)

from .pods import pod_security_violations, tenant_workload_violations
from .rbac import rbac_violations, tenant_rbac_violations
from .secret_steps import SECRET_STEPS, secret_step_violations
from .tenancy import tenant_selector_violations

__all__ = [
    "SECRET_STEPS",
    "pod_security_violations",
    "rbac_violations",
    "secret_step_violations",
    "tenant_rbac_violations",
    "tenant_selector_violations",
    "tenant_workload_violations",
]
