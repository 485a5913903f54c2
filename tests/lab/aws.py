"""The AWS side of every tunnel, from the AWS emulator's EC2 API (what a real account
answers): DescribeVpnConnections (Options.TunnelOptions: outside IP, inside CIDR, PSK, IKE
versions, phase 1/2 algorithms), DescribeCustomerGateways (the peer's IP and ASN),
DescribeVpnGateways / DescribeTransitGateways (Amazon-side ASN) and what each gateway
advertises (DescribeVpcs, SearchTransitGatewayRoutes).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tests.lab import proposals
from tests.lab.model import Gateway, Proposal, TunnelEnd

# VpnTunnelOptionsSpecification algorithm names -> strongSwan keywords.
ENCRYPTION = {
    "AES128": "aes128",
    "AES256": "aes256",
    "AES128-GCM-16": "aes128gcm16",
    "AES256-GCM-16": "aes256gcm16",
}
INTEGRITY = {"SHA1": "sha1", "SHA2-256": "sha256", "SHA2-384": "sha384", "SHA2-512": "sha512"}
# "Site-to-Site VPN tunnel options": the BGP keepalive is 10 s, hold time 30 s.
KEEPALIVE = 10


def _values(tunnel: dict[str, Any], key: str) -> list[Any]:
    return [item["Value"] for item in tunnel.get(key) or []]


def ike_version(versions: list[str]) -> int:
    """swanctl.conf ``version``: 1, 2, or 0 for either."""
    if set(versions) >= {"ikev1", "ikev2"} or not versions:
        return 0
    return 1 if versions == ["ikev1"] else 2


def tunnel_end(
    connection_id: str, tunnel: dict[str, Any], customer: dict[str, Any], advertised: list[str]
) -> TunnelEnd:
    """One AWS tunnel end. "AWS side takes the first host address of the inside /30, the
    customer gateway the second" (TunnelInsideCidr; the generic configuration file)."""
    net = ipaddress.ip_network(tunnel["TunnelInsideCidr"])
    aws_inside, customer_inside = (str(h) for h in list(net.hosts())[:2])
    proposal = Proposal(
        ike=proposals.ike(
            [ENCRYPTION[v] for v in _values(tunnel, "Phase1EncryptionAlgorithms")],
            [INTEGRITY[v] for v in _values(tunnel, "Phase1IntegrityAlgorithms")],
            _values(tunnel, "Phase1DHGroupNumbers"),
        ),
        esp=proposals.esp(
            [ENCRYPTION[v] for v in _values(tunnel, "Phase2EncryptionAlgorithms")],
            [INTEGRITY[v] for v in _values(tunnel, "Phase2IntegrityAlgorithms")],
            _values(tunnel, "Phase2DHGroupNumbers"),
        ),
    )
    asn = customer.get("BgpAsnExtended") or customer.get("BgpAsn")
    return TunnelEnd(
        name=f"{connection_id}:{tunnel['OutsideIpAddress']}",
        public_ip=tunnel["OutsideIpAddress"],
        peer_public_ip=customer["IpAddress"],
        psk=tunnel["PreSharedKey"],
        ike_version=ike_version(_values(tunnel, "IkeVersions")),
        proposal=proposal,
        inside=f"{aws_inside}/{net.prefixlen}",
        peer_inside_ip=customer_inside,
        peer_asn=int(asn),
        # StartupAction "add" (the default): AWS waits for the customer gateway to start
        # the IKE negotiation; "start": AWS starts it (VpnTunnelOptionsSpecification).
        initiate=tunnel.get("StartupAction", "add") == "start",
        # DPDTimeoutAction: "clear" (the default: end the IKE session), "none", "restart".
        dpd_action="restart" if tunnel.get("DpdTimeoutAction") == "restart" else "clear",
        advertised=tuple(advertised),
    )


def vpc_blocks(ec2: Any, vpc_ids: list[str]) -> list[str]:
    """A VGW advertises the CIDR blocks of its VPC, primary and associated secondary ones
    (Site-to-Site VPN User Guide, "Route tables and VPN route priority")."""
    if not vpc_ids:
        return []
    blocks = []
    for vpc in ec2.describe_vpcs(VpcIds=vpc_ids)["Vpcs"]:
        for association in vpc.get("CidrBlockAssociationSet", []):
            if association.get("CidrBlockState", {}).get("State") == "associated":
                blocks.append(association["CidrBlock"])
    return blocks


