"""Spark under the tenant's rights: the submitter's identity, the executors' lack of one,
the tenant kubeconfig built from them, and Spark 4.2's NetworkPolicy step switched off."""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import pytest
import yaml

from components import kubeconfigs, manifests
from components.config import Platform
from components.kube import KubernetesLayer, tenant_kubeconfig
from components.manifests import spark
from components.stack import load_stack_file

TOKEN = "eyJhbGciOiJSUzI1NiJ9.submitter.signature"
CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()
ADMIN_KUBECONFIG = yaml.safe_dump(
    {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://10.0.0.61:6443", "certificate-authority-data": CA}}],
        "users": [{"name": "kubernetes-admin", "user": {"client-key-data": "QURNSU4gS0VZ"}}],
    }
)
# Resources a Role may name that live outside any namespace: a Role cannot grant them
# (the API server ignores cluster-scoped resources in a Role), and naming one shows a
# misunderstanding worth failing on.
CLUSTER_SCOPED = {"nodes", "namespaces", "persistentvolumes", "clusterroles", "clusterrolebindings", "priorityclasses", "storageclasses", "certificatesigningrequests"}
# Names the README and Spark's docs give, written out rather than read back from
# components (a test that looked them up there would follow any rename or typo).
SUBMITTER_ROLE = "spark-submitter"
EXECUTOR_ACCOUNT = "spark-executor"
TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
EXCLUDED_DRIVER_STEPS = "spark.kubernetes.driver.pod.excludedFeatureSteps"
NETWORK_POLICY_STEP = "org.apache.spark.deploy.k8s.features.NetworkPolicyFeatureStep"
UPLOAD_PATH = "spark.kubernetes.file.upload.path"


@pytest.fixture(scope="module", params=["dev", "prod"])
def platform(request: pytest.FixtureRequest) -> Platform:
    return load_stack_file(request.param)


def tenant_objects(platform: Platform, name: str) -> list[dict[str, Any]]:
    return [obj for obj in manifests.objects(platform) if manifests.owner_tenant(obj, {name}) == name]


def rules_of(objects: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    [found] = [obj for obj in objects if obj["kind"] == "Role" and obj["metadata"]["name"] == role]
    return found["rules"]


def submitter_rules(platform: Platform, tenant: str) -> list[dict[str, Any]]:
    """The rules of the submitter Role as rendered into the tenant's namespace."""
    return rules_of(tenant_objects(platform, tenant), SUBMITTER_ROLE)


def grants(rules: list[dict[str, Any]], resource: str, verb: str) -> bool:
    return any(resource in rule["resources"] and verb in rule["verbs"] for rule in rules)


# ---------------------------------------------------------------------------- the submitter


def test_the_submitter_is_bound_in_its_namespace_only(platform: Platform) -> None:
    everything = manifests.objects(platform)
    tenant_names = {tenant.name for tenant in platform.config.tenants}
    cluster_wide = [obj for obj in everything if obj["kind"] == "ClusterRoleBinding"]
    assert not [s for obj in cluster_wide for s in obj["subjects"] if s.get("namespace") in tenant_names]
    for tenant in platform.config.tenants:
        submitter = f"{tenant.name}-submitter"  # README: the ServiceAccount `<tenant>-submitter`
        bindings = [
            obj
            for obj in everything
            if obj["kind"] in ("RoleBinding", "ClusterRoleBinding") and any(s["name"] == submitter for s in obj["subjects"])
        ]
        [binding] = bindings
        assert binding["kind"] == "RoleBinding" and binding["metadata"]["namespace"] == tenant.name
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SUBMITTER_ROLE}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": submitter, "namespace": tenant.name}]
        [role] = [obj for obj in tenant_objects(platform, tenant.name) if obj["kind"] == "Role" and obj["metadata"]["name"] == SUBMITTER_ROLE]
        assert role["metadata"]["namespace"] == tenant.name


