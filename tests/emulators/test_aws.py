"""The AWS emulator's Site-to-Site VPN extension, driven with boto3 like the modules do.

One AWS emulator process serves the whole session (tests/conftest.py ``aws_emulator``).
Expected shapes follow the EC2 API reference (CreateVpnConnection, TunnelOption,
VgwTelemetry, VpnStaticRoute, RouteTable/PropagatingVgw, CreateCustomerGateway,
DescribeCustomerGateways filters, CreateTransitGatewayVpcAttachment TagSpecifications).
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from tests.emulators.aws import vpn

RESERVED = {
    "169.254.0.0/30",
    "169.254.1.0/30",
    "169.254.2.0/30",
    "169.254.3.0/30",
    "169.254.4.0/30",
    "169.254.5.0/30",
    "169.254.169.252/30",
}
PSK = re.compile(r"^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$")


def client(run: Any, retries: int = 1) -> Any:
    return boto3.client(
        "ec2",
        endpoint_url=run.endpoints["aws"]["endpoint_url"],
        region_name=run.endpoints["aws"]["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": retries, "mode": "standard"}),
    )


@pytest.fixture(scope="module")
def ec2(aws_emulator: Any) -> Any:
    return client(aws_emulator)


@pytest.fixture(scope="module")
def network(ec2: Any) -> dict[str, str]:
    """A VPC with an attached VGW (ASN 64620) and a customer gateway (ASN 65010)."""
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64620)["VpnGateway"]
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw["VpnGatewayId"])
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.10", BgpAsn=65010)
    return {
        "vpc": vpc,
        "vgw": vgw["VpnGatewayId"],
        "cgw": cgw["CustomerGateway"]["CustomerGatewayId"],
    }


def new_vpn(ec2: Any, network: dict[str, str], **options: Any) -> dict[str, Any]:
    return ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=network["cgw"],
        VpnGatewayId=network["vgw"],
        Options=options,
    )["VpnConnection"]


def describe(ec2: Any, vpn_id: str) -> dict[str, Any]:
    connection: dict[str, Any] = ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])[
        "VpnConnections"
    ][0]
    return connection


def values(items: list[dict[str, Any]]) -> list[Any]:
    return [item["Value"] for item in items]


FULL_TUNNEL = {
    "TunnelInsideCidr": "169.254.21.0/30",
    "PreSharedKey": "Key_one.12345",
    "IKEVersions": [{"Value": "ikev2"}],
    "Phase1EncryptionAlgorithms": [{"Value": "AES256"}],
    "Phase1IntegrityAlgorithms": [{"Value": "SHA2-256"}],
    "Phase1DHGroupNumbers": [{"Value": 14}],
    "Phase2EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
    "Phase2IntegrityAlgorithms": [{"Value": "SHA2-512"}],
    "Phase2DHGroupNumbers": [{"Value": 5}],
    "Phase1LifetimeSeconds": 3600,
    "Phase2LifetimeSeconds": 1800,
    "RekeyMarginTimeSeconds": 300,
    "RekeyFuzzPercentage": 50,
    "ReplayWindowSize": 512,
    "DPDTimeoutSeconds": 45,
    "DPDTimeoutAction": "restart",
    "StartupAction": "start",
}


def test_tunnel_options_round_trip_and_defaults(ec2, network):
    created = new_vpn(ec2, network, StaticRoutesOnly=False, TunnelOptions=[FULL_TUNNEL])
    connection = describe(ec2, created["VpnConnectionId"])
    assert created["Options"] == connection["Options"]
    assert connection["Options"]["StaticRoutesOnly"] is False
    first, second = connection["Options"]["TunnelOptions"]
    assert first["TunnelInsideCidr"] == "169.254.21.0/30"
    assert first["PreSharedKey"] == "Key_one.12345"
    assert values(first["IkeVersions"]) == ["ikev2"]
    assert values(first["Phase1EncryptionAlgorithms"]) == ["AES256"]
    assert values(first["Phase1IntegrityAlgorithms"]) == ["SHA2-256"]
    assert values(first["Phase1DHGroupNumbers"]) == [14]
    assert values(first["Phase2EncryptionAlgorithms"]) == ["AES256-GCM-16"]
    assert values(first["Phase2IntegrityAlgorithms"]) == ["SHA2-512"]
    assert values(first["Phase2DHGroupNumbers"]) == [5]
    assert (first["Phase1LifetimeSeconds"], first["Phase2LifetimeSeconds"]) == (3600, 1800)
    assert (first["RekeyMarginTimeSeconds"], first["RekeyFuzzPercentage"]) == (300, 50)
    assert (first["ReplayWindowSize"], first["DpdTimeoutSeconds"]) == (512, 45)
    assert (first["DpdTimeoutAction"], first["StartupAction"]) == ("restart", "start")
    # Tunnel 2 was not specified: AWS defaults, generated inside CIDR and key.
    assert values(second["IkeVersions"]) == ["ikev1", "ikev2"]
    assert values(second["Phase1DHGroupNumbers"]) == list(vpn.PHASE1_DH_GROUPS)
    assert values(second["Phase2EncryptionAlgorithms"]) == list(vpn.PHASE2_ENCRYPTION)
    assert second["Phase1LifetimeSeconds"] == 28800 and second["Phase2LifetimeSeconds"] == 3600
    assert second["DpdTimeoutAction"] == "clear" and second["StartupAction"] == "add"
    inside = ipaddress.ip_network(second["TunnelInsideCidr"])
    assert inside.prefixlen == 30 and inside.subnet_of(ipaddress.ip_network("169.254.0.0/16"))
    assert str(inside) not in RESERVED and str(inside) != first["TunnelInsideCidr"]
    assert PSK.match(second["PreSharedKey"]) and len(second["PreSharedKey"]) == 32


def test_generated_keys_and_cidrs_differ_between_connections(ec2, network):
    a = new_vpn(ec2, network)["Options"]["TunnelOptions"]
    b = new_vpn(ec2, network)["Options"]["TunnelOptions"]
    keys = {t["PreSharedKey"] for t in a + b}
    cidrs = {t["TunnelInsideCidr"] for t in a + b}
    assert len(keys) == 4 and len(cidrs) == 4


@pytest.mark.parametrize(
    "tunnel",
    [
        {"TunnelInsideCidr": "169.254.1.0/30"},  # reserved
        {"TunnelInsideCidr": "169.254.169.252/30"},  # reserved
        {"TunnelInsideCidr": "169.254.30.0/29"},  # not a /30
        {"TunnelInsideCidr": "10.0.0.0/30"},  # not in 169.254.0.0/16
        {"TunnelInsideCidr": "169.254.30.1/30"},  # host bits set
        {"PreSharedKey": "0startsWithZero"},
        {"PreSharedKey": "has-a-dash"},
        {"PreSharedKey": "short"},
        {"PreSharedKey": "x" * 65},
        {"IKEVersions": [{"Value": "ikev3"}]},
        {"Phase1EncryptionAlgorithms": [{"Value": "3DES"}]},
        {"Phase2IntegrityAlgorithms": [{"Value": "MD5"}]},
        {"Phase1DHGroupNumbers": [{"Value": 5}]},  # 5 is phase 2 only
        {"Phase2DHGroupNumbers": [{"Value": 1}]},
        {"Phase1LifetimeSeconds": 899},
        {"Phase2LifetimeSeconds": 3601},
        {"Phase1LifetimeSeconds": 1800, "Phase2LifetimeSeconds": 1800},
        {"RekeyMarginTimeSeconds": 59},
        {"Phase2LifetimeSeconds": 1000, "RekeyMarginTimeSeconds": 501},
        {"RekeyFuzzPercentage": 101},
        {"ReplayWindowSize": 32},
        {"DPDTimeoutSeconds": 29},
        {"DPDTimeoutAction": "reboot"},
        {"StartupAction": "stop"},
    ],
)
def test_invalid_tunnel_options_are_rejected(ec2, network, tunnel):
    before = len(ec2.describe_vpn_connections()["VpnConnections"])
    with pytest.raises(ClientError) as caught:
        new_vpn(ec2, network, TunnelOptions=[tunnel])
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(ec2.describe_vpn_connections()["VpnConnections"]) == before


def test_three_tunnels_and_a_reused_inside_cidr_are_rejected(ec2, network):
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        new_vpn(ec2, network, TunnelOptions=[{"DPDTimeoutSeconds": 30}] * 3)
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        new_vpn(
            ec2,
            network,
            TunnelOptions=[
                {"TunnelInsideCidr": "169.254.40.0/30"},
                {"TunnelInsideCidr": "169.254.40.0/30"},
            ],
        )
    new_vpn(ec2, network, TunnelOptions=[{"TunnelInsideCidr": "169.254.41.0/30"}])
    with pytest.raises(ClientError, match="already in use"):
        new_vpn(ec2, network, TunnelOptions=[{"TunnelInsideCidr": "169.254.41.0/30"}])


def test_unknown_gateways_are_not_found(ec2, network):
    with pytest.raises(ClientError) as caught:
        ec2.create_vpn_connection(
            Type="ipsec.1", CustomerGatewayId=network["cgw"], VpnGatewayId="vgw-0000000000"
        )
    assert caught.value.response["Error"]["Code"] == "InvalidVpnGatewayID.NotFound"


def parse_config(text: str) -> ET.Element:
    return ET.fromstring(text.encode())


def test_outside_ips_telemetry_and_configuration_are_per_connection(ec2, network):
    tunnels = [
        {"TunnelInsideCidr": "169.254.50.0/30", "PreSharedKey": "first.key_1"},
        {"TunnelInsideCidr": "169.254.50.4/30", "PreSharedKey": "second.key_2"},
    ]
    one = describe(ec2, new_vpn(ec2, network, TunnelOptions=tunnels)["VpnConnectionId"])
    two = describe(ec2, new_vpn(ec2, network)["VpnConnectionId"])
    ips_one = [t["OutsideIpAddress"] for t in one["Options"]["TunnelOptions"]]
    ips_two = [t["OutsideIpAddress"] for t in two["Options"]["TunnelOptions"]]
    assert len(set(ips_one + ips_two)) == 4
    doc_range = ipaddress.ip_network("198.51.100.0/24")
    assert all(ipaddress.ip_address(ip) in doc_range for ip in ips_one + ips_two)
    # VgwTelemetry: one entry per tunnel, with the EC2 reference's members.
    telemetry = one["VgwTelemetry"]
    assert [t["OutsideIpAddress"] for t in telemetry] == ips_one
    for entry in telemetry:
        assert entry["Status"] in ("UP", "DOWN")
        assert {"StatusMessage", "LastStatusChange", "AcceptedRouteCount"} <= entry.keys()
    assert one["State"] == "available" and all(t["Status"] == "UP" for t in telemetry)

    root = parse_config(one["CustomerGatewayConfiguration"])
    assert root.get("id") == one["VpnConnectionId"]
    assert root.findtext("customer_gateway_id") == network["cgw"]
    assert root.findtext("vpn_gateway_id") == network["vgw"]
    found = root.findall("ipsec_tunnel")
    assert len(found) == 2
    for tunnel_xml, spec, ip in zip(found, tunnels, ips_one, strict=True):
        aws_side, customer = tunnel_xml.find("vpn_gateway"), tunnel_xml.find("customer_gateway")
        net = ipaddress.ip_network(spec["TunnelInsideCidr"])
        assert aws_side.findtext("tunnel_outside_address/ip_address") == ip
        assert aws_side.findtext("tunnel_inside_address/ip_address") == str(net[1])
        assert customer.findtext("tunnel_inside_address/ip_address") == str(net[2])
        assert customer.findtext("tunnel_outside_address/ip_address") == "192.0.2.10"
        assert aws_side.findtext("bgp/asn") == "64620"
        assert customer.findtext("bgp/asn") == "65010"
        assert tunnel_xml.findtext("ike/pre_shared_key") == spec["PreSharedKey"]
    other = parse_config(two["CustomerGatewayConfiguration"])
    other_ips = [e.text for e in other.findall("ipsec_tunnel/vpn_gateway/*/ip_address")]
    assert set(ips_two) <= set(other_ips) and not set(ips_one) & set(other_ips)


def test_static_connection_has_no_bgp_in_its_configuration(ec2, network):
    created = new_vpn(ec2, network, StaticRoutesOnly=True)
    assert created["Options"]["StaticRoutesOnly"] is True
    root = parse_config(created["CustomerGatewayConfiguration"])
    assert root.find("ipsec_tunnel/vpn_gateway/bgp") is None


def test_static_routes(ec2, network):
    vpn_id = new_vpn(ec2, network, StaticRoutesOnly=True)["VpnConnectionId"]
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="10.48.0.0/14")
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="10.104.0.0/20")
    routes = describe(ec2, vpn_id)["Routes"]
    assert routes == [
        {"DestinationCidrBlock": "10.48.0.0/14", "Source": "Static", "State": "available"},
        {"DestinationCidrBlock": "10.104.0.0/20", "Source": "Static", "State": "available"},
    ]
    assert {t["AcceptedRouteCount"] for t in describe(ec2, vpn_id)["VgwTelemetry"]} == {2}
    ec2.delete_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="10.48.0.0/14")
    assert [r["DestinationCidrBlock"] for r in describe(ec2, vpn_id)["Routes"]] == ["10.104.0.0/20"]
    with pytest.raises(ClientError) as caught:
        ec2.delete_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="10.48.0.0/14")
    assert caught.value.response["Error"]["Code"] == "InvalidRoute.NotFound"
    with pytest.raises(ClientError) as caught:
        ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="10.1/40")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        ec2.create_vpn_connection_route(
            VpnConnectionId="vpn-00000000", DestinationCidrBlock="10.0.0.0/8"
        )
    assert caught.value.response["Error"]["Code"] == "InvalidVpnConnectionID.NotFound"


def test_vgw_route_propagation(ec2, network):
    table = ec2.create_route_table(VpcId=network["vpc"])["RouteTable"]["RouteTableId"]

    def propagating() -> list[dict[str, str]]:
        tables = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
        return list(tables[0].get("PropagatingVgws", []))

    assert propagating() == []
    ec2.enable_vgw_route_propagation(RouteTableId=table, GatewayId=network["vgw"])
    ec2.enable_vgw_route_propagation(RouteTableId=table, GatewayId=network["vgw"])
    assert propagating() == [{"GatewayId": network["vgw"]}]
    ec2.disable_vgw_route_propagation(RouteTableId=table, GatewayId=network["vgw"])
    assert propagating() == []

    detached = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    with pytest.raises(ClientError) as caught:
        ec2.enable_vgw_route_propagation(RouteTableId=table, GatewayId=detached)
    assert caught.value.response["Error"]["Code"] == "Gateway.NotAttached"
    with pytest.raises(ClientError) as caught:
        ec2.enable_vgw_route_propagation(RouteTableId="rtb-00000000", GatewayId=network["vgw"])
    assert caught.value.response["Error"]["Code"] == "InvalidRouteTableID.NotFound"


def test_modify_vpn_tunnel_options(ec2, network):
    created = new_vpn(ec2, network)
    vpn_id = created["VpnConnectionId"]
    first, second = created["Options"]["TunnelOptions"]
    result = ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn_id,
        VpnTunnelOutsideIpAddress=second["OutsideIpAddress"],
        TunnelOptions={
            "PreSharedKey": "rotated_key.9",
            "TunnelInsideCidr": "169.254.60.0/30",
            "IKEVersions": [{"Value": "ikev2"}],
            "Phase1DHGroupNumbers": [{"Value": 20}],
        },
    )["VpnConnection"]
    assert result["Options"] == describe(ec2, vpn_id)["Options"]
    new_first, new_second = result["Options"]["TunnelOptions"]
    assert new_first == first
    assert new_second["PreSharedKey"] == "rotated_key.9"
    assert new_second["TunnelInsideCidr"] == "169.254.60.0/30"
    assert values(new_second["IkeVersions"]) == ["ikev2"]
    assert values(new_second["Phase1DHGroupNumbers"]) == [20]
    # Options not given are kept.
    assert new_second["Phase2DHGroupNumbers"] == second["Phase2DHGroupNumbers"]
    root = parse_config(result["CustomerGatewayConfiguration"])
    assert root.findall("ipsec_tunnel")[1].findtext("ike/pre_shared_key") == "rotated_key.9"

    for options in ({"PreSharedKey": "0bad"}, {"TunnelInsideCidr": "169.254.5.0/30"}):
        with pytest.raises(ClientError) as caught:
            ec2.modify_vpn_tunnel_options(
                VpnConnectionId=vpn_id,
                VpnTunnelOutsideIpAddress=second["OutsideIpAddress"],
                TunnelOptions=options,
            )
        assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        ec2.modify_vpn_tunnel_options(
            VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress="192.0.2.99", TunnelOptions={}
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        ec2.modify_vpn_tunnel_options(
            VpnConnectionId=vpn_id,
            VpnTunnelOutsideIpAddress=second["OutsideIpAddress"],
            TunnelOptions={"PreSharedKey": "dry_run_key"},
            DryRun=True,
        )
    assert caught.value.response["Error"]["Code"] == "DryRunOperation"
    assert describe(ec2, vpn_id)["Options"]["TunnelOptions"][1]["PreSharedKey"] == "rotated_key.9"


def test_modify_vpn_connection_options(ec2, network):
    vpn_id = new_vpn(ec2, network)["VpnConnectionId"]
    result = ec2.modify_vpn_connection_options(
        VpnConnectionId=vpn_id, RemoteIpv4NetworkCidr="10.48.0.0/14"
    )["VpnConnection"]
    assert result["Options"]["RemoteIpv4NetworkCidr"] == "10.48.0.0/14"
    assert describe(ec2, vpn_id)["Options"]["LocalIpv4NetworkCidr"] == "0.0.0.0/0"


def test_delete_goes_deleted(ec2, network):
    vpn_id = new_vpn(ec2, network)["VpnConnectionId"]
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)
    connection = describe(ec2, vpn_id)
    assert connection["State"] == "deleted"
    assert {t["Status"] for t in connection["VgwTelemetry"]} == {"DOWN"}


# -- lifecycle: deleting, modifying, tunnel order (launcher options / PUT /_emulator/aws/lifecycle)


def put_lifecycle(run: Any, **fields: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        run.endpoints["aws"]["endpoint_url"] + "/_emulator/aws/lifecycle",
        data=json.dumps(fields).encode(),
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


# A window no check outlasts: tests end it with settle(), never by waiting on the clock.
FOREVER = 3600.0
# "If no action is taken on the request, it expires after 7 days" (VPC peering lifecycle).
SEVEN_DAYS = 7 * 24 * 3600.0


def settle(run: Any) -> dict[str, int]:
    """POST /_emulator/aws/settle: every open lifecycle window ends now."""
    request = urllib.request.Request(
        run.endpoints["aws"]["endpoint_url"] + "/_emulator/aws/settle", data=b"", method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer: dict[str, int] = json.loads(response.read())
        return answer


@pytest.fixture
def lifecycle(aws_emulator: Any) -> Iterator[Any]:
    yield lambda **fields: put_lifecycle(aws_emulator, **fields)
    put_lifecycle(
        aws_emulator,
        deleting_seconds=0,
        modifying_seconds=0,
        pending_seconds=0,
        shuffle_seed=None,
        notfound_seconds=0,
        peering_seconds=0,
        peering_expiry_seconds=SEVEN_DAYS,
    )


@pytest.fixture
def own_gateways(ec2: Any) -> dict[str, str]:
    """A VGW and a customer gateway used by no other test's connections."""
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.60", BgpAsn=65060)
    return {"vgw": vgw, "cgw": cgw["CustomerGateway"]["CustomerGatewayId"]}


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def poll_state(ec2: Any, vpn_id: str, wanted: str, limit: float = 10.0) -> list[str]:
    """States seen (deduplicated, in order) until the connection is ``wanted``."""
    seen: list[str] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = describe(ec2, vpn_id)["State"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == wanted:
            return seen
        time.sleep(0.1)
    raise AssertionError(f"{vpn_id} not {wanted} within {limit}s: {seen}")


def test_gateways_of_a_live_connection_are_in_use(ec2, own_gateways):
    """API_DeleteCustomerGateway: "You must delete the VPN connection before you can delete
    the customer gateway"; AWS answers IncorrectState, the VGW likewise."""
    vpn_id = new_vpn(ec2, own_gateways)["VpnConnectionId"]
    assert error_of(ec2.delete_customer_gateway, CustomerGatewayId=own_gateways["cgw"]) == (
        "IncorrectState",
        "The customer gateway is in use.",
    )
    assert error_of(ec2.delete_vpn_gateway, VpnGatewayId=own_gateways["vgw"]) == (
        "IncorrectState",
        "The VPN gateway is in use.",
    )
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)  # deleting_seconds 0: deleted at once
    ec2.delete_customer_gateway(CustomerGatewayId=own_gateways["cgw"])
    ec2.delete_vpn_gateway(VpnGatewayId=own_gateways["vgw"])
    assert gateway_ids(ec2, ("customer-gateway-id", [own_gateways["cgw"]]), ("state", ["deleted"]))
    vgws = ec2.describe_vpn_gateways(VpnGatewayIds=[own_gateways["vgw"]])["VpnGateways"]
    assert vgws[0]["State"] == "deleted"
    assert error_of(ec2.delete_customer_gateway, CustomerGatewayId="cgw-00000000")[0] == (
        "InvalidCustomerGatewayID.NotFound"
    )
    assert error_of(ec2.delete_vpn_gateway, VpnGatewayId="vgw-00000000")[0] == (
        "InvalidVpnGatewayID.NotFound"
    )


