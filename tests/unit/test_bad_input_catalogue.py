"""The bad-input catalogue (issue #16, item 5): one table, each row a bad input that fails
before any mutating call with a message naming the field and what to do.

A row is ``Case(where, input, expect)``:

- ``inventory``: host variables (``hosts: {host: {var: value}}``, :data:`DROP` removes one) and
  group variables (``vars``) over the demo's valid inventory, planned the way the plan play
  of ``link_clusters`` plans it (``tasks/plan.yml``), with the ``link_plan`` module in-process.
  The plan play calls no API: nothing can be mutated.
- ``module:<name>``: a module's parameters, in-process, with the AWS client builder and the
  GCP request wrapper refused (no API call at all).
- ``role:<name>``: a role's variables against its ``meta/argument_specs.yml``, the validation
  the plan play of ``link_clusters`` runs for every linked cluster before any change.
- ``playbook``: group variables only the playbook checks (the tunnel secret never reaches the
  planner): these rows run only against the emulators.

Rows with ``emulators=True`` run again in tests/integration/test_bad_input.py against the
emulators, where the request log proves that no mutating request was made: inventory rows
through ``ansible-playbook link_clusters``, module rows in-process on the emulators' endpoints.
"""

# ruff: noqa: E501 - one row per line: the table reads as a table.
from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.testing import patch_module_args
from ansible_collections.crosscluster.link.plugins.module_utils import _aws, _gcp
from ansible_collections.crosscluster.link.plugins.modules import link_plan

from tests.demo.__main__ import DNS_IMAGE, inventory
from tests.emulators.launcher import DEFAULT_KUBE_CLUSTERS

ROOT = Path(__file__).parents[2]
MODULES = "ansible_collections.crosscluster.link.plugins.modules"
DROP = object()  # a host variable removed from the inventory
AWS, GCP, ONPREM = "aws-euw1", "gcp-euw1", "onprem-lab"
VPC = "vpc-0a1b2c3d4e5f60718"
# Credentials for the in-process module runs (distinctive: no_log masks short values).
AWS_AUTH = {"access_key": "AKIDCATALOGUE", "secret_key": "catalogue-secret", "region": "eu-west-1"}
GCP_AUTH = {
    "auth_kind": "accesstoken",
    "access_token": "catalogue-token",
    "project": "demo-project",
    "region": "europe-west1",
}
TUNNEL = {"name": "v", "customer_gateway_id": "cgw-0123456789abcdef0", "vpn_gateway_id": "vgw-1"}


@dataclass(frozen=True)
class Case:
    where: str
    input: Mapping[str, Any]
    expect: tuple[str, ...]
    emulators: bool = False

    @property
    def id(self) -> str:
        return f"{self.where}:{json.dumps(self.input, sort_keys=True, default=str)[:60]}"


def inv(hosts: Mapping[str, Mapping[str, Any]] | None = None, **group_vars: Any) -> dict:
    return {"hosts": dict(hosts or {}), "vars": group_vars}


def aws(**over: Any) -> dict:
    return inv({AWS: over})


def gcp(**over: Any) -> dict:
    return inv({GCP: over})


