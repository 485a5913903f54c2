# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""The on-prem gateway's configuration from the plan: strongSwan (swanctl.conf(5)) per tunnel,
FRR bgpd, sysctls, nftables (MSS clamping, IKE from the peers) and the XFRM interfaces.

Pure functions on plain values. ``tunnel_ends`` lays out every tunnel end of the cluster's
links; ``gateway_files`` renders every file the ``onprem_vpn`` role writes, without a secret;
``secret_files`` renders the per-tunnel pre-shared key files (the caller derives the keys).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

# Per transport: which side of the link is the cloud, and its BGP timers (keepalive, hold).
# AWS Site-to-Site VPN: keepalive 10 s, hold 30 s ("Customer gateway device requirements").
# Cloud Router: keepalive 20 s by default, hold 3x ("Cloud Router BGP timers").
CLOUD_SIDE = {
    "aws_onprem_vpn": ("aws", (10, 30)),
    "gcp_onprem_ha_vpn": ("gcp", (20, 60)),
}
ONPREM_TRANSPORTS = tuple(CLOUD_SIDE)
TUNNEL_POOL_BASE = int(ipaddress.IPv4Address("169.254.0.0"))
IFNAME_PREFIX = "xcl"
FILE_PREFIX = "xcl-"
# swanctl.conf section names: no dots, braces or spaces (swanctl.conf(5) SETTINGS SYNTAX).
_SECTION_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class OnpremConfigError(ValueError):
    """A plan, peer or option the configuration cannot be built from."""


def onprem_links(plan: Mapping[str, Any], cluster: str) -> list[Mapping[str, Any]]:
    """The links of the plan whose on-prem end is ``cluster``, in plan order."""
    return [
        link
        for link in plan.get("links") or []
        if link.get("transport") in ONPREM_TRANSPORTS and link.get("onprem_cluster") == cluster
    ]


def if_id(inside_cidr: str) -> int:
    """The XFRM interface id of a tunnel: the index of its /30 in 169.254.0.0/16 (unique in a
    plan, stable while the link's block is; never 0, since the first block is reserved)."""
    network = ipaddress.IPv4Network(inside_cidr)
    return (int(network.network_address) - TUNNEL_POOL_BASE) // 4


