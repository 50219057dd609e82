"""The policies of the pack: each rule wired into pulumi_policy, all mandatory.

Resource rules run on each resource's inputs before it is created or updated; stack rules
run on the whole stack's outputs at the end of a preview or update. The tenancy rules
need the whole stack (which namespaces are tenants', which nodes they own), so they are
stack rules: a preview in the pull request fails on them before anything is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .model import StackResource, Violation
from .pods import tenant_workload_violations
from .rbac import tenant_rbac_violations
from .secret_steps import secret_step_violations
from .tenancy import tenant_selector_violations

PACK_NAME = "spark-on-metal"
ResourceRule = Callable[[str, Mapping[str, Any], str, Any], list[str]]
StackRule = Callable[[Iterable[StackResource]], Iterable[Violation]]


def resource_validation(rule: ResourceRule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """Adapt a plain ``(type, props, name, opts) -> messages`` rule to pulumi_policy."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule(args.resource_type, args.props, args.name, args.opts):
            report_violation(message, None)

    return validate


def stack_validation(rule: StackRule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """Adapt a plain ``resources -> violations`` rule; violations are reported as found."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for violation in rule(args.resources):
            report_violation(violation.message, violation.urn)

    return validate


def build_policies() -> list[Policy]:
    """The pack's policies (a fresh list: pulumi_policy keeps per-policy state)."""
    mandatory = EnforcementLevel.MANDATORY
    return [
        ResourceValidationPolicy(
            name="secret-steps-stay-secret",
            description=(
                "Remote commands whose stdin or output carries cluster credentials log nothing "
                '(logging="none"), keep stdout as a secret output, and use constant command lines.'
            ),
            validate=resource_validation(secret_step_violations),
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="tenant-namespaces-pinned-to-tenant-nodes",
            description=(
                "Every tenant namespace has a single key=value node selector that selects exactly "
                "its tenant's nodes (as labelled by the stack's NodePatches) and no other tenant's."
            ),
            validate=stack_validation(tenant_selector_violations),
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="tenant-rbac-namespaced",
            description=(
                "No ClusterRoleBinding (and no RoleBinding outside the tenant's namespace) grants "
                "anything to a tenant namespace's ServiceAccounts."
            ),
            validate=stack_validation(tenant_rbac_violations),
            enforcement_level=mandatory,
        ),
        StackValidationPolicy(
            name="tenant-pods-unprivileged",
            description=(
                "Pods, workload controllers and Spark pod templates in tenant namespaces use no host "
                "network/PID/IPC and no privileged or privilege-escalating containers."
            ),
            validate=stack_validation(tenant_workload_violations),
            enforcement_level=mandatory,
        ),
    ]