def test_deleting_connection_keeps_its_gateways_in_use_until_deleted(
    ec2, own_gateways, lifecycle, aws_emulator
):
    lifecycle(deleting_seconds=FOREVER)
    vpn_id = new_vpn(ec2, own_gateways)["VpnConnectionId"]
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)
    connection = describe(ec2, vpn_id)
    assert connection["State"] == "deleting"
    assert {t["Status"] for t in connection["VgwTelemetry"]} == {"DOWN"}
    # A deleting connection is not live: a state=available,pending filter leaves it out.
    live = ec2.describe_vpn_connections(
        Filters=[{"Name": "state", "Values": ["available", "pending"]}]
    )["VpnConnections"]
    assert vpn_id not in {c["VpnConnectionId"] for c in live}
    assert error_of(ec2.delete_customer_gateway, CustomerGatewayId=own_gateways["cgw"])[0] == (
        "IncorrectState"
    )
    assert error_of(ec2.delete_vpn_gateway, VpnGatewayId=own_gateways["vgw"])[0] == (
        "IncorrectState"
    )
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)  # again: accepted
    assert describe(ec2, vpn_id)["State"] == "deleting"
    assert settle(aws_emulator)["deleting"] == 1
    assert describe(ec2, vpn_id)["State"] == "deleted"
    ec2.delete_customer_gateway(CustomerGatewayId=own_gateways["cgw"])
    ec2.delete_vpn_gateway(VpnGatewayId=own_gateways["vgw"])


