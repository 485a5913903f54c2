# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Link planner: validate the inventory's cluster specs, enumerate links, allocate tunnels.

Pure functions on plain values (no module object). ``build_plan`` is the entry point: it
returns ``(plan, errors, warnings)``; ``plan`` is ``None`` whenever ``errors`` is not empty.
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _zones
from ansible_collections.crosscluster.link.plugins.module_utils._cloud_facts import (
    AWS_CGW_RESERVED_ASNS,
    AWS_RESERVED_TUNNEL_CIDRS,
    TUNNEL_POOL,
    is_private_asn,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - ansible-core requires PyYAML
    HAS_YAML = False

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    HAS_NETADDR = False

PROVIDERS = ("aws", "gcp", "onprem")
TOPOLOGIES = ("full_mesh", "pairs")
CIDR_FIELDS = ("cluster_node_cidrs", "cluster_pod_cidrs", "cluster_service_cidrs")
KNOWN_VARS = (
    "cluster_name",
    "cluster_provider",
    "cluster_region",
    "cluster_project",
    "cluster_network",
    *CIDR_FIELDS,
    "cluster_dns_zone",
    "cluster_asn",
    "cluster_kubeconfig",
    "cluster_context",
    "cluster_api_endpoint",
    "cluster_aws_gateway",
    "cluster_aws_transit_gateway_id",
    "cluster_onprem_gateway_ip",
)
# The cluster_dns role's own variables share the prefix; they are not part of the spec.
ROLE_VAR_PREFIXES = ("cluster_dns_",)
# The link_* variables the playbooks read (docs/inventory.md), then the facts they set.
LINK_VARS = (
    "link_topology",
    "link_pairs",
    "link_transports",
    "link_psk_secret",
    "link_dns",
    "link_dns_image",
    "link_plan_file",
    "link_report_dir",
    "link_verify_retries",
    "link_verify_delay",
    "link_verify_routes",
    "link_prune",
    "link_plan",
    "link_cluster",
    "link_peers",
    "link_dns_enabled",
    "link_dns_managed",
    "link_checks",
    "link_status",
    "link_report_checks",
    "link_orphans",
    "link_dns_orphans",
)
# The longest EC2 tag value (Tag: "Constraints: Tag values are case-sensitive and accept a
# maximum of 256 Unicode characters").
TAG_VALUE_MAX = 256
# A name at least this similar (difflib ratio) to a known one is taken for a misspelling.
MISSPELLING_CUTOFF = 0.8
# Variables every cluster needs, then the ones its provider needs on top.
REQUIRED_VARS = ("cluster_provider", *CIDR_FIELDS, "cluster_dns_zone", "cluster_asn")
PROVIDER_VARS = {
    "aws": ("cluster_region", "cluster_network"),
    "gcp": ("cluster_region", "cluster_project", "cluster_network"),
    "onprem": ("cluster_onprem_gateway_ip",),
}

# GCP resource names: RFC 1035 label, at most 63 characters (Compute Engine API reference,
# "Naming resources"). Cluster names are capped at 24 so a link id ("<a>--<b>", at most 50
# characters) leaves 13 characters for prefixes and suffixes of derived resource names.
NAME_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_CLUSTER_NAME = 24
LINK_SEPARATOR = "--"
AWS_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$")
GCP_REGION_RE = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
GCP_PROJECT_RE = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
AWS_VPC_RE = re.compile(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$")
AWS_TGW_RE = re.compile(r"^tgw-([0-9a-f]{8}|[0-9a-f]{17})$")
# A container image reference (github.com/distribution/reference, reference.go grammar):
# [domain[:port]/]path[:tag][@digest], path components lowercase.
_IMAGE_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_IMAGE_DOMAIN = rf"{_IMAGE_LABEL}(?:\.{_IMAGE_LABEL})*(?::[0-9]+)?"
IMAGE_RE = re.compile(
    rf"^(?:{_IMAGE_DOMAIN}/)?{_IMAGE_COMPONENT}(?:/{_IMAGE_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$"
)

# Ranges no cluster range may touch: they are not routable between clusters (IANA special-
# purpose registries, RFC 6890). 169.254.0.0/16 is the tunnel pool, checked on its own.
SPECIAL_RANGES = (
    ("0.0.0.0/8", "'this network' (RFC 1122)"),
    ("127.0.0.0/8", "loopback"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
    ("::/127", "the unspecified and loopback addresses"),
    ("fe80::/10", "IPv6 link-local"),
    ("ff00::/8", "IPv6 multicast"),
)
PRIVATE_HINT = "use the cluster's own private range (e.g. 10.0.0.0/8 or an IPv6 ULA fd00::/8)"

# ASNs. Private ranges: required for a GCP Cloud Router (Google Cloud "Cloud Router
# overview", ASN) and for the Amazon side of a VGW or TGW (EC2 API reference,
# CreateVpnGateway / CreateTransitGateway, AmazonSideAsn).
ASN_MAX = 4294967295
TUNNELS_PER_LINK = 4
BLOCK_PREFIX = 28  # one aligned /28 per link = its four /30s
BLOCK_SIZE = 16
BLOCK_COUNT = 65536 // BLOCK_SIZE


@dataclass(frozen=True)
class PairTransports:
    """The transports of one provider pair: the default, the other ones built, and the ones
    known but not built yet (an override to one of these is refused as not supported yet)."""

    default: str
    alternatives: tuple[str, ...] = ()
    planned: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return (self.default, *self.alternatives)


# The transports of each provider pair (sorted), the one table the plan picks from: the
# default, or the group variable link_transports ({"gcp-gcp": "gcp_ha_vpn"}, keys are the
# sorted providers joined by "-"). _PLANNERS holds how a tunnelled transport lays out its
# tunnels. aws <-> onprem: one customer gateway at the on-prem IP, one VPN connection, its two
# tunnels. gcp <-> onprem: both HA VPN interfaces to one external gateway interface
# (SINGLE_IP_INTERNALLY_REDUNDANT), two tunnels (Google Cloud "Create an HA VPN gateway to a
# peer VPN gateway", one peer interface). An on-prem link uses the first two /30s of its block.
# gcp <-> gcp over HA VPN: Google Cloud "Create two fully configured HA VPN gateways that
# connect to each other" (creating-ha-vpn2): each gateway's interface 0 and 1 to the same
# interface of the other (VpnTunnel.peerGcpGateway), two BGP sessions on the first two /30s.
TRANSPORTS: dict[tuple[str, str], PairTransports] = {
    ("aws", "aws"): PairTransports("aws_vpc_peering", alternatives=("aws_tgw_peering",)),
    ("aws", "gcp"): PairTransports("aws_gcp_ha_vpn"),
    ("aws", "onprem"): PairTransports("aws_onprem_vpn"),
    ("gcp", "gcp"): PairTransports("gcp_vpc_peering", alternatives=("gcp_ha_vpn",)),
    ("gcp", "onprem"): PairTransports("gcp_onprem_ha_vpn"),
}
PAIR_SEPARATOR = "-"
# gcp <-> gcp (default): VPC Network Peering, one peering on each network ("Set up and manage VPC
# Network Peering": it becomes ACTIVE once both sides exist). No tunnel, no BGP, no inside
# block: subnet routes, secondary ranges (GKE pods and services) included, are exchanged.
# aws <-> aws: one VPC peering connection, requested by the link's first cluster and accepted
# in the second's Region (same or another: "inter-Region VPC peering"). No tunnel, no BGP:
# each side routes the other VPC's node and pod ranges to the connection - a peering carries
# only traffic for the peer VPC's CIDR blocks ("VPC peering limitations": no edge-to-edge
# routing), so a range outside them (an EKS service range) is not routed.
# aws <-> aws over Transit Gateway peering (link_transports aws-aws: aws_tgw_peering): both
# clusters reach their VPC through a Transit Gateway of their own (cluster_aws_gateway: tgw);
# the link's first cluster requests a peering attachment between the two TGWs and accepts it
# in the peer's Region ("Transit gateway peering attachments", one account). No tunnel, no BGP
# (a peering attachment takes only static routes), but distinct Amazon-side ASNs ("Create a
# peering attachment": use a unique ASN for each peered transit gateway). Each TGW routes the
# other cluster's node, pod and service ranges to the attachment, each VPC to its TGW.
PEERING_TRANSPORTS = ("gcp_vpc_peering", "aws_vpc_peering", "aws_tgw_peering")
# VPC quotas, "Peering connections per network": 25 (VPC Network Peering, "Quotas and limits").
GCP_PEERINGS_PER_NETWORK = 25
# "Active VPC peering connections per VPC": 50 by default, adjustable to 125 (Amazon VPC
# quotas, "VPC peering connections").
AWS_PEERINGS_PER_VPC = 50
# "Peering attachments per transit gateway": 50 (Amazon VPC Transit Gateways, "Quotas for
# your transit gateways").
AWS_TGW_PEERINGS_PER_TGW = 50
ONPREM_TUNNELS_PER_LINK = 2
# gcp <-> gcp over HA VPN: one tunnel per HA VPN interface on each side, a BGP session each.
GCP_HA_VPN_TUNNELS_PER_LINK = 2
# Ranges a gateway's public IPv4 cannot be in (IANA IPv4 special-purpose registry, RFC 6890).
# The documentation ranges (RFC 5737) are accepted: examples and the lab use them.
NON_PUBLIC_IPV4 = (
    ("0.0.0.0/8", "'this network'"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared address space (RFC 6598, carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (RFC 1112) or broadcast"),
)


# ---------------------------------------------------------------------------- helpers


def _q(value: Any) -> str:
    """Quote a user value for a message."""
    return repr(value)


def _cluster_names(specs: Mapping[str, Any]) -> dict[str, str]:
    """Map inventory host -> cluster name (``cluster_name`` or the host name)."""
    return {
        host: str((spec.get("cluster_name") if isinstance(spec, Mapping) else None) or host)
        for host, spec in specs.items()
    }


def _missing(value: Any) -> bool:
    return value is None or value == "" or value == []


def closest_name(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` is most likely a misspelling of, if any. Names are compared
    after their prefix (``cluster_``, ``link_``), which would make any two look alike."""
    prefix = name.split("_", 1)[0] + "_"
    tails = {k[len(prefix) :]: k for k in known if k.startswith(prefix)}
    tail = name[len(prefix) :]
    matches = difflib.get_close_matches(tail, list(tails), n=1, cutoff=MISSPELLING_CUTOFF)
    return tails[matches[0]] if matches else None


def misspelt_link_vars(names: Iterable[str]) -> list[str]:
    """Errors for link_* variables that look like a misspelt known one."""
    errors = []
    for name in sorted(set(names) - set(LINK_VARS)):
        known = closest_name(name, LINK_VARS)
        if known:
            errors.append(f"variable {name} is not known: did you mean {known}? Rename it.")
    return errors


def parse_cidr(value: Any) -> tuple[Any, str | None]:
    """Parse one CIDR string strictly. Returns ``(IPNetwork, None)`` or ``(None, problem)``."""
    if not isinstance(value, str):
        return None, f"{_q(value)} is not a CIDR string (e.g. '10.0.0.0/16')"
    if "/" not in value:
        return None, f"{_q(value)} has no prefix length (write it as ADDRESS/PREFIX)"
    address, prefix = value.split("/", 1)
    try:
        ip = netaddr.IPAddress(address.strip())
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return (
            None,
            f"{_q(value)} is not a CIDR: {_q(address)} is not an IP address (e.g. '10.0.0.0/16')",
        )
    width = 32 if ip.version == 4 else 128
    if not prefix.strip().isdigit() or int(prefix) > width:
        return None, (
            f"{_q(value)} has a bad prefix length {_q(prefix)} (0-{width} for IPv{ip.version})"
        )
    network = netaddr.IPNetwork(f"{ip}/{int(prefix)}")
    if network.ip != network.network:
        return None, f"{_q(value)} has host bits set; did you mean {network.cidr}?"
    return network, None


def _overlap_kind(a: Any, b: Any) -> str | None:
    """How two networks overlap: None, 'equals', 'contains' or 'is inside'."""
    if a.version != b.version or a.last < b.first or b.last < a.first:
        return None
    if a == b:
        return "equals"
    # Two CIDR networks that overlap are nested: one contains the other.
    return "contains" if a.first <= b.first and b.last <= a.last else "is inside"


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# ---------------------------------------------------------------------------- per cluster


def validate_name(host: str, name: str) -> list[str]:
    problems = []
    if not NAME_RE.match(name) or len(name) > MAX_CLUSTER_NAME or LINK_SEPARATOR in name:
        problems.append(
            f"cluster {_q(name)} (host {_q(host)}): cluster_name {_q(name)} is not a valid "
            f"cluster name: use 1-{MAX_CLUSTER_NAME} characters of lowercase letters, digits "
            f"and single hyphens, starting with a letter and not ending with a hyphen "
            f"(it prefixes cloud resource names)"
        )
    return problems


def validate_fields(name: str, spec: Mapping[str, Any]) -> list[str]:
    """Presence and syntax of one cluster's variables (not CIDR math, not links)."""
    errors: list[str] = []
    provider = spec.get("cluster_provider")
    for var in REQUIRED_VARS:
        if _missing(spec.get(var)):
            errors.append(
                f"cluster {_q(name)}: {var} is required but not set; set it (docs/inventory.md)"
            )
    if not _missing(provider) and provider not in PROVIDERS:
        errors.append(
            f"cluster {_q(name)}: cluster_provider {_q(provider)} is unknown; "
            f"use one of {', '.join(PROVIDERS)}"
        )
    for var in PROVIDER_VARS.get(provider, ()):
        if _missing(spec.get(var)):
            errors.append(f"cluster {_q(name)}: {var} is required for provider {provider}; set it")
    errors += _validate_location(name, provider, spec)
    errors += _validate_access(name, spec)
    return errors


def _validate_location(name: str, provider: Any, spec: Mapping[str, Any]) -> list[str]:
    errors = []
    region = spec.get("cluster_region")
    network = spec.get("cluster_network")
    project = spec.get("cluster_project")
    if provider == "aws":
        if not _missing(region) and not AWS_REGION_RE.match(str(region)):
            errors.append(
                f"cluster {_q(name)}: cluster_region {_q(region)} is not an AWS region "
                f"(e.g. 'eu-west-1')"
            )
        if not _missing(network) and not AWS_VPC_RE.match(str(network)):
            errors.append(
                f"cluster {_q(name)}: cluster_network {_q(network)} is not a VPC id "
                f"(e.g. 'vpc-0a1b2c3d4e5f60718')"
            )
        gateway = spec.get("cluster_aws_gateway") or "vgw"
        tgw = spec.get("cluster_aws_transit_gateway_id")
        if gateway not in ("vgw", "tgw"):
            errors.append(
                f"cluster {_q(name)}: cluster_aws_gateway {_q(gateway)} is unknown; use vgw or tgw"
            )
        if gateway == "tgw" and _missing(tgw):
            errors.append(
                f"cluster {_q(name)}: cluster_aws_transit_gateway_id is required when "
                f"cluster_aws_gateway is tgw"
            )
        if not _missing(tgw) and not AWS_TGW_RE.match(str(tgw)):
            errors.append(
                f"cluster {_q(name)}: cluster_aws_transit_gateway_id {_q(tgw)} is not a "
                f"transit gateway id (e.g. 'tgw-0a1b2c3d4e5f60718')"
            )
        if gateway == "vgw" and not _missing(tgw):
            errors.append(
                f"cluster {_q(name)}: cluster_aws_transit_gateway_id {_q(tgw)} is set but "
                f"cluster_aws_gateway is vgw; set cluster_aws_gateway: tgw or remove it"
            )
    elif provider in PROVIDERS:
        for var in ("cluster_aws_gateway", "cluster_aws_transit_gateway_id"):
            if not _missing(spec.get(var)):
                errors.append(
                    f"cluster {_q(name)}: {var} {_q(spec.get(var))} applies to provider aws "
                    f"only, not {provider}"
                )
    errors += _validate_onprem(name, provider, spec)
    if provider == "gcp":
        if not _missing(region) and not GCP_REGION_RE.match(str(region)):
            errors.append(
                f"cluster {_q(name)}: cluster_region {_q(region)} is not a GCP region "
                f"(e.g. 'europe-west1')"
            )
        if not _missing(project) and not GCP_PROJECT_RE.match(str(project)):
            errors.append(
                f"cluster {_q(name)}: cluster_project {_q(project)} is not a GCP project id "
                f"(6-30 lowercase letters, digits and hyphens, e.g. 'my-project-123')"
            )
        if not _missing(network) and not (NAME_RE.match(str(network)) and len(str(network)) <= 63):
            errors.append(
                f"cluster {_q(name)}: cluster_network {_q(network)} is not a GCP network name "
                f"(lowercase letters, digits and hyphens, e.g. 'prod-vpc')"
            )
    return errors


def gateway_ip_problem(value: Any) -> str | None:
    """Why ``value`` is not a public unicast IPv4 address a cloud VPN can reach, or None."""
    fix = "use the public IPv4 address the gateway's IKE traffic comes from, e.g. '203.0.113.10'"
    if not isinstance(value, str):
        return f"{_q(value)} is not an IPv4 address string; {fix}"
    try:
        address = ipaddress.IPv4Address(value)  # strict: four decimal octets, no zero padding
    except ValueError:
        return f"{_q(value)} is not an IPv4 address; {fix}"
    for cidr, what in NON_PUBLIC_IPV4:
        if address in ipaddress.IPv4Network(cidr):
            return f"{_q(value)} is in {cidr} ({what}), not a public address; {fix}"
    return None


def _validate_onprem(name: str, provider: Any, spec: Mapping[str, Any]) -> list[str]:
    value = spec.get("cluster_onprem_gateway_ip")
    if _missing(value):
        return []  # reported as missing for onprem, nothing to say otherwise
    if provider != "onprem":
        if provider not in PROVIDERS:
            return []
        return [
            f"cluster {_q(name)}: cluster_onprem_gateway_ip {_q(value)} applies to provider "
            f"onprem only, not {provider}; remove it"
        ]
    problem = gateway_ip_problem(value)
    return [f"cluster {_q(name)}: cluster_onprem_gateway_ip: {problem}"] if problem else []


def _validate_access(name: str, spec: Mapping[str, Any]) -> list[str]:
    errors = []
    endpoint = spec.get("cluster_api_endpoint")
    if not _missing(endpoint) and not re.match(r"^https://[^\s/]+(/\S*)?$", str(endpoint)):
        errors.append(
            f"cluster {_q(name)}: cluster_api_endpoint {_q(endpoint)} is not an https URL "
            f"(e.g. 'https://203.0.113.10:6443')"
        )
    for var in ("cluster_kubeconfig", "cluster_context"):
        value = spec.get(var)
        if not _missing(value) and not isinstance(value, str):
            errors.append(f"cluster {_q(name)}: {var} must be a string, got {_q(value)}; quote it")
    return errors


def validate_asn(name: str, spec: Mapping[str, Any]) -> tuple[int | None, list[str]]:
    value = spec.get("cluster_asn")
    if _missing(value):
        return None, []  # reported as missing
    asn = _as_int(value)
    if asn is None:
        return None, [
            f"cluster {_q(name)}: cluster_asn {_q(value)} is not an integer; write the number "
            f"alone, e.g. 64512"
        ]
    if not 1 <= asn <= ASN_MAX:
        return None, [
            f"cluster {_q(name)}: cluster_asn {asn} is out of range 1-{ASN_MAX}; use a private "
            f"ASN (64512-65534 or 4200000000-4294967294)"
        ]
    provider = spec.get("cluster_provider")
    if provider in ("aws", "gcp") and not is_private_asn(asn):
        what = "GCP Cloud Router" if provider == "gcp" else "the Amazon side of a VGW or TGW"
        return asn, [
            f"cluster {_q(name)}: cluster_asn {asn} is not a private ASN; {what} needs "
            f"64512-65534 or 4200000000-4294967294"
        ]
    return asn, []


def validate_cidrs(name: str, spec: Mapping[str, Any]) -> tuple[list[tuple[str, Any]], list[str]]:
    """Parse one cluster's CIDR lists. Returns ``([(field, network)], errors)``."""
    networks: list[tuple[str, Any]] = []
    errors: list[str] = []
    pool = netaddr.IPNetwork(TUNNEL_POOL)
    for field in CIDR_FIELDS:
        values = spec.get(field)
        if _missing(values):
            continue  # reported as missing
        if isinstance(values, str) or not isinstance(values, Sequence):
            errors.append(
                f"cluster {_q(name)}: {field} must be a list of CIDR strings, got {_q(values)} "
                f"(e.g. ['10.0.0.0/16'])"
            )
            continue
        for value in values:
            network, problem = parse_cidr(value)
            if problem:
                errors.append(f"cluster {_q(name)}: {field}: {problem}")
                continue
            problem = special_range_problem(network)
            if problem:
                errors.append(f"cluster {_q(name)}: {field}: {problem}")
                continue
            if _overlap_kind(network, pool):
                errors.append(
                    f"cluster {_q(name)}: {field}: {network} overlaps the tunnel address space "
                    f"{TUNNEL_POOL} (link-local, reserved for VPN inside addresses); "
                    f"{PRIVATE_HINT}"
                )
                continue
            networks.append((field, network))
    written = " ".join(str(network) for _field, network in networks)
    if len(written) > TAG_VALUE_MAX:
        errors.append(
            f"cluster {_q(name)}: its node, pod and service ranges take {len(written)} "
            f"characters written out, more than the {TAG_VALUE_MAX} of the EC2 tag that records "
            "them on a Transit Gateway's VPN connections; merge ranges into fewer, larger ones"
        )
    return networks, errors


def special_range_problem(network: Any) -> str | None:
    """Why a cluster range cannot be routed between clusters, or None."""
    if network.prefixlen == 0:
        return (
            f"{network} is the whole address space, which would route everything into the "
            f"tunnels; list the cluster's own ranges instead"
        )
    for cidr, what in SPECIAL_RANGES:
        if _overlap_kind(network, netaddr.IPNetwork(cidr)):
            return f"{network} overlaps {cidr}, {what}, which is not routable; {PRIVATE_HINT}"
    return None


def validate_zone(name: str, spec: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    value = spec.get("cluster_dns_zone")
    if _missing(value):
        return None, []  # reported as missing
    if not isinstance(value, str):
        return None, [f"cluster {_q(name)}: cluster_dns_zone {_q(value)} is not a string"]
    zone = _zones.normalize(value)
    wrong = _zones.problem(zone)
    if wrong:
        return None, [f"cluster {_q(name)}: cluster_dns_zone {_q(value)} {wrong}"]
    return zone, []


# ---------------------------------------------------------------------------- across clusters


def cidr_overlaps(networks: Mapping[str, list[tuple[str, Any]]]) -> list[str]:
    """Every overlapping pair among all clusters' CIDRs (and inside one cluster)."""
    flat = [(name, field, net) for name in sorted(networks) for field, net in networks[name]]
    errors = []
    for (n1, f1, a), (n2, f2, b) in combinations(flat, 2):
        kind = _overlap_kind(a, b)
        if kind is None:
            continue
        where = "across clusters" if n1 != n2 else "inside one cluster"
        errors.append(
            f"CIDR overlap ({where}): cluster {_q(n1)} {f1} {a} {kind} cluster {_q(n2)} {f2} {b}; "
            f"every node, pod and service range must be disjoint: change one of them"
        )
    return errors


def zone_conflicts(zones: Mapping[str, str]) -> list[str]:
    errors = []
    for n1, n2 in combinations(sorted(zones), 2):
        z1, z2 = zones[n1], zones[n2]
        if z1 == z2:
            errors.append(
                f"cluster {_q(n1)} and cluster {_q(n2)}: cluster_dns_zone {_q(z1)} is "
                f"duplicated; every cluster needs its own zone"
            )
        elif _zones.nested(z1, z2):
            errors.append(
                f"cluster {_q(n1)} cluster_dns_zone {_q(z1)} and cluster {_q(n2)} "
                f"cluster_dns_zone {_q(z2)} are nested; zones must not contain each other"
            )
    return errors


def enumerate_pairs(
    names: Iterable[str], topology: Any, pairs: Any
) -> tuple[list[tuple[str, str]], list[str]]:
    """The links (sorted name pairs, sorted) the topology asks for, and errors."""
    known = set(names)
    if topology not in TOPOLOGIES:
        return [], [f"link_topology {_q(topology)} is unknown; use full_mesh or pairs"]
    if topology == "full_mesh":
        return list(combinations(sorted(known), 2)), []
    if not pairs:
        return [], ["link_pairs is required when link_topology is pairs, e.g. [[a, b]]"]
    if isinstance(pairs, str) or not isinstance(pairs, Sequence):
        return [], [f"link_pairs must be a list of [cluster, cluster] lists, got {_q(pairs)}"]
    links: list[tuple[str, str]] = []
    errors: list[str] = []
    for pair in pairs:
        if (
            isinstance(pair, str)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(p, str) for p in pair)
        ):
            errors.append(
                f"link_pairs entry {_q(pair)} is not a list of two cluster names; write it as "
                f"[cluster, cluster]"
            )
            continue
        a, b = pair
        unknown = [p for p in (a, b) if p not in known]
        if unknown:
            errors.append(
                f"link_pairs entry {_q(list(pair))} names unknown cluster(s) "
                f"{', '.join(map(_q, unknown))}; known clusters: {', '.join(sorted(known))}"
            )
            continue
        if a == b:
            errors.append(
                f"link_pairs entry {_q(list(pair))} links cluster {_q(a)} to itself; remove it"
            )
            continue
        key = (a, b) if a < b else (b, a)
        if key in links:
            errors.append(
                f"link_pairs entry {_q(list(pair))} duplicates the link {link_id(*key)}; remove one"
            )
            continue
        links.append(key)
    return sorted(links), errors


def link_id(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"{first}{LINK_SEPARATOR}{second}"


def link_asn_errors(
    links: Iterable[tuple[str, str]],
    clusters: Mapping[str, Mapping[str, Any]],
    transports: Mapping[tuple[str, str], str | None] | None = None,
) -> list[str]:
    """Equal ASNs on a link, and AWS customer-gateway ASN rules for the peer of an aws end."""
    errors = []
    for a, b in links:
        asn_a, asn_b = clusters[a].get("asn"), clusters[b].get("asn")
        transport = _transport_of((a, b), clusters, transports)
        if asn_a is None or asn_b is None or transport == "aws_tgw_peering":
            continue  # checked with the Transit Gateways (tgw_peering_errors)
        if _peering((a, b), clusters, transports):
            continue  # a peering has no BGP session
        if asn_a == asn_b:
            fix = "the two ends of a link need different ASNs"
            if transport == "gcp_ha_vpn":
                fix += (
                    " (two Cloud Routers in one BGP session); change one, or peer the "
                    "networks instead (link_transports gcp-gcp: gcp_vpc_peering, no BGP)"
                )
            errors.append(
                f"link {link_id(a, b)}: cluster {_q(a)} and cluster {_q(b)} both have "
                f"cluster_asn {asn_a}; {fix}"
            )
        for aws_end, peer, peer_asn in ((a, b, asn_b), (b, a, asn_a)):
            aws = clusters[aws_end]
            if aws.get("provider") != "aws" or clusters[peer].get("provider") == "aws":
                continue
            region = aws.get("region")
            if peer_asn in AWS_CGW_RESERVED_ASNS and AWS_CGW_RESERVED_ASNS[peer_asn] in (
                None,
                region,
            ):
                where = "everywhere" if AWS_CGW_RESERVED_ASNS[peer_asn] is None else f"in {region}"
                errors.append(
                    f"link {link_id(a, b)}: cluster {_q(peer)} cluster_asn {peer_asn} is "
                    f"reserved by AWS for customer gateways {where} (AWS end: cluster "
                    f"{_q(aws_end)}, region {region}); choose another private ASN"
                )
    return errors


def kubeconfig_problem(path: str, context: str | None) -> str | None:
    """Why Ansible cannot use this kubeconfig file and context, or None. Reads the file."""
    fix = "set cluster_kubeconfig to the cluster's kubeconfig file"
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
    except OSError as exc:
        return f"cluster_kubeconfig {_q(path)} cannot be read ({exc.strerror}); {fix}"
    except yaml.YAMLError:
        return f"cluster_kubeconfig {_q(path)} is not YAML; {fix}"
    if not isinstance(config, Mapping):
        return f"cluster_kubeconfig {_q(path)} is not a kubeconfig; {fix}"
    contexts = [c.get("name") for c in config.get("contexts") or [] if isinstance(c, Mapping)]
    if context and context not in contexts:
        return (
            f"cluster_context {_q(context)} is not in {path} (contexts: "
            f"{', '.join(map(str, contexts)) or 'none'}); set cluster_context to one of them"
        )
    if not context and config.get("current-context") not in contexts:
        return (
            f"cluster_kubeconfig {path} has no current-context; set cluster_context to one of "
            f"{', '.join(map(str, contexts)) or 'its contexts (it has none)'}"
        )
    return None


def dns_errors(
    links: Iterable[tuple[str, str]],
    specs: Mapping[str, Mapping[str, Any]],
    image: Any,
) -> list[str]:
    """What the DNS phase needs of every linked cluster, checked before any change."""
    linked = sorted({name for link in links for name in link})
    if not linked:
        return []
    errors = []
    if not isinstance(image, str) or not IMAGE_RE.match(image):
        errors.append(
            f"link_dns_image {_q(image)} is not a container image reference; use e.g. "
            f"'registry.k8s.io/coredns/coredns:v1.15.0' or set link_dns: false"
        )
    for name in linked:
        spec = specs[name]
        for var in ("cluster_kubeconfig", "cluster_api_endpoint"):
            if _missing(spec.get(var)):
                errors.append(
                    f"cluster {_q(name)}: {var} is required to link DNS; set it, or set "
                    f"link_dns: false"
                )
        kubeconfig = spec.get("cluster_kubeconfig")
        if isinstance(kubeconfig, str) and kubeconfig:
            problem = kubeconfig_problem(kubeconfig, spec.get("cluster_context") or None)
            if problem:
                errors.append(f"cluster {_q(name)}: {problem}")
        allowed = spec.get("cluster_dns_kubernetai_images") or []
        if spec.get("cluster_dns_mode") == "patch" and image not in allowed:
            errors.append(
                f"cluster {_q(name)}: cluster_dns_mode patch would put {_q(image)} into the "
                f"cluster's own DNS, but it is not in cluster_dns_kubernetai_images; verify "
                f"the image has kubernetai and list it, or use cluster_dns_mode: resolver"
            )
    return errors


def pair_key(pair: tuple[str, str]) -> str:
    """The link_transports key of a provider pair: the providers sorted, joined by '-'."""
    return PAIR_SEPARATOR.join(sorted(pair))


def transport_for(
    providers: tuple[Any, Any], overrides: Mapping[tuple[str, str], str] | None = None
) -> str | None:
    """The transport of a provider pair: its override (link_transports), else the default of
    TRANSPORTS; None when no transport links the pair."""
    key = tuple(sorted(str(p) for p in providers))
    if overrides and key in overrides:
        return overrides[key]  # type: ignore[index]
    entry = TRANSPORTS.get(key)  # type: ignore[arg-type]
    return entry.default if entry else None


def transport_overrides(value: Any) -> tuple[dict[tuple[str, str], str], list[str]]:
    """The link_transports group variable as ``{provider pair: transport}``, and errors: a
    key that is not a provider pair of TRANSPORTS, a transport that is not one of that pair's,
    or one that is not built yet. Each error names the pair and what to write instead."""
    if value is None or value == {}:
        return {}, []
    example = "e.g. {gcp-gcp: gcp_ha_vpn}"
    if not isinstance(value, Mapping):
        return {}, [
            f"link_transports must be a mapping of provider pair to transport ({example}), "
            f"got {_q(value)}"
        ]
    keys = {pair_key(pair): pair for pair in TRANSPORTS}
    overrides: dict[tuple[str, str], str] = {}
    errors = []
    for key in sorted(value, key=str):
        transport = value[key]
        pair = keys.get(key) if isinstance(key, str) else None
        if pair is None:
            flipped = PAIR_SEPARATOR.join(sorted(str(key).split(PAIR_SEPARATOR)))
            hint = f"did you mean {flipped}? " if flipped in keys and flipped != key else ""
            errors.append(
                f"link_transports key {_q(key)} is not a provider pair with a transport; "
                f"{hint}use one of {', '.join(keys)} (the two providers sorted, joined by "
                f"'{PAIR_SEPARATOR}')"
            )
            continue
        entry = TRANSPORTS[pair]
        label = f"{pair[0]} <-> {pair[1]}"
        choices = (
            f"use {' or '.join(entry.allowed)} (the default is {entry.default})"
            if entry.alternatives
            else f"use {entry.default}, the only one built"
        )
        if transport in entry.allowed:
            overrides[pair] = transport
        elif transport in entry.planned:
            errors.append(
                f"link_transports {key}: {transport} ({label}) is not supported yet; "
                f"{choices}, or remove the entry"
            )
        else:
            errors.append(
                f"link_transports {key}: {_q(transport)} is not a transport of {label}; {choices}"
            )
    return overrides, errors


def choose_transports(
    links: Iterable[tuple[str, str]],
    clusters: Mapping[str, Mapping[str, Any]],
    overrides: Mapping[tuple[str, str], str] | None = None,
) -> dict[tuple[str, str], str | None]:
    """The transport of every link (None: no transport links its providers)."""
    return {
        (a, b): transport_for((clusters[a].get("provider"), clusters[b].get("provider")), overrides)
        for a, b in links
    }


def _transport_of(
    pair: tuple[str, str],
    clusters: Mapping[str, Mapping[str, Any]],
    transports: Mapping[tuple[str, str], str | None] | None = None,
) -> str | None:
    if transports is not None and pair in transports:
        return transports[pair]
    a, b = pair
    return transport_for((clusters[a].get("provider"), clusters[b].get("provider")))


def _peering(
    pair: tuple[str, str],
    clusters: Mapping[str, Mapping[str, Any]],
    transports: Mapping[tuple[str, str], str | None] | None = None,
) -> bool:
    return _transport_of(pair, clusters, transports) in PEERING_TRANSPORTS


# ---------------------------------------------------------------------------- allocation


def _reserved_blocks() -> frozenset[int]:
    base = netaddr.IPAddress("169.254.0.0").value
    return frozenset(
        (netaddr.IPNetwork(cidr).first - base) // BLOCK_SIZE for cidr in AWS_RESERVED_TUNNEL_CIDRS
    )


def pool_capacity() -> int:
    """How many links (one /28 block each) the tunnel pool holds."""
    return BLOCK_COUNT - len(_reserved_blocks())


def probe(lid: str, rank: int, block_count: int = BLOCK_COUNT) -> int:
    """The ``rank``-th block of the link's probe sequence: a permutation of all blocks.

    start and step come from SHA-256 of the link id; an odd step modulo a power of two
    (``block_count``) visits every block exactly once.
    """
    digest = hashlib.sha256(lid.encode()).digest()
    start = int.from_bytes(digest[:8], "big") % block_count
    step = (int.from_bytes(digest[8:16], "big") % block_count) | 1
    return (start + rank * step) % block_count


def allocate_blocks(
    link_ids: Iterable[str],
    block_count: int = BLOCK_COUNT,
    reserved: frozenset[int] | None = None,
) -> dict[str, int]:
    """Assign each link a /28 block index (0..4095), deterministic and order independent.

    Deferred acceptance (Gale-Shapley, links proposing): a link proposes to the blocks of
    its probe sequence in order; a block keeps the proposer that ranks it earliest in its
    own sequence (ties: smaller link id) and rejects the other, which proposes on. The
    result is the unique link-optimal stable assignment, whatever the processing order.
    Raises ValueError if there are more links than blocks. ``block_count`` (a power of two)
    and ``reserved`` default to the real pool; tests shrink it to force collisions.
    """
    ids = sorted(set(link_ids))
    if reserved is None:
        reserved = _reserved_blocks()
    free = block_count - len(reserved)
    if len(ids) > free:
        raise ValueError(f"{len(ids)} links do not fit into {free} blocks")
    holder: dict[int, str] = {}
    rank_of: dict[str, int] = {}
    next_rank = dict.fromkeys(ids, 0)
    queue = list(reversed(ids))
    while queue:
        lid = queue.pop()
        while True:
            rank = next_rank[lid]
            next_rank[lid] = rank + 1
            block = probe(lid, rank, block_count)
            if block in reserved:
                continue
            current = holder.get(block)
            if current is None:
                holder[block], rank_of[lid] = lid, rank
                break
            if (rank, lid) < (rank_of[current], current):
                holder[block], rank_of[lid] = lid, rank
                queue.append(current)
                break
    return {lid: block for block, lid in holder.items()}


def block_tunnels(block: int) -> list[Any]:
    """The four /30 networks of a block."""
    first = netaddr.IPAddress("169.254.0.0").value + block * BLOCK_SIZE
    return [netaddr.IPNetwork(f"{netaddr.IPAddress(first + 4 * i)}/30") for i in range(4)]


# ---------------------------------------------------------------------------- plan


def _aws_gcp_tunnels(
    lid: str, aws: Mapping[str, Any], gcp: Mapping[str, Any], block: int
) -> list[dict[str, Any]]:
    """Reference topology (Google Cloud "Connect HA VPN to AWS peer gateways"): AWS
    connection a (customer gateway = HA VPN interface 0) tunnels 1, 2 and connection b
    (interface 1) tunnels 1, 2 = external VPN gateway interfaces 0..3. AWS takes the
    first host of each /30, GCP the second."""
    return [
        {
            "id": f"{lid}-t{index}",
            "index": index,
            "inside_cidr": str(network),
            "aws_inside_address": str(netaddr.IPAddress(network.first + 1)),
            "gcp_inside_address": str(netaddr.IPAddress(network.first + 2)),
            "aws_asn": aws["asn"],
            "gcp_asn": gcp["asn"],
            "aws_vpn_connection": "a" if index < 2 else "b",
            "aws_tunnel": index % 2 + 1,
            "gcp_vpn_interface": index // 2,
            "gcp_external_interface": index,
        }
        for index, network in enumerate(block_tunnels(block))
    ]


def _normalize(
    host: str,
    name: str,
    spec: Mapping[str, Any],
    asn: int | None,
    zone: str | None,
    nets: list[tuple[str, Any]],
) -> dict[str, Any]:
    """The cluster as it appears in the plan: variables without the cluster_ prefix."""
    provider = spec.get("cluster_provider")
    aws = provider == "aws"
    cluster = {
        "name": name,
        "host": host,
        "provider": provider,
        "region": spec.get("cluster_region"),
        "project": spec.get("cluster_project"),
        "network": spec.get("cluster_network"),
        "node_cidrs": [str(n) for f, n in nets if f == "cluster_node_cidrs"],
        "pod_cidrs": [str(n) for f, n in nets if f == "cluster_pod_cidrs"],
        "service_cidrs": [str(n) for f, n in nets if f == "cluster_service_cidrs"],
        "dns_zone": zone,
        "asn": asn,
        "kubeconfig": spec.get("cluster_kubeconfig"),
        "context": spec.get("cluster_context"),
        "api_endpoint": spec.get("cluster_api_endpoint"),
        "aws_gateway": (spec.get("cluster_aws_gateway") or "vgw") if aws else None,
        "aws_transit_gateway_id": spec.get("cluster_aws_transit_gateway_id") if aws else None,
    }
    if provider == "onprem":  # only here, so the clusters of a cloud-only plan stay as they were
        ip = spec.get("cluster_onprem_gateway_ip")
        cluster["onprem_gateway_ip"] = ip.strip() if isinstance(ip, str) else ip
    cluster["names"] = cluster_resource_names(name, provider)
    return cluster


# ---------------------------------------------------------------------------- names
# Every name of what the roles create is derived here and nowhere else (docs/plan.md,
# "Names"): the roles, verify and unlink read them from the plan. GCP names are RFC 1035
# labels of at most 63 characters (cluster names <= 24, link ids <= 50, tunnel ids <= 53, so
# "if-xcl-<tunnel id>" fits); AWS names are Name tags.
GCP_PREFIX = "xcl-"


def cluster_resource_names(name: str, provider: Any) -> dict[str, str]:
    """The per-cluster resources: GCP HA VPN gateway and Cloud Router (and the prefix every
    GCP name of the collection starts with), AWS VGW and Transit Gateway attachment."""
    if provider == "gcp":
        return {
            "prefix": GCP_PREFIX,
            "vpn_gateway": f"{GCP_PREFIX}{name}-gw",
            "router": f"{GCP_PREFIX}{name}-router",
        }
    if provider == "aws":
        return {"vgw": f"{name}-vgw", "tgw_attachment": f"{name}-tgw-attachment"}
    return {}


def name_link(
    link: dict[str, Any], clusters: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Add the names of a link's resources: per tunnel the GCP tunnel, BGP peer and router
    interface; per link the GCP external gateway and firewall
    rules (one per address family) and the AWS connections with their customer gateways
    (to AWS: one per HA VPN interface, a on interface 0 and b on 1; to on-prem: one).
    A gcp <-> gcp HA VPN link (``gcp_ha_vpn_sides``, ``clusters`` needed) has two sides
    that may share one project and region: each side's tunnel, BGP peer, interface and
    firewall rule names carry its position in the link's ``clusters`` (0 or 1), and each side
    names the other's HA VPN gateway (``peer_gcp_gateway``, a ``projects/...`` link)."""
    lid = link["id"]
    if "gcp_ha_vpn_sides" in link and clusters is not None:
        for index, name in enumerate(link["clusters"]):
            side = link["gcp_ha_vpn_sides"][name]
            remote = clusters[side["remote_cluster"]]
            side["peer_gcp_gateway"] = (
                f"projects/{remote['project']}/regions/{remote['region']}/vpnGateways/"
                f"{remote['names']['vpn_gateway']}"
            )
            side["firewall_rules"] = {f: f"{GCP_PREFIX}{lid}-{index}-{f}" for f in ("in4", "in6")}
            for t in side["tunnels"]:
                t["gcp_tunnel"] = t["gcp_bgp_peer"] = f"{GCP_PREFIX}{t['id']}-{index}"
                t["gcp_interface"] = f"if-{GCP_PREFIX}{t['id']}-{index}"
                t["peer_gcp_tunnel"] = f"{GCP_PREFIX}{t['id']}-{1 - index}"
        return link
    for t in link["tunnels"]:
        if "gcp_cluster" in link:
            t["gcp_tunnel"] = t["gcp_bgp_peer"] = f"{GCP_PREFIX}{t['id']}"
            t["gcp_interface"] = f"if-{GCP_PREFIX}{t['id']}"
    if "gcp_cluster" in link:
        link["gcp_external_gateway"] = f"{GCP_PREFIX}{lid}"
        link["gcp_firewall_rules"] = {f: f"{GCP_PREFIX}{lid}-{f}" for f in ("in4", "in6")}
    if "aws_cluster" in link:
        letters = sorted({t["aws_vpn_connection"] for t in link["tunnels"]})
        onprem = "onprem_cluster" in link
        link["aws_connections"] = [
            {
                "letter": letter,
                "name": f"{lid}-{letter}",
                "customer_gateway": f"{lid}-onprem" if onprem else f"{lid}-if{index}",
                "peer_interface": index,
            }
            for index, letter in enumerate(letters)
        ]
    return link


def _name_errors(names: Mapping[str, str]) -> list[str]:
    errors: list[str] = []
    seen: dict[str, str] = {}
    for host in sorted(names):
        name = names[host]
        errors += validate_name(host, name)
        if name in seen:
            errors.append(
                f"cluster {_q(name)}: cluster_name is used by hosts {_q(seen[name])} and "
                f"{_q(host)}; give each a unique cluster_name"
            )
        seen.setdefault(name, host)
    return errors


def _validate_clusters(
    specs: Mapping[str, Any], names: Mapping[str, str]
) -> tuple[dict[str, dict[str, Any]], list[str], list[str]]:
    """Every per-cluster rule plus CIDR overlaps and zone conflicts across clusters.
    Returns ``(normalized clusters, errors, warnings)``."""
    errors: list[str] = []
    warnings: list[str] = []
    clusters: dict[str, dict[str, Any]] = {}
    networks: dict[str, list[tuple[str, Any]]] = {}
    zones: dict[str, str] = {}
    for host in sorted(specs):
        name, spec = names[host], specs[host]
        if not isinstance(spec, Mapping):
            errors.append(f"cluster {_q(name)}: variables must be a mapping, got {_q(spec)}")
            continue
        unknown = sorted(
            k for k in spec if k not in KNOWN_VARS and not k.startswith(ROLE_VAR_PREFIXES)
        )
        misspelt = {k: closest_name(k, KNOWN_VARS) for k in unknown}
        errors += [
            f"cluster {_q(name)}: variable {k} is not known: did you mean {known}? Rename it."
            for k, known in misspelt.items()
            if known
        ]
        ignored = [k for k, known in misspelt.items() if not known]
        if ignored:
            warnings.append(f"cluster {_q(name)}: unknown variable(s) {', '.join(ignored)} ignored")
        errors += validate_fields(name, spec)
        asn, asn_errors = validate_asn(name, spec)
        nets, cidr_errors = validate_cidrs(name, spec)
        zone, zone_errors = validate_zone(name, spec)
        errors += asn_errors + cidr_errors + zone_errors
        networks[name] = nets
        if zone:
            zones[name] = zone
        clusters[name] = _normalize(host, name, spec, asn, zone, nets)
    errors += cidr_overlaps(networks) + zone_conflicts(zones) + gateway_ip_conflicts(clusters)
    return clusters, errors, warnings


def gateway_ip_conflicts(clusters: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Two on-prem clusters behind one gateway IP: the clouds would take them for one peer
    (an identical CreateCustomerGateway returns the existing one)."""
    errors = []
    seen: dict[str, str] = {}
    for name in sorted(clusters):
        ip = clusters[name].get("onprem_gateway_ip")
        if clusters[name].get("provider") != "onprem" or not isinstance(ip, str) or not ip:
            continue
        if ip in seen:
            errors.append(
                f"cluster {_q(seen[ip])} and cluster {_q(name)}: cluster_onprem_gateway_ip "
                f"{ip} is duplicated; every on-prem cluster needs a gateway of its own"
            )
        seen.setdefault(ip, name)
    return errors


def peering_errors(
    links: Iterable[tuple[str, str]],
    clusters: Mapping[str, Mapping[str, Any]],
    transports: Mapping[tuple[str, str], str | None] | None = None,
) -> list[str]:
    """The limits of a peering the plan can see: a network (GCP) or VPC (AWS) is not peered
    with itself (nor linked to itself by HA VPN, gcp_ha_vpn), and holds at most
    GCP_PEERINGS_PER_NETWORK / AWS_PEERINGS_PER_VPC peerings. Peering is not transitive (VPC
    Network Peering, "Specifications"; VPC peering, "VPC peering limitations"): a full mesh
    peers every pair, a pairs topology links only the pairs it names. Overlapping ranges are
    refused across every cluster already (cidr_overlaps); a subnet or CIDR block outside the
    plan can still overlap, which the API reports when the peering is added (GCP) or
    requested (AWS: status ``failed``)."""
    errors = []
    count: dict[tuple[Any, ...], list[str]] = {}
    for a, b in links:
        transport = _transport_of((a, b), clusters, transports)
        if transport not in (*PEERING_TRANSPORTS, "gcp_ha_vpn") or transport == "aws_tgw_peering":
            continue  # aws_tgw_peering: tgw_peering_errors
        one, other = clusters[a], clusters[b]
        if one.get("provider") == "aws":
            where = (one.get("region"), one.get("network"))
            same = (other.get("region"), other.get("network")) == where
            place = f"VPC {one.get('network')} in {one.get('region')}"
        else:
            where = (one.get("project"), one.get("network"))
            same = (other.get("project"), other.get("network")) == where
            place = f"network {one.get('network')} of project {one.get('project')}"
        if same:
            errors.append(
                f"link {link_id(a, b)}: cluster {_q(a)} and cluster {_q(b)} are on the same "
                f"{place}, which reaches itself without a link; leave this pair out "
                "(link_topology: pairs)"
            )
            continue
        if transport not in PEERING_TRANSPORTS:
            continue  # gcp_ha_vpn: the same network is its only limit the plan can see
        for end in (one, other):
            key = (end.get("provider"), end.get("region"), end.get("project"), end.get("network"))
            count.setdefault(key, []).append(link_id(a, b))
    for (provider, region, project, network), ids in sorted(count.items(), key=str):
        limit = AWS_PEERINGS_PER_VPC if provider == "aws" else GCP_PEERINGS_PER_NETWORK
        if len(ids) <= limit:
            continue
        if provider == "aws":
            errors.append(
                f"VPC {network} in {region}: {len(ids)} links need as many VPC peering "
                f"connections, more than the {limit} active ones a VPC holds (Amazon VPC "
                "quotas); link fewer clusters with it"
            )
        else:
            errors.append(
                f"network {network} of project {project}: {len(ids)} links need as many VPC "
                f"peerings, more than the {limit} a network holds (VPC quotas); link fewer "
                "clusters with it"
            )
    return errors


def tgw_peering_errors(
    links: Iterable[tuple[str, str]],
    clusters: Mapping[str, Mapping[str, Any]],
    transports: Mapping[tuple[str, str], str | None] | None = None,
) -> list[str]:
    """The limits of an aws_tgw_peering link the plan can see: both clusters reach their VPC
    through a Transit Gateway (cluster_aws_gateway: tgw), two distinct ones (a TGW is not
    peered with itself) with distinct Amazon-side ASNs (the cluster_asn of a tgw cluster,
    which the aws_vpn role checks against the TGW), and a TGW holds at most
    AWS_TGW_PEERINGS_PER_TGW peering attachments."""
    errors = []
    count: dict[tuple[Any, Any], list[str]] = {}
    for a, b in links:
        if _transport_of((a, b), clusters, transports) != "aws_tgw_peering":
            continue
        lid = link_id(a, b)
        not_tgw = [n for n in (a, b) if clusters[n].get("aws_gateway") != "tgw"]
        if not_tgw:
            names = " and ".join(f"cluster {_q(n)}" for n in not_tgw)
            errors.append(
                f"link {lid}: aws_tgw_peering peers two Transit Gateways, but {names} "
                f"{'has' if len(not_tgw) == 1 else 'have'} no cluster_aws_gateway: tgw; set "
                "cluster_aws_gateway: tgw and cluster_aws_transit_gateway_id on both, or use "
                "link_transports aws-aws: aws_vpc_peering"
            )
            continue
        tgw_a, tgw_b = (clusters[n].get("aws_transit_gateway_id") for n in (a, b))
        where_a, where_b = (
            (clusters[n].get("region"), clusters[n]["aws_transit_gateway_id"]) for n in (a, b)
        )
        if where_a == where_b:
            errors.append(
                f"link {lid}: cluster {_q(a)} and cluster {_q(b)} use the same Transit Gateway "
                f"{tgw_a} in {clusters[a].get('region')}, which routes between its own VPC "
                "attachments without a peering; leave this pair out (link_topology: pairs)"
            )
            continue
        asn_a, asn_b = clusters[a].get("asn"), clusters[b].get("asn")
        if asn_a is not None and asn_a == asn_b:
            errors.append(
                f"link {lid}: cluster {_q(a)} (Transit Gateway {tgw_a}) and cluster {_q(b)} "
                f"(Transit Gateway {tgw_b}) both have cluster_asn {asn_a}; peered Transit "
                "Gateways need distinct Amazon-side ASNs: give each TGW its own private ASN "
                "and set it as the cluster's cluster_asn"
            )
        for where in (where_a, where_b):
            count.setdefault(where, []).append(lid)
    for (region, tgw), ids in sorted(count.items(), key=str):
        if len(ids) > AWS_TGW_PEERINGS_PER_TGW:
            errors.append(
                f"Transit Gateway {tgw} in {region}: {len(ids)} links need as many peering "
                f"attachments, more than the {AWS_TGW_PEERINGS_PER_TGW} a transit gateway "
                "holds (Transit Gateway quotas); link fewer clusters with it"
            )
    return errors


def pool_errors(topology: Any, link_count: int) -> list[str]:
    if link_count <= pool_capacity():
        return []
    return [
        f"link_topology {topology}: {link_count} links need {link_count * TUNNELS_PER_LINK} "
        f"tunnels, more than the tunnel pool {TUNNEL_POOL} holds "
        f"({pool_capacity() * TUNNELS_PER_LINK} tunnels, {pool_capacity()} links); "
        f"link fewer clusters"
    ]


def unsupported_errors(
    links: Iterable[tuple[str, str]],
    clusters: Mapping[str, Mapping[str, Any]],
    transports: Mapping[tuple[str, str], str | None] | None = None,
) -> list[str]:
    errors = []
    for a, b in links:
        pa, pb = clusters[a]["provider"], clusters[b]["provider"]
        if _transport_of((a, b), clusters, transports) is None:
            errors.append(
                f"link {link_id(a, b)}: cluster {_q(a)} ({pa}) <-> cluster {_q(b)} ({pb}) "
                f"is not supported yet; supported: {SUPPORTED_PAIRS}"
            )
    return errors


SUPPORTED_PAIRS = ", ".join(f"{a} <-> {b}" for a, b in TRANSPORTS)
TRANSPORT_NAMES = tuple(
    name for entry in TRANSPORTS.values() for name in (*entry.allowed, *entry.planned)
)


def _aws_onprem_tunnels(
    lid: str, aws: Mapping[str, Any], onprem: Mapping[str, Any], block: int
) -> list[dict[str, Any]]:
    """One customer gateway (the on-prem IP and ASN), one VPN connection ``a``, its tunnels
    1 and 2 on the first two /30s of the block. AWS takes the first host, on-prem the second."""
    return [
        {
            "id": f"{lid}-t{index}",
            "index": index,
            "inside_cidr": str(network),
            "aws_inside_address": str(netaddr.IPAddress(network.first + 1)),
            "onprem_inside_address": str(netaddr.IPAddress(network.first + 2)),
            "aws_asn": aws["asn"],
            "onprem_asn": onprem["asn"],
            "aws_vpn_connection": "a",
            "aws_tunnel": index + 1,
        }
        for index, network in enumerate(block_tunnels(block)[:ONPREM_TUNNELS_PER_LINK])
    ]


def _gcp_onprem_tunnels(
    lid: str, gcp: Mapping[str, Any], onprem: Mapping[str, Any], block: int
) -> list[dict[str, Any]]:
    """HA VPN interface 0 and 1 each to the external gateway's only interface 0
    (SINGLE_IP_INTERNALLY_REDUNDANT). The Cloud Router takes the first host, on-prem the
    second (the customer side, as on AWS)."""
    return [
        {
            "id": f"{lid}-t{index}",
            "index": index,
            "inside_cidr": str(network),
            "gcp_inside_address": str(netaddr.IPAddress(network.first + 1)),
            "onprem_inside_address": str(netaddr.IPAddress(network.first + 2)),
            "gcp_asn": gcp["asn"],
            "onprem_asn": onprem["asn"],
            "gcp_vpn_interface": index,
            "gcp_external_interface": 0,
        }
        for index, network in enumerate(block_tunnels(block)[:ONPREM_TUNNELS_PER_LINK])
    ]


# transport -> (its two providers, the function laying out its tunnels)
_PLANNERS = {
    "aws_gcp_ha_vpn": (("aws", "gcp"), _aws_gcp_tunnels),
    "aws_onprem_vpn": (("aws", "onprem"), _aws_onprem_tunnels),
    "gcp_onprem_ha_vpn": (("gcp", "onprem"), _gcp_onprem_tunnels),
}


def _gcp_peering_side(
    lid: str, index: int, local: Mapping[str, Any], remote: Mapping[str, Any]
) -> dict[str, Any]:
    """One network's peering towards the other and the firewall rules (one per address
    family) admitting the other cluster's ranges. Both clusters can be in one project, so
    each side's rules carry its index in ``clusters``."""
    return {
        "name": f"{GCP_PREFIX}{lid}",
        "network": local["network"],
        "peer_project": remote["project"],
        "peer_network": remote["network"],
        "remote_cluster": remote["name"],
        "firewall_rules": {f: f"{GCP_PREFIX}{lid}-{index}-{f}" for f in ("in4", "in6")},
    }


def _aws_peering_side(
    lid: str, index: int, local: Mapping[str, Any], remote: Mapping[str, Any]
) -> dict[str, Any]:
    """One VPC's end of the link's VPC peering connection (named ``lid``, its Name tag): the
    first cluster requests it (and accepts it in the peer's Region, one account), the second
    only routes to it. ``route_cidrs``: the other VPC's node and pod ranges (IPv4 and IPv6),
    what its route tables send to the connection; its security groups admit every range of
    the other cluster (link_remote_cidrs)."""
    return {
        "name": lid,
        "requester": index == 0,
        "region": local["region"],
        "vpc_id": local["network"],
        "peer_region": remote["region"],
        "peer_vpc_id": remote["network"],
        "remote_cluster": remote["name"],
        "route_cidrs": list(dict.fromkeys([*remote["node_cidrs"], *remote["pod_cidrs"]])),
    }


def _aws_tgw_peering_side(
    lid: str, index: int, local: Mapping[str, Any], remote: Mapping[str, Any]
) -> dict[str, Any]:
    """One Transit Gateway's end of the link's TGW peering attachment (named ``lid``, its
    Name tag): the first cluster requests it and accepts it in the peer's Region (one
    account), the second only routes to it. ``route_cidrs``: the other cluster's node, pod
    and service ranges - a TGW route is static, so every range is routed: this TGW's route
    table sends them to the attachment, this VPC's route tables to this TGW. The other TGW
    delivers what its own route table routes to its VPC attachment (the VPC's CIDR blocks)."""
    return {
        "name": lid,
        "requester": index == 0,
        "region": local["region"],
        "vpc_id": local["network"],
        "transit_gateway_id": local["aws_transit_gateway_id"],
        "asn": local["asn"],
        "peer_region": remote["region"],
        "peer_transit_gateway_id": remote["aws_transit_gateway_id"],
        "peer_asn": remote["asn"],
        "remote_cluster": remote["name"],
        "route_cidrs": list(
            dict.fromkeys([*remote["node_cidrs"], *remote["pod_cidrs"], *remote["service_cidrs"]])
        ),
    }


# transport -> the peering's key in a link and how one side is laid out
_PEERING_SIDES = {
    "gcp_vpc_peering": ("gcp_peerings", _gcp_peering_side),
    "aws_vpc_peering": ("aws_peerings", _aws_peering_side),
    "aws_tgw_peering": ("aws_tgw_peerings", _aws_tgw_peering_side),
}


def _peering_link(
    a: str, b: str, clusters: Mapping[str, Mapping[str, Any]], transport: str
) -> dict:
    """A link of a PEERING_TRANSPORTS transport: no tunnel; ``gcp_peerings`` or
    ``aws_peerings`` by cluster."""
    lid = link_id(a, b)
    key, side = _PEERING_SIDES[transport]
    return {
        "id": lid,
        "clusters": [a, b],
        "transport": transport,
        "tunnels": [],
        key: {
            a: side(lid, 0, clusters[a], clusters[b]),
            b: side(lid, 1, clusters[b], clusters[a]),
        },
    }


def _gcp_ha_vpn_link(
    a: str, b: str, clusters: Mapping[str, Mapping[str, Any]], block: int
) -> dict[str, Any]:
    """gcp <-> gcp over HA VPN (Google Cloud "Create two fully configured HA VPN gateways that
    connect to each other"): tunnel t<i> is the pair of tunnel resources between interface i
    of both gateways, one BGP session on the i-th /30 of the link's block; the link's first
    cluster takes its first host, the second cluster the second. ``gcp_ha_vpn_sides`` has
    each cluster's tunnels, BGP peers and the peer gateway (names: name_link)."""
    lid = link_id(a, b)
    tunnels = [
        {
            "id": f"{lid}-t{index}",
            "index": index,
            "inside_cidr": str(network),
            "gcp_vpn_interface": index,
            "inside_addresses": {
                a: str(netaddr.IPAddress(network.first + 1)),
                b: str(netaddr.IPAddress(network.first + 2)),
            },
        }
        for index, network in enumerate(block_tunnels(block)[:GCP_HA_VPN_TUNNELS_PER_LINK])
    ]
    sides = {}
    for local, remote in ((a, b), (b, a)):
        sides[local] = {
            "remote_cluster": remote,
            "tunnels": [
                {
                    "id": t["id"],
                    "index": t["index"],
                    "inside_cidr": t["inside_cidr"],
                    "gcp_vpn_interface": t["gcp_vpn_interface"],
                    "gcp_inside_address": t["inside_addresses"][local],
                    "peer_inside_address": t["inside_addresses"][remote],
                    "gcp_asn": clusters[local]["asn"],
                    "peer_asn": clusters[remote]["asn"],
                }
                for t in tunnels
            ],
        }
    link = {
        "id": lid,
        "clusters": [a, b],
        "transport": "gcp_ha_vpn",
        "tunnels": tunnels,
        "gcp_ha_vpn_sides": sides,
    }
    return name_link(link, clusters)


def _plan_link(
    a: str, b: str, clusters: Mapping[str, Mapping[str, Any]], block: int, transport: str
) -> dict:
    if transport == "gcp_ha_vpn":
        return _gcp_ha_vpn_link(a, b, clusters, block)
    lid = link_id(a, b)
    (first, second), tunnels = _PLANNERS[transport]
    by_provider = {clusters[a]["provider"]: a, clusters[b]["provider"]: b}
    one, other = clusters[by_provider[first]], clusters[by_provider[second]]
    link = {
        "id": lid,
        "clusters": [a, b],
        "transport": transport,
        f"{first}_cluster": one["name"],
        f"{second}_cluster": other["name"],
        "tunnels": tunnels(lid, one, other, block),
    }
    return name_link(link)


def build_plan(
    specs: Mapping[str, Any],
    topology: Any = "full_mesh",
    pairs: Any = None,
    dns_image: str | None = None,
    link_vars: Iterable[str] = (),
    transports: Any = None,
) -> tuple[dict[str, Any] | None, list[str], list[str]]:
    """Validate everything, then enumerate links and allocate tunnels.

    ``specs`` maps inventory host -> its ``cluster_*`` variables. With ``dns_image`` (the DNS
    phase will run) every linked cluster's kubeconfig is read and checked too. ``link_vars``
    are the names of the ``link_*`` variables set (misspellings are errors). ``transports``
    is link_transports: provider pair key (``gcp-gcp``) -> the transport to use instead of
    the pair's default (TRANSPORTS). Returns
    ``(plan, errors, warnings)``; all errors are collected, and "not supported yet"
    transports are reported after every other rule.
    """
    if not specs:
        return None, ["no clusters: the inventory group 'clusters' is empty"], []
    names = _cluster_names(specs)
    clusters, errors, warnings = _validate_clusters(specs, names)
    errors = _name_errors(names) + errors
    if topology == "full_mesh" and pairs:
        warnings.append("link_pairs is ignored because link_topology is full_mesh")
    link_pairs, pair_errors = enumerate_pairs(clusters, topology, pairs)
    errors += pair_errors
    overrides, override_errors = transport_overrides(transports)
    errors += override_errors
    chosen = choose_transports(link_pairs, clusters, overrides)
    errors += link_asn_errors(link_pairs, clusters, chosen)
    errors += misspelt_link_vars(link_vars)
    if dns_image is not None:
        by_name = {names[host]: spec for host, spec in specs.items() if isinstance(spec, Mapping)}
        errors += dns_errors(link_pairs, by_name, dns_image)
    tunnelled = [pair for pair in link_pairs if not _peering(pair, clusters, chosen)]
    errors += peering_errors(link_pairs, clusters, chosen)
    errors += tgw_peering_errors(link_pairs, clusters, chosen)
    errors += pool_errors(topology, len(tunnelled))
    errors += unsupported_errors(link_pairs, clusters, chosen)
    if errors:
        return None, errors, warnings
    blocks = allocate_blocks(link_id(a, b) for a, b in tunnelled)
    links = [
        _peering_link(a, b, clusters, str(chosen[(a, b)]))
        if _peering((a, b), clusters, chosen)
        else _plan_link(a, b, clusters, blocks[link_id(a, b)], str(chosen[(a, b)]))
        for a, b in link_pairs
    ]
    # Only a cluster with a tunnel needs link_psk_secret (the tunnels' keys derive from it).
    with_tunnels = {c for link in links if link["tunnels"] for c in link["clusters"]}
    clusters = {name: {**c, "tunnelled": name in with_tunnels} for name, c in clusters.items()}
    return {"clusters": clusters, "links": links}, [], warnings


def summarize(plan: Mapping[str, Any]) -> list[str]:
    """Human-readable lines for the playbook output."""
    lines = [f"{len(plan['clusters'])} clusters, {len(plan['links'])} links"]
    for name, c in sorted(plan["clusters"].items()):
        lines.append(
            f"cluster {name}: {c['provider']} {c.get('region') or ''} AS {c['asn']} zone "
            f"{c['dns_zone']}".replace("  ", " ")
        )
    for link in plan["links"]:
        if link["transport"] in PEERING_TRANSPORTS:
            key = _PEERING_SIDES[link["transport"]][0]
            lines.append(
                f"link {link['id']} ({link['transport']}): "
                + " <-> ".join(f"{name} ({_peering_end(side)})" for name, side in link[key].items())
            )
            continue
        if link["transport"] == "gcp_ha_vpn":
            lines += _ha_vpn_lines(link)
            continue
        first, second = _PLANNERS[link["transport"]][0]
        lines.append(
            f"link {link['id']} ({link['transport']}): {link[first + '_cluster']} ({first}) <-> "
            f"{link[second + '_cluster']} ({second})"
        )
        for t in link["tunnels"]:
            lines.append(
                f"  tunnel {t['id']} {t['inside_cidr']}: {_side(first, t)} <-> {_side(second, t)}"
            )
    return lines


def _ha_vpn_lines(link: Mapping[str, Any]) -> list[str]:
    """A gcp <-> gcp HA VPN link for ``summarize``."""
    a, b = link["clusters"]
    lines = [f"link {link['id']} (gcp_ha_vpn): {a} (gcp) <-> {b} (gcp)"]
    for t in link["tunnels"]:
        ends = [
            f"{name} {side['tunnels'][t['index']]['gcp_inside_address']} AS "
            f"{side['tunnels'][t['index']]['gcp_asn']}"
            for name, side in ((a, link["gcp_ha_vpn_sides"][a]), (b, link["gcp_ha_vpn_sides"][b]))
        ]
        lines.append(
            f"  tunnel {t['id']} {t['inside_cidr']}: {ends[0]} <-> {ends[1]} "
            f"(HA VPN interface {t['gcp_vpn_interface']} on both gateways)"
        )
    return lines


def _peering_end(side: Mapping[str, Any]) -> str:
    """One end of a peering for ``summarize``."""
    if "transit_gateway_id" in side:
        role = "requester" if side["requester"] else "accepter"
        return (
            f"Transit Gateway {side['transit_gateway_id']} AS {side['asn']} in "
            f"{side['region']}, {role}"
        )
    if "vpc_id" in side:
        role = "requester" if side["requester"] else "accepter"
        return f"VPC {side['vpc_id']} in {side['region']}, {role}"
    return f"network {side['network']}"


def _side(provider: str, tunnel: Mapping[str, Any]) -> str:
    """One end of a tunnel for ``summarize``."""
    where = ""
    if provider == "aws":
        where = f" (connection {tunnel['aws_vpn_connection']} tunnel {tunnel['aws_tunnel']})"
    elif provider == "gcp":
        where = (
            f" (HA VPN interface {tunnel['gcp_vpn_interface']}, external interface "
            f"{tunnel['gcp_external_interface']})"
        )
    return (
        f"{provider} {tunnel[provider + '_inside_address']} AS {tunnel[provider + '_asn']}{where}"
    )
