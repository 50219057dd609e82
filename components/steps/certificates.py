"""Step certificates: every control plane renews kubeadm's certificates before they expire.

kubeadm issues the control plane's certificates and the admin kubeconfig for one year and
renews them only on ``kubeadm upgrade`` or ``kubeadm certs renew``; a cluster left alone
for a year stops answering. This step checks them on every control plane, renews them all
once the first is within ``certificates.renewBeforeDays`` of its end, and restarts the
control-plane containers, which read certificates only when they start.

When does it run? A declarative program has no schedule, so time enters as an input: the
month of the run (:func:`renewal_period`) is the step's trigger, so the first ``up`` of
each month checks, and ``preview`` says so honestly (one replacement per control plane).
``renewBeforeDays`` is at least 32 days, so a monthly check always lands before the end.
Changing ``renewBeforeDays`` runs the check at once.

Its stdout, a secret, is the earliest expiry after the check and, on the first control
plane, the admin kubeconfig after it: the stack's ``kubeconfig`` output is always the
current one (:func:`parse_report`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date

from components.config import NodeConfig, Platform
from components.hostfiles import containerd, kubeadm
from components.steps.step import Step
from components.steps.waves import control_plane_wave
from components.vocabulary import CERTIFICATES

RESTART_TIMEOUT_SECONDS = 300
# The trigger's granularity: checks must come more often than the renewal window is long.
CHECK_EVERY_DAYS = 31


def renewal_period(today: date) -> str:
    """The month of a run ("2026-12"): the step runs again when it changes."""
    return f"{today:%Y-%m}"


def step(platform: Platform, node: NodeConfig) -> Step | None:
    if not node.is_control_plane:
        return None
    first = node.name == platform.init_node.name
    return Step(
        name=CERTIFICATES,
        node=node.name,
        runs_on=node.name,
        templates=("kube-common.sh", "certificates.sh"),
        variables={
            "ADMIN_CONF": kubeadm.ADMIN_CONF,
            "API_SERVER_URL": platform.api_server_url,
            "LOCAL_API_URL": f"https://{node.address}:{platform.config.api_port}",
            "CRI_ENDPOINT": containerd.SOCKET,
            "RENEW_BEFORE_DAYS": platform.config.certificates.renew_before_days,
            "RESTART_TIMEOUT_SECONDS": RESTART_TIMEOUT_SECONDS,
            "PRINT_KUBECONFIG": "yes" if first else "no",
        },
        # the month, and the release: kubeadm upgrade renews the certificates, and the
        # kubeconfig output must be the renewed one
        triggers=(renewal_period(platform.today), platform.version.tag),
        wave=control_plane_wave(platform, node),  # a renewal restarts the API server: one at a time
    )


@dataclass(frozen=True)
class Report:
    """What a certificates step printed."""

    expires: str  # RFC 3339 UTC: when the first certificate of that control plane expires
    kubeconfig: str | None  # the admin kubeconfig (first control plane only)


def parse_report(stdout: str) -> Report:
    """The step's stdout (``key=value`` lines) as a :class:`Report`; a malformed one is
    refused without quoting it (it holds the admin credential)."""
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key] = value
    if "expires" not in values:
        raise ValueError("the certificates step printed no expiry (expires=...): see its log on the control plane")
    kubeconfig = None
    if "kubeconfig" in values:
        try:
            kubeconfig = base64.b64decode(values["kubeconfig"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("the certificates step printed a kubeconfig that is not base64 text") from None
    return Report(expires=values["expires"], kubeconfig=kubeconfig)


def earliest(reports: list[Report]) -> str:
    """The first expiry among the control planes (RFC 3339 UTC strings sort as times)."""
    return min(report.expires for report in reports)