def test_a_window_ends_by_itself_when_its_seconds_pass(ec2, network, lifecycle):
    """Without settle the clock ends a window: a short one, polled to its end."""
    lifecycle(deleting_seconds=0.5)
    vpn_id = new_vpn(ec2, network)["VpnConnectionId"]
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)
    assert poll_state(ec2, vpn_id, "deleted", limit=60.0)[-1] == "deleted"


def test_modifying_allows_one_modification_at_a_time(ec2, network, lifecycle, aws_emulator):
    lifecycle(modifying_seconds=FOREVER)
    created = new_vpn(ec2, network)
    vpn_id = created["VpnConnectionId"]
    first, second = created["Options"]["TunnelOptions"]
    modified = ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn_id,
        VpnTunnelOutsideIpAddress=first["OutsideIpAddress"],
        TunnelOptions={"PreSharedKey": "first_modify.1"},
    )["VpnConnection"]
    assert modified["State"] == "modifying"
    assert describe(ec2, vpn_id)["State"] == "modifying"
    code, message = error_of(
        ec2.modify_vpn_tunnel_options,
        VpnConnectionId=vpn_id,
        VpnTunnelOutsideIpAddress=second["OutsideIpAddress"],
        TunnelOptions={"PreSharedKey": "second_modify.2"},
    )
    assert code == "IncorrectState" and vpn_id in message and "modifying" in message
    # boto3's own waiter treats modifying as not yet available: it gives up while modifying.
    waiter = ec2.get_waiter("vpn_connection_available")
    with pytest.raises(WaiterError):
        waiter.wait(VpnConnectionIds=[vpn_id], WaiterConfig={"Delay": 0.1, "MaxAttempts": 2})
    assert settle(aws_emulator)["modifying"] == 1
    waiter.wait(VpnConnectionIds=[vpn_id], WaiterConfig={"Delay": 0.1, "MaxAttempts": 2})
    ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn_id,
        VpnTunnelOutsideIpAddress=second["OutsideIpAddress"],
        TunnelOptions={"PreSharedKey": "second_modify.2"},
    )
    assert describe(ec2, vpn_id)["State"] == "modifying"
    settle(aws_emulator)
    assert describe(ec2, vpn_id)["State"] == "available"
    keys = {t["OutsideIpAddress"]: t["PreSharedKey"] for t in tunnel_options(ec2, vpn_id)}
    assert keys == {
        first["OutsideIpAddress"]: "first_modify.1",
        second["OutsideIpAddress"]: "second_modify.2",
    }
    # A deleting (or deleted) connection is not modified either.
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)
    assert (
        error_of(
            ec2.modify_vpn_tunnel_options,
            VpnConnectionId=vpn_id,
            VpnTunnelOutsideIpAddress=first["OutsideIpAddress"],
            TunnelOptions={"PreSharedKey": "third_modify.3"},
        )[0]
        == "IncorrectState"
    )


def tunnel_options(ec2: Any, vpn_id: str) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = describe(ec2, vpn_id)["Options"]["TunnelOptions"]
    return options


def outside_order(ec2: Any, vpn_id: str, times: int) -> list[tuple[str, ...]]:
    return [
        tuple(t["OutsideIpAddress"] for t in tunnel_options(ec2, vpn_id))
        for _unused in range(times)
    ]


def test_tunnel_options_order_is_creation_order_unless_shuffled(ec2, network, lifecycle):
    created = new_vpn(ec2, network, TunnelOptions=[{"TunnelInsideCidr": "169.254.80.0/30"}])
    vpn_id = created["VpnConnectionId"]
    in_order = tuple(t["OutsideIpAddress"] for t in created["Options"]["TunnelOptions"])
    assert set(outside_order(ec2, vpn_id, 5)) == {in_order}

    assert lifecycle(shuffle_seed=11)["shuffle_seed"] == 11
    shuffled = outside_order(ec2, vpn_id, 20)
    assert set(shuffled) == {in_order, in_order[::-1]}  # both orders, same two tunnels
    # Each tunnel keeps its own options whatever its position.
    for tunnel in tunnel_options(ec2, vpn_id):
        if tunnel["OutsideIpAddress"] == in_order[0]:
            assert tunnel["TunnelInsideCidr"] == "169.254.80.0/30"
    # Seeded: the same seed gives the same sequence (one Describe per step).
    lifecycle(shuffle_seed=11)
    again = outside_order(ec2, vpn_id, 20)
    lifecycle(shuffle_seed=11)
    assert outside_order(ec2, vpn_id, 20) == again


def test_lifecycle_admin_endpoint_validates(aws_emulator, lifecycle):
    assert lifecycle() == {
        "pending_seconds": 0.0,
        "deleting_seconds": 0.0,
        "modifying_seconds": 0.0,
        "shuffle_seed": None,
        "notfound_seconds": 0.0,
        "peering_seconds": 0.0,
        "peering_expiry_seconds": SEVEN_DAYS,
    }
    bodies = ({"deleting_seconds": -1}, {"shuffle_seed": "x"}, {"unknown": 1})
    more = ({"notfound_seconds": "soon"}, {"notfound_seconds": -0.5}, {"peering_seconds": -1})
    more += ({"peering_expiry_seconds": -1}, {"peering_expiry_seconds": "a week"})
    for body in (*bodies, *more, {"peering_seconds": True}):
        with pytest.raises(urllib.error.HTTPError) as caught:
            put_lifecycle(aws_emulator, **body)
        assert caught.value.code == 400
    assert lifecycle()["deleting_seconds"] == 0.0  # a refused change changes nothing


def test_fresh_ids_are_not_found_during_the_notfound_window(ec2, network, lifecycle, aws_emulator):
    """ "Eventual consistency in the Amazon EC2 API": a Describe or use of an id right after
    its Create may answer Invalid<Resource>ID.NotFound; notfound_seconds makes it so."""
    before = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.71", BgpAsn=65071)
    lifecycle(notfound_seconds=FOREVER)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.70", BgpAsn=65070)
    cgw_id = cgw["CustomerGateway"]["CustomerGatewayId"]
    vgw_id = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    vpn_id = new_vpn(ec2, network)["VpnConnectionId"]
    hidden = [
        (ec2.describe_customer_gateways, {"CustomerGatewayIds": [cgw_id]}),
        (ec2.describe_vpn_gateways, {"VpnGatewayIds": [vgw_id]}),
        (ec2.describe_vpn_connections, {"VpnConnectionIds": [vpn_id]}),
        (ec2.attach_vpn_gateway, {"VpcId": network["vpc"], "VpnGatewayId": vgw_id}),
        (ec2.create_tags, {"Resources": [vpn_id], "Tags": [{"Key": "k", "Value": "v"}]}),
        (
            ec2.create_vpn_connection,
            {"Type": "ipsec.1", "CustomerGatewayId": cgw_id, "VpnGatewayId": network["vgw"]},
        ),
    ]
    answers = [error_of(call, **params) for call, params in hidden]
    assert answers == [
        ("InvalidCustomerGatewayID.NotFound", f"The customerGateway ID '{cgw_id}' does not exist"),
        ("InvalidVpnGatewayID.NotFound", f"The vpnGateway ID '{vgw_id}' does not exist"),
        ("InvalidVpnConnectionID.NotFound", f"The vpnConnection ID '{vpn_id}' does not exist"),
        ("InvalidVpnGatewayID.NotFound", f"The vpnGateway ID '{vgw_id}' does not exist"),
        ("InvalidVpnConnectionID.NotFound", f"The vpnConnection ID '{vpn_id}' does not exist"),
        ("InvalidCustomerGatewayID.NotFound", f"The customerGateway ID '{cgw_id}' does not exist"),
    ]
    # Only lookups by id: a filter naming it matches, and older ids are found at once, also
    # through an identical create (which returns the existing gateway, no new window).
    by_filter = ec2.describe_customer_gateways(
        Filters=[{"Name": "customer-gateway-id", "Values": [cgw_id]}]
    )["CustomerGateways"]
    assert [g["CustomerGatewayId"] for g in by_filter] == [cgw_id]
    old_id = before["CustomerGateway"]["CustomerGatewayId"]
    again = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.71", BgpAsn=65071)
    assert again["CustomerGateway"]["CustomerGatewayId"] == old_id
    assert ec2.describe_customer_gateways(CustomerGatewayIds=[old_id])["CustomerGateways"]
    assert settle(aws_emulator)["notfound"] == 3
    assert ec2.describe_customer_gateways(CustomerGatewayIds=[cgw_id])["CustomerGateways"]
    assert ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"]
    assert describe(ec2, vpn_id)["VpnConnectionId"] == vpn_id
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)


