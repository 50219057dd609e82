"""Turn raw stack config into a :class:`Platform`, or report every problem at once.

Each top-level setting, node and tenant is validated on its own, so a broken node does
not hide a broken network; then the cross-setting checks below run on whatever parsed.
A check names the settings it needs and is skipped when one of them is itself broken
(its own problem is already reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from ipaddress import IPv4Network
from typing import Any, Callable, Iterator, Mapping, Sequence

from pydantic import BaseModel, TypeAdapter, ValidationError

from components.config import NodeConfig, Platform, PlatformConfig, SecretSetting, TenantConfig
from components.network import slice_count, slice_index, slice_network, usable_per_slice
from components.manifests.meta import LABEL_DOMAIN
from components.taints import CONTROL_PLANE_TAINT, tenant_taint
from components.problems import ConfigError, ConfigProblem, kind_of, model_in, from_validation_error, join_key
from components.versions import RELEASES, KubernetesVersion, describe, release_numbers, supported_on

RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
GLIBC_MAXNS = 3  # resolv.conf nameservers glibc reads; kubelet truncates beyond it


@dataclass
class Draft:
    """What parsed, by Python name.

    ``nodes`` and ``tenants`` are the (index, item) pairs that validated; ``all_nodes`` and
    ``all_tenants`` exist only when every item did, for checks about the whole set (with a
    node missing, "no control-plane node" could be a false alarm).
    """

    settings: dict[str, Any] = field(default_factory=dict)
    today: date = field(default_factory=lambda: today())

    def has(self, *names: str) -> bool:
        return all(name in self.settings for name in names)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.settings[name]
        except KeyError:
            raise AttributeError(name) from None


def today() -> date:
    """The day releases are judged on (tests replace it to travel in time)."""
    return date.today()


Check = Callable[[Draft], Iterator[ConfigProblem]]
CHECKS: list[Check] = []


def needs(*names: str) -> Callable[[Check], Check]:
    """Register a cross-setting check that runs only when ``names`` all parsed."""

    def register(check: Check) -> Check:
        def guarded(draft: Draft) -> Iterator[ConfigProblem]:
            if draft.has(*names):
                yield from check(draft)

        guarded.__name__ = check.__name__
        CHECKS.append(guarded)
        return check

    return register


def node_key(index: int, attribute: str | None = None) -> str:
    return join_key("nodes", index, *([attribute] if attribute else []))


def tenant_key(index: int, attribute: str | None = None) -> str:
    return join_key("tenants", index, *([attribute] if attribute else []))


# ---------------------------------------------------------------------------- releases


@needs("kubernetes_version", "allow_end_of_life")
def supported_release(d: Draft) -> Iterator[ConfigProblem]:
    version = KubernetesVersion.parse(d.kubernetes_version)
    name, allowed = f"1.{version.minor}", d.allow_end_of_life
    supported = describe(supported_on(d.today))
    release = RELEASES.get(version.minor)
    if release is None:
        newer = version.minor > max(RELEASES)
        yield ConfigProblem(
            "kubernetesVersion",
            f"Kubernetes {version} is "
            + ("newer than the support table (its kubeadm images and containerd line are not known here)" if newer else "past its end of life and no longer supported"),
            f"choose a supported release: {supported}" + ("; supporting it means adding its row to components/versions.py" if newer else ""),
        )
        return
    past_end = d.today > release.end_of_life
    if allowed is not None and allowed != name:
        yield ConfigProblem(
            "allowEndOfLife", f"it names {allowed} but the stack runs Kubernetes {name}", f"remove it, or write '{name}' if that is meant"
        )
    elif allowed is not None and not past_end:
        yield ConfigProblem(
            "allowEndOfLife",
            f"Kubernetes {name} is supported until {release.end_of_life.isoformat()}: there is nothing to allow",
            "remove allowEndOfLife",
        )
    elif past_end and allowed is None:
        yield ConfigProblem(
            "kubernetesVersion",
            f"Kubernetes {name} reached its end of life on {release.end_of_life.isoformat()} (no security fixes since)",
            f"upgrade to a supported release: {supported}; or, knowingly and for a while, set allowEndOfLife: '{name}'",
        )


@needs("kubernetes_version", "containerd")
def containerd_supports_release(d: Draft) -> Iterator[ConfigProblem]:
    release = RELEASES.get(KubernetesVersion.parse(d.kubernetes_version).minor)
    wanted = d.containerd.version
    if release is None or wanted is None:
        return
    given = release_numbers(wanted)
    minimum = release_numbers(release.containerd_minimum)
    if given and given < minimum[: len(given)]:
        yield ConfigProblem(
            "containerd.version",
            f"containerd {wanted} is older than {release.containerd_minimum}, the oldest containerd 2.x that "
            f"containerd's support matrix recommends for Kubernetes {release.name}",
            f"use {release.containerd_line}.* (the default) or another version from {release.containerd_minimum} on",
        )


@needs("registry_mirrors")
def one_mirror_per_registry(d: Draft) -> Iterator[ConfigProblem]:
    for index, _, registry, first in repeats(list(enumerate(d.registry_mirrors)), lambda mirror: mirror.registry):
        yield ConfigProblem(
            join_key("registryMirrors", index, "registry"),
            f"registry {registry} already has a mirror (registryMirrors[{first}])",
            "give each registry one entry",
        )


# ---------------------------------------------------------------------------- network


@needs("pod_pool", "pod_subnet")
def pool_inside_subnet(d: Draft) -> Iterator[ConfigProblem]:
    if not d.pod_pool.subnet_of(d.pod_subnet):
        yield ConfigProblem(
            "podPool",
            f"the pod pool {d.pod_pool} is not inside the pod subnet {d.pod_subnet}",
            f"choose a podPool inside {d.pod_subnet} (the reference: subnet 10.0.0.0/17, pool 10.0.64.0/20)",
        )


@needs("gateway", "pod_subnet")
def gateway_inside_subnet(d: Draft) -> Iterator[ConfigProblem]:
    subnet: IPv4Network = d.pod_subnet
    if d.gateway not in subnet:
        yield ConfigProblem(
            "gateway", f"the gateway {d.gateway} is outside the pod subnet {subnet}", f"give the router's address in {subnet}"
        )
    elif d.gateway in (subnet.network_address, subnet.broadcast_address):
        yield ConfigProblem(
            "gateway",
            f"the gateway {d.gateway} is the network or broadcast address of {subnet}",
            "give the router's real host address",
        )


@needs("gateway", "pod_pool")
def gateway_outside_pool(d: Draft) -> Iterator[ConfigProblem]:
    if d.gateway in d.pod_pool:
        yield ConfigProblem(
            "gateway",
            f"the gateway {d.gateway} lies inside the pod pool {d.pod_pool}: a pod could be given the router's address",
            "move the pool so it excludes the gateway, or correct the gateway",
        )


@needs("service_cidr", "pod_pool")
def services_outside_pool(d: Draft) -> Iterator[ConfigProblem]:
    if d.service_cidr.overlaps(d.pod_pool):
        yield ConfigProblem(
            "serviceCidr",
            f"the service CIDR {d.service_cidr} overlaps the pod pool {d.pod_pool}",
            "choose a service CIDR outside the pool (it may lie inside podSubnet, as the reference's 10.0.80.0/24 does)",
        )


@needs("service_cidr", "gateway")
def services_exclude_gateway(d: Draft) -> Iterator[ConfigProblem]:
    if d.gateway in d.service_cidr:
        yield ConfigProblem(
            "serviceCidr",
            f"the service CIDR {d.service_cidr} contains the gateway {d.gateway}",
            "choose a service CIDR that excludes the router's address",
        )


@needs("service_cidr")
def service_cidr_size(d: Draft) -> Iterator[ConfigProblem]:
    # kube-apiserver refuses service CIDRs with more than 2^20 addresses.
    if d.service_cidr.prefixlen < 12:
        yield ConfigProblem(
            "serviceCidr",
            f"the service CIDR {d.service_cidr} is larger than kube-apiserver accepts (/12 at most)",
            "use a prefix of /12 or longer, e.g. a /24",
        )


@needs("pod_pool", "pod_slice_prefix")
def slice_fits(d: Draft) -> Iterator[ConfigProblem]:
    prefix = d.pod_slice_prefix
    if prefix < d.pod_pool.prefixlen:
        yield ConfigProblem(
            "podSlicePrefix",
            f"a /{prefix} slice is larger than the pod pool {d.pod_pool}",
            f"use a prefix of at least /{d.pod_pool.prefixlen} (the reference: /25, 126 pods per node)",
        )
    elif usable_per_slice(prefix) == 0:
        yield ConfigProblem(
            "podSlicePrefix",
            f"a /{prefix} slice leaves no usable pod address (its first and last addresses are never handed out)",
            "use a prefix of /30 or shorter; /25 gives 126 pods per node",
        )


# ---------------------------------------------------------------------------- nodes


def repeats(items: list[tuple[int, Any]], value_of: Callable[[Any], Any]) -> Iterator[tuple[int, Any, Any, int]]:
    """(index, item, value, index of the first item with that value) for every repeat."""
    first: dict[Any, int] = {}
    for index, item in items:
        value = value_of(item)
        if value in first:
            yield index, item, value, first[value]
        else:
            first[value] = index


@needs("nodes")
def unique_node_names(d: Draft) -> Iterator[ConfigProblem]:
    for index, _, name, first in repeats(d.nodes, lambda node: node.name):
        yield ConfigProblem(node_key(index, "name"), f"node name {name} is already used by nodes[{first}]", "give every node its own name")


@needs("nodes")
def unique_node_addresses(d: Draft) -> Iterator[ConfigProblem]:
    for index, _, address, first in repeats(d.nodes, lambda node: node.address):
        yield ConfigProblem(node_key(index, "address"), f"address {address} is already used by nodes[{first}]", "give every node its own address")


@needs("nodes", "pod_subnet")
def node_addresses_in_subnet(d: Draft) -> Iterator[ConfigProblem]:
    subnet: IPv4Network = d.pod_subnet
    for index, node in d.nodes:
        if node.address not in subnet:
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} is outside the pod subnet {subnet}: pods could not reach the node on layer 2",
                f"give the node its address in {subnet}, or widen podSubnet to the hosts' network",
            )
        elif node.address in (subnet.network_address, subnet.broadcast_address):
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} is the network or broadcast address of {subnet}",
                "give the node a host address",
            )


@needs("nodes", "pod_pool")
def node_addresses_outside_pool(d: Draft) -> Iterator[ConfigProblem]:
    for index, node in d.nodes:
        if node.address in d.pod_pool:
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} lies inside the pod pool {d.pod_pool}: a pod could be given this host's address",
                f"give the node an address outside {d.pod_pool}",
            )


@needs("nodes", "service_cidr")
def node_addresses_outside_services(d: Draft) -> Iterator[ConfigProblem]:
    for index, node in d.nodes:
        if node.address in d.service_cidr:
            yield ConfigProblem(
                "serviceCidr",
                f"the service CIDR {d.service_cidr} contains nodes[{index}]'s address {node.address}",
                "choose a service CIDR that contains no node address",
            )


@needs("nodes", "gateway")
def gateway_is_no_node(d: Draft) -> Iterator[ConfigProblem]:
    for index, node in d.nodes:
        if node.address == d.gateway:
            yield ConfigProblem(
                node_key(index, "address"),
                f"{node.address} is the gateway's address",
                "the gateway is the physical router; give the node its own address",
            )


@needs("nodes", "macvlan_interface")
def uplink_is_not_macvlan(d: Draft) -> Iterator[ConfigProblem]:
    for index, node in d.nodes:
        if node.uplink == d.macvlan_interface:
            yield ConfigProblem(
                node_key(index, "uplink"),
                f"the uplink {node.uplink} has the name reserved for the macvlan sub-interface",
                "rename macvlanInterface or correct the uplink",
            )


@needs("all_nodes", "pod_pool", "pod_slice_prefix", "pod_subnet")
def slices_available(d: Draft) -> Iterator[ConfigProblem]:
    count = slice_count(d.pod_pool, d.pod_slice_prefix)
    if count == 0 or usable_per_slice(d.pod_slice_prefix) == 0:
        return  # reported by slice_fits
    if len(d.nodes) > count:
        yield ConfigProblem(
            "nodes",
            f"{len(d.nodes)} nodes need {len(d.nodes)} slices but the pool {d.pod_pool} holds only {count} /{d.pod_slice_prefix} slices",
            "widen podPool or lengthen podSlicePrefix (smaller slices, fewer pods per node)",
        )
        return
    owner: dict[int, int] = {}
    address_of = {index: node.address for index, node in d.nodes}
    for index, node in d.nodes:
        if node.pod_slice is not None and node.pod_slice >= count:
            yield ConfigProblem(
                node_key(index, "podSlice"),
                f"slice {node.pod_slice} does not exist: the pool {d.pod_pool} has slices 0 to {count - 1}",
                f"choose a free slice from 0 to {count - 1}",
            )
            continue
        chosen = slice_index(node, d.pod_subnet, count)
        if chosen in owner and node.pod_slice is None and address_of[owner[chosen]] == node.address:
            continue  # the same address gives the same slice: reported as a duplicate address
        if chosen in owner:
            taken = {slice_index(n, d.pod_subnet, count) for _, n in d.nodes}
            free = [str(i) for i in range(count) if i not in taken][:5]
            yield ConfigProblem(
                node_key(index, "podSlice"),
                f"pod slice {chosen} ({slice_network(d.pod_pool, d.pod_slice_prefix, chosen)}) is already nodes[{owner[chosen]}]'s"
                + ("" if node.pod_slice is not None else " (derived from the address)"),
                f"set podSlice explicitly to a free slice ({', '.join(free) or 'none left'})",
            )
        else:
            owner[chosen] = index


@needs("all_nodes")
def has_control_plane(d: Draft) -> Iterator[ConfigProblem]:
    if d.nodes and not any(node.is_control_plane for _, node in d.nodes):
        yield ConfigProblem(
            "nodes", "no node has the role control-plane", "add 'control-plane' to the roles of the node that runs kubeadm init"
        )


@needs("all_nodes", "dns")
def dns_nodes(d: Draft) -> Iterator[ConfigProblem]:
    dns = [(index, node) for index, node in d.nodes if node.is_dns]
    for index, node in dns:
        if not node.is_kubernetes_node:
            yield ConfigProblem(
                node_key(index, "roles"),
                f"DNS node {node.name} is not in the cluster (no control-plane or worker role), so CoreDNS cannot run there",
                "add 'worker' (or 'control-plane') to its roles, or remove 'dns'",
            )
    if not dns:
        yield ConfigProblem("nodes", "no node has the role dns", "add 'dns' to the roles of one to three nodes that carry no tenant")
    elif len(dns) > GLIBC_MAXNS:
        yield ConfigProblem(
            "nodes",
            f"{len(dns)} nodes have the role dns but resolv.conf takes at most {GLIBC_MAXNS} nameservers (glibc reads no more)",
            "keep the dns role on at most three nodes",
        )
    elif len(dns) < d.dns.min_servers:
        yield ConfigProblem(
            "dns.minServers",
            f"the stack asks for at least {d.dns.min_servers} DNS servers but only {len(dns)} node(s) have the role dns",
            "add the dns role to more nodes that carry no tenant, or lower dns.minServers",
        )


@needs("all_nodes", "dns")
def upstreams_are_not_dns_nodes(d: Draft) -> Iterator[ConfigProblem]:
    dns_addresses = {node.address: node.name for _, node in d.nodes if node.is_dns}
    for position, address in enumerate(d.dns.upstreams):
        if address in dns_addresses:
            yield ConfigProblem(
                join_key("dns", "upstreams", position),
                f"{address} is DNS node {dns_addresses[address]}, where CoreDNS itself listens: every query it cannot answer would loop",
                "give resolvers outside the cluster, or leave upstreams empty (the hosts' own real upstreams)",
            )


# ---------------------------------------------------------------------------- tenants


@needs("tenants")
def unique_tenants(d: Draft) -> Iterator[ConfigProblem]:
    for index, _, name, first in repeats(d.tenants, lambda tenant: tenant.name):
        yield ConfigProblem(
            tenant_key(index, "name"), f"tenant {name} is defined twice (first at tenants[{first}])", "merge the two entries or rename one"
        )
    for index, tenant in d.tenants:
        if tenant.name in RESERVED_NAMESPACES:
            yield ConfigProblem(
                tenant_key(index, "name"),
                f"{tenant.name} is a namespace Kubernetes reserves for itself",
                "name the tenant after its team or group",
            )


@needs("tenants")
def distinct_tenant_labels(d: Draft) -> Iterator[ConfigProblem]:
    for index, tenant, selector, first in repeats(d.tenants, lambda tenant: tenant.node_selector):
        yield ConfigProblem(
            tenant_key(index, "nodeLabel"),
            f"tenant {tenant.name} selects {selector}, as tenants[{first}] does: each would run on the other's nodes",
            "give every tenant its own node label",
        )


@needs("tenants", "all_nodes")
def tenant_nodes(d: Draft) -> Iterator[ConfigProblem]:
    known = {node.name: node for _, node in d.nodes}
    owner: dict[str, tuple[int, str]] = {}  # node -> (index, name) of its tenant; names may repeat
    for index, tenant in d.tenants:
        for position, name in enumerate(tenant.nodes):
            key = join_key("tenants", index, "nodes", position)
            node = known.get(name)
            if node is None:
                yield ConfigProblem(key, f"tenant {tenant.name} names {name!r}, which is not a node of this stack", f"use one of: {', '.join(sorted(known)) or '(no nodes)'}")
            elif name in owner:
                yield ConfigProblem(
                    key,
                    f"node {name} is listed twice in tenant {tenant.name}" if owner[name][0] == index
                    else f"node {name} is already tenant {owner[name][1]}'s: a node belongs to one tenant",
                    "list each node once, in one tenant",
                )
            elif node.is_control_plane:
                yield ConfigProblem(key, f"node {name} is a control-plane node; tenant workloads never share it", "give the tenant worker nodes only")
            elif node.is_dns:
                yield ConfigProblem(key, f"node {name} serves cluster DNS; DNS nodes carry no tenant", "give the tenant other nodes, or move the dns role")
            else:
                owner[name] = (index, tenant.name)
        key, value = tenant.label
        for node_index, node in d.nodes:
            if node.name not in tenant.nodes and node.labels.get(key) == value:
                yield ConfigProblem(
                    node_key(node_index, "labels"),
                    f"node {node.name} carries {key}={value}, tenant {tenant.name}'s selector, without belonging to it",
                    "remove the label or add the node to the tenant",
                )


@needs("nodes", "tenants")
def taints_leave_platform_taints(d: Draft) -> Iterator[ConfigProblem]:
    # The platform registers these itself; a second taint with the same key and effect is
    # refused by the API server half-way through an up.
    tenant_of = {name: tenant for _, tenant in d.tenants for name in tenant.nodes}
    for index, node in d.nodes:
        platform = {(CONTROL_PLANE_TAINT["key"], CONTROL_PLANE_TAINT["effect"]): "the control-plane taint"} if node.is_control_plane else {}
        tenant = tenant_of.get(node.name)
        taint = tenant_taint(tenant) if tenant is not None else None
        if taint is not None:
            platform[(taint["key"], taint["effect"])] = f"tenant {tenant.name}'s taint"
        for position, extra in enumerate(node.taints):
            owner = platform.get((extra.key, extra.effect))
            if owner is not None:
                yield ConfigProblem(
                    join_key("nodes", index, "taints", position),
                    f"{extra.key} with effect {extra.effect} is {owner}, which the platform sets on this node",
                    "remove it (the platform's taint is always there)",
                )


# ---------------------------------------------------------------------------- Kubernetes layer

PLATFORM_LABEL_DOMAIN = f"{LABEL_DOMAIN}/"


@needs("nodes")
def no_platform_node_labels(d: Draft) -> Iterator[ConfigProblem]:
    # The platform derives spark-on-metal.io/* node labels from roles and tenants (the DNS
    # DaemonSet selects spark-on-metal.io/dns); a hand-set one would contradict them.
    for index, node in d.nodes:
        for key in sorted(node.labels):
            if key.startswith(PLATFORM_LABEL_DOMAIN):
                yield ConfigProblem(
                    node_key(index, "labels"),
                    f"label {key} is the platform's: it derives {PLATFORM_LABEL_DOMAIN}* labels from roles and tenants",
                    "remove it; give the node the dns role or add it to a tenant instead",
                )


@needs("tenants", "spark")
def spark_conf_leaves_platform_settings(d: Draft) -> Iterator[ConfigProblem]:
    from components.manifests.spark import platform_setting_keys

    for index, tenant in d.tenants:
        reserved = platform_setting_keys(tenant)
        for where, conf in ((tenant_key(index, "sparkConf"), tenant.spark_conf), ("spark.conf", d.spark.conf)):
            for key in sorted(set(conf) & reserved):
                yield ConfigProblem(
                    where,
                    f"{key} is set by the platform: it decides where tenant {tenant.name}'s jobs run",
                    "remove it (the platform's value always wins)",
                )


def _spark_confs(d: Draft) -> Iterator[tuple[str, dict[str, str]]]:
    """(config key, settings) of every place the stack gives Spark settings."""
    if d.has("spark"):
        yield "spark.conf", d.spark.conf
    if d.has("tenants"):
        for index, tenant in d.tenants:
            yield tenant_key(index, "sparkConf"), tenant.spark_conf


@needs()
def spark_conf_keys_known(d: Draft) -> Iterator[ConfigProblem]:
    # Spark ignores a key it does not know without a word: a typo would do nothing, silently.
    from components import spark_keys

    for where, conf in _spark_confs(d):
        for key in sorted(conf):
            found = spark_keys.problem(key)
            if found is not None:
                yield ConfigProblem(where, *found)


@needs()
def upload_path_has_its_setting(d: Draft) -> Iterator[ConfigProblem]:
    from components.manifests.spark import UPLOAD_PATH_KEY

    for where, conf in _spark_confs(d):
        if UPLOAD_PATH_KEY in conf:
            yield ConfigProblem(
                where,
                f"{UPLOAD_PATH_KEY} has its own, checked setting",
                "remove it here and set spark.uploadPath (an s3a:// or hdfs:// URI) instead",
            )


# ---------------------------------------------------------------------------- secrets


@needs("ssh_private_key")
def ssh_key_is_secret(d: Draft) -> Iterator[ConfigProblem]:
    secret: SecretSetting | None = d.ssh_private_key
    if secret is None:
        yield ConfigProblem(
            "sshPrivateKey",
            "required setting is missing",
            "store the key as a secret: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519",
        )
    elif not secret.stored_as_secret:
        yield ConfigProblem(
            "sshPrivateKey",
            "the SSH private key is stored in plain text",
            "remove it and store it encrypted: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519",
        )


# ---------------------------------------------------------------------------- loading


_LIST_ITEMS = {"nodes": NodeConfig, "tenants": TenantConfig}


def _parse(raw: Mapping[str, Any]) -> tuple[Draft, list[ConfigProblem]]:
    draft, problems = Draft(), []
    aliases = {info.alias or name: name for name, info in PlatformConfig.model_fields.items()}
    for key in raw:
        if key not in aliases:
            problems += from_validation_error(_extra(key), known=aliases)
    for alias, name in aliases.items():
        info = PlatformConfig.model_fields[name]
        if alias not in raw:
            if info.is_required():
                problems.append(ConfigProblem(alias, "required setting is missing", "set it; it has no default"))
            else:
                draft.settings[name] = info.get_default(call_default_factory=True)
            continue
        value = raw[alias]
        if name in _LIST_ITEMS:
            items = _parse_items(alias, value, _LIST_ITEMS[name], problems)
            if items is not None:
                draft.settings[name] = items
                if len(items) == len(value):
                    draft.settings[f"all_{name}"] = items
            continue
        try:
            draft.settings[name] = TypeAdapter(info.rebuild_annotation()).validate_python(value)
        except ValidationError as error:
            problems += from_validation_error(
                error, prefix=(alias,), model=_section_model(info.annotation), default=info.get_default(call_default_factory=False)
            )
    return draft, problems


def _parse_items(alias: str, value: Any, model, problems: list[ConfigProblem]):
    if not isinstance(value, (list, tuple)):
        problems.append(ConfigProblem(alias, f"expected a list, got {kind_of(value)}", f"write {alias} as a YAML list"))
        return None
    if alias == "nodes" and not value:
        problems.append(ConfigProblem(alias, "the stack has no nodes", "list at least one control-plane node"))
        return None
    items = []
    for index, item in enumerate(value):
        try:
            items.append((index, model.model_validate(item)))
        except ValidationError as error:
            problems += from_validation_error(error, prefix=(alias, index), model=model)
    return items


def _section_model(annotation: Any) -> type[BaseModel] | None:
    found = model_in(annotation)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def _extra(key: str) -> ValidationError:
    """A pydantic-shaped 'unknown key' error, so top-level typos read like nested ones."""
    return ValidationError.from_exception_data(
        "PlatformConfig", [{"type": "extra_forbidden", "loc": (key,), "input": None}]
    )


def load_platform(
    raw: Mapping[str, Any], stack: str, today: date | None = None, earlier: Sequence[ConfigProblem] = ()
) -> Platform:
    """Validate raw config (camelCase keys, without the project prefix) into a Platform.

    ``today`` decides which releases are past their end of life (default: the clock);
    ``earlier`` are problems found while reading the raw settings, reported with the rest.
    Raises :class:`ConfigError` listing every problem found; nothing is built otherwise.
    """
    draft, found = _parse(raw)
    problems = [*earlier, *found]
    if today is not None:
        draft.today = today
    for check in CHECKS:
        problems.extend(check(draft))
    if problems:
        raise ConfigError(problems)
    config = PlatformConfig.model_validate(dict(raw))
    return Platform(config, stack)

