"""STAND-IN for kubeadm (no kubeadm binary can be installed here).

Appears as /usr/bin/kubeadm once the apt-get stand-in installs the kubeadm package,
and reports that version. Every call is recorded (with the --config file's text).
It checks configs the way kubeadm does (kubeadm_config.py), writes the files kubeadm
writes (a real CA, kubeconfigs, static Pod manifests carrying extraArgs, the kubelet
config), and checks joins against the cluster registry (cluster.py). It starts no
control plane: nothing listens on 6443.

Subcommands: version [-o short]; config images pull|list --config F; config validate
--config F; init --config F [--upload-certs] [--skip-phases ...]; init phase
upload-certs --upload-certs [--certificate-key K]; join --config F (or the flag form
that `kubeadm init` prints); token create [TOKEN] [--ttl D] [--description S]
[--print-join-command]; certs certificate-key; reset -f.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from . import cluster, kubeadm_pki as pki
from .common import fail, kube_version, minor_of, record
from .kubeadm_config import ConfigError, KubeadmConfig, duration_seconds, load, parse, split_endpoint
from .kubeadm_files import (
    ADMIN_CONF, CONTROL_PLANE, DEFAULT_REPOSITORY, ETCD_DIR, K8S, KUBELET_CONF, KUBELET_DIR, MANIFESTS, PKI,
    write_control_plane, write_kubeconfigs, write_kubelet_files,
)

TOKENS_FILE = K8S / "som-lab-tokens"
DEFAULT_TOKEN_TTL = "24h0m0s"

COMMANDS: dict[tuple[str, ...], list[tuple[tuple[str, ...], dict[str, Any]]]] = {
    ("version",): [(("-o", "--output"), {})],
    ("config", "images", "pull"): [(("--config",), {})],
    ("config", "images", "list"): [(("--config",), {})],
    ("config", "validate"): [(("--config",), {"required": True})],
    ("init", "phase", "upload-certs"): [
        (("--upload-certs",), {"action": "store_true"}), (("--certificate-key",), {}), (("--config",), {})],
    ("init",): [
        (("--config",), {}), (("--upload-certs",), {"action": "store_true"}),
        (("--skip-phases",), {"action": "append", "default": []}), (("--certificate-key",), {}),
        (("--skip-token-print",), {"action": "store_true"})],
    ("join",): [
        (("endpoint",), {"nargs": "?"}), (("--config",), {}), (("--token",), {}),
        (("--discovery-token-ca-cert-hash",), {"action": "append", "default": []}),
        (("--discovery-token-unsafe-skip-ca-verification",), {"action": "store_true"}),
        (("--control-plane",), {"action": "store_true"}), (("--certificate-key",), {}),
        (("--node-name",), {}), (("--apiserver-advertise-address",), {}),
        (("--skip-phases",), {"action": "append", "default": []})],
    ("token", "create"): [
        (("token",), {"nargs": "?"}), (("--ttl",), {"default": DEFAULT_TOKEN_TTL}), (("--description",), {}),
        (("--print-join-command",), {"action": "store_true"}), (("--config",), {}),
        (("--usages",), {}), (("--groups",), {})],
    ("certs", "certificate-key"): [],
    ("reset",): [(("-f", "--force"), {"action": "store_true"}), (("--cri-socket",), {}),
                 (("--cleanup-tmp-dir",), {"action": "store_true"})],
}


class Refused(Exception):
    """kubeadm would exit non-zero with this message."""


def main(tool: str, argv: list[str]) -> int:
    path = next((p for p in sorted(COMMANDS, key=len, reverse=True) if tuple(argv[: len(p)]) == p), None)
    config_text = read_config_arg(argv)
    record(tool, argv, config=config_text)
    if path is None:
        return fail(f'unknown command "{" ".join(argv[:1])}" for "kubeadm" (som-lab stand-in)', 1)
    parser = argparse.ArgumentParser(prog="kubeadm " + " ".join(path))
    for flags, options in COMMANDS[path]:
        parser.add_argument(*flags, **options)
    parser.add_argument("--v", "-v")
    parser.add_argument("--ignore-preflight-errors", action="append", default=[])
    args = parser.parse_args(argv[len(path):])
    version = kube_version("kubeadm")
    try:
        return HANDLERS[path](args, version)
    except (Refused, ConfigError) as exc:
        return fail(f"error: {exc}", 1)


def read_config_arg(argv: list[str]) -> str | None:
    """The text of the --config file, for the call log (None if absent/unreadable)."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            path = argv[i + 1]
        elif arg.startswith("--config="):
            path = arg.split("=", 1)[1]
        else:
            continue
        try:
            return Path(path).read_text()
        except OSError:
            return None
    return None