def test_no_notfound_window_by_default(ec2, network):
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.72", BgpAsn=65072)
    cgw_id = cgw["CustomerGateway"]["CustomerGatewayId"]
    assert ec2.describe_customer_gateways(CustomerGatewayIds=[cgw_id])["CustomerGateways"]
    vpn_id = new_vpn(ec2, network)["VpnConnectionId"]
    assert describe(ec2, vpn_id)["VpnConnectionId"] == vpn_id
    ec2.delete_vpn_connection(VpnConnectionId=vpn_id)


def test_transit_gateway_vpn(ec2, network):
    tgw = ec2.create_transit_gateway(Options={"AmazonSideAsn": 64700})["TransitGateway"]
    created = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=network["cgw"],
        TransitGatewayId=tgw["TransitGatewayId"],
        Options={"TunnelOptions": [{"TunnelInsideCidr": "169.254.70.0/30"}]},
    )["VpnConnection"]
    assert created["TransitGatewayId"] == tgw["TransitGatewayId"]
    root = parse_config(created["CustomerGatewayConfiguration"])
    assert root.findtext("transit_gateway_id") == tgw["TransitGatewayId"]
    assert root.findtext("ipsec_tunnel/vpn_gateway/bgp/asn") == "64700"
    attachments = ec2.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-id", "Values": [created["VpnConnectionId"]]}]
    )["TransitGatewayAttachments"]
    assert [a["ResourceType"] for a in attachments] == ["vpn"]


def test_customer_gateways_bgp_asn_filter_and_identical_create(ec2):
    first = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.77", BgpAsn=65077)
    again = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.77", BgpAsn=65077)
    cgw = first["CustomerGateway"]["CustomerGatewayId"]
    assert again["CustomerGateway"]["CustomerGatewayId"] == cgw
    found = ec2.describe_customer_gateways(Filters=[{"Name": "bgp-asn", "Values": ["65077"]}])
    assert [g["CustomerGatewayId"] for g in found["CustomerGateways"]] == [cgw]
    none = ec2.describe_customer_gateways(Filters=[{"Name": "bgp-asn", "Values": ["65078"]}])
    assert none["CustomerGateways"] == []
    extended = ec2.create_customer_gateway(
        Type="ipsec.1", IpAddress="192.0.2.78", BgpAsnExtended=4200000001
    )["CustomerGateway"]
    assert extended["BgpAsn"] == "4200000001"


def test_customer_gateways_of_one_ip_and_asn_differ_by_device_name(ec2):
    """CreateCustomerGateway: "To create more than one customer gateway with the same VPN
    type, IP address, and BGP ASN, specify a unique device name for each customer gateway"."""
    made = {
        device: ec2.create_customer_gateway(
            Type="ipsec.1", PublicIp="192.0.2.80", BgpAsn=65080, DeviceName=device
        )["CustomerGateway"]
        for device in ("link-1-if0", "link-2-if0")
    }
    assert made["link-1-if0"]["CustomerGatewayId"] != made["link-2-if0"]["CustomerGatewayId"]
    again = ec2.create_customer_gateway(
        Type="ipsec.1", PublicIp="192.0.2.80", BgpAsn=65080, DeviceName="link-2-if0"
    )["CustomerGateway"]
    assert again["CustomerGatewayId"] == made["link-2-if0"]["CustomerGatewayId"]
    found = ec2.describe_customer_gateways(
        Filters=[{"Name": "ip-address", "Values": ["192.0.2.80"]}]
    )["CustomerGateways"]
    assert sorted(g["DeviceName"] for g in found) == ["link-1-if0", "link-2-if0"]


@pytest.mark.parametrize("asn", [7224, 9059])
def test_reserved_customer_gateway_asns_are_rejected(ec2, asn):
    # 9059 is reserved in eu-west-1, the emulator's region.
    with pytest.raises(ClientError) as caught:
        ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.79", BgpAsn=asn)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def gateway_ids(ec2: Any, *filters: tuple[str, list[str]]) -> set[str]:
    found = ec2.describe_customer_gateways(
        Filters=[{"Name": name, "Values": values} for name, values in filters]
    )["CustomerGateways"]
    return {g["CustomerGatewayId"] for g in found}


def test_describe_customer_gateways_filters(ec2):
    """DescribeCustomerGateways, Filters: state (pending | available | deleting | deleted),
    customer-gateway-id, ip-address, type, tag:<key>, tag-key; filters AND, values OR."""
    tagged = ec2.create_customer_gateway(
        Type="ipsec.1",
        PublicIp="203.0.113.81",
        BgpAsn=65081,
        TagSpecifications=[
            {"ResourceType": "customer-gateway", "Tags": [{"Key": "site", "Value": "lab-81"}]}
        ],
    )["CustomerGateway"]["CustomerGatewayId"]
    gone = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.82", BgpAsn=65082)[
        "CustomerGateway"
    ]["CustomerGatewayId"]
    ec2.delete_customer_gateway(CustomerGatewayId=gone)
    ours = ("ip-address", ["203.0.113.81", "203.0.113.82"])

    assert gateway_ids(ec2, ours) == {tagged, gone}
    assert gateway_ids(ec2, ours, ("state", ["available", "pending"])) == {tagged}
    assert gateway_ids(ec2, ours, ("state", ["deleted"])) == {gone}
    assert gateway_ids(ec2, ours, ("state", ["deleting"])) == set()
    live = ec2.describe_customer_gateways(
        Filters=[{"Name": "state", "Values": ["available", "pending"]}]
    )["CustomerGateways"]
    assert gone not in {g["CustomerGatewayId"] for g in live}
    assert {g["State"] for g in live} <= {"available", "pending"}

    assert gateway_ids(ec2, ("customer-gateway-id", [tagged, gone])) == {tagged, gone}
    assert gateway_ids(ec2, ("customer-gateway-id", [tagged]), ("state", ["deleted"])) == set()
    assert gateway_ids(ec2, ("ip-address", ["203.0.113.82"])) == {gone}
    assert gateway_ids(ec2, ours, ("type", ["ipsec.1"])) == {tagged, gone}
    assert gateway_ids(ec2, ours, ("type", ["ipsec.2"])) == set()
    assert gateway_ids(ec2, ("tag:site", ["lab-81"])) == {tagged}
    assert gateway_ids(ec2, ("tag:site", ["lab-99"])) == set()
    assert gateway_ids(ec2, ("tag:Site", ["lab-81"])) == set()  # names are case-sensitive
    assert gateway_ids(ec2, ours, ("tag-key", ["site"])) == {tagged}
    with pytest.raises(ClientError) as caught:
        gateway_ids(ec2, ("status", ["available"]))
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "The filter 'status' is invalid" in caught.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def tgw_network(ec2: Any) -> dict[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.90.1.0/24")["Subnet"]["SubnetId"]
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    return {"vpc": vpc, "subnet": subnet, "tgw": tgw}


def test_transit_gateway_vpc_attachment_tags_round_trip(ec2, tgw_network):
    """CreateTransitGatewayVpcAttachment, TagSpecifications: "The tags to apply to the VPC
    attachment", sent as amazon.aws.ec2_transit_gateway_vpc_attachment sends them; later
    changes go through CreateTags/DeleteTags (ensure_ec2_tags)."""
    specs = boto3_tag_specifications(
        {"Name": "link-aws", "team": "net"}, types=["transit-gateway-attachment"]
    )
    created = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw_network["tgw"],
        VpcId=tgw_network["vpc"],
        SubnetIds=[tgw_network["subnet"]],
        TagSpecifications=specs,
    )["TransitGatewayVpcAttachment"]
    attachment_id = created["TransitGatewayAttachmentId"]
    expected = {"Name": "link-aws", "team": "net"}

    def described() -> dict[str, str]:
        found = ec2.describe_transit_gateway_vpc_attachments(
            TransitGatewayAttachmentIds=[attachment_id]
        )["TransitGatewayVpcAttachments"]
        return {t["Key"]: t["Value"] for t in found[0].get("Tags", [])}

    assert {t["Key"]: t["Value"] for t in created.get("Tags", [])} == expected
    assert described() == expected
    generic = ec2.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=[attachment_id])[
        "TransitGatewayAttachments"
    ][0]
    assert {t["Key"]: t["Value"] for t in generic.get("Tags", [])} == expected
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [attachment_id]}])["Tags"]
    assert {t["ResourceType"] for t in tags} == {"transit-gateway-attachment"}

    ec2.create_tags(Resources=[attachment_id], Tags=[{"Key": "team", "Value": "infra"}])
    ec2.delete_tags(Resources=[attachment_id], Tags=[{"Key": "Name"}])
    assert described() == {"team": "infra"}