def tgw_routes(ec2: Any, tgw: dict[str, Any], connection_id: str) -> list[str]:
    """A TGW advertises the routes of the route table its VPN attachment is associated with
    (Transit Gateways Guide, "Routing"), except those pointing back at that attachment."""
    attachments = ec2.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-id", "Values": [connection_id]}]
    )["TransitGatewayAttachments"]
    own = {a["TransitGatewayAttachmentId"] for a in attachments}
    table = next(
        (
            a["Association"]["TransitGatewayRouteTableId"]
            for a in attachments
            if a.get("Association")
        ),
        tgw.get("Options", {}).get("AssociationDefaultRouteTableId"),
    )
    if not table:
        return []
    routes = ec2.search_transit_gateway_routes(
        TransitGatewayRouteTableId=table, Filters=[{"Name": "state", "Values": ["active"]}]
    )["Routes"]
    return [
        r["DestinationCidrBlock"]
        for r in routes
        if not own
        & {a.get("TransitGatewayAttachmentId") for a in r.get("TransitGatewayAttachments", [])}
    ]


def vpc_routes(ec2: Any, vpc_id: str, gateway_id: str) -> tuple[str, ...]:
    """What the VPC's main route table sends to ``gateway_id`` or keeps local: its active
    routes to that VGW/TGW and its local ones, and everything the VGW learned when it
    propagates the VGW's routes (Amazon VPC User Guide, "Route tables": subnets without an
    explicit association use the main route table; "Route propagation")."""
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    main = next(
        (t for t in tables["RouteTables"] if any(a.get("Main") for a in t.get("Associations", []))),
        None,
    )
    if main is None:
        return ()
    allowed = [
        r["DestinationCidrBlock"]
        for r in main.get("Routes", [])
        if r.get("DestinationCidrBlock")
        and r.get("State", "active") == "active"
        and (r.get("GatewayId") in ("local", gateway_id) or r.get("TransitGatewayId") == gateway_id)
    ]
    if any(p.get("GatewayId") == gateway_id for p in main.get("PropagatingVgws", [])):
        allowed.append("0.0.0.0/0")
    return tuple(dict.fromkeys(allowed))


def tgw_vpc(ec2: Any, tgw_id: str) -> str:
    """The VPC attached to the TGW (the cluster's pods live there), "" if none."""
    attachments = ec2.describe_transit_gateway_vpc_attachments(
        Filters=[{"Name": "transit-gateway-id", "Values": [tgw_id]}]
    )["TransitGatewayVpcAttachments"]
    return next((a["VpcId"] for a in attachments if a.get("State") == "available"), "")


def gateways(ec2: Any) -> list[Gateway]:
    """Every VGW and TGW with VPN connections that AWS has provisioned (available, or
    modifying: the tunnels keep running meanwhile), each with its tunnel ends."""
    connections = [
        c
        for c in ec2.describe_vpn_connections()["VpnConnections"]
        if c["State"] in ("available", "modifying") and c.get("Options", {}).get("TunnelOptions")
    ]
    customers = {
        g["CustomerGatewayId"]: g for g in ec2.describe_customer_gateways()["CustomerGateways"]
    }
    found: dict[str, Gateway] = {}
    for connection in connections:
        if connection.get("TransitGatewayId"):
            tgw_id = connection["TransitGatewayId"]
            tgw = ec2.describe_transit_gateways(TransitGatewayIds=[tgw_id])["TransitGateways"][0]
            options = tgw.get("Options", {})
            gateway = found.setdefault(
                tgw_id,
                Gateway(
                    cloud="aws",
                    name=tgw_id,
                    network=tgw_vpc(ec2, tgw_id),
                    asn=int(options.get("AmazonSideAsn", 64512)),
                    # VpnEcmpSupport (TransitGatewayOptions): "enable" by default.
                    ecmp=options.get("VpnEcmpSupport", "enable") == "enable",
                    keepalive=KEEPALIVE,
                ),
            )
            advertised = tgw_routes(ec2, tgw, connection["VpnConnectionId"])
        else:
            vgw_id = connection["VpnGatewayId"]
            vgw = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"][0]
            vpcs = [a["VpcId"] for a in vgw.get("VpcAttachments", []) if a["State"] == "attached"]
            gateway = found.setdefault(
                vgw_id,
                Gateway(
                    cloud="aws",
                    name=vgw_id,
                    network=vpcs[0] if vpcs else "",
                    asn=int(vgw.get("AmazonSideAsn", 64512)),
                    # A VGW does not do ECMP: only a TGW does (Site-to-Site VPN User Guide,
                    # "Site-to-Site VPN single and multiple connection examples").
                    ecmp=False,
                    keepalive=KEEPALIVE,
                ),
            )
            advertised = vpc_blocks(ec2, vpcs)
        customer = customers[connection["CustomerGatewayId"]]
        for tunnel in connection["Options"]["TunnelOptions"]:
            end = tunnel_end(connection["VpnConnectionId"], tunnel, customer, advertised)
            gateway.tunnels.append(end)
            gateway.public_ips.append(end.public_ip)
    for gateway in found.values():
        if gateway.network:
            gateway.vpc_routes = vpc_routes(ec2, gateway.network, gateway.name)
    return list(found.values())
