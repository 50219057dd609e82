"""The text files the lab's Debian packages install: systemd units, the kubeadm drop-in,
defaults and maintainer scripts.

Written for the lab, with the behaviour of upstream's packaging (kubernetes/release
``cmd/krel/templates/latest``, containerd's ``containerd.service``): the same unit
settings, the same environment variable names and files (they are the interface
kubeadm writes to), in the same places.
"""

from __future__ import annotations

KUBELET_SERVICE = """\
[Unit]
Description=kubelet: the Kubernetes node agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target
# kubelet restarts until kubeadm has written its configuration: never give up.
StartLimitIntervalSec=0

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
"""

# kubeadm's contract with the kubelet unit (shipped by the kubeadm package): kubeadm
# init/join write the kubeconfigs, config.yaml and kubeadm-flags.env named here.
KUBEADM_DROP_IN = """\
# How kubeadm runs the kubelet (kubelet and kubeadm v1.11 or later).
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# KUBELET_KUBEADM_ARGS: flags kubeadm init/join derive for this node at run time.
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# KUBELET_EXTRA_ARGS: the administrator's last resort; prefer
# nodeRegistration.kubeletExtraArgs in kubeadm's configuration.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
"""

KUBELET_DEFAULTS = "KUBELET_EXTRA_ARGS=\n"

CONTAINERD_SERVICE = """\
[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target dbus.service local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/bin/containerd
Type=notify
# containerd and its shims manage the cgroups of containers below this unit.
Delegate=yes
# Stopping containerd leaves the shims, hence running containers, alone.
KillMode=process
Restart=always
RestartSec=5
# Per-process limits cost the kernel accounting; containers get cgroup limits instead.
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
"""


def postinst(unit: str) -> str:
    """Enable the unit on configure and (re)start it when systemd runs, as Debian's
    packaging of services does; without systemd (a chroot) only the enablement."""
    return f"""\
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    systemctl enable {unit} >/dev/null 2>&1 || deb-systemd-helper enable {unit} >/dev/null
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl restart {unit}
    fi
fi
"""


def prerm(unit: str) -> str:
    """Stop the unit when the package goes away (not on upgrade: postinst restarts it)."""
    return f"""\
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop {unit} || true
fi
"""


def postrm(unit: str) -> str:
    """Forget the unit's enablement on purge; let systemd reread its units."""
    return f"""\
#!/bin/sh
set -e
if [ "$1" = purge ]; then
    systemctl disable {unit} >/dev/null 2>&1 || deb-systemd-helper purge {unit} >/dev/null || true
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
"""


def service_scripts(unit: str) -> tuple[tuple[str, str], ...]:
    """The maintainer scripts of a package that ships and runs one systemd unit."""
    return (("postinst", postinst(unit)), ("prerm", prerm(unit)), ("postrm", postrm(unit)))