def test_transit_gateway_vpc_attachment_refuses_other_tag_resource_types(ec2, tgw_network):
    before = ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]
    with pytest.raises(ClientError) as caught:
        ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw_network["tgw"],
            VpcId=ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"],
            SubnetIds=[tgw_network["subnet"]],
            TagSpecifications=[
                {
                    "ResourceType": "transit-gateway-route-table",
                    "Tags": [{"Key": "a", "Value": "b"}],
                }
            ],
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    after = ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]
    assert len(after) == len(before)


# -- request log, faults, latency -------------------------------------------------------------


def put_faults(run: Any, rules: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        run.endpoints["aws"]["endpoint_url"] + "/_emulator/faults",
        data=json.dumps({"rules": rules}).encode(),
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


@pytest.fixture
def faults(aws_emulator: Any) -> Iterator[Any]:
    yield lambda rules: put_faults(aws_emulator, rules)
    put_faults(aws_emulator, [])


def test_request_log_records_operations_and_mutating(aws_emulator, ec2, network):
    mark = aws_emulator.mark()
    ec2.describe_vpn_connections()
    ec2.describe_customer_gateways()
    vpn_id = new_vpn(ec2, network)["VpnConnectionId"]
    ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock="10.9.0.0/16")
    with pytest.raises(ClientError, match=r"InvalidRouteTableID\.NotFound"):
        ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId="tgw-rtb-00000000000000000",
            Filters=[{"Name": "type", "Values": ["static"]}],
        )
    entries = aws_emulator.requests_since(mark, service="aws")
    assert [(e["operation"], e["mutating"], e["status"]) for e in entries] == [
        ("DescribeVpnConnections", False, 200),
        ("DescribeCustomerGateways", False, 200),
        ("CreateVpnConnection", True, 200),
        ("CreateVpnConnectionRoute", True, 200),
        ("SearchTransitGatewayRoutes", False, 400),
    ]
    assert {e["service"] for e in entries} == {"aws"}


def test_throttling_count_fault(aws_emulator, ec2, faults):
    faults([{"kind": "throttle", "operation": "DescribeVpcs", "count": 2}])
    mark = aws_emulator.mark()
    for _unused in range(2):
        with pytest.raises(ClientError) as caught:
            ec2.describe_vpcs()
        assert caught.value.response["Error"]["Code"] == "RequestLimitExceeded"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    ec2.describe_vpcs()
    ec2.describe_vpn_gateways()  # another operation is never throttled
    statuses = [(e["operation"], e["status"]) for e in aws_emulator.requests_since(mark, "aws")]
    assert statuses == [
        ("DescribeVpcs", 400),
        ("DescribeVpcs", 400),
        ("DescribeVpcs", 200),
        ("DescribeVpnGateways", 200),
    ]


def test_boto3_retries_through_a_scripted_throttle(aws_emulator, faults):
    faults([{"kind": "throttle", "operation": "DescribeVpcs", "count": 2}])
    mark = aws_emulator.mark()
    client(aws_emulator, retries=3).describe_vpcs()
    assert [e["status"] for e in aws_emulator.requests_since(mark, "aws")] == [400, 400, 200]


@pytest.mark.parametrize("rate, failures", [(1.0, 5), (0.0, 0)])
def test_server_error_rate_fault(aws_emulator, ec2, faults, rate, failures):
    faults([{"kind": "server_error", "operation": "DescribeVpnGateways", "rate": rate}])
    seen = 0
    for _unused in range(5):
        try:
            ec2.describe_vpn_gateways()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "Unavailable"
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            seen += 1
    assert seen == failures


def test_latency_injection(ec2, faults):
    faults([{"kind": "latency", "operation": "DescribeVpnGateways", "latency_ms": 400}])
    start = time.monotonic()
    ec2.describe_vpn_gateways()
    slow = time.monotonic() - start
    start = time.monotonic()
    ec2.describe_vpcs()
    fast = time.monotonic() - start
    assert slow >= 0.4 and fast < 0.4


# -- observed telemetry (lab only: PUT|DELETE /_emulator/aws/observed)


def admin(run: Any, name: str, method: str = "GET", body: Any = None) -> dict[str, Any]:
    request = urllib.request.Request(
        run.endpoints["aws"]["endpoint_url"] + f"/_emulator/aws/{name}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def telemetry(ec2: Any, vpn_id: str) -> dict[str, dict[str, Any]]:
    return {t["OutsideIpAddress"]: t for t in describe(ec2, vpn_id)["VgwTelemetry"]}


def test_observed_telemetry_replaces_the_derived_one_until_forgotten(ec2, network, aws_emulator):
    vpn_id = new_vpn(ec2, network)["VpnConnectionId"]
    first, second = telemetry(ec2, vpn_id)
    derived = telemetry(ec2, vpn_id)[first]
    down = {
        "VpnConnectionId": vpn_id,
        "OutsideIpAddress": first,
        "Status": "DOWN",
        "StatusMessage": "IPSEC IS DOWN",
        "AcceptedRouteCount": 0,
    }
    time.sleep(1.1)  # LastStatusChange has whole seconds: the change must fall in a later one
    try:
        answer = admin(aws_emulator, "observed", "PUT", {"tunnels": [down]})
        assert down in answer["tunnels"]
        seen = telemetry(ec2, vpn_id)
        assert (seen[first]["Status"], seen[first]["StatusMessage"]) == ("DOWN", "IPSEC IS DOWN")
        assert seen[first]["LastStatusChange"] > derived["LastStatusChange"]
        assert seen[second]["Status"] == "UP"  # not observed: derived
        # The same status again keeps LastStatusChange; a new one moves it.
        time.sleep(1.1)
        admin(aws_emulator, "observed", "PUT", {"tunnels": [down | {"StatusMessage": "x"}]})
        assert telemetry(ec2, vpn_id)[first]["LastStatusChange"] == seen[first]["LastStatusChange"]
        up = down | {"Status": "UP", "StatusMessage": "3 BGP ROUTES", "AcceptedRouteCount": 3}
        admin(aws_emulator, "observed", "PUT", {"tunnels": [up]})
        now = telemetry(ec2, vpn_id)[first]
        assert (now["Status"], now["AcceptedRouteCount"]) == ("UP", 3)
        assert now["LastStatusChange"] > seen[first]["LastStatusChange"]
    finally:
        admin(aws_emulator, "observed", "DELETE")
    assert telemetry(ec2, vpn_id)[first] == derived
    assert admin(aws_emulator, "observed") == {"tunnels": []}


@pytest.mark.parametrize(
    "change",
    [
        {"VpnConnectionId": "vpn-00000000000000000"},
        {"OutsideIpAddress": "203.0.113.99"},
        {"Status": "ESTABLISHED"},
        {"AcceptedRouteCount": -1},
        {"AcceptedRouteCount": True},
        {"StatusMessage": 3},
    ],
)
def test_observed_telemetry_is_validated_all_or_nothing(ec2, network, aws_emulator, change):
    vpn_id = new_vpn(ec2, network)["VpnConnectionId"]
    first, second = telemetry(ec2, vpn_id)
    good = {"VpnConnectionId": vpn_id, "OutsideIpAddress": first, "Status": "DOWN"}
    bad = {"VpnConnectionId": vpn_id, "OutsideIpAddress": second, "Status": "DOWN"} | change
    with pytest.raises(urllib.error.HTTPError) as caught:
        admin(aws_emulator, "observed", "PUT", {"tunnels": [good, bad]})
    assert caught.value.code == 400
    assert admin(aws_emulator, "observed") == {"tunnels": []}
    assert {t["Status"] for t in telemetry(ec2, vpn_id).values()} == {"UP"}


# ---------------------------------------------------------------------------- TGW peering
# moto's own CreateTransitGatewayPeeringAttachment / Accept / Delete (EC2 API reference), as
# aws_tgw_peering uses them; the TGW route calls are the extension's (routes keep their target).


@pytest.fixture(scope="module")
def tgw_pair(aws_emulator: Any, ec2: Any) -> dict[str, Any]:
    peer = boto3.client(
        "ec2",
        endpoint_url=aws_emulator.endpoints["aws"]["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    b = peer.create_transit_gateway(Options={"AmazonSideAsn": 64701})["TransitGateway"]
    a = ec2.create_transit_gateway(Options={"AmazonSideAsn": 64700})["TransitGateway"]
    return {"peer": peer, "a": a, "b": b}


def _peer(ec2: Any, tgw_pair: dict[str, Any], **tags: str) -> dict[str, Any]:
    return ec2.create_transit_gateway_peering_attachment(
        TransitGatewayId=tgw_pair["a"]["TransitGatewayId"],
        PeerTransitGatewayId=tgw_pair["b"]["TransitGatewayId"],
        PeerAccountId=tgw_pair["a"]["OwnerId"],
        PeerRegion="us-east-1",
        TagSpecifications=[
            {
                "ResourceType": "transit-gateway-attachment",
                "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
            }
        ],
    )["TransitGatewayPeeringAttachment"]


def test_tgw_peering_is_accepted_only_in_the_accepter_region(ec2, tgw_pair):
    attachment = _peer(ec2, tgw_pair, Name="pair")
    attachment_id = attachment["TransitGatewayAttachmentId"]
    assert attachment["State"] == "pendingAcceptance"  # peering_seconds 0: initiatingRequest ended
    assert attachment["Tags"] == [{"Key": "Name", "Value": "pair"}]
    peer = tgw_pair["peer"]
    (seen,) = peer.describe_transit_gateway_peering_attachments(
        TransitGatewayAttachmentIds=[attachment_id]
    )["TransitGatewayPeeringAttachments"]
    assert seen["AccepterTgwInfo"]["TransitGatewayId"] == tgw_pair["b"]["TransitGatewayId"]
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        ec2.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)
    accepted = peer.accept_transit_gateway_peering_attachment(
        TransitGatewayAttachmentId=attachment_id
    )["TransitGatewayPeeringAttachment"]
    assert accepted["State"] == "available"  # peering_seconds 0: pending ended
    ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)
    states = [
        a["State"]
        for a in peer.describe_transit_gateway_peering_attachments(
            TransitGatewayAttachmentIds=[attachment_id]
        )["TransitGatewayPeeringAttachments"]
    ]
    assert states == ["deleted"]  # deleting ended at once; still visible as deleted


def _tgw_route(ec2: Any, tgw_pair: dict[str, Any], cidr: str, attachment_id: str) -> Any:
    """(TGW a's default route table, the static route of ``cidr`` created there to the
    attachment)."""
    table = tgw_pair["a"]["Options"]["AssociationDefaultRouteTableId"]
    created = ec2.create_transit_gateway_route(
        TransitGatewayRouteTableId=table,
        DestinationCidrBlock=cidr,
        TransitGatewayAttachmentId=attachment_id,
    )["Route"]
    return table, created


def test_tgw_routes_keep_their_target_and_refuse_duplicates_and_unknowns(ec2, tgw_pair):
    attachment_id = _peer(ec2, tgw_pair)["TransitGatewayAttachmentId"]
    table, created = _tgw_route(ec2, tgw_pair, "10.61.0.0/16", attachment_id)
    target = {
        "ResourceId": tgw_pair["b"]["TransitGatewayId"],
        "ResourceType": "peering",
        "TransitGatewayAttachmentId": attachment_id,
    }
    assert created["TransitGatewayAttachments"] == [target]
    with pytest.raises(ClientError, match="RouteAlreadyExists"):
        ec2.create_transit_gateway_route(
            TransitGatewayRouteTableId=table,
            DestinationCidrBlock="10.61.0.0/16",
            TransitGatewayAttachmentId=attachment_id,
        )
    with pytest.raises(ClientError, match=r"InvalidTransitGatewayAttachmentID\.NotFound"):
        ec2.create_transit_gateway_route(
            TransitGatewayRouteTableId=table,
            DestinationCidrBlock="10.62.0.0/16",
            TransitGatewayAttachmentId="tgw-attach-00000000000000000",
        )
    ec2.create_transit_gateway_route(
        TransitGatewayRouteTableId=table, DestinationCidrBlock="10.63.0.0/16", Blackhole=True
    )

    def search(*filters: tuple[str, list[str]]) -> list[dict[str, Any]]:
        return ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=table,
            Filters=[{"Name": n, "Values": v} for n, v in filters],
        )["Routes"]

    ours = search(("attachment.transit-gateway-attachment-id", [attachment_id]))
    assert [(r["DestinationCidrBlock"], r["TransitGatewayAttachments"]) for r in ours] == [
        ("10.61.0.0/16", [target])
    ]
    assert [r["DestinationCidrBlock"] for r in search(("state", ["blackhole"]))] == ["10.63.0.0/16"]
    exact = search(("type", ["static"]), ("route-search.exact-match", ["10.63.0.0/16"]))
    assert [r["DestinationCidrBlock"] for r in exact] == ["10.63.0.0/16"]
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        search(("route-search.nope", ["x"]))
    deleted = ec2.delete_transit_gateway_route(
        TransitGatewayRouteTableId=table, DestinationCidrBlock="10.61.0.0/16"
    )["Route"]
    assert deleted["State"] == "deleted"
    with pytest.raises(ClientError, match=r"InvalidRoute\.NotFound"):
        ec2.delete_transit_gateway_route(
            TransitGatewayRouteTableId=table, DestinationCidrBlock="10.61.0.0/16"
        )
    ec2.delete_transit_gateway_route(
        TransitGatewayRouteTableId=table, DestinationCidrBlock="10.63.0.0/16"
    )
    assert search(("type", ["static"])) == []


