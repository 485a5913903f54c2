# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one cluster's roles take from the plan and from its peers' facts (the cross-cloud
wiring of link_clusters): a GCP gateway's interface IPs for the AWS side, the AWS tunnels'
outside IPs for the GCP side, and the linked clusters as DNS remotes. Pure functions over
the plan and a host -> facts mapping (``hostvars``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Facts = Mapping[str, Mapping[str, Any]]


def _peer_facts(plan: dict[str, Any], facts: Facts, cluster: str) -> Mapping[str, Any]:
    return facts[plan["clusters"][cluster]["host"]]


AWS_GCP = "aws_gcp_ha_vpn"
AWS_ONPREM = "aws_onprem_vpn"
GCP_ONPREM = "gcp_onprem_ha_vpn"
GCP_GCP = "gcp_ha_vpn"


def _transport(link: dict[str, Any]) -> str:
    return str(link.get("transport") or AWS_GCP)


def _links(
    plan: dict[str, Any],
    cluster: str,
    side: str | None = None,
    transports: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    return [
        link
        for link in plan["links"]
        if (link.get(f"{side}_cluster") == cluster if side else cluster in link["clusters"])
        and (transports is None or _transport(link) in transports)
    ]


def interface_ips(gateway: Mapping[str, Any] | None) -> list[str] | None:
    """The GCP HA VPN gateway's ``interface_ips`` - interfaces 0 and 1 - or None unless it
    gives exactly two, each a non-empty string: the one rule for a gateway's IPs, whether
    from the gcp_vpn role's fact or from ``aws_vpn_peer_gateways``."""
    ips = list((gateway or {}).get("interface_ips") or [])
    return ips if len(ips) == 2 and all(isinstance(ip, str) and ip for ip in ips) else None


def missing_peers(
    links: Iterable[Mapping[str, Any]], peer_gateways: Mapping[str, Any]
) -> list[str]:
    """The ids of the ``links`` (aws <-> gcp) for which ``peer_gateways`` (link id ->
    gateway) gives no two interface IPs, in order."""
    return [link["id"] for link in links if interface_ips(peer_gateways.get(link["id"])) is None]


def _gateway_ips(plan: dict[str, Any], facts: Facts, gcp_cluster: str) -> list[str] | None:
    """The GCP HA VPN gateway's two interface IPs (fact ``gcp_vpn_gateway`` of the GCP host,
    set in the gateways play), or None while it has not both."""
    return interface_ips(_peer_facts(plan, facts, gcp_cluster).get("gcp_vpn_gateway"))


def _aws_tunnels(plan: dict[str, Any], facts: Facts, link: dict[str, Any]) -> list[Any] | None:
    """The AWS side's tunnels of a link (fact ``aws_vpn_links`` of the AWS host, set in the
    AWS tunnels play), or None while not every planned tunnel has an outside IP."""
    aws_links = _peer_facts(plan, facts, link["aws_cluster"]).get("aws_vpn_links") or {}
    tunnels = (aws_links.get(link["id"]) or {}).get("tunnels") or []
    if len(tunnels) != len(link["tunnels"]) or any(t.get("outside_ip") is None for t in tunnels):
        return None
    return list(tunnels)


def peer_gateways(plan: dict[str, Any], facts: Facts, cluster: str) -> dict[str, Any]:
    """Link id -> the GCP HA VPN gateway's two interface IPs, for each aws <-> gcp link where
    this cluster is the AWS side and the GCP host has set ``gcp_vpn_gateway``."""
    peers = {}
    for link in _links(plan, cluster, "aws", (AWS_GCP,)):
        ips = _gateway_ips(plan, facts, link["gcp_cluster"])
        if ips:
            peers[link["id"]] = {"interface_ips": ips}
    return peers


def peer_tunnels(plan: dict[str, Any], facts: Facts, cluster: str) -> dict[str, Any]:
    """Link id -> the AWS side of the link (fact ``aws_vpn_links`` of the AWS host, set in
    the AWS tunnels play), for each aws <-> gcp link where this cluster is the GCP side."""
    peers = {}
    for link in _links(plan, cluster, "gcp", (AWS_GCP,)):
        aws_links = _peer_facts(plan, facts, link["aws_cluster"]).get("aws_vpn_links") or {}
        if link["id"] in aws_links:
            peers[link["id"]] = aws_links[link["id"]]
    return peers


def external_interfaces(
    link: Mapping[str, Any], aws_side: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The interfaces of the GCP external VPN gateway of an aws <-> gcp link, by interface
    number: each plan tunnel's ``gcp_external_interface`` with the outside IP the AWS side
    (its ``aws_vpn_links`` entry) reports for that same tunnel id (None while it reports none)."""
    outside = {t.get("id"): t.get("outside_ip") for t in aws_side.get("tunnels") or []}
    interfaces = [
        {"id": t["gcp_external_interface"], "ip_address": outside.get(t["id"])}
        for t in link.get("tunnels") or []
    ]
    return sorted(interfaces, key=lambda i: int(i["id"]))


def onprem_peers(plan: dict[str, Any], facts: Facts, cluster: str) -> dict[str, Any]:
    """Link id -> ``{tunnels: [{id, outside_ip}]}`` in plan tunnel order, the cloud end of
    each link where this cluster is the on-prem side: the AWS tunnels' outside IPs, or the
    GCP HA VPN interface IP of each tunnel's ``gcp_vpn_interface``. Links whose cloud end
    has not every IP yet are left out."""
    peers: dict[str, Any] = {}
    for link in _links(plan, cluster, "onprem", (AWS_ONPREM, GCP_ONPREM)):
        if _transport(link) == AWS_ONPREM:
            tunnels = _aws_tunnels(plan, facts, link)
            if tunnels is None:
                continue
            by_id = {t.get("id"): t.get("outside_ip") for t in tunnels}
            outside = [by_id.get(t["id"]) for t in link["tunnels"]]
        else:
            ips = _gateway_ips(plan, facts, link["gcp_cluster"])
            if ips is None:
                continue
            outside = [ips[t["gcp_vpn_interface"]] for t in link["tunnels"]]
        if all(outside):
            peers[link["id"]] = {
                "tunnels": [
                    {"id": t["id"], "outside_ip": ip}
                    for t, ip in zip(link["tunnels"], outside, strict=True)
                ]
            }
    return peers


def tunnels_ready(plan: dict[str, Any], facts: Facts, cluster: str) -> bool:
    """Whether every tunnel of every link of this cluster has its cloud ends' addresses:
    an AWS outside IP for each tunnel with an AWS end, both HA VPN interface IPs for a
    gcp <-> onprem link (always, outside check mode, once the tunnels plays ran), the other
    cluster's HA VPN gateway for a gcp <-> gcp HA VPN link (the tunnels name it: it must
    exist). A peering has no tunnel."""
    for link in _links(plan, cluster):
        if not link["tunnels"]:
            continue
        if _transport(link) == GCP_GCP:
            remote = link["gcp_ha_vpn_sides"][cluster]["remote_cluster"]
            if _gateway_ips(plan, facts, remote) is None:
                return False
        elif _transport(link) == GCP_ONPREM:
            if _gateway_ips(plan, facts, link["gcp_cluster"]) is None:
                return False
        elif _aws_tunnels(plan, facts, link) is None:
            return False
    return True


def remote_cidrs(
    plan: dict[str, Any], cluster: str, side: str | None = None
) -> dict[str, list[str]]:
    """Per link of the cluster (those where it is the ``side`` end, if given): the node, pod
    and service ranges of the link's other end, each once, in that order."""
    by_link: dict[str, list[str]] = {}
    for link in _links(plan, cluster, side):
        (remote,) = [name for name in link["clusters"] if name != cluster]
        spec = plan["clusters"][remote]
        ranges = [
            *(spec.get("node_cidrs") or []),
            *(spec.get("pod_cidrs") or []),
            *(spec.get("service_cidrs") or []),
        ]
        by_link[link["id"]] = list(dict.fromkeys(ranges))
    return by_link


def gcp_firewall_rules(plan: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """The ingress firewall rules of a GCP cluster's network, one per link and address family
    (a VPC firewall rule holds IPv4 or IPv6 source ranges, not both: "Create VPC firewall
    rules"): ``{name, link, remote, source_ranges}``, the remote cluster's ranges of that
    family - none when it has none, and then the rule is to be absent. Names are the plan's:
    a VPN link's ``gcp_firewall_rules``, a peering's on this cluster's side."""
    rules = []
    cidrs = remote_cidrs(plan, cluster)
    for link in _links(plan, cluster):
        side = (link.get("gcp_peerings") or link.get("gcp_ha_vpn_sides") or {}).get(cluster)
        if side is not None:
            names = side["firewall_rules"]
        elif link.get("gcp_cluster") == cluster:
            names = link["gcp_firewall_rules"]
        else:
            continue
        (remote,) = [name for name in link["clusters"] if name != cluster]
        for family, name in sorted(names.items()):
            ipv6 = family == "in6"
            rules.append(
                {
                    "name": name,
                    "link": link["id"],
                    "remote": remote,
                    "source_ranges": [c for c in cidrs[link["id"]] if (":" in c) == ipv6],
                }
            )
    return rules


def gcp_ha_vpn_tunnels(plan: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """This GCP cluster's tunnels of its gcp <-> gcp HA VPN links, in plan order: each side
    tunnel of the plan (names, interface, inside addresses, ASNs) with its ``link``, the
    ``remote`` cluster (``remote_project``, ``remote_region``: where its tunnel back,
    ``peer_gcp_tunnel``, lives) and the ``peer_gcp_gateway`` it connects to. Its pre-shared key is
    derived from ``id``, the plan tunnel id both ends share."""
    return [
        {
            **tunnel,
            "link": link["id"],
            "remote": side["remote_cluster"],
            "peer_gcp_gateway": side["peer_gcp_gateway"],
            "remote_project": plan["clusters"][side["remote_cluster"]]["project"],
            "remote_region": plan["clusters"][side["remote_cluster"]]["region"],
        }
        for link in _links(plan, cluster, transports=(GCP_GCP,))
        for side in [link["gcp_ha_vpn_sides"][cluster]]
        for tunnel in side["tunnels"]
    ]


def gcp_tunnels(plan: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """Every VPN tunnel of this GCP cluster's VPN links (to AWS and on-prem gateways through
    the link's external gateway, to other GCP clusters' HA VPN gateways), in plan order: the
    options of an entry of crosscluster.link.gcp_vpn_tunnel's ``tunnels`` without the secret,
    with the plan tunnel ``id`` its key is derived from and its ``link``."""
    tunnels = [
        {
            "id": t["id"],
            "link": link["id"],
            "name": t["gcp_tunnel"],
            "vpn_gateway_interface": t["gcp_vpn_interface"],
            "peer_external_gateway": link["gcp_external_gateway"],
            "peer_external_gateway_interface": t["gcp_external_interface"],
            "description": f"crosscluster.link: link {link['id']} tunnel {t['index']}",
        }
        for link in _links(plan, cluster, side="gcp", transports=(AWS_GCP, GCP_ONPREM))
        for t in link["tunnels"]
    ]
    return tunnels + [
        {
            "id": t["id"],
            "link": t["link"],
            "name": t["gcp_tunnel"],
            "vpn_gateway_interface": t["gcp_vpn_interface"],
            "peer_gcp_gateway": t["peer_gcp_gateway"],
            "description": (
                f"crosscluster.link: link {t['link']} tunnel {t['index']} to {t['remote']}"
            ),
        }
        for t in gcp_ha_vpn_tunnels(plan, cluster)
    ]


def aws_vpn_links(plan: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """The VPN links (to GCP HA VPN and on-prem gateways) whose AWS end is this cluster."""
    return _links(plan, cluster, "aws", (AWS_GCP, AWS_ONPREM))


def aws_customer_gateways(
    plan: dict[str, Any], cluster: str, peer_gateways: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Every customer gateway of this AWS cluster's VPN links, in plan order: the entries of
    crosscluster.link.aws_customer_gateway's ``gateways``. aws <-> gcp: one per HA VPN
    interface, at its IP (``peer_gateways[link id].interface_ips``) with the GCP ASN;
    aws <-> onprem: one at the plan's ``onprem_gateway_ip`` with the on-prem ASN. Each has
    its own device name (another AWS cluster of the Region linked with the same peer has
    gateways of the same IP and ASN); ValueError names the links without their peer's IPs
    (missing_peers: the aws_vpn role checks it first, the filter used alone needs it)."""
    links = aws_vpn_links(plan, cluster)
    missing = missing_peers((k for k in links if _transport(k) == AWS_GCP), peer_gateways)
    if missing:
        raise ValueError(
            f"link {', '.join(missing)}: the GCP HA VPN gateway's two interface IPs are "
            "missing (aws_vpn_peer_gateways)"
        )
    gateways = []
    for link in links:
        onprem = _transport(link) == AWS_ONPREM
        if onprem:
            ips = [plan["clusters"][link["onprem_cluster"]]["onprem_gateway_ip"]]
            asn = link["tunnels"][0]["onprem_asn"]
        else:
            ips = interface_ips(peer_gateways.get(link["id"])) or []
            asn = link["tunnels"][0]["gcp_asn"]
        for connection in link["aws_connections"]:
            gateways.append(
                {
                    "name": connection["customer_gateway"],
                    "ip_address": ips[0 if onprem else connection["peer_interface"]],
                    "bgp_asn": int(asn),
                    "device_name": connection["customer_gateway"],
                    "tags": {"crosscluster.link/link": link["id"]},
                }
            )
    return gateways


# On a VPN connection of a cluster behind a Transit Gateway: the remote ranges the role routes
# to the TGW in the VPC's tables for its link, space-separated (a route has no tags; prune
# reads them here once the link is gone from the plan). EC2 tag values: up to 256 characters.
REMOTE_CIDRS_TAG = "crosscluster.link/remote-cidrs"


def aws_vpn_connections(plan: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """Every VPN connection of this AWS cluster's VPN links, in plan order (link, then
    connection a, b): the entries of crosscluster.link.aws_vpn_connection's ``connections``
    without the tunnel options, with ``link``, and ``tunnels``: the plan tunnel ``id`` (its
    key is derived from it) and ``inside_cidr`` of tunnel 1 and 2 of the connection. Behind a
    Transit Gateway, each connection's tags record its link's remote ranges (REMOTE_CIDRS_TAG)."""
    tgw = plan["clusters"][cluster].get("aws_gateway") == "tgw"
    ranges = remote_cidrs(plan, cluster) if tgw else {}
    return [
        {
            "name": connection["name"],
            "customer_gateway_name": connection["customer_gateway"],
            "tags": {
                "crosscluster.link/link": link["id"],
                **({REMOTE_CIDRS_TAG: " ".join(ranges[link["id"]])} if tgw else {}),
            },
            "link": link["id"],
            "tunnels": [
                {"id": t["id"], "inside_cidr": t["inside_cidr"]}
                for t in sorted(
                    (t for t in link["tunnels"] if t["aws_vpn_connection"] == connection["letter"]),
                    key=lambda t: t["aws_tunnel"],
                )
            ],
        }
        for link in aws_vpn_links(plan, cluster)
        for connection in link["aws_connections"]
    ]


LINK_PROBLEM = (
    "aws_vpn: link {link}: its {tunnels} planned tunnels must exist with their planned inside "
    "CIDRs and the gateway's Amazon-side ASN must be {asn} (cluster_asn of {cluster}; AWS "
    "cannot change it): AWS reports ASN(s) {asns} and outside IPs {outside}."
)


def aws_link_problems(
    plan: dict[str, Any],
    cluster: str,
    connections: Mapping[str, Any],
    links: Mapping[str, Any],
) -> list[str]:
    """What is wrong with this AWS cluster's VPN links once their connections are made, one
    message per link: a planned tunnel AWS does not report (``links``: the ``aws_vpn_links``
    facts, by link id), or an Amazon-side ASN other than the cluster's (``connections``: the
    aws_vpn_connection ``vpn_connections`` result, by name). A link with a connection still
    to be created (null, check mode) is not checked."""
    asn = int(plan["clusters"][cluster]["asn"])
    problems = []
    for link in aws_vpn_links(plan, cluster):
        made = [connections.get(c["name"]) for c in link["aws_connections"]]
        if any(c is None for c in made):
            continue
        reported = [
            int(t["aws_asn"])
            for c in made
            for t in c.get("tunnels") or []
            if t.get("aws_asn") is not None
        ]
        outside = [t.get("outside_ip") for t in (links.get(link["id"]) or {}).get("tunnels") or []]
        if None not in outside and all(a == asn for a in reported):
            continue
        problems.append(
            LINK_PROBLEM.format(
                link=link["id"],
                tunnels=len(link["tunnels"]),
                asn=asn,
                cluster=cluster,
                asns=", ".join(str(a) for a in dict.fromkeys(reported)),
                outside=outside,
            )
        )
    return problems


def gcp_router_peers(plan: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """Every router interface and BGP peer of this GCP cluster's VPN links (to AWS, on-prem and
    other GCP clusters), in plan order, as the ``peers`` of crosscluster.link.gcp_router_peer:
    one router PATCH carries them all. The peer address and ASN are the other side's in the
    plan (the aws_vpn role checks that AWS reports the planned ASN)."""

    def peer(tunnel: dict[str, Any], address: str, asn: int) -> dict[str, Any]:
        prefix = tunnel["inside_cidr"].split("/")[1]
        return {
            "name": tunnel["gcp_bgp_peer"],
            "interface_name": tunnel["gcp_interface"],
            "ip_range": f"{tunnel['gcp_inside_address']}/{prefix}",
            "peer_ip_address": address,
            "peer_asn": asn,
            "linked_vpn_tunnel": tunnel["gcp_tunnel"],
        }

    peers = []
    for link in _links(plan, cluster, side="gcp", transports=(AWS_GCP, GCP_ONPREM)):
        onprem = _transport(link) == GCP_ONPREM
        for t in link["tunnels"]:
            if onprem:
                peers.append(peer(t, t["onprem_inside_address"], t["onprem_asn"]))
            else:
                peers.append(peer(t, t["aws_inside_address"], t["aws_asn"]))
    peers += [
        peer(t, t["peer_inside_address"], t["peer_asn"]) for t in gcp_ha_vpn_tunnels(plan, cluster)
    ]
    return peers


def dns_remotes(plan: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """Every cluster linked with this one, as the cluster_dns role's remotes."""
    names = sorted(
        {name for link in _links(plan, cluster) for name in link["clusters"]} - {cluster}
    )
    return [
        {
            "name": name,
            "zone": plan["clusters"][name].get("dns_zone"),
            "api_endpoint": plan["clusters"][name].get("api_endpoint"),
            "kubeconfig": plan["clusters"][name].get("kubeconfig"),
            "context": plan["clusters"][name].get("context") or "",
        }
        for name in names
    ]


def wiring(plan: dict[str, Any], facts: Facts, cluster: str) -> dict[str, Any]:
    return {
        "peer_gateways": peer_gateways(plan, facts, cluster),
        "peer_tunnels": peer_tunnels(plan, facts, cluster),
        "tunnels_ready": tunnels_ready(plan, facts, cluster),
        "onprem_peers": onprem_peers(plan, facts, cluster),
        "dns_remotes": dns_remotes(plan, cluster),
    }