CATALOGUE: list[Case] = [
    # --- CIDRs --------------------------------------------------------------------------
    Case("inventory", aws(cluster_pod_cidrs=["10.32.0.0/33"]), ("cluster_pod_cidrs", "bad prefix length '33' (0-32")),
    Case("inventory", aws(cluster_pod_cidrs=["10.32/13"]), ("cluster_pod_cidrs", "'10.32' is not an IP address (e.g. '10.0.0.0/16')")),
    Case("inventory", aws(cluster_pod_cidrs=["10.32.0.0"]), ("cluster_pod_cidrs", "has no prefix length (write it as ADDRESS/PREFIX)")),
    Case("inventory", aws(cluster_pod_cidrs="10.32.0.0/13"), ("cluster_pod_cidrs must be a list of CIDR strings", "(e.g. ['10.0.0.0/16'])")),
    Case("inventory", aws(cluster_node_cidrs=["10.10.0.1/16"]), ("cluster_node_cidrs", "host bits set; did you mean 10.10.0.0/16?")),
    Case("inventory", aws(cluster_pod_cidrs=["0.0.0.0/0"]), ("cluster_pod_cidrs", "0.0.0.0/0 is the whole address space", "list the cluster's own ranges")),
    Case("inventory", gcp(cluster_service_cidrs=["::/0"]), ("cluster_service_cidrs", "::/0 is the whole address space")),
    Case("inventory", aws(cluster_node_cidrs=["127.0.0.0/8"]), ("cluster_node_cidrs", "127.0.0.0/8, loopback", "use the cluster's own private range")),
    Case("inventory", aws(cluster_pod_cidrs=["224.0.0.0/24"]), ("cluster_pod_cidrs", "224.0.0.0/4, multicast", "private range")),
    Case("inventory", gcp(cluster_pod_cidrs=["ff02::/16"]), ("cluster_pod_cidrs", "ff00::/8, IPv6 multicast")),
    Case("inventory", aws(cluster_service_cidrs=["240.0.0.0/8"]), ("cluster_service_cidrs", "240.0.0.0/4, reserved")),
    Case("inventory", aws(cluster_node_cidrs=["0.0.0.0/8"]), ("cluster_node_cidrs", "'this network'")),
    Case("inventory", aws(cluster_pod_cidrs=["169.254.64.0/20"]), ("cluster_pod_cidrs", "overlaps the tunnel address space 169.254.0.0/16", "private range")),
    Case("inventory", gcp(cluster_node_cidrs=["fe80::/64"]), ("cluster_node_cidrs", "fe80::/10, IPv6 link-local")),
    Case(
        "inventory",
        gcp(cluster_node_cidrs=["10.10.0.0/16"]),
        ("CIDR overlap (across clusters)", "cluster_node_cidrs 10.10.0.0/16 equals", "change one of them"),
    ),
    Case(
        "inventory",
        gcp(cluster_pod_cidrs=["10.32.128.0/17"]),
        ("cluster 'aws-euw1' cluster_pod_cidrs 10.32.0.0/16 contains cluster 'gcp-euw1' cluster_pod_cidrs", "disjoint"),
    ),
    Case("inventory", gcp(cluster_service_cidrs=["10.0.0.0/8"]), ("is inside cluster 'gcp-euw1' cluster_service_cidrs 10.0.0.0/8",)),
    Case("inventory", aws(cluster_service_cidrs=["10.32.128.0/17"]), ("CIDR overlap (inside one cluster)", "cluster_pod_cidrs 10.32.0.0/16 contains")),
    # --- ASNs ---------------------------------------------------------------------------
    Case("inventory", aws(cluster_asn="AS64512"), ("cluster_asn 'AS64512' is not an integer", "e.g. 64512")),
    Case("inventory", aws(cluster_asn=0), ("cluster_asn 0 is out of range", "use a private ASN")),
    Case("inventory", gcp(cluster_asn=15169), ("cluster_asn 15169 is not a private ASN", "GCP Cloud Router needs 64512-65534")),
    Case("inventory", aws(cluster_asn=7224), ("cluster_asn 7224 is not a private ASN", "VGW or TGW needs")),
    Case("inventory", gcp(cluster_asn=64512), ("both have cluster_asn 64512", "need different ASNs")),
    Case("inventory", gcp(cluster_asn=9059), ("cluster_asn 9059 is reserved by AWS for customer gateways in eu-west-1", "choose another")),
    Case(
        "module:aws_customer_gateway",
        {"name": "g", "ip_address": "203.0.113.1", "bgp_asn": 7224},
        ("bgp_asn=7224 is reserved", "choose another ASN"),
        emulators=True,
    ),
    Case("module:gcp_router", {"name": "r", "network": "n", "asn": 65535}, ("asn 65535 is not a private ASN",), emulators=True),
    Case(
        "module:gcp_router_peer",
        {"name": "p", "router": "r", "ip_range": "169.254.10.2/30", "peer_ip_address": "169.254.10.1", "peer_asn": 0},
        ("peer_asn 0 is out of range: use 1-4294967295",),
    ),
    # --- on-prem gateways ----------------------------------------------------------------
    Case(
        "inventory",
        inv({ONPREM: {"cluster_onprem_gateway_ip": DROP}}),
        ("cluster 'onprem-lab': cluster_onprem_gateway_ip is required for provider onprem", "set it"),
    ),
    Case(
        "inventory",
        inv({ONPREM: {"cluster_onprem_gateway_ip": "10.0.0.1"}}),
        ("cluster_onprem_gateway_ip: '10.0.0.1' is in 10.0.0.0/8 (private (RFC 1918))", "use the public IPv4 address"),
    ),
    Case(
        "inventory",
        inv({ONPREM: {"cluster_onprem_gateway_ip": "192.0.2.300"}}),
        ("cluster_onprem_gateway_ip: '192.0.2.300' is not an IPv4 address", "e.g. '203.0.113.10'"),
    ),
    Case(
        "inventory",
        aws(cluster_onprem_gateway_ip="192.0.2.1"),
        ("cluster_onprem_gateway_ip '192.0.2.1' applies to provider onprem only, not aws", "remove it"),
    ),
    # --- zones --------------------------------------------------------------------------
    Case("inventory", aws(cluster_dns_zone="bad_zone.local"), ("cluster_dns_zone 'bad_zone.local' is not a valid DNS name", "e.g. 'aws-euwest1.local'")),
    Case("inventory", aws(cluster_dns_zone="cluster.local"), ("cluster_dns_zone 'cluster.local' collides", "choose a zone of its own")),
    Case("inventory", aws(cluster_dns_zone="svc.aws-euwest1.local"), ("starts with 'svc.'", "use 'aws-euwest1.local'")),
    Case("inventory", aws(cluster_dns_zone="GCP-euwest1.local."), ("cluster_dns_zone 'gcp-euwest1.local' is duplicated", "its own zone")),
    Case("inventory", aws(cluster_dns_zone="x.gcp-euwest1.local"), ("are nested", "must not contain each other")),
    # --- topology and pairs -------------------------------------------------------------
    Case("inventory", inv(link_topology="ring"), ("link_topology 'ring' is unknown", "use full_mesh or pairs")),
    Case(
        "inventory",
        inv({GCP: {"cluster_provider": "onprem", "cluster_onprem_gateway_ip": "192.0.2.20"}}, link_topology="full_mesh"),
        (
            "link gcp-euw1--onprem-lab",
            "(onprem) <-> cluster 'onprem-lab' (onprem) is not supported yet",
            "supported: aws <-> aws, aws <-> gcp, aws <-> onprem, gcp <-> gcp, gcp <-> onprem",
        ),
    ),
    Case("inventory", inv(link_pairs=[[AWS, "gcp-euw9"]]), ("names unknown cluster(s) 'gcp-euw9'", "known clusters: aws-euw1, gcp-euw1, onprem-lab")),
    Case("inventory", inv(link_pairs=[[AWS, AWS]]), ("links cluster 'aws-euw1' to itself", "remove it")),
    Case("inventory", inv(link_pairs=[[AWS, GCP], [GCP, AWS]]), ("duplicates the link aws-euw1--gcp-euw1", "remove one")),
    Case("inventory", inv(link_pairs=[AWS, GCP]), ("link_pairs entry 'aws-euw1' is not a list of two cluster names", "[cluster, cluster]")),
    Case("inventory", inv(link_pairs=[]), ("link_pairs is required when link_topology is pairs", "e.g. [[a, b]]")),
    # --- names, providers and locations --------------------------------------------------
    Case("inventory", aws(cluster_name="AWS_EUW1"), ("cluster_name 'AWS_EUW1' is not a valid cluster name", "use 1-24 characters")),
    Case("inventory", aws(cluster_provider="azure"), ("cluster_provider 'azure' is unknown", "use one of aws, gcp, onprem")),
    Case("inventory", aws(cluster_region="europe-west1"), ("cluster_region 'europe-west1' is not an AWS region", "e.g. 'eu-west-1'")),
    Case("inventory", aws(cluster_network="gke-vpc"), ("cluster_network 'gke-vpc' is not a VPC id", "e.g. 'vpc-")),
    Case("inventory", gcp(cluster_project="Demo Project"), ("cluster_project 'Demo Project' is not a GCP project id", "e.g. 'my-project-123'")),
    Case("inventory", gcp(cluster_network="GKE_VPC"), ("cluster_network 'GKE_VPC' is not a GCP network name", "e.g. 'prod-vpc'")),
    Case("inventory", aws(cluster_aws_gateway="tgw"), ("cluster_aws_transit_gateway_id is required when cluster_aws_gateway is tgw",)),
    Case("inventory", aws(cluster_region=DROP), ("cluster_region is required for provider aws; set it",)),
    # --- misspelt variables ---------------------------------------------------------------
    Case("inventory", aws(cluster_pods_cidrs=["10.32.0.0/13"]), ("variable cluster_pods_cidrs is not known: did you mean cluster_pod_cidrs?",), emulators=True),
    Case("inventory", aws(cluster_aws_gatway="tgw"), ("variable cluster_aws_gatway is not known: did you mean cluster_aws_gateway?",)),
    Case("inventory", inv(link_topolgy="full_mesh"), ("variable link_topolgy is not known: did you mean link_topology?", "Rename it"), emulators=True),
    # --- secrets (pre-shared keys) --------------------------------------------------------
    Case(
        "module:aws_vpn_connection",
        {**TUNNEL, "tunnel_options": [{"pre_shared_key": "0abcdefgh"}]},
        ("tunnel_options[0].pre_shared_key is invalid", "use 8-64 letters, digits"),
    ),
    Case("module:aws_vpn_connection", {**TUNNEL, "tunnel_options": [{"pre_shared_key": "short"}]}, ("pre_shared_key is invalid",), emulators=True),
    Case("module:aws_vpn_connection", {**TUNNEL, "tunnel_options": [{"pre_shared_key": "has-a-dash-in-it"}]}, ("pre_shared_key is invalid",)),
    Case(
        "module:gcp_vpn_tunnel",
        {"name": "t", "vpn_gateway": "gw", "peer_external_gateway": "peer", "router": "r"},
        ("shared_secret is required with state present",),
        emulators=True,
    ),
    Case("playbook", inv(link_psk_secret="too-short"), ("link_psk_secret must be set (vaulted) to a string of at least 16 characters",), emulators=True),
    Case("role:aws_vpn", {"aws_vpn_plan": {}, "aws_vpn_cluster": AWS, "aws_vpn_tunnel_options": "ikev2"}, ("aws_vpn_tunnel_options", "dict")),
    # --- Transit Gateway peering (aws_tgw_peering) ----------------------------------------
    Case(
        "module:aws_tgw_peering",
        {"name": "a--b", "transit_gateway_id": "tgw-nothex", "peer_transit_gateway_id": "tgw-0a1b2c3d4e5f60718"},
        ("transit_gateway_id='tgw-nothex' is not a valid id", "give one like tgw-0a1b2c3d4e5f60718"),
    ),
    Case(
        "module:aws_tgw_peering",
        {"name": "a--b", "transit_gateway_id": "tgw-0a1b2c3d4e5f60718"},
        ("peer_transit_gateway_id is required with state=present",),
    ),
    Case(
        "module:aws_tgw_routes",
        {"transit_gateway_id": "tgw-0a1b2c3d4e5f60718", "transit_gateway_attachment_id": "tgw-attach-0a1b2c3d4e5f60718", "cidrs": ["10.50.0.1/16"]},
        ("cidrs: '10.50.0.1/16' is not a CIDR block without host bits", "(10.50.0.0/16)"),
    ),
    # --- tunnel addresses and endpoints ---------------------------------------------------
    Case(
        "module:aws_vpn_connection",
        {**TUNNEL, "tunnel_options": [{"inside_cidr": "169.254.169.252/30"}]},
        ("inside_cidr=169.254.169.252/30 is reserved by AWS",),
    ),
    Case(
        "module:gcp_router_peer",
        {"name": "p", "router": "r", "ip_range": "10.0.0.2/30", "peer_ip_address": "10.0.0.1", "peer_asn": 64512},
        ("ip_range '10.0.0.2/30' must be a /30 inside 169.254.0.0/16",),
        emulators=True,
    ),
    Case(
        "module:aws_customer_gateway",
        {"name": "g", "ip_address": "gw.example.com", "bgp_asn": 65010},
        ("ip_address='gw.example.com' is not an IP address", "e.g. 203.0.113.10"),
    ),
    Case("module:gcp_external_vpn_gateway", {"name": "peer", "interfaces": [{"id": 0, "ip_address": "203.0.113.1"}]}, ("needs exactly 4",)),
    Case(
        "inventory",
        aws(cluster_api_endpoint="http://aws-euw1.example.com"),
        ("cluster_api_endpoint 'http://aws-euw1.example.com' is not an https URL", "e.g. 'https://"),
    ),
    Case("inventory", gcp(cluster_api_endpoint=DROP), ("cluster 'gcp-euw1': cluster_api_endpoint is required to link DNS", "set link_dns: false")),
    # --- credentials ----------------------------------------------------------------------
    Case(
        "module:gcp_router",
        {"name": "r", "network": "n", "asn": 65010, "access_token": None},
        ("access_token is required with auth_kind accesstoken: set it or GCP_ACCESS_TOKEN",),
    ),
    Case(
        "module:gcp_router",
        {"name": "r", "network": "n", "asn": 65010, "auth_kind": "serviceaccount", "service_account_file": "/nonexistent/key.json"},
        ("service_account_file /nonexistent/key.json cannot be read",),
    ),
    Case(
        "module:aws_customer_gateway",
        {"name": "g", "ip_address": "203.0.113.1", "bgp_asn": 65010, "profile": "prod"},
        ("parameters are mutually exclusive: profile|access_key",),
    ),
    # --- kubeconfig and context -----------------------------------------------------------
    Case(
        "inventory",
        aws(cluster_kubeconfig="/nonexistent/kubeconfig"),
        ("cluster 'aws-euw1': cluster_kubeconfig '/nonexistent/kubeconfig' cannot be read", "set cluster_kubeconfig to the cluster's kubeconfig file"),
        emulators=True,
    ),
    Case("inventory", aws(cluster_context="prod"), ("cluster_context 'prod' is not in", "(contexts: aws-euw1)", "set cluster_context to one of them")),
    Case("inventory", aws(cluster_kubeconfig=DROP), ("cluster 'aws-euw1': cluster_kubeconfig is required to link DNS", "set link_dns: false")),
    Case("inventory", aws(cluster_kubeconfig=42), ("cluster_kubeconfig must be a string", "quote it")),
    # --- resolver image and DNS role variables --------------------------------------------
    Case(
        "inventory",
        inv(link_dns_image="CoreDNS latest"),
        ("link_dns_image 'CoreDNS latest' is not a container image reference", "registry.k8s.io/coredns/coredns:v1.15.0"),
        emulators=True,
    ),
    Case(
        "inventory",
        aws(cluster_dns_mode="patch"),
        ("cluster_dns_mode patch would put", "not in cluster_dns_kubernetai_images", "or use cluster_dns_mode: resolver"),
    ),
    Case("playbook", inv(cluster_dns_replicas="two"), ("cluster_dns_replicas", "unable to convert to int"), emulators=True),
    Case("role:cluster_dns", {"cluster_dns_kubeconfig": "/k", "cluster_dns_mode": "dns"}, ("cluster_dns_mode must be one of: resolver, patch, got: dns",)),
    Case("role:cluster_dns", {"cluster_dns_kubeconfig": "/k", "cluster_dns_replicas": "two"}, ("cluster_dns_replicas", "int")),
    Case(
        "role:cluster_dns",
        {"cluster_dns_kubeconfig": "/k", "cluster_dns_remotes": [{"name": "x", "zone": "x.local"}]},
        ("missing required arguments: api_endpoint, kubeconfig", "cluster_dns_remotes"),
    ),
    Case("role:cluster_dns", {"cluster_dns_mode": "resolver"}, ("missing required arguments: cluster_dns_kubeconfig",)),
    Case("role:aws_vpn", {"aws_vpn_plan": {}, "aws_vpn_cluster": AWS, "aws_vpn_wait_timeout": "ten"}, ("aws_vpn_wait_timeout", "int")),
    Case("role:gcp_vpn", {"gcp_vpn_plan": {}, "gcp_vpn_cluster": GCP, "gcp_vpn_state": "gone"}, ("gcp_vpn_state must be one of: present, absent, got: gone",)),
]  # fmt: skip