# ---------------------------------------------------------------------------- VPC peering
# VPC Peering Guide, "VPC peering basics", limitations: "Any tags that you create for your VPC
# peering connection are only applied in the account or region in which you create them." The
# requester's and the accepter's Region each see the connection with their own tags.


def regional(run: Any, region: str) -> Any:
    return boto3.client(
        "ec2",
        endpoint_url=run.endpoints["aws"]["endpoint_url"],
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def pcx_tags(ec2: Any, pcx_id: str) -> dict[str, str]:
    (seen,) = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])[
        "VpcPeeringConnections"
    ]
    return {t["Key"]: t["Value"] for t in seen["Tags"]}


def test_vpc_peering_tags_are_kept_per_region(aws_emulator, ec2):
    peer = regional(aws_emulator, "us-east-1")
    assert aws_emulator.endpoints["aws"]["region"] != "us-east-1"
    accepter_vpc = peer.create_vpc(CidrBlock="10.81.0.0/16")["Vpc"]["VpcId"]
    requester_vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    created = ec2.create_vpc_peering_connection(
        VpcId=requester_vpc,
        PeerVpcId=accepter_vpc,
        PeerRegion="us-east-1",
        TagSpecifications=boto3_tag_specifications(
            {"Name": "r-a", "side": "requester"}, types=["vpc-peering-connection"]
        ),
    )["VpcPeeringConnection"]
    pcx_id = created["VpcPeeringConnectionId"]
    assert {t["Key"]: t["Value"] for t in created["Tags"]} == {"Name": "r-a", "side": "requester"}
    # the TagSpecifications are the requester Region's: the accepter's view has no tags
    assert pcx_tags(ec2, pcx_id) == {"Name": "r-a", "side": "requester"}
    assert pcx_tags(peer, pcx_id) == {}
    # CreateTags in the accepter's Region tags that Region's view only
    peer.create_tags(Resources=[pcx_id], Tags=[{"Key": "Name", "Value": "a-r"}])
    accepted = peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert accepted["VpcPeeringConnection"]["Status"]["Code"] == "active"
    assert accepted["VpcPeeringConnection"]["Tags"] == [{"Key": "Name", "Value": "a-r"}]
    assert pcx_tags(peer, pcx_id) == {"Name": "a-r"}
    assert pcx_tags(ec2, pcx_id) == {"Name": "r-a", "side": "requester"}
    # DeleteTags likewise, and DescribeTags agrees with each Region's view
    ec2.delete_tags(Resources=[pcx_id], Tags=[{"Key": "side"}])
    peer.create_tags(Resources=[pcx_id], Tags=[{"Key": "side", "Value": "accepter"}])
    assert pcx_tags(ec2, pcx_id) == {"Name": "r-a"}
    assert pcx_tags(peer, pcx_id) == {"Name": "a-r", "side": "accepter"}
    described = peer.describe_tags(Filters=[{"Name": "resource-id", "Values": [pcx_id]}])["Tags"]
    assert {t["Key"]: t["Value"] for t in described} == {"Name": "a-r", "side": "accepter"}
    # both Regions list it
    listed = {
        region: [
            p
            for p in client.describe_vpc_peering_connections()["VpcPeeringConnections"]
            if p["VpcPeeringConnectionId"] == pcx_id
        ]
        for region, client in (("requester", ec2), ("accepter", peer))
    }
    assert [p["Status"]["Code"] for p in listed["requester"] + listed["accepter"]] == ["active"] * 2
    assert listed["accepter"][0]["AccepterVpcInfo"]["Region"] == "us-east-1"

    # in one Region there is one view: its tags are the accepter's too
    a = ec2.create_vpc(CidrBlock="10.82.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.83.0.0/16")["Vpc"]["VpcId"]
    pcx_id = ec2.create_vpc_peering_connection(
        VpcId=a,
        PeerVpcId=b,
        TagSpecifications=boto3_tag_specifications(
            {"Name": "one"}, types=["vpc-peering-connection"]
        ),
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    accepted = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert accepted["VpcPeeringConnection"]["Tags"] == [{"Key": "Name", "Value": "one"}]
    ec2.create_tags(Resources=[pcx_id], Tags=[{"Key": "more", "Value": "yes"}])
    assert pcx_tags(ec2, pcx_id) == {"Name": "one", "more": "yes"}
    with pytest.raises(ClientError, match=r"InvalidVpcPeeringConnectionId\.NotFound"):
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId="pcx-00000000000000000")


# ------------------------------------------------------------- Transit Gateway peering tags
# EC2 tags are Regional (VPC Peering Guide, VPC peering limitations, says it of peering
# connections); a TGW peering attachment has one id and a view in each Region, each view with
# its own tags.


def tgw_attachment_tags(ec2: Any, attachment_id: str) -> dict[str, str]:
    (seen,) = ec2.describe_transit_gateway_peering_attachments(
        TransitGatewayAttachmentIds=[attachment_id]
    )["TransitGatewayPeeringAttachments"]
    return {t["Key"]: t["Value"] for t in seen.get("Tags") or []}


