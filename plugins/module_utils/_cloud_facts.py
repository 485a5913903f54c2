# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Cloud limits that the planner and the cloud modules both enforce (one copy of each).

Plain values, no imports: the controller-side planner uses them without boto3 or
google-auth installed.
"""

from __future__ import annotations

# Private ASNs: Cloud Router accepts only these (Cloud Router docs, "Create a Cloud
# Router": ASN), and AWS takes the same ranges for a VGW/TGW Amazon-side ASN
# (EC2 API reference, CreateVpnGateway, AmazonSideAsn).
PRIVATE_ASN_RANGES = ((64512, 65534), (4200000000, 4294967294))

# Customer gateway ASNs AWS refuses, with the region where they are reserved (None: in
# every region). EC2 API reference, CreateCustomerGateway, BgpAsn.
AWS_CGW_RESERVED_ASNS: dict[int, str | None] = {
    7224: None,
    9059: "eu-west-1",
    10124: "ap-northeast-1",
    17943: "ap-southeast-1",
}

# Tunnel inside CIDRs AWS refuses for VPN tunnels (EC2 API reference,
# VpnTunnelOptionsSpecification, TunnelInsideCidr); all tunnels live in 169.254.0.0/16.
TUNNEL_POOL = "169.254.0.0/16"
AWS_RESERVED_TUNNEL_CIDRS = (
    "169.254.0.0/30",
    "169.254.1.0/30",
    "169.254.2.0/30",
    "169.254.3.0/30",
    "169.254.4.0/30",
    "169.254.5.0/30",
    "169.254.169.252/30",
)


def is_private_asn(asn: int) -> bool:
    return any(low <= asn <= high for low, high in PRIVATE_ASN_RANGES)