# ---------------------------------------------------------------------------- inputs


def write_kubeconfig(path: Path, name: str) -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": name, "user": {"token": "catalogue-kube-token"}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    path.write_text(yaml.safe_dump(config))
    return str(path)


def offline_endpoints(directory: Path) -> dict[str, Any]:
    """The emulators' endpoints as the demo inventory needs them, for in-process planning."""
    return {
        "aws": {"region": "eu-west-1"},
        "gcp": {"region": "europe-west1", "project": "demo-project"},
        "kube": {
            c["name"]: {
                "pod_cidr": c["pod_cidr"],
                "service_cidr": c["service_cidr"],
                "kubeconfig": write_kubeconfig(directory / f"{c['name']}.kubeconfig", c["name"]),
                "api_endpoint": f"https://{c['name']}.example.com:6443",
            }
            for c in DEFAULT_KUBE_CLUSTERS
        },
    }


def apply(base: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """The demo inventory with a row's host and group variables applied."""
    data = copy.deepcopy(dict(base))
    group = data["all"]["children"]["clusters"]
    group["vars"].update(change.get("vars", {}))
    for host, variables in change.get("hosts", {}).items():
        for key, value in variables.items():
            if value is DROP:
                group["hosts"][host].pop(key, None)
            else:
                group["hosts"][host][key] = value
    return data


def plan_args(data: Mapping[str, Any]) -> dict[str, Any]:
    """link_plan's arguments as tasks/plan.yml builds them in link_clusters."""
    group = data["all"]["children"]["clusters"]
    group_vars = group["vars"]
    hosts = {host: {**group_vars, **variables} for host, variables in group["hosts"].items()}
    args: dict[str, Any] = {
        "clusters": {
            host: {k: v for k, v in hv.items() if k.startswith("cluster_")}
            for host, hv in hosts.items()
        },
        "topology": group_vars.get("link_topology", "full_mesh"),
        "link_variables": sorted({k for hv in hosts.values() for k in hv if k.startswith("link_")}),
    }
    if "link_pairs" in group_vars:
        args["pairs"] = group_vars["link_pairs"]
    if group_vars.get("link_dns", True):
        args["dns_image"] = group_vars.get("link_dns_image") or DNS_IMAGE
    return args


def run_main(module: Any, args: Mapping[str, Any], capsys: pytest.CaptureFixture[str]) -> dict:
    with patch_module_args(dict(args)), pytest.raises(SystemExit):
        module.main()
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def module_args(case: Case) -> dict[str, Any]:
    """The row's parameters over the module's credentials (a None value removes one)."""
    auth = GCP_AUTH if case.where.startswith("module:gcp_") else AWS_AUTH
    merged = {**auth, **case.input}
    return {k: v for k, v in merged.items() if v is not None}


def role_errors(role: str, variables: Mapping[str, Any]) -> list[str]:
    """What ansible-core's role argument validation says about these variables."""
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    validator = ArgumentSpecValidator(specs["argument_specs"]["main"]["options"])
    result = validator.validate(dict(variables), validate_role_argument_spec=True)
    return list(result.error_messages)


def message_of(case: Case, base: Mapping[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    """Run one row in-process (no API reachable) and return the failure message."""
    kind, _sep, name = case.where.partition(":")
    if kind == "inventory":
        result = run_main(link_plan, plan_args(apply(base, case.input)), capsys)
        assert result.get("failed"), result.get("summary")
        return str(result["msg"])
    if kind == "module":
        module = importlib.import_module(f"{MODULES}.{name}")

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("an API call was made before validation")

        with (
            mock.patch.object(_aws, "client_from_params", side_effect=refuse),
            mock.patch.object(_gcp, "request", side_effect=refuse),
        ):
            result = run_main(module, module_args(case), capsys)
        assert result.get("failed"), result
        return str(result["msg"])
    errors = role_errors(name, case.input)
    assert errors, f"role {name} accepted {case.input}"
    return "\n".join(errors)


# ---------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def base_inventory(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    directory = tmp_path_factory.mktemp("catalogue")
    return inventory(offline_endpoints(directory), VPC)


@pytest.fixture(autouse=True)
def module_warnings_in_result(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Controller code imported by other tests sends module warnings to the display instead of
    # the result; the module runs here are module-side.
    from ansible.module_utils import _internal

    monkeypatch.setattr(_internal, "is_controller", False)
    yield


def test_the_catalogue_covers_every_category() -> None:
    assert len(CATALOGUE) >= 40
    wheres = {case.where.partition(":")[0] for case in CATALOGUE}
    assert wheres == {"inventory", "module", "role", "playbook"}


def test_the_base_inventory_plans(
    base_inventory: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Every row fails because of its change alone: the inventory it changes is valid.
    result = run_main(link_plan, plan_args(base_inventory), capsys)
    assert not result.get("failed"), result["msg"]
    assert [link["id"] for link in result["plan"]["links"]] == [f"{AWS}--{GCP}"]


def test_the_demo_inventory_with_onprem_links_plans_three_transports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    linked = inventory(offline_endpoints(tmp_path), VPC, onprem_root=tmp_path / "gateway")
    result = run_main(link_plan, plan_args(linked), capsys)
    assert not result.get("failed"), result["msg"]
    assert {link["id"]: link["transport"] for link in result["plan"]["links"]} == {
        f"{AWS}--{GCP}": "aws_gcp_ha_vpn",
        f"{AWS}--{ONPREM}": "aws_onprem_vpn",
        f"{GCP}--{ONPREM}": "gcp_onprem_ha_vpn",
    }
    host = linked["all"]["children"]["clusters"]["hosts"][ONPREM]
    assert host["onprem_vpn_root"] == str(tmp_path / "gateway")
    assert host["onprem_vpn_manage_packages"] is False
    assert host["onprem_vpn_manage_services"] is False


@pytest.mark.parametrize(
    "case", [c for c in CATALOGUE if c.where != "playbook"], ids=lambda case: case.id
)
def test_bad_input_is_refused_naming_the_field_and_the_fix(
    case: Case, base_inventory: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    message = message_of(case, base_inventory, capsys)
    for fragment in case.expect:
        assert fragment in message, message