def test_tgw_peering_attachment_tags_are_kept_per_region(ec2, tgw_pair):
    peer = tgw_pair["peer"]
    created = _peer(ec2, tgw_pair, Name="r-a", side="requester")
    attachment_id = created["TransitGatewayAttachmentId"]
    # the TagSpecifications are the requester Region's: the accepter's view has no tags
    assert tgw_attachment_tags(ec2, attachment_id) == {"Name": "r-a", "side": "requester"}
    assert tgw_attachment_tags(peer, attachment_id) == {}
    # CreateTags in the accepter's Region tags that Region's view only
    peer.create_tags(Resources=[attachment_id], Tags=[{"Key": "Name", "Value": "a-r"}])
    accepted = peer.accept_transit_gateway_peering_attachment(
        TransitGatewayAttachmentId=attachment_id
    )["TransitGatewayPeeringAttachment"]
    assert accepted["State"] == "available"
    assert accepted["Tags"] == [{"Key": "Name", "Value": "a-r"}]
    assert accepted["AccepterTgwInfo"]["Region"] == "us-east-1"
    assert tgw_attachment_tags(peer, attachment_id) == {"Name": "a-r"}
    assert tgw_attachment_tags(ec2, attachment_id) == {"Name": "r-a", "side": "requester"}
    # DeleteTags likewise, and DescribeTags agrees with each Region's view
    ec2.delete_tags(Resources=[attachment_id], Tags=[{"Key": "side"}])
    peer.create_tags(Resources=[attachment_id], Tags=[{"Key": "side", "Value": "accepter"}])
    assert tgw_attachment_tags(ec2, attachment_id) == {"Name": "r-a"}
    assert tgw_attachment_tags(peer, attachment_id) == {"Name": "a-r", "side": "accepter"}
    described = peer.describe_tags(Filters=[{"Name": "resource-id", "Values": [attachment_id]}])
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"Name": "a-r", "side": "accepter"}
    # tag filters read the asked Region's tags; the other documented filters apply too
    for client, name in ((ec2, "r-a"), (peer, "a-r")):
        by_name = client.describe_transit_gateway_peering_attachments(
            Filters=[{"Name": "tag:Name", "Values": [name]}]
        )["TransitGatewayPeeringAttachments"]
        assert [a["TransitGatewayAttachmentId"] for a in by_name] == [attachment_id]
        wrong = client.describe_transit_gateway_peering_attachments(
            Filters=[{"Name": "tag:Name", "Values": ["r-a" if name == "a-r" else "a-r"]}]
        )["TransitGatewayPeeringAttachments"]
        assert attachment_id not in [a["TransitGatewayAttachmentId"] for a in wrong]
    listed = peer.describe_transit_gateway_peering_attachments(
        Filters=[
            {"Name": "transit-gateway-id", "Values": [tgw_pair["b"]["TransitGatewayId"]]},
            {"Name": "state", "Values": ["available"]},
            {"Name": "tag-key", "Values": ["side"]},
        ]
    )["TransitGatewayPeeringAttachments"]
    assert [a["TransitGatewayAttachmentId"] for a in listed] == [attachment_id]
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        peer.describe_transit_gateway_peering_attachments(
            Filters=[{"Name": "no-such-filter", "Values": ["x"]}]
        )
    # DescribeTransitGatewayAttachments shows each Region's tags too
    for client, tags in ((ec2, {"Name": "r-a"}), (peer, {"Name": "a-r", "side": "accepter"})):
        (seen,) = client.describe_transit_gateway_attachments(
            TransitGatewayAttachmentIds=[attachment_id]
        )["TransitGatewayAttachments"]
        assert seen["ResourceType"] == "peering"
        assert {t["Key"]: t["Value"] for t in seen["Tags"]} == tags
    with pytest.raises(ClientError, match=r"InvalidTransitGatewayAttachmentID\.NotFound"):
        peer.accept_transit_gateway_peering_attachment(
            TransitGatewayAttachmentId="tgw-attach-00000000000000000"
        )
    ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)


# ------------------------------------------------------------------- peering lifecycles
# EC2 API reference and guides (tests/emulators/aws/peering.py): a TGW peering attachment is
# initiatingRequest, then pendingAcceptance; accepted only there (IncorrectState otherwise), then
# pending, then available; deleted, deleting then deleted. A VPC peering connection is
# initiating-request, then pending-acceptance (failed at once for overlapping IPv4 blocks);
# accepted, provisioning then active; deleted, deleting then deleted. Each transitional state
# lasts peering_seconds (0: the next read sees the settled state).


def tgw_state(client: Any, attachment_id: str) -> str:
    (seen,) = client.describe_transit_gateway_peering_attachments(
        TransitGatewayAttachmentIds=[attachment_id]
    )["TransitGatewayPeeringAttachments"]
    return str(seen["State"])


def pcx_status(client: Any, pcx_id: str) -> dict[str, str]:
    (seen,) = client.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])[
        "VpcPeeringConnections"
    ]
    status: dict[str, str] = seen["Status"]
    return status


def test_tgw_peering_passes_through_each_documented_state(ec2, tgw_pair, lifecycle, aws_emulator):
    lifecycle(peering_seconds=FOREVER)
    peer = tgw_pair["peer"]
    created = _peer(ec2, tgw_pair, Name="slow")
    attachment_id = created["TransitGatewayAttachmentId"]
    assert created["State"] == "initiatingRequest"
    assert created["Tags"] == [{"Key": "Name", "Value": "slow"}]
    assert [tgw_state(c, attachment_id) for c in (ec2, peer)] == ["initiatingRequest"] * 2
    # "The peering attachment must be in the pendingAcceptance state."
    code, message = error_of(
        peer.accept_transit_gateway_peering_attachment, TransitGatewayAttachmentId=attachment_id
    )
    assert code == "IncorrectState" and attachment_id in message and "initiatingRequest" in message
    assert settle(aws_emulator)["peering"] == 1
    assert tgw_state(peer, attachment_id) == "pendingAcceptance"

    accepted = peer.accept_transit_gateway_peering_attachment(
        TransitGatewayAttachmentId=attachment_id
    )["TransitGatewayPeeringAttachment"]
    assert accepted["State"] == "pending"
    assert accepted["Status"] == {"Code": "pending", "Message": "Pending"}
    assert [tgw_state(c, attachment_id) for c in (ec2, peer)] == ["pending"] * 2
    assert error_of(
        peer.accept_transit_gateway_peering_attachment, TransitGatewayAttachmentId=attachment_id
    )[0] == ("IncorrectState")
    settle(aws_emulator)
    assert tgw_state(ec2, attachment_id) == "available"

    deleted = ec2.delete_transit_gateway_peering_attachment(
        TransitGatewayAttachmentId=attachment_id
    )["TransitGatewayPeeringAttachment"]
    assert deleted["State"] == "deleting"
    ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)
    assert [tgw_state(c, attachment_id) for c in (ec2, peer)] == ["deleting"] * 2
    live = ec2.describe_transit_gateway_peering_attachments(
        Filters=[{"Name": "state", "Values": ["pendingAcceptance", "pending", "available"]}]
    )["TransitGatewayPeeringAttachments"]
    assert attachment_id not in [a["TransitGatewayAttachmentId"] for a in live]
    assert settle(aws_emulator)["peering"] == 1
    assert [tgw_state(c, attachment_id) for c in (ec2, peer)] == ["deleted"] * 2
    assert settle(aws_emulator)["peering"] == 0


def test_tgw_peering_delete_ends_an_open_window(ec2, tgw_pair, lifecycle, aws_emulator):
    """A delete while the request is initiatingRequest replaces that window: once settled the
    attachment is deleted, never pendingAcceptance."""
    lifecycle(peering_seconds=FOREVER)
    attachment_id = _peer(ec2, tgw_pair)["TransitGatewayAttachmentId"]
    ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)
    assert tgw_state(ec2, attachment_id) == "deleting"
    assert settle(aws_emulator)["peering"] == 1
    assert tgw_state(ec2, attachment_id) == "deleted"
    assert error_of(
        tgw_pair["peer"].accept_transit_gateway_peering_attachment,
        TransitGatewayAttachmentId=attachment_id,
    )[0] == ("IncorrectState")


def test_tgw_peering_accept_is_refused_once_accepted_and_unknown_ids_are_not_found(ec2, tgw_pair):
    """peering_seconds 0: each step is over before its call answers; accepting an available or
    deleted attachment answers IncorrectState (moto accepted any state)."""
    peer = tgw_pair["peer"]
    attachment_id = _peer(ec2, tgw_pair)["TransitGatewayAttachmentId"]
    peer.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)
    assert tgw_state(ec2, attachment_id) == "available"
    call = peer.accept_transit_gateway_peering_attachment
    assert error_of(call, TransitGatewayAttachmentId=attachment_id)[0] == "IncorrectState"
    ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)
    assert tgw_state(peer, attachment_id) == "deleted"
    assert error_of(call, TransitGatewayAttachmentId=attachment_id)[0] == "IncorrectState"
    unknown = "tgw-attach-00000000000000000"
    assert error_of(
        ec2.delete_transit_gateway_peering_attachment, TransitGatewayAttachmentId=unknown
    )[0] == ("InvalidTransitGatewayAttachmentID.NotFound")


def test_a_peering_window_ends_by_itself_when_its_seconds_pass(ec2, tgw_pair, lifecycle):
    lifecycle(peering_seconds=0.5)
    attachment_id = _peer(ec2, tgw_pair)["TransitGatewayAttachmentId"]
    deadline = time.monotonic() + 60.0
    while tgw_state(ec2, attachment_id) != "pendingAcceptance":
        assert time.monotonic() < deadline, tgw_state(ec2, attachment_id)
        time.sleep(0.1)
    lifecycle(peering_seconds=0)
    ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)


@pytest.fixture(scope="module")
def pcx_vpcs(aws_emulator: Any, ec2: Any) -> dict[str, Any]:
    """Requester VPCs in the emulator's Region, accepter VPCs in us-east-1 (an inter-Region
    request, accepted there); no two of them overlap."""
    peer = regional(aws_emulator, "us-east-1")
    return {
        "peer": peer,
        "a": ec2.create_vpc(CidrBlock="10.84.0.0/16")["Vpc"]["VpcId"],
        "b": peer.create_vpc(CidrBlock="10.85.0.0/16")["Vpc"]["VpcId"],
    }


def _request(ec2: Any, vpcs: dict[str, Any]) -> str:
    created = ec2.create_vpc_peering_connection(
        VpcId=vpcs["a"], PeerVpcId=vpcs["b"], PeerRegion="us-east-1"
    )["VpcPeeringConnection"]
    # CreateVpcPeeringConnection answers initiating-request, whatever the window (as EC2)
    assert created["Status"]["Code"] == "initiating-request"
    return str(created["VpcPeeringConnectionId"])


def test_vpc_peering_passes_through_each_documented_state(ec2, pcx_vpcs, lifecycle, aws_emulator):
    lifecycle(peering_seconds=FOREVER)
    peer = pcx_vpcs["peer"]
    pcx_id = _request(ec2, pcx_vpcs)
    assert [pcx_status(c, pcx_id)["Code"] for c in (ec2, peer)] == ["initiating-request"] * 2
    # moto's refusal of any state but pending-acceptance
    code, message = error_of(peer.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx_id)
    assert code == "InvalidStateTransition" and pcx_id in message
    assert settle(aws_emulator)["peering"] == 1
    assert pcx_status(peer, pcx_id)["Code"] == "pending-acceptance"

    accepted = peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert accepted["VpcPeeringConnection"]["Status"] == {
        "Code": "provisioning",
        "Message": "Provisioning",
    }
    assert [pcx_status(c, pcx_id)["Code"] for c in (ec2, peer)] == ["provisioning"] * 2
    code = error_of(peer.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx_id)[0]
    assert code == "InvalidStateTransition"
    settle(aws_emulator)
    assert pcx_status(ec2, pcx_id) == {"Code": "active", "Message": "Active"}

    assert ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)["Return"] is True
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)  # again: nothing changes
    assert [pcx_status(c, pcx_id)["Code"] for c in (ec2, peer)] == ["deleting"] * 2
    assert settle(aws_emulator)["peering"] == 1
    assert [pcx_status(c, pcx_id)["Code"] for c in (ec2, peer)] == ["deleted"] * 2
    with pytest.raises(ClientError, match=r"InvalidVpcPeeringConnectionId\.NotFound"):
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId="pcx-00000000000000000")