def load_config(args: argparse.Namespace, version: str, need: tuple[str, ...]) -> KubeadmConfig:
    """The --config file (or an empty one), required to hold one of the `need` kinds."""
    config = load(args.config, minor_of(version)) if args.config else parse("", minor_of(version))
    if args.config and not any(kind in config.docs for kind in need):
        raise ConfigError(f"no {' or '.join(need)} kind was found in the configuration file")
    return config


def preflight(args: argparse.Namespace, files: list[Path]) -> None:
    """kubeadm's FileAvailable checks, honouring --ignore-preflight-errors."""
    ignored = {e.lower() for arg in args.ignore_preflight_errors for e in arg.split(",")}
    errors = []
    for file in files:
        check = "FileAvailable-" + str(file).replace("/", "-")
        if file.exists() and "all" not in ignored and check.lower() not in ignored:
            errors.append(f"\t[ERROR {check}]: {file} already exists")
    if errors:
        raise Refused("[preflight] Some fatal errors occurred:\n" + "\n".join(errors)
                      + "\n[preflight] If you know what you are doing, you can make a check non-fatal with "
                        "`--ignore-preflight-errors=...`")


def cmd_version(args: argparse.Namespace, version: str) -> int:
    if args.output == "short":
        print(version)
    elif args.output in ("json", "yaml"):
        info = {"clientVersion": {"gitVersion": version, "major": "1", "minor": str(minor_of(version))}}
        print(json.dumps(info, indent=2) if args.output == "json" else yaml.safe_dump(info), end="\n")
    else:
        print(f'kubeadm version: &version.Info{{Major:"1", Minor:"{minor_of(version)}", GitVersion:"{version}"}}')
    return 0


def images(config: KubeadmConfig, version: str) -> list[str]:
    """What `config images list` prints: the kube images at the installed version.

    Tags of coredns, pause and etcd depend on kubeadm's internal tables, which the
    stand-in does not copy; those images are listed without a tag.
    """
    cfg = config.get("ClusterConfiguration")
    repo = cfg.get("imageRepository") or DEFAULT_REPOSITORY
    names = [f"{c}:{version}" for c in CONTROL_PLANE]
    if not (cfg.get("proxy") or {}).get("disabled"):
        names.append(f"kube-proxy:{version}")
    if not (cfg.get("dns") or {}).get("disabled"):
        names.append("coredns/coredns")
    names.append("pause")
    if not (cfg.get("etcd") or {}).get("external"):
        names.append("etcd")
    return [f"{repo}/{name}" for name in names]


def cmd_images(args: argparse.Namespace, version: str, pull: bool) -> int:
    config = load_config(args, version, ("InitConfiguration", "ClusterConfiguration"))
    for image in images(config, version):
        print(f"[config/images] Pulled {image}" if pull else image)
    return 0


def cmd_validate(args: argparse.Namespace, version: str) -> int:
    load(args.config, minor_of(version))
    print("ok")
    return 0


def check_kubernetes_version(config: KubeadmConfig, version: str) -> str:
    """The control plane version: ClusterConfiguration.kubernetesVersion or kubeadm's own."""
    wanted = config.get("ClusterConfiguration").get("kubernetesVersion") or version
    if not re.match(r"^v?\d+\.\d+\.\d+$", wanted):
        raise ConfigError(f'couldn\'t parse Kubernetes version "{wanted}"')
    if minor_of(wanted) < minor_of(version) - 1:
        raise Refused(f"this version of kubeadm only supports deploying clusters with the control plane version "
                      f">= 1.{minor_of(version) - 1}.0. Current version: {wanted}")
    return "v" + wanted.lstrip("v")


def local_addresses() -> tuple[list[str], str | None]:
    """(every IPv4 address on this node, the address kubeadm would auto-detect)."""
    def ip_json(*args: str) -> list[dict[str, Any]]:
        output = subprocess.run(["ip", "-j", *args], capture_output=True, text=True).stdout
        return list(json.loads(output or "[]"))

    addrs = [(link["ifname"], a["local"]) for link in ip_json("-4", "addr") for a in link.get("addr_info", [])]
    default_dev = next((r.get("dev") for r in ip_json("-4", "route", "show", "default")), None)
    detected = next((a for dev, a in addrs if dev == default_dev), None)
    return [a for _, a in addrs], detected


