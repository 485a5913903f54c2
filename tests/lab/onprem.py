"""The on-prem gateway of the lab, from the files the ``onprem_vpn`` role rendered (the demo
and ``python -m tests.lab --link`` render them under ``<state-dir>/onprem-gateway``, without
packages or services).

As the clouds' gateways come from their emulators' state, this one comes from its own
configuration only: each swanctl connection file (peer, identities, proposals, start action)
with its key file, the XFRM unit (each tunnel's inside address) and the FRR configuration (ASN,
neighbours, their ASNs and timers, the advertised networks). The lab realises it like the
others (one charon per tunnel over TUN instead of XFRM interfaces: REFERENCE "Tooling
offline"; bgpd with the lab's connect timer).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.lab.model import Gateway, Proposal, TunnelEnd

ROOT_NAME = "onprem-gateway"
SWANCTL = "etc/swanctl/conf.d"
FRR_CONF = "etc/frr/frr.conf"
UNIT = "etc/systemd/system/crosscluster-link-gateway.service"


def _setting(text: str, key: str) -> str:
    match = re.search(rf"(?m)^\s*{re.escape(key)} = (.+)$", text)
    if not match:
        raise ValueError(f"no {key} in the swanctl file")
    return match.group(1).strip()


def _secret(text: str) -> str:
    match = re.search(r'(?m)^\s*secret = "((?:[^"\\]|\\.)*)"$', text)
    if not match:
        raise ValueError("no secret in the key file")
    return re.sub(r"\\(.)", r"\1", match.group(1))


def parse_frr(text: str) -> tuple[int, dict[str, dict[str, str]], list[str]]:
    """(local ASN, neighbour -> {remote-as, update-source, timers}, advertised networks)."""
    asn = int(re.search(r"(?m)^router bgp (\d+)$", text).group(1))  # type: ignore[union-attr]
    neighbours: dict[str, dict[str, str]] = {}
    for peer, key, value in re.findall(
        r"(?m)^ neighbor (\S+) (remote-as|update-source|timers) (.+)$", text
    ):
        neighbours.setdefault(peer, {})[key] = value.strip()
    networks = re.findall(r"(?m)^  network (\S+)$", text)
    return asn, neighbours, networks


def parse_unit(text: str) -> dict[str, str]:
    """XFRM interface -> the gateway's inside address with prefix, from the unit's
    ``ip address replace ADDRESS/PREFIX dev IFACE`` lines."""
    return dict(
        (dev, address)
        for address, dev in re.findall(r"(?m)^ExecStart=\S+ address replace (\S+) dev (\S+)$", text)
    )


def parse_mtu(text: str) -> int | None:
    """The MTU the unit's ``ip link set IFACE mtu N up`` lines give the XFRM interfaces."""
    mtus = {int(m) for m in re.findall(r"(?m)^ExecStart=\S+ link set \S+ mtu (\d+) up$", text)}
    return min(mtus) if mtus else None


def gateway(root: Path, cluster: str) -> Gateway | None:
    """The on-prem gateway rendered under ``root``, or None when nothing was rendered."""
    conf_dir = root / SWANCTL
    files = sorted(conf_dir.glob("xcl-*.conf")) if conf_dir.is_dir() else []
    if not files:
        return None
    asn, neighbours, networks = parse_frr((root / FRR_CONF).read_text())
    unit = (root / UNIT).read_text()
    inside_by_dev = parse_unit(unit)
    # The unit names each interface xcl<if_id>; the connection file carries the if_id.
    tunnels = []
    for path in files:
        text = path.read_text()
        name = path.stem
        key_file = path.with_suffix(".secrets")
        inside = inside_by_dev[f"xcl{_setting(text, 'if_id_out')}"]
        local_inside = inside.split("/", 1)[0]
        peer_inside = next(
            peer for peer, n in neighbours.items() if n.get("update-source") == local_inside
        )
        ids = re.findall(r"(?m)^\s*id = (\S+)$", text)
        tunnels.append(
            TunnelEnd(
                name=name,
                public_ip=ids[0],
                peer_public_ip=_setting(text, "remote_addrs"),
                psk=_secret(key_file.read_text()),
                ike_version=int(_setting(text, "version")),
                proposal=Proposal(
                    ike=_setting(text, "proposals"), esp=_setting(text, "esp_proposals")
                ),
                inside=inside,
                peer_inside_ip=peer_inside,
                peer_asn=int(neighbours[peer_inside]["remote-as"]),
                initiate=_setting(text, "start_action") == "start",
                dpd_action=_setting(text, "dpd_action"),
                advertised=tuple(networks),
            )
        )
    keepalives = [int(n["timers"].split()[0]) for n in neighbours.values() if "timers" in n]
    return Gateway(
        cloud="onprem",
        name=cluster,
        network=cluster,
        asn=asn,
        ecmp=False,
        keepalive=min(keepalives or [10]),
        public_ips=sorted({t.public_ip for t in tunnels}),
        tunnels=tunnels,
        tunnel_mtu=parse_mtu(unit),
    )