def check_no_escape(rules: list[dict[str, Any]]) -> None:
    """Nothing cluster-wide, no privilege verbs, no Secrets, no new identities or policies."""
    assert rules
    for rule in rules:
        assert rule["apiGroups"] == [""]
        assert not {"*", "escalate", "bind", "impersonate"} & set(rule["verbs"])
        assert "*" not in rule["resources"] and not CLUSTER_SCOPED & set(rule["resources"])
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule
    assert not any(grants(rules, "secrets", verb) for verb in ("get", "list", "watch"))  # would read any token in the namespace
    assert not any(grants(rules, resource, "create") for resource in ("serviceaccounts", "roles", "rolebindings", "networkpolicies"))


def test_the_submitter_role_grants_no_escape(platform: Platform) -> None:
    for tenant in platform.config.tenants:
        check_no_escape(submitter_rules(platform, tenant.name))


@pytest.mark.parametrize(
    ("resource", "verb"),
    [
        ("pods", "create"),  # the driver pod
        ("pods", "watch"),  # spark-submit waits for the application
        ("pods", "delete"),  # --kill, and the cleanup when a resource cannot be created
        ("services", "patch"),  # server-side apply of the driver's headless Service
        ("configmaps", "patch"),  # ... and of its spark.properties ConfigMap
        ("pods/log", "get"),  # kubectl logs
        ("pods/portforward", "create"),  # kubectl port-forward to the driver UI
    ],
)
def test_the_submitter_can_do_what_submitting_needs(resource: str, verb: str) -> None:
    platform = load_stack_file("prod")
    assert grants(submitter_rules(platform, "spark"), resource, verb)


def test_the_submitter_token_is_a_long_lived_token_of_the_submitter(platform: Platform) -> None:
    for tenant in platform.config.tenants:
        [secret] = [obj for obj in tenant_objects(platform, tenant.name) if obj["kind"] == "Secret"]
        assert secret["type"] == "kubernetes.io/service-account-token"
        assert secret["metadata"]["namespace"] == tenant.name
        assert secret["metadata"]["annotations"] == {"kubernetes.io/service-account.name": f"{tenant.name}-submitter"}
        assert "data" not in secret and "stringData" not in secret  # the token controller writes it


# ---------------------------------------------------------------------------- executors


def test_executors_run_as_an_account_with_no_rights_and_no_token(platform: Platform) -> None:
    everything = manifests.objects(platform)
    for tenant in platform.config.tenants:
        [account] = [
            obj
            for obj in tenant_objects(platform, tenant.name)
            if obj["kind"] == "ServiceAccount" and obj["metadata"]["name"] == EXECUTOR_ACCOUNT
        ]
        assert account["automountServiceAccountToken"] is False
        bound = [s["name"] for obj in everything if obj["kind"].endswith("RoleBinding") for s in obj["subjects"]]
        assert EXECUTOR_ACCOUNT not in bound
        conf = spark.spark_conf(platform, tenant)
        assert conf["spark.kubernetes.authenticate.executor.serviceAccountName"] == EXECUTOR_ACCOUNT
        assert spark.pod_template(platform, tenant, "executor")["spec"]["automountServiceAccountToken"] is False
        # The driver calls the API server with its token: its template leaves the mount alone.
        assert "automountServiceAccountToken" not in spark.pod_template(platform, tenant, "driver")["spec"]


# ---------------------------------------------------------------------------- spark-defaults


def test_the_conf_dir_submits_in_cluster_mode_without_the_network_policy_step() -> None:
    platform = load_stack_file("prod")
    tenant = platform.config.tenants[0]
    defaults = spark.config_map(platform, tenant)["data"]["spark-defaults.conf"].splitlines()
    assert "spark.submit.deployMode cluster" in defaults
    assert f"{EXCLUDED_DRIVER_STEPS} {NETWORK_POLICY_STEP}" in defaults
    assert not any(line.startswith(UPLOAD_PATH) for line in defaults)