def advertise(local_api_endpoint: dict[str, Any] | None) -> tuple[str, int]:
    """(address, port) this node's API server would bind: given, or auto-detected like kubeadm."""
    local = local_api_endpoint or {}
    port = local.get("bindPort") or 6443
    addresses, detected = local_addresses()
    address = local.get("advertiseAddress") or detected
    if address not in addresses:
        raise Refused(f"[wait-control-plane] kube-apiserver cannot bind {address}:{port}: "
                      "cannot assign requested address (not an address of this node)")
    return address, port


def cluster_endpoint(cluster_cfg: dict[str, Any], address: str, port: int) -> str:
    """The endpoint clients use: controlPlaneEndpoint (port defaulted) or address:port."""
    endpoint = cluster_cfg.get("controlPlaneEndpoint") or f"{address}:{port}"
    return endpoint if split_endpoint(endpoint) else f"{endpoint}:{port}"


def node_name(node_registration: dict[str, Any], flag: str | None = None) -> str:
    return (flag or node_registration.get("name") or socket.gethostname()).lower()


def add_token(token: str, ttl_seconds: float, description: str | None) -> None:
    """Record a token where the scripts' node can see it and where joining nodes check it."""
    expires = time.time() + ttl_seconds if ttl_seconds else None
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)) if expires else "never"
    with open(TOKENS_FILE, "a") as f:
        f.write(f"{token} {stamp} {description or ''}".rstrip() + "\n")
    with cluster.registry() as data:
        data.setdefault("tokens", {})[token] = expires


def upload_certificate_key(key: str | None) -> str:
    key = key or pki.new_certificate_key()
    with cluster.registry() as data:
        data["certificate_key"] = {"key": key, "expires": time.time() + cluster.CERTIFICATE_KEY_TTL}
    print('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace')
    print(f"[upload-certs] Using certificate key:\n{key}")
    return key


def join_command(endpoint: str, token: str, ca_hash: str, certificate_key: str | None = None,
                 separator: str = " \\\n\t") -> str:
    """The join command kubeadm prints: over lines after init, on one line for --print-join-command."""
    parts = [f"kubeadm join {endpoint} --token {token}", f"--discovery-token-ca-cert-hash {ca_hash}"]
    if certificate_key:
        parts.append(f"--control-plane --certificate-key {certificate_key}")
    return separator.join(parts)


def require_admin_conf() -> None:
    """Commands that talk to the API server need the admin kubeconfig init wrote."""
    if not ADMIN_CONF.exists():
        raise Refused(f"failed to load admin kubeconfig: open {ADMIN_CONF}: no such file or directory")