def tunnel_ends(
    plan: Mapping[str, Any], cluster: str, peers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Every tunnel end of the cluster's on-prem links, with the peer's outside IP from
    ``peers`` (link id -> ``{tunnels: [{id, outside_ip}]}``, the link_wiring filter's
    ``onprem_peers``). Raises OnpremConfigError naming what is missing."""
    clusters = plan.get("clusters") or {}
    local = clusters.get(cluster)
    if not isinstance(local, Mapping) or local.get("provider") != "onprem":
        raise OnpremConfigError(
            f"cluster {cluster!r} is not an onprem cluster of the plan (clusters: "
            f"{', '.join(sorted(clusters)) or 'none'}); pass the link_plan result and the "
            f"on-prem cluster's name"
        )
    gateway_ip = local.get("onprem_gateway_ip")
    ends = []
    for link in onprem_links(plan, cluster):
        side, (keepalive, hold) = CLOUD_SIDE[link["transport"]]
        remote = link[f"{side}_cluster"]
        reported = {
            t.get("id"): t.get("outside_ip")
            for t in ((peers.get(link["id"]) or {}).get("tunnels") or [])
            if isinstance(t, Mapping)
        }
        for tunnel in link["tunnels"]:
            peer_ip = reported.get(tunnel["id"])
            try:
                ipaddress.IPv4Address(peer_ip)
            except ValueError:
                raise OnpremConfigError(
                    f"link {link['id']}: tunnel {tunnel['id']} has no peer outside IP "
                    f"(got {peer_ip!r}); pass the {side} side's outside IPs as "
                    f"onprem_vpn_peers[{link['id']!r}].tunnels (the link_wiring filter's "
                    f"onprem_peers, once the {side} side of the link exists)"
                ) from None
            network = ipaddress.IPv4Network(tunnel["inside_cidr"])
            number = if_id(tunnel["inside_cidr"])
            ends.append(
                {
                    "id": tunnel["id"],
                    "link": link["id"],
                    "transport": link["transport"],
                    "peer_provider": side,
                    "peer_cluster": remote,
                    "name": f"{FILE_PREFIX}{tunnel['id']}",
                    "if_id": number,
                    "interface": f"{IFNAME_PREFIX}{number}",
                    "local_ip": gateway_ip,
                    "peer_ip": peer_ip,
                    "inside_cidr": str(network),
                    "inside_prefixlen": network.prefixlen,
                    "local_inside_address": tunnel["onprem_inside_address"],
                    "peer_inside_address": tunnel[f"{side}_inside_address"],
                    "local_asn": tunnel["onprem_asn"],
                    "peer_asn": tunnel[f"{side}_asn"],
                    "keepalive": keepalive,
                    "hold_time": hold,
                    # Neither cloud initiates reliably: AWS tunnels with StartupAction=add
                    # only respond (EC2 VpnTunnelOptionsSpecification); the gateway starts.
                    "initiate": True,
                }
            )
    return ends


def advertised_ranges(plan: Mapping[str, Any], cluster: str) -> list[str]:
    """The IPv4 node, pod and service ranges of the cluster (the tunnels carry IPv4)."""
    local = plan["clusters"][cluster]
    ranges = [
        *(local.get("node_cidrs") or []),
        *(local.get("pod_cidrs") or []),
        *(local.get("service_cidrs") or []),
    ]
    return [r for r in dict.fromkeys(ranges) if ":" not in r]


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def swanctl_conf(end: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """swanctl.conf(5) for one tunnel: IKEv2, PSK with the outside IPs as identities (AWS and
    Cloud VPN both use the gateway's IP as its IKE ID), one route-based CHILD_SA 0.0.0.0/0 <->
    0.0.0.0/0 bound to the tunnel's XFRM interface by ``if_id_in``/``if_id_out``, and one
    proposal each (GCP's rekey fails on long proposal lists). The key is in the included
    ``<name>.secrets`` file next to it, which the default ``conf.d/*.conf`` glob skips."""
    name = end["name"]
    if not _SECTION_RE.match(name):
        raise OnpremConfigError(f"tunnel name {name!r} is not a valid swanctl section name")
    start = "start" if end["initiate"] else "trap"
    local_addrs = options.get("local_address") or "%any"
    lines = [
        f"# crosscluster.link: link {end['link']} tunnel {end['id']} to {end['peer_provider']} "
        f"{end['peer_cluster']} (managed by the onprem_vpn role; do not edit)",
        "connections {",
        f"  {name} {{",
        "    version = 2",
        f"    local_addrs = {local_addrs}",
        f"    remote_addrs = {end['peer_ip']}",
        f"    proposals = {options['ike_proposals']}",
        f"    encap = {'yes' if options.get('encap') else 'no'}",
        "    mobike = no",
        f"    dpd_delay = {int(options['dpd_delay'])}s",
        "    keyingtries = 0",
        f"    if_id_in = {end['if_id']}",
        f"    if_id_out = {end['if_id']}",
        "    local {",
        "      auth = psk",
        f"      id = {end['local_ip']}",
        "    }",
        "    remote {",
        "      auth = psk",
        f"      id = {end['peer_ip']}",
        "    }",
        "    children {",
        f"      {name} {{",
        "        local_ts = 0.0.0.0/0",
        "        remote_ts = 0.0.0.0/0",
        f"        esp_proposals = {options['esp_proposals']}",
        f"        if_id_in = {end['if_id']}",
        f"        if_id_out = {end['if_id']}",
        f"        start_action = {start}",
        "        dpd_action = restart",
        f"        close_action = {start}",
        "      }",
        "    }",
        "  }",
        "}",
        f"include {name}.secrets",
    ]
    return "\n".join(lines) + "\n"


def secrets_conf(end: Mapping[str, Any], psk: str) -> str:
    """The ``secrets`` section of one tunnel: its pre-shared key for the two identities."""
    return (
        "secrets {\n"
        f"  ike-{end['name']} {{\n"
        f"    id-local = {end['local_ip']}\n"
        f"    id-remote = {end['peer_ip']}\n"
        f"    secret = {_quote(psk)}\n"
        "  }\n"
        "}\n"
    )


def frr_conf(
    ends: Sequence[Mapping[str, Any]],
    ranges: Sequence[str],
    options: Mapping[str, Any],
    router_id: str,
) -> str:
    """FRR configuration (FRR user guide, "BGP"): eBGP to each tunnel's peer on the inside
    addresses; each session advertises the cluster's ranges (``network`` + the outbound
    prefix-list ``xcl-out``) and accepts anything but a default route and the cluster's own
    ranges (``xcl-in``). ``no bgp network import-check``: the ranges are announced whether or
    not the gateway has a kernel route for them (the cluster's nodes route them)."""
    asns = sorted({end["local_asn"] for end in ends})
    if len(asns) > 1:
        raise OnpremConfigError(f"the tunnels of one gateway have different local ASNs: {asns}")
    lines = [
        "! crosscluster.link: BGP of the on-prem gateway (managed by the onprem_vpn role;",
        "! this file is rewritten on every run)",
        "frr defaults traditional",
        f"hostname {options.get('hostname') or 'crosscluster-link-gateway'}",
        "log syslog informational",
        "!",
    ]
    if not ends:
        return "\n".join(lines) + "\n"
    lines += [
        f"router bgp {asns[0]}",
        f" bgp router-id {router_id}",
        " no bgp network import-check",
    ]
    for end in ends:
        peer = end["peer_inside_address"]
        lines += [
            f" neighbor {peer} remote-as {end['peer_asn']}",
            f" neighbor {peer} description {end['id']}",
            f" neighbor {peer} update-source {end['local_inside_address']}",
            f" neighbor {peer} timers {end['keepalive']} {end['hold_time']}",
        ]
    lines += [" !", " address-family ipv4 unicast"]
    lines += [f"  network {prefix}" for prefix in ranges]
    lines.append(f"  maximum-paths {int(options.get('maximum_paths') or 1)}")
    for end in ends:
        peer = end["peer_inside_address"]
        lines += [
            f"  neighbor {peer} activate",
            f"  neighbor {peer} prefix-list xcl-in in",
            f"  neighbor {peer} prefix-list xcl-out out",
        ]
    lines += [" exit-address-family", "exit", "!"]
    lines += [f"ip prefix-list xcl-out seq {5 * (n + 1)} permit {p}" for n, p in enumerate(ranges)]
    lines.append("ip prefix-list xcl-out seq 10000 deny any")
    lines.append("ip prefix-list xcl-in seq 5 deny 0.0.0.0/0")
    lines += [
        f"ip prefix-list xcl-in seq {10 + 5 * n} deny {p} le 32" for n, p in enumerate(ranges)
    ]
    lines.append("ip prefix-list xcl-in seq 10000 permit 0.0.0.0/0 le 32")
    return "\n".join(lines) + "\n"


def sysctl_conf() -> str:
    """Forwarding, and loose reverse-path filtering (RFC 3704): with two tunnels per link the
    return path of a flow may be the other tunnel, which strict mode drops. The kernel takes
    the higher of ``all`` and the interface's value, so ``all = 2`` covers the tunnel
    interfaces (which do not exist yet when systemd-sysctl runs at boot)."""
    lines = [
        "# crosscluster.link: on-prem gateway (managed by the onprem_vpn role)",
        "net.ipv4.ip_forward = 1",
        "net.ipv4.conf.all.rp_filter = 2",
        "net.ipv4.conf.default.rp_filter = 2",
    ]
    return "\n".join(lines) + "\n"


def nftables_conf(ends: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> str:
    """The collection's own nftables table (nft(8)): the table is declared, deleted and
    defined again in one transaction, so loading the file is idempotent and never touches
    another table. ``forward``: TCP MSS clamping of SYNs in and out of each tunnel
    interface (Cloud VPN MTU 1460 minus IPsec: REFERENCE, Submariner #2132). ``input``:
    IKE and NAT-T (UDP 500, 4500) and ESP from the peers are accepted; with ``restrict``,
    IKE and NAT-T from any other address are dropped. An accept here does not override a
    drop in another table: admit the peers there too."""
    mss = options["tcp_mss"]
    peers = sorted({end["peer_ip"] for end in ends}, key=ipaddress.IPv4Address)
    lines = [
        "#!/usr/sbin/nft -f",
        "# crosscluster.link: on-prem gateway (managed by the onprem_vpn role)",
        "table inet crosscluster_link",
        "delete table inet crosscluster_link",
        "table inet crosscluster_link {",
        "  set vpn_peers {",
        "    type ipv4_addr",
    ]
    if peers:
        lines.append(f"    elements = {{ {', '.join(peers)} }}")
    lines += [
        "  }",
        "  chain input {",
        "    type filter hook input priority filter; policy accept;",
        "    ip saddr @vpn_peers udp dport { 500, 4500 } accept",
        "    ip saddr @vpn_peers meta l4proto esp accept",
    ]
    if options.get("restrict"):
        lines.append("    udp dport { 500, 4500 } drop")
    lines += [
        "  }",
        "  chain forward {",
        "    type filter hook forward priority mangle; policy accept;",
    ]
    for end in ends:
        value = int(mss[end["peer_provider"]])
        for direction in ("oifname", "iifname"):
            lines.append(
                f'    {direction} "{end["interface"]}" tcp flags & (syn | rst) == syn '
                f"tcp option maxseg size > {value} tcp option maxseg size set {value}"
            )
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def interfaces_unit(
    ends: Sequence[Mapping[str, Any]], nft_path: str, sysctl_path: str, options: Mapping[str, Any]
) -> str:
    """systemd.service(5) oneshot that brings up one XFRM interface per tunnel (ip-link(8)
    ``type xfrm if_id``) with its inside address, loads the sysctls and the nftables table;
    stopping it removes the interfaces and the table. Commands prefixed ``-`` may fail (an
    interface that exists already, a table that is gone)."""
    ip, nft, sysctl = options["ip"], options["nft"], options["sysctl"]
    lines = [
        "# crosscluster.link: on-prem gateway (managed by the onprem_vpn role)",
        "[Unit]",
        "Description=crosscluster.link on-prem gateway: XFRM interfaces, sysctls, nftables",
        "Before=strongswan.service frr.service",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        f"ExecStart={sysctl} -p {sysctl_path}",
    ]
    for end in ends:
        dev = end["interface"]
        lines += [
            f"ExecStart=-{ip} link add {dev} type xfrm dev lo if_id {end['if_id']}",
            f"ExecStart={ip} address replace "
            f"{end['local_inside_address']}/{end['inside_prefixlen']} dev {dev}",
            f"ExecStart={ip} link set {dev} mtu {int(options['mtu'])} up",
        ]
    lines.append(f"ExecStart={nft} -f {nft_path}")
    lines += [f"ExecStop=-{ip} link delete {end['interface']}" for end in ends]
    lines += [
        f"ExecStop=-{nft} delete table inet crosscluster_link",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def _join(root: str, path: str) -> str:
    return (root.rstrip("/") + "/" + path.lstrip("/")) if root and root != "/" else path


def gateway_files(
    plan: Mapping[str, Any],
    cluster: str,
    peers: Mapping[str, Any],
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """Every file the role writes except the key files: ``{tunnels, files, secrets, dirs}``.
    ``files`` is a list of ``{path, content, mode, kind}`` (paths under ``options['root']``);
    ``secrets`` the key files' ``{path, tunnel, name, local_ip, peer_ip}`` (no key);
    ``tunnels`` the tunnel ends (no key either)."""
    root = options.get("root") or "/"
    ends = tunnel_ends(plan, cluster, peers)
    ranges = advertised_ranges(plan, cluster)
    local = plan["clusters"][cluster]
    swanctl_dir = _join(root, options["swanctl_dir"])
    nft_path = _join(root, options["nftables_path"])
    sysctl_path = _join(root, options["sysctl_path"])
    # The unit names the files where the running system finds them (without the root).
    unit = interfaces_unit(ends, options["nftables_path"], options["sysctl_path"], options)
    files = [
        {
            "path": f"{swanctl_dir}/{end['name']}.conf",
            "content": swanctl_conf(end, options),
            "mode": "0644",
            "kind": "swanctl",
            "tunnel": end["id"],
        }
        for end in ends
    ]
    router_id = options.get("router_id") or local.get("onprem_gateway_ip")
    files += [
        {
            "path": _join(root, options["frr_conf_path"]),
            "content": frr_conf(ends, ranges, options, router_id),
            "mode": "0640",
            "kind": "frr",
        },
        {"path": sysctl_path, "content": sysctl_conf(), "mode": "0644", "kind": "sysctl"},
        {"path": nft_path, "content": nftables_conf(ends, options), "mode": "0644", "kind": "nft"},
        {
            "path": _join(root, options["unit_path"]),
            "content": unit,
            "mode": "0644",
            "kind": "unit",
        },
    ]
    secrets = [
        {
            "path": f"{swanctl_dir}/{end['name']}.secrets",
            "tunnel": end["id"],
            "name": end["name"],
            "local_ip": end["local_ip"],
            "peer_ip": end["peer_ip"],
        }
        for end in ends
    ]
    paths = [f["path"] for f in files] + [s["path"] for s in secrets]
    dirs = sorted({p.rsplit("/", 1)[0] for p in paths})
    return {
        "tunnels": ends,
        "ranges": ranges,
        "files": files,
        "secrets": secrets,
        "dirs": dirs,
        "paths": paths,
        "manifest": _join(root, options["manifest_path"]),
    }
