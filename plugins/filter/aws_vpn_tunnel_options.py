# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import tunnel_psk
from ansible_collections.crosscluster.link.plugins.module_utils import _link_wiring


def aws_vpn_tunnel_options(
    link: Mapping[str, Any], connection: str, options: Mapping[str, Any], secret: str
) -> list[dict[str, Any]]:
    tunnels: Sequence[Mapping[str, Any]] = (link or {}).get("tunnels") or []
    mine = sorted(
        (t for t in tunnels if t.get("aws_vpn_connection") == connection),
        key=lambda t: t["aws_tunnel"],
    )
    if not mine:
        raise AnsibleFilterError(
            f"aws_vpn_tunnel_options: link {link.get('id')!r} has no tunnel on connection "
            f"{connection!r}"
        )
    return [
        {
            **options,
            "inside_cidr": t["inside_cidr"],
            "pre_shared_key": tunnel_psk(secret, t["id"]),
        }
        for t in mine
    ]


def aws_vpn_link_facts(
    link: Mapping[str, Any], reported: Mapping[str, Any], asn: Any
) -> dict[str, Any]:
    """The fact ``aws_vpn_links[link.id]``: the ASN and, in plan order, each tunnel's id, the
    outside IP AWS reports for its inside CIDR (``reported``: inside CIDR -> outside IP) and
    the inside addresses of both ends (``aws_inside_address`` and the other end's)."""
    peer = next(
        (
            k
            for t in link.get("tunnels") or []
            for k in t
            if k.endswith("_inside_address") and k != "aws_inside_address"
        ),
        None,
    )
    return {
        "asn": int(asn),
        "tunnels": [
            {
                "id": t["id"],
                "outside_ip": reported.get(t["inside_cidr"]),
                "aws_inside_address": t["aws_inside_address"],
                **({peer: t[peer]} if peer else {}),
            }
            for t in sorted(link.get("tunnels") or [], key=lambda t: t["index"])
        ],
    }


def aws_vpn_missing_peers(
    links: Sequence[Mapping[str, Any]], peer_gateways: Mapping[str, Any]
) -> list[str]:
    """The ids of the links for which ``peer_gateways`` gives no two interface IPs."""
    return _link_wiring.missing_peers(links or [], peer_gateways or {})


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "aws_vpn_tunnel_options": aws_vpn_tunnel_options,
            "aws_vpn_link_facts": aws_vpn_link_facts,
            "aws_vpn_missing_peers": aws_vpn_missing_peers,
        }