def test_a_site_with_an_enforcing_network_plugin_can_turn_the_step_back_on() -> None:
    platform = load_stack_file("prod")
    tenant = platform.config.tenants[0].model_copy(update={"spark_conf": {EXCLUDED_DRIVER_STEPS: ""}})
    assert spark.spark_conf(platform, tenant)[EXCLUDED_DRIVER_STEPS] == ""
    lines = spark.config_map(platform, tenant)["data"]["spark-defaults.conf"].splitlines()
    assert not any(NETWORK_POLICY_STEP in line for line in lines)


def test_the_upload_path_is_rendered_from_its_setting() -> None:
    platform = load_stack_file("prod")
    spark_config = platform.config.spark.model_copy(update={"upload_path": "s3a://spark-uploads/jobs"})
    config = platform.config.model_copy(update={"spark": spark_config})
    with_upload = Platform(config, platform.stack, platform.today)
    tenant = config.tenants[0]
    assert spark.spark_conf(with_upload, tenant)[UPLOAD_PATH] == "s3a://spark-uploads/jobs"


# ---------------------------------------------------------------------------- the tenant kubeconfig


def test_tenant_kubeconfig_names_the_api_ca_token_and_namespace() -> None:
    platform = load_stack_file("prod")
    tenant = platform.config.tenants[0]
    config = yaml.safe_load(kubeconfigs.tenant_kubeconfig(platform, tenant, kubeconfigs.cluster_ca(ADMIN_KUBECONFIG), TOKEN))
    [cluster] = config["clusters"]
    assert cluster["cluster"] == {"server": "https://k8s-api.hadooptest.internal:6443", "certificate-authority-data": CA}
    [user] = config["users"]
    assert user["user"] == {"token": TOKEN}  # no client certificate of the admin's
    [context] = config["contexts"]
    assert context["name"] == config["current-context"]
    assert context["context"] == {"cluster": cluster["name"], "user": user["name"], "namespace": "spark"}


def test_token_is_read_from_the_secrets_data_and_its_absence_explained() -> None:
    data = {"token": base64.b64encode(TOKEN.encode()).decode(), "ca.crt": CA}
    assert kubeconfigs.token_from_secret_data(data, "spark/spark-submitter-token") == TOKEN
    with pytest.raises(kubeconfigs.KubeconfigError, match="spark/spark-submitter-token has no token yet"):
        kubeconfigs.token_from_secret_data({}, "spark/spark-submitter-token")


def test_a_broken_admin_kubeconfig_is_reported_without_its_content() -> None:
    with pytest.raises(kubeconfigs.KubeconfigError) as caught:
        kubeconfigs.cluster_ca("users: [{user: {client-key-data: QURNSU4gS0VZ}}]")
    assert "QURNSU4gS0VZ" not in str(caught.value)


class TokenControllerMocks(pulumi.runtime.Mocks):
    """Objects come back as applied; a service-account-token Secret with its token filled in."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ == "kubernetes:core/v1:Secret" and outputs.get("type") == TOKEN_SECRET_TYPE:
            outputs["data"] = {"token": base64.b64encode(TOKEN.encode()).decode(), "ca.crt": CA}
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def test_the_shell_builds_each_tenant_kubeconfig_as_a_secret_from_its_token() -> None:
    platform = load_stack_file("prod")
    tenant = platform.config.tenants[0]
    pulumi.runtime.set_mocks(TokenControllerMocks(), project="spark-on-metal", stack="prod", preview=False)
    seen: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        layer = KubernetesLayer("kubernetes", platform, kubeconfig=ADMIN_KUBECONFIG)
        output = tenant_kubeconfig(platform, tenant, ADMIN_KUBECONFIG, layer)

        def record(parts: list[Any]) -> None:
            seen["secret"], seen["text"] = parts

        return pulumi.Output.all(output.is_secret(), output).apply(record)  # type: ignore[arg-type]

    program()
    assert seen["secret"] is True
    config = yaml.safe_load(seen["text"])
    assert config["users"][0]["user"] == {"token": TOKEN}
    assert config["contexts"][0]["context"]["namespace"] == tenant.name
    assert kubeconfigs.output_name(tenant.name) == "kubeconfig-spark"
