"""Cluster DNS: our own CoreDNS, on the host network of the DNS nodes.

Why we run it instead of patching kubeadm's addon:

- The reference's remedy for the 5-second DNS stall is CoreDNS on ``hostNetwork``,
  reached on the node IPs directly over the flat layer-2 network: no service VIP, so no
  DNAT, SNAT or conntrack entry on the DNS path. kubeadm's addon is a Deployment behind
  the ``kube-dns`` VIP; turning it into a host-network DaemonSet pinned to chosen nodes
  means rewriting the Deployment, the Service and the Corefile, and ``kubeadm upgrade``
  re-renders its addon from its own templates and would undo every patch.
- So kubeadm's addon is disabled (``dns.disabled`` in the ClusterConfiguration,
  ``addon/coredns`` skipped at init) and nothing here is named ``coredns``: kubeadm
  upgrade re-installs the stock addon when it finds a ``coredns`` ConfigMap. Every
  object is ``spark-on-metal-dns``.
- kubelet's ``clusterDNS`` is the DNS nodes' addresses (components/hostfiles/kubeadm.py);
  this DaemonSet runs exactly on those nodes (node label ``spark-on-metal.io/dns``,
  set by the node patches from the same ``dns`` role), one replica per node.

On the host network every port is shared with the host, so CoreDNS ``bind``s to the
node's own address only (``{$NODE_IP}``, CoreDNS's environment substitution, from the
downward API's ``status.hostIP``) and never collides with a host resolver on
127.0.0.53:53; health, readiness and metrics listen on that address too, on ports the
kubelet, kube-proxy, etcd and the control plane do not use. ``dnsPolicy: Default`` gives
the pod kubelet's ``resolvConf`` (components/hostfiles/resolv.py: the real upstreams,
never the stub), which ``forward . /etc/resolv.conf`` uses.
"""

from __future__ import annotations

from typing import Any

from components.config import Platform
from components.manifests import priorities
from components import vocabulary
from components.manifests.meta import DNS_NODE_LABEL, SYSTEM_NAMESPACE, Object, metadata
from components.taints import registration_taints

NAME = "spark-on-metal-dns"
APP_LABELS = {"app.kubernetes.io/name": NAME}
CONFIG_DIR = "/etc/coredns"
COREFILE = "Corefile"
NODE_IP_ENV = "NODE_IP"

DNS_PORT = 53
HEALTH_PORT = 18080
READY_PORT = 18181
METRICS_PORT = 9153
CLUSTER_DOMAIN = vocabulary.CLUSTER_DOMAIN




def corefile() -> str:
    address = f"{{${NODE_IP_ENV}}}"
    return f"""\
.:{DNS_PORT} {{
    bind {address}
    errors
    health {address}:{HEALTH_PORT} {{
        lameduck 5s
    }}
    ready {address}:{READY_PORT}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }}
    prometheus {address}:{METRICS_PORT}
    forward . /etc/resolv.conf {{
        max_concurrent 1000
    }}
    cache 30
    loop
    reload
    loadbalance
}}
"""


def _tolerations(platform: Platform) -> list[dict[str, str]]:
    """Tolerate (by key and effect) every taint a DNS node is registered with."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for node in platform.dns_nodes:
        for taint in registration_taints(platform, node):
            seen.setdefault((taint["key"], taint["effect"]), {"key": taint["key"], "operator": "Exists", "effect": taint["effect"]})
    return list(seen.values())


def _probe(path: str, port: int, **timing: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}, **timing}


def _container(platform: Platform) -> dict[str, Any]:
    return {
        "name": "coredns",
        "image": platform.coredns_image,
        "args": ["-conf", f"{CONFIG_DIR}/{COREFILE}"],
        "env": [{"name": NODE_IP_ENV, "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}],
        "ports": [
            {"name": "dns", "containerPort": DNS_PORT, "protocol": "UDP"},
            {"name": "dns-tcp", "containerPort": DNS_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "70Mi"}, "limits": {"memory": "170Mi"}},
        "livenessProbe": _probe("/health", HEALTH_PORT, initialDelaySeconds=60, timeoutSeconds=5, failureThreshold=5),
        "readinessProbe": _probe("/ready", READY_PORT, periodSeconds=10),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}],
    }


def daemon_set(platform: Platform) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": metadata(NAME, SYSTEM_NAMESPACE, labels=APP_LABELS),
        "spec": {
            "selector": {"matchLabels": dict(APP_LABELS)},
            # One node at a time: the other DNS nodes answer meanwhile (resolv.conf lists them all).
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": dict(APP_LABELS)},
                "spec": {
                    "hostNetwork": True,
                    "dnsPolicy": "Default",
                    # Kubernetes' own class: kubelet treats the pod as critical (last to be evicted).
                    "priorityClassName": priorities.SYSTEM_CLUSTER_CRITICAL,
                    "serviceAccountName": NAME,
                    "nodeSelector": {DNS_NODE_LABEL: "true", "kubernetes.io/os": "linux"},
                    "tolerations": _tolerations(platform),
                    "containers": [_container(platform)],
                    "volumes": [
                        {"name": "config", "configMap": {"name": NAME, "items": [{"key": COREFILE, "path": COREFILE}]}}
                    ],
                },
            },
        },
    }


def objects(platform: Platform) -> list[Object]:
    """ServiceAccount, RBAC and Corefile before the DaemonSet that uses them."""
    rbac = "rbac.authorization.k8s.io/v1"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(NAME, SYSTEM_NAMESPACE, labels=APP_LABELS)},
        {
            "apiVersion": rbac,
            "kind": "ClusterRole",
            "metadata": metadata(NAME, labels=APP_LABELS),
            # The kubernetes plugin's needs, as kubeadm's system:coredns ClusterRole grants them.
            "rules": [
                {"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"], "verbs": ["list", "watch"]},
                {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]},
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": metadata(NAME, labels=APP_LABELS),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": SYSTEM_NAMESPACE}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata(NAME, SYSTEM_NAMESPACE, labels=APP_LABELS),
            "data": {COREFILE: corefile()},
        },
        daemon_set(platform),
    ]