def cmd_init(args: argparse.Namespace, version: str) -> int:
    config = load_config(args, version, ("InitConfiguration", "ClusterConfiguration"))
    init, cfg = config.get("InitConfiguration"), config.get("ClusterConfiguration")
    k8s_version = check_kubernetes_version(config, version)
    print(f"[init] Using Kubernetes version: {k8s_version}\n[preflight] Running pre-flight checks")
    preflight(args, [MANIFESTS / f"{c}.yaml" for c in (*CONTROL_PLANE, "etcd")])
    address, port = advertise(init.get("localAPIEndpoint"))
    endpoint = cluster_endpoint(cfg, address, port)
    registration = init.get("nodeRegistration") or {}
    algorithm = cfg.get("encryptionAlgorithm") or "RSA-2048"
    cluster_name = cfg.get("clusterName") or "kubernetes"
    name = node_name(registration)
    print('[certs] Generating "ca" certificate and key')
    pki.make_ca(PKI, algorithm)
    ca_hash = pki.ca_cert_hash(PKI / "ca.crt")
    write_kubeconfigs(PKI, f"https://{endpoint}", cluster_name, name, algorithm, admin=True)
    kubelet_config = yaml.safe_dump(config.get("KubeletConfiguration") or {
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration"}, sort_keys=False)
    print('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"')
    write_kubelet_files(kubelet_config, registration)
    print('[control-plane] Creating static Pod manifests in "/etc/kubernetes/manifests"')
    write_control_plane(cfg, address, port, k8s_version)
    with cluster.registry() as data:
        data.clear()
        data.update(endpoint=endpoint, ca_cert_hash=ca_hash, cluster_name=cluster_name,
                    kubelet_config=kubelet_config, cluster_configuration=cfg,
                    encryption_algorithm=algorithm, nodes={name: {"control_plane": True}})
        (cluster.CLUSTER_DIR / "pki").mkdir(exist_ok=True)
        for file in ("ca.crt", "ca.key"):
            shutil.copy(PKI / file, cluster.CLUSTER_DIR / "pki" / file)
    certificate_key = upload_certificate_key(args.certificate_key or init.get("certificateKey")) \
        if args.upload_certs else None
    first = (init.get("bootstrapTokens") or [{}])[0]
    token = first.get("token") or pki.new_token()
    add_token(token, duration_seconds(first.get("ttl") or DEFAULT_TOKEN_TTL), first.get("description"))
    shown = "<value withheld>" if args.skip_token_print else token
    print(f"[bootstrap-token] Using token: {shown}")
    print(init_summary(endpoint, shown, ca_hash, certificate_key, bool(cfg.get("controlPlaneEndpoint"))))
    return 0


def init_summary(endpoint: str, token: str, ca_hash: str, certificate_key: str | None, has_cpe: bool) -> str:
    """The closing text of `kubeadm init`, join commands included, as kubeadm prints it."""
    text = ["", "Your Kubernetes control-plane has initialized successfully!", "",
            "To start using your cluster, you need to run the following as a regular user:", "",
            "  mkdir -p $HOME/.kube", "  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config",
            "  sudo chown $(id -u):$(id -g) $HOME/.kube/config", ""]
    if has_cpe:
        text += ["You can now join any number of control-plane nodes running the following command on each as root:",
                 "", "  " + join_command(endpoint, token, ca_hash, certificate_key or "<certificate-key>"), ""]
    text += ["Then you can join any number of worker nodes by running the following on each as root:", "",
             join_command(endpoint, token, ca_hash)]
    return "\n".join(text)


def cmd_upload_certs(args: argparse.Namespace, version: str) -> int:
    require_admin_conf()
    if not args.upload_certs:
        print("[upload-certs] Skipping phase. Please see --upload-certs")
        return 0
    upload_certificate_key(args.certificate_key)
    return 0


def join_config(args: argparse.Namespace, version: str) -> KubeadmConfig:
    """The JoinConfiguration from --config, or built from the flags `kubeadm init` prints."""
    flags = [f for f, v in (("token", args.token), ("discovery-token-ca-cert-hash", args.discovery_token_ca_cert_hash),
                            ("endpoint", args.endpoint), ("certificate-key", args.certificate_key)) if v]
    if args.config:
        if flags:
            raise Refused(f"can not mix '--config' with arguments {flags}")
        return load_config(args, version, ("JoinConfiguration",))
    doc: dict[str, Any] = {
        "apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "JoinConfiguration",
        "discovery": {"bootstrapToken": {
            "apiServerEndpoint": args.endpoint, "token": args.token,
            "caCertHashes": args.discovery_token_ca_cert_hash,
            "unsafeSkipCAVerification": args.discovery_token_unsafe_skip_ca_verification}},
        "nodeRegistration": {"name": args.node_name} if args.node_name else {},
    }
    if args.control_plane:
        doc["controlPlane"] = {"certificateKey": args.certificate_key} if args.certificate_key else {}
    return parse(yaml.safe_dump(doc), max(minor_of(version), 31))


def discover(join: dict[str, Any]) -> dict[str, Any]:
    """What token discovery against the control plane would find, or why it fails."""
    data = cluster.read()
    discovery = join.get("discovery") or {}
    bootstrap = discovery.get("bootstrapToken")
    if bootstrap is None:
        if not Path(discovery["file"]["kubeConfigPath"]).exists():
            raise Refused(f"couldn't validate the identity of the API Server: {discovery['file']['kubeConfigPath']} "
                          "does not exist")
        return data
    endpoint = bootstrap["apiServerEndpoint"]
    if not data or data.get("endpoint") != endpoint:
        raise Refused(f'couldn\'t validate the identity of the API Server: Get "https://{endpoint}/api/v1/namespaces/'
                      f'kube-public/configmaps/cluster-info": dial tcp {endpoint}: connect: connection refused')
    if not cluster.token_valid(data, bootstrap["token"]):
        raise Refused('couldn\'t validate the identity of the API Server: could not find a JWS signature in the '
                      'cluster-info ConfigMap for token ID "' + bootstrap["token"].split(".")[0] + '"')
    if data["ca_cert_hash"] not in bootstrap["caCertHashes"]:
        raise Refused("couldn't validate the identity of the API Server: cluster CA found in cluster-info "
                      f"ConfigMap is invalid: none of the public keys \"{data['ca_cert_hash']}\" are pinned")
    return data


def cmd_join(args: argparse.Namespace, version: str) -> int:
    join = join_config(args, version).get("JoinConfiguration")
    print("[preflight] Running pre-flight checks")
    preflight(args, [KUBELET_CONF, PKI / "ca.crt"])
    data = discover(join)
    control_plane = join.get("controlPlane")
    cfg = data.get("cluster_configuration") or {}
    registration = join.get("nodeRegistration") or {}
    name = node_name(registration, args.node_name)
    ca_dir = cluster.CLUSTER_DIR / "pki"
    if control_plane is not None:
        if not cfg.get("controlPlaneEndpoint"):
            raise Refused("unable to add a new control plane instance to a cluster that doesn't have a stable "
                          "controlPlaneEndpoint address")
        if not cluster.certificate_key_valid(data, control_plane.get("certificateKey") or ""):
            raise Refused("error downloading certs: error decoding certificate key: the Secret does not exist or "
                          "the key is wrong (kubeadm-certs expire after two hours)")
        address, port = advertise(control_plane.get("localAPIEndpoint"))
        write_control_plane(cfg, address, port, version)
    PKI.mkdir(parents=True, exist_ok=True)
    for file in ("ca.crt", "ca.key") if control_plane is not None else ("ca.crt",):
        shutil.copy(ca_dir / file, PKI / file)
    write_kubeconfigs(ca_dir, f"https://{data['endpoint']}", data["cluster_name"], name,
                      data.get("encryption_algorithm", "RSA-2048"), admin=control_plane is not None)
    write_kubelet_files(data["kubelet_config"], registration)
    with cluster.registry() as shared:
        shared.setdefault("nodes", {})[name] = {"control_plane": control_plane is not None}
    print("\nThis node has joined the cluster:\n* Certificate signing request was sent to apiserver and a response "
          "was received.\n* The Kubelet was informed of the new secure connection details.\n\n"
          "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.")
    return 0


def cmd_token_create(args: argparse.Namespace, version: str) -> int:
    require_admin_conf()
    token = args.token or pki.new_token()
    if args.token:
        parse(yaml.safe_dump({"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": "InitConfiguration",
                              "bootstrapTokens": [{"token": token}]}), 31)
    add_token(token, duration_seconds(args.ttl), args.description)
    if args.print_join_command:
        data = cluster.read()
        print(join_command(data["endpoint"], token, data["ca_cert_hash"], separator=" ") + " ")
    else:
        print(token)
    return 0


def cmd_certificate_key(args: argparse.Namespace, version: str) -> int:
    print(pki.new_certificate_key())
    return 0


def cmd_reset(args: argparse.Namespace, version: str) -> int:
    """Like kubeadm reset: local state only; the Node object stays until `kubectl delete node`."""
    if not args.force:
        raise Refused("won't proceed without -f/--force: there is no terminal to confirm on")
    print("[reset] Stopping the kubelet service\n[reset] Deleting contents of directories: "
          f"[{MANIFESTS} {KUBELET_DIR} {PKI}]")
    for path in (MANIFESTS, PKI, ETCD_DIR):
        shutil.rmtree(path, ignore_errors=True)
    for name in ("admin.conf", "super-admin.conf", "kubelet.conf", "bootstrap-kubelet.conf",
                 "controller-manager.conf", "scheduler.conf", TOKENS_FILE.name):
        (K8S / name).unlink(missing_ok=True)
    for child in KUBELET_DIR.glob("*") if KUBELET_DIR.is_dir() else []:
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    print("The reset process does not clean CNI configuration, iptables or IPVS tables.")
    return 0


HANDLERS = {
    ("version",): cmd_version,
    ("config", "images", "pull"): lambda a, v: cmd_images(a, v, pull=True),
    ("config", "images", "list"): lambda a, v: cmd_images(a, v, pull=False),
    ("config", "validate"): cmd_validate,
    ("init", "phase", "upload-certs"): cmd_upload_certs,
    ("init",): cmd_init,
    ("join",): cmd_join,
    ("token", "create"): cmd_token_create,
    ("certs", "certificate-key"): cmd_certificate_key,
    ("reset",): cmd_reset,
}

if __name__ == "__main__":
    sys.exit(main("kubeadm", sys.argv[1:]))