def test_vpc_peering_with_no_window_settles_before_the_next_read(ec2, pcx_vpcs):
    peer = pcx_vpcs["peer"]
    pcx_id = _request(ec2, pcx_vpcs)
    assert pcx_status(peer, pcx_id)["Code"] == "pending-acceptance"
    accepted = peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert accepted["VpcPeeringConnection"]["Status"]["Code"] == "active"
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert pcx_status(peer, pcx_id)["Code"] == "deleted"


@pytest.mark.parametrize("window", [0.0, FOREVER])
def test_vpc_peering_of_overlapping_cidr_blocks_fails(aws_emulator, ec2, lifecycle, window):
    """CreateVpcPeeringConnection: overlapping CIDR blocks make the request failed - at once
    ("Create a VPC peering connection", prerequisites), whatever the window - with a message
    naming the blocks; any associated IPv4 block counts, the secondary ones too."""
    lifecycle(peering_seconds=window)
    base = 86 if window == 0 else 88  # each run its own VPCs
    a = ec2.create_vpc(CidrBlock=f"10.{base}.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock=f"10.{base + 1}.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=b, CidrBlock=f"10.{base}.128.0/20")
    created = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]
    pcx_id = created["VpcPeeringConnectionId"]
    status = pcx_status(ec2, pcx_id)
    assert status["Code"] == "failed"
    assert f"10.{base}.0.0/16 ({a})" in status["Message"]
    assert f"10.{base}.128.0/20 ({b})" in status["Message"]
    code = error_of(ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx_id)[0]
    assert code == "InvalidStateTransition"
    assert settle(aws_emulator)["peering"] == 0  # no window: failed is where it stays
    assert pcx_status(ec2, pcx_id)["Code"] == "failed"


def test_vpc_peering_overlap_ignores_disassociated_blocks(ec2):
    a = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    association = ec2.associate_vpc_cidr_block(VpcId=b, CidrBlock="10.90.64.0/20")
    ec2.disassociate_vpc_cidr_block(
        AssociationId=association["CidrBlockAssociation"]["AssociationId"]
    )
    pcx_id = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    assert pcx_status(ec2, pcx_id)["Code"] == "pending-acceptance"


# ------------------------------------------------------- VPC peering: final states, expiry
# DeleteVpcPeeringConnection: "You cannot delete a VPC peering connection that's in the failed
# or rejected state"; VPC peering connection lifecycle: a failed request "cannot be accepted,
# rejected, or deleted", an expired one allows no action, and a request "expires after 7 days"
# if no action is taken on it. The refusal is InvalidStateTransition (tests/emulators/aws/
# peering.py: the reference names no code).


def _refused(client: Any, pcx_id: str) -> None:
    for call in (
        client.delete_vpc_peering_connection,
        client.accept_vpc_peering_connection,
        client.reject_vpc_peering_connection,
    ):
        code, message = error_of(call, VpcPeeringConnectionId=pcx_id)
        assert (code, pcx_id in message) == ("InvalidStateTransition", True), call


@pytest.mark.parametrize("final", ["failed", "rejected"])
def test_vpc_peering_in_a_final_state_is_not_deleted(ec2, pcx_vpcs, final):
    if final == "failed":
        a = ec2.create_vpc(CidrBlock="10.92.0.0/16")["Vpc"]["VpcId"]
        b = ec2.create_vpc(CidrBlock="10.92.0.0/17")["Vpc"]["VpcId"]
        pcx_id = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"][
            "VpcPeeringConnectionId"
        ]
        client = ec2
    else:
        pcx_id, client = _request(ec2, pcx_vpcs), pcx_vpcs["peer"]
        client.reject_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    assert pcx_status(client, pcx_id)["Code"] == final
    _refused(client, pcx_id)
    assert pcx_status(client, pcx_id)["Code"] == final  # the refusals changed nothing


def test_an_unaccepted_vpc_peering_request_expires(ec2, pcx_vpcs, lifecycle, aws_emulator):
    """Scaled time: peering_expiry_seconds stands for the 7 days (0: the next read after
    pending-acceptance is expired). ExpirationTime says when while the request is unaccepted."""
    peer = pcx_vpcs["peer"]
    lifecycle(peering_seconds=FOREVER)
    before = time.time()
    waiting = _request(ec2, pcx_vpcs)
    (seen,) = peer.describe_vpc_peering_connections(VpcPeeringConnectionIds=[waiting])[
        "VpcPeeringConnections"
    ]
    assert seen["Status"]["Code"] == "initiating-request"
    expires = seen["ExpirationTime"].timestamp()
    assert before + SEVEN_DAYS - 60 <= expires <= time.time() + SEVEN_DAYS + 60
    settle(aws_emulator)  # ends the window, not the 7 days
    assert pcx_status(peer, waiting)["Code"] == "pending-acceptance"
    peer.reject_vpc_peering_connection(VpcPeeringConnectionId=waiting)

    lifecycle(peering_seconds=0, peering_expiry_seconds=0)
    pcx_id = _request(ec2, pcx_vpcs)
    assert [pcx_status(c, pcx_id) for c in (ec2, peer)] == [
        {"Code": "expired", "Message": "Expired"}
    ] * 2
    (seen,) = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])[
        "VpcPeeringConnections"
    ]
    assert "ExpirationTime" not in seen
    _refused(peer, pcx_id)
    assert settle(aws_emulator)["peering"] == 0
    assert pcx_status(ec2, pcx_id)["Code"] == "expired"


def test_an_accepted_vpc_peering_request_no_longer_expires(ec2, pcx_vpcs, lifecycle):
    lifecycle(peering_expiry_seconds=FOREVER)
    peer = pcx_vpcs["peer"]
    pcx_id = _request(ec2, pcx_vpcs)
    peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    (seen,) = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])[
        "VpcPeeringConnections"
    ]
    assert seen["Status"]["Code"] == "active" and "ExpirationTime" not in seen
    lifecycle(peering_expiry_seconds=0)  # a later change leaves requests made before alone
    assert pcx_status(peer, pcx_id)["Code"] == "active"
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)


# ------------------------------------------------------------------------ blackhole routes
# Route.State: "The blackhole state indicates that the route's target isn't available"; a VPC
# peering connection carries traffic only while active. TransitGatewayRoute.State likewise for a
# static route to an attachment that is gone.


def route_states(client: Any, vpc_id: str) -> dict[str, str]:
    tables = client.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return {
        route.get("DestinationCidrBlock"): route["State"]
        for table in tables["RouteTables"]
        for route in table["Routes"]
    }


def test_a_route_to_a_vpc_peering_connection_not_active_is_a_blackhole(
    ec2, lifecycle, aws_emulator
):
    lifecycle(peering_seconds=FOREVER)
    a = ec2.create_vpc(CidrBlock="10.93.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.94.0.0/16")["Vpc"]["VpcId"]
    (table,) = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [a]}])["RouteTables"]
    pcx_id = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    ec2.create_route(
        RouteTableId=table["RouteTableId"],
        DestinationCidrBlock="10.94.0.0/16",
        VpcPeeringConnectionId=pcx_id,
    )
    seen = {}
    for step in ("initiating-request", "pending-acceptance", "provisioning", "active"):
        assert pcx_status(ec2, pcx_id)["Code"] == step
        seen[step] = route_states(ec2, a)["10.94.0.0/16"]
        if step == "pending-acceptance":
            ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
        else:
            settle(aws_emulator)
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    seen["deleting"] = route_states(ec2, a)["10.94.0.0/16"]
    settle(aws_emulator)
    seen["deleted"] = route_states(ec2, a)["10.94.0.0/16"]
    assert seen == {
        "initiating-request": "blackhole",
        "pending-acceptance": "blackhole",
        "provisioning": "blackhole",
        "active": "active",
        "deleting": "blackhole",
        "deleted": "blackhole",
    }
    # the rest of the table is moto's, as before: the local route, the table's ids and VPC
    (again,) = ec2.describe_route_tables(RouteTableIds=[table["RouteTableId"]])["RouteTables"]
    local = {"DestinationCidrBlock": "10.93.0.0/16", "GatewayId": "local", "State": "active"}
    assert {k: again["Routes"][0].get(k) for k in local} == local
    assert (again["VpcId"], again["Associations"]) == (a, table["Associations"])
    assert error_of(ec2.describe_route_tables, RouteTableIds=["rtb-00000000000000000"])[0] == (
        "InvalidRouteTableID.NotFound"
    )


def test_a_tgw_route_to_a_deleted_attachment_is_a_blackhole(ec2, tgw_pair):
    attachment_id = _peer(ec2, tgw_pair)["TransitGatewayAttachmentId"]
    tgw_pair["peer"].accept_transit_gateway_peering_attachment(
        TransitGatewayAttachmentId=attachment_id
    )
    table, created = _tgw_route(ec2, tgw_pair, "10.64.0.0/16", attachment_id)
    assert created["State"] == "active"
    ec2.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)
    (route,) = ec2.search_transit_gateway_routes(
        TransitGatewayRouteTableId=table,
        Filters=[{"Name": "state", "Values": ["blackhole"]}],
    )["Routes"]
    assert route["DestinationCidrBlock"] == "10.64.0.0/16"
    assert route["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"] == attachment_id
    ec2.delete_transit_gateway_route(
        TransitGatewayRouteTableId=table, DestinationCidrBlock="10.64.0.0/16"
    )
