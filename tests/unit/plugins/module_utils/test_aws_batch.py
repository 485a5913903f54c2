"""The list forms of aws_customer_gateway (``gateways``) and aws_vpn_connection
(``connections``): every entry checked before any change, one describe, check mode and re-runs
without a mutating call, every creation started before the first wait (no network)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws, _aws_cgw, _aws_vpn
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AwsError,
    dict_to_tags,
    tags_to_dict,
)

MUTATING = ("create_", "delete_", "modify_")


class FakeEc2:
    """Just enough EC2 for the wrappers ``call`` and ``call_all``: customer gateways and VPN
    connections (new ones ``pending``, ``available`` at their first Describe by id), every
    call logged as 'operation' or 'operation:id'."""

    def __init__(self) -> None:
        self.gateways: list[dict[str, Any]] = []
        self.connections: list[dict[str, Any]] = []
        self.log: list[str] = []
        self.ids = itertools.count(1)

    def mutations(self) -> list[str]:
        return [entry for entry in self.log if entry.startswith(MUTATING)]

    @staticmethod
    def _matches(resource: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
        tags = tags_to_dict(resource.get("Tags"))
        for item in filters:
            name, values = item["Name"], item["Values"]
            if name.startswith("tag:"):
                actual = tags.get(name[4:])
            elif name == "ip-address":
                actual = resource.get("IpAddress")
            elif name == "state":
                actual = resource.get("State")
            else:
                raise AssertionError(f"filter {name} not faked")
            if actual not in values:
                return False
        return True

    def call_all(self, client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
        self.log.append(operation)
        pool = self.gateways if operation == "describe_customer_gateways" else self.connections
        return [copy.deepcopy(r) for r in pool if self._matches(r, kwargs.get("Filters", []))]

    def call(self, client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
        resource_id = (
            kwargs.get("CustomerGatewayId")
            or kwargs.get("VpnConnectionId")
            or (kwargs.get("VpnConnectionIds") or kwargs.get("Resources") or [None])[0]
        )
        if operation in ("create_customer_gateway", "create_vpn_connection"):
            resource_id = None  # the gateway it refers to, not its own
        self.log.append(f"{operation}:{resource_id}" if resource_id else operation)
        if operation == "create_customer_gateway":
            gateway = {
                "CustomerGatewayId": f"cgw-{next(self.ids)}",
                "IpAddress": kwargs["IpAddress"],
                "BgpAsn": str(kwargs.get("BgpAsn") or ""),
                "DeviceName": kwargs.get("DeviceName"),
                "State": "available",
                "Type": "ipsec.1",
                "Tags": kwargs["TagSpecifications"][0]["Tags"],
            }
            self.gateways.append(gateway)
            return {"CustomerGateway": dict(gateway)}
        if operation == "delete_customer_gateway":
            self._find(self.gateways, "CustomerGatewayId", resource_id)["State"] = "deleted"
            return {}
        if operation == "create_vpn_connection":
            number = next(self.ids)
            connection = {
                "VpnConnectionId": f"vpn-{number}",
                "State": "pending",
                "CustomerGatewayId": kwargs["CustomerGatewayId"],
                "VpnGatewayId": kwargs.get("VpnGatewayId"),
                "TransitGatewayId": kwargs.get("TransitGatewayId"),
                "Options": {
                    "StaticRoutesOnly": kwargs["Options"]["StaticRoutesOnly"],
                    "TunnelOptions": [
                        {
                            "OutsideIpAddress": f"198.51.{number}.{index}",
                            "TunnelInsideCidr": tunnel.get("TunnelInsideCidr"),
                            "PreSharedKey": tunnel.get("PreSharedKey"),
                        }
                        for index, tunnel in enumerate(kwargs["Options"]["TunnelOptions"])
                    ],
                },
                "Tags": kwargs["TagSpecifications"][0]["Tags"],
            }
            self.connections.append(connection)
            return {"VpnConnection": copy.deepcopy(connection)}
        if operation == "delete_vpn_connection":
            self._find(self.connections, "VpnConnectionId", resource_id)["State"] = "deleted"
            return {}
        if operation == "describe_vpn_connections":
            connection = self._find(self.connections, "VpnConnectionId", resource_id)
            if connection["State"] in ("pending", "modifying"):
                connection["State"] = "available"
            return {"VpnConnections": [copy.deepcopy(connection)]}
        if operation == "modify_vpn_tunnel_options":
            connection = self._find(self.connections, "VpnConnectionId", resource_id)
            for tunnel in connection["Options"]["TunnelOptions"]:
                if tunnel["OutsideIpAddress"] == kwargs["VpnTunnelOutsideIpAddress"]:
                    tunnel["PreSharedKey"] = kwargs["TunnelOptions"].get(
                        "PreSharedKey", tunnel["PreSharedKey"]
                    )
            connection["State"] = "modifying"
            return {}
        if operation in ("create_tags", "delete_tags"):
            pool = self.gateways if resource_id.startswith("cgw-") else self.connections
            key = "CustomerGatewayId" if resource_id.startswith("cgw-") else "VpnConnectionId"
            resource = self._find(pool, key, resource_id)
            tags = tags_to_dict(resource.get("Tags"))
            for tag in kwargs["Tags"]:
                if operation == "create_tags":
                    tags[tag["Key"]] = tag["Value"]
                else:
                    tags.pop(tag["Key"], None)
            resource["Tags"] = dict_to_tags(tags)
            return {}
        raise AssertionError(f"{operation} not faked")

    @staticmethod
    def _find(pool: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
        return next(r for r in pool if r[key] == value)


@pytest.fixture
def ec2(monkeypatch: pytest.MonkeyPatch) -> FakeEc2:
    fake = FakeEc2()
    for module in (_aws, _aws_cgw, _aws_vpn):
        monkeypatch.setattr(module, "call", fake.call)
        if hasattr(module, "call_all"):
            monkeypatch.setattr(module, "call_all", fake.call_all)
    monkeypatch.setattr(_aws_vpn, "gateway_asn", lambda client, vgw, tgw: 64512)
    monkeypatch.setattr(_aws_vpn, "_sleep", lambda seconds: None)
    return fake


# Customer gateways -----------------------------------------------------------------------


def _gateways(*entries: dict[str, Any], **shared: Any) -> dict[str, Any]:
    params = {
        "name": None,
        "ip_address": None,
        "bgp_asn": None,
        "device_name": None,
        "tags": None,
        "purge_tags": False,
        "state": "present",
        "region": "eu-west-1",
        "gateways": [
            {"ip_address": None, "bgp_asn": None, "device_name": None, "tags": None, **entry}
            for entry in entries
        ],
    }
    params.update(shared)
    return params


IF0 = {"name": "link-if0", "ip_address": "203.0.113.10", "bgp_asn": 65010}
IF1 = {"name": "link-if1", "ip_address": "203.0.113.11", "bgp_asn": 65010}


def test_gateways_four_run_cycle_with_one_describe_per_run(ec2: FakeEc2) -> None:
    params = _gateways(IF0, IF1)
    checked = _aws_cgw.ensure(None, params, check_mode=True)
    assert checked["changed"] and ec2.mutations() == []
    assert checked["customer_gateways"] == {"link-if0": None, "link-if1": None}
    assert set(checked["after"]) == {"link-if0", "link-if1"} and checked["before"] == {}
    ec2.log.clear()
    applied = _aws_cgw.ensure(None, params, check_mode=False)
    assert applied["changed"]
    assert ec2.log == [
        "describe_customer_gateways",
        "create_customer_gateway",
        "create_customer_gateway",
    ]
    assert applied["customer_gateways"]["link-if1"]["ip_address"] == "203.0.113.11"
    for check_mode in (True, False):
        ec2.log.clear()
        again = _aws_cgw.ensure(None, params, check_mode=check_mode)
        assert not again["changed"] and ec2.log == ["describe_customer_gateways"]
        assert again["before"] == again["after"]
    ec2.log.clear()
    removed = _aws_cgw.ensure(None, {**params, "state": "absent"}, check_mode=False)
    assert removed["changed"] and len(ec2.mutations()) == 2
    assert removed["customer_gateways"] == {"link-if0": None, "link-if1": None}
    assert not _aws_cgw.ensure(None, {**params, "state": "absent"}, check_mode=False)["changed"]


def test_gateways_entry_options_override_the_shared_ones(ec2: FakeEc2) -> None:
    params = _gateways(IF0, {**IF1, "tags": {"role": "if1"}}, tags={"role": "shared"})
    result = _aws_cgw.ensure(None, params, check_mode=False)
    assert result["customer_gateways"]["link-if0"]["tags"]["role"] == "shared"
    assert result["customer_gateways"]["link-if1"]["tags"]["role"] == "if1"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([IF0, {**IF1, "bgp_asn": 7224}], "gateways[1].bgp_asn=7224 is reserved"),
        ([IF0, {**IF1, "ip_address": "2001:db8::1"}], "gateways[1].ip_address=2001:db8::1"),
        ([IF0, {"name": "x", "bgp_asn": 65010}], "gateways[1].missing required arguments"),
        ([IF0, {**IF1, "name": "link-if0"}], "gateways[1].name=link-if0 is also gateways[0]"),
        ([IF0, {**IF0, "name": "other"}], "gateways[1] has the ip_address, bgp_asn and device"),
    ],
)
def test_gateways_bad_entry_is_named(entries: list[dict[str, Any]], message: str) -> None:
    errors = _aws_cgw.validate(_gateways(*entries), "eu-west-1")
    assert any(message in e for e in errors), errors


def test_gateways_foreign_one_in_the_way_changes_nothing(ec2: FakeEc2) -> None:
    ec2.gateways.append(
        {
            "CustomerGatewayId": "cgw-theirs",
            "IpAddress": "203.0.113.11",
            "BgpAsn": "65010",
            "State": "available",
            "Tags": [{"Key": "Name", "Value": "theirs"}],
        }
    )
    with pytest.raises(AwsError, match=r"gateways\[1\] \(link-if1\): customer gateway cgw-theirs"):
        _aws_cgw.ensure(None, _gateways(IF0, IF1), check_mode=False)
    assert ec2.mutations() == []


# VPN connections -------------------------------------------------------------------------


def _connections(*entries: dict[str, Any], **shared: Any) -> dict[str, Any]:
    params = {
        "name": None,
        "customer_gateway_id": None,
        "vpn_gateway_id": "vgw-1",
        "transit_gateway_id": None,
        "static_routes_only": False,
        "tunnel_options": None,
        "tags": None,
        "purge_tags": False,
        "replace": False,
        "wait": False,
        "wait_timeout": 600,
        "delete_timeout": 900,
        "state": "present",
        "connections": [
            {
                "customer_gateway_id": None,
                "customer_gateway_name": None,
                "tunnel_options": None,
                "tags": None,
                **entry,
            }
            for entry in entries
        ],
    }
    params.update(shared)
    return params


def _tunnels(first: int, psk: str = "Key.one_123") -> list[dict[str, Any]]:
    return [
        {"inside_cidr": f"169.254.{first}.0/30", "pre_shared_key": psk},
        {"inside_cidr": f"169.254.{first}.4/30", "pre_shared_key": psk},
    ]


CONN_A = {"name": "link-a", "customer_gateway_name": "link-if0", "tunnel_options": _tunnels(10)}
CONN_B = {"name": "link-b", "customer_gateway_name": "link-if1", "tunnel_options": _tunnels(11)}


def _with_gateways(ec2: FakeEc2) -> None:
    _aws_cgw.ensure(None, _gateways(IF0, IF1), check_mode=False)
    ec2.log.clear()


def test_connections_check_mode_before_the_gateways_exist(ec2: FakeEc2) -> None:
    result = _aws_vpn.ensure(None, _connections(CONN_A, CONN_B), check_mode=True)
    assert result["changed"] and ec2.mutations() == []
    assert result["vpn_connections"] == {"link-a": None, "link-b": None}
    assert result["after"]["link-a"]["customer_gateway_id"] is None
    assert "Key.one_123" not in repr(result)


def test_connections_missing_gateway_fails_before_any_change(ec2: FakeEc2) -> None:
    _aws_cgw.ensure(None, _gateways(IF0), check_mode=False)
    ec2.log.clear()
    with pytest.raises(AwsError, match=r"connections\[1\] \(link-b\): no customer gateway"):
        _aws_vpn.ensure(None, _connections(CONN_A, CONN_B), check_mode=False)
    assert ec2.mutations() == []


def test_connections_four_run_cycle(ec2: FakeEc2) -> None:
    _with_gateways(ec2)
    params = _connections(CONN_A, CONN_B, wait=True)
    checked = _aws_vpn.ensure(None, params, check_mode=True)
    assert checked["changed"] and ec2.mutations() == []
    assert ec2.log == ["describe_vpn_connections", "describe_customer_gateways"]
    ec2.log.clear()
    applied = _aws_vpn.ensure(None, params, check_mode=False)
    assert applied["changed"]
    # Both creations are started before the first wait (a Describe by id).
    assert ec2.log[:4] == [
        "describe_vpn_connections",
        "describe_customer_gateways",
        "create_vpn_connection",
        "create_vpn_connection",
    ]
    assert all(entry.startswith("describe_vpn_connections:") for entry in ec2.log[4:])
    views = applied["vpn_connections"]
    assert views["link-a"]["state"] == views["link-b"]["state"] == "available"
    assert views["link-b"]["customer_gateway_id"] == ec2.gateways[1]["CustomerGatewayId"]
    assert [t["inside_cidr"] for t in views["link-a"]["tunnels"]] == [
        "169.254.10.0/30",
        "169.254.10.4/30",
    ]
    assert "Key.one_123" not in repr(applied)
    for check_mode in (True, False):
        ec2.log.clear()
        again = _aws_vpn.ensure(None, {**params, "wait": False}, check_mode=check_mode)
        assert not again["changed"] and ec2.mutations() == []
        assert again["before"] == again["after"]
    ec2.log.clear()
    removed = _aws_vpn.ensure(None, {**params, "state": "absent"}, check_mode=False)
    assert removed["changed"]
    assert ec2.mutations()[:2] == ["delete_vpn_connection:vpn-3", "delete_vpn_connection:vpn-4"]
    assert removed["vpn_connections"] == {"link-a": None, "link-b": None}
    assert not _aws_vpn.ensure(None, {**params, "state": "absent"}, check_mode=False)["changed"]


def test_connections_drift_modifies_every_first_tunnel_before_any_wait(ec2: FakeEc2) -> None:
    _with_gateways(ec2)
    _aws_vpn.ensure(None, _connections(CONN_A, CONN_B), check_mode=False)
    for connection in ec2.connections:
        connection["State"] = "available"
    ec2.log.clear()
    new_a = {**CONN_A, "tunnel_options": _tunnels(10, "Key.two_456")}
    new_b = {**CONN_B, "tunnel_options": _tunnels(11, "Key.two_456")}
    result = _aws_vpn.ensure(None, _connections(new_a, new_b), check_mode=False)
    assert result["changed"]
    calls = [e for e in ec2.log if e.startswith(("modify_", "describe_vpn_connections:"))]
    assert calls[:2] == ["modify_vpn_tunnel_options:vpn-3", "modify_vpn_tunnel_options:vpn-4"]
    # The second tunnel of each waits for its connection to be available again.
    assert calls[2:6] == [
        "describe_vpn_connections:vpn-3",
        "modify_vpn_tunnel_options:vpn-3",
        "describe_vpn_connections:vpn-4",
        "modify_vpn_tunnel_options:vpn-4",
    ]
    assert result["after"]["link-a"]["tunnel_options"][0]["pre_shared_key"] == (
        "******** (changed)"
    )
    assert "Key.two_456" not in repr(result)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [CONN_A, {**CONN_B, "tunnel_options": [{"inside_cidr": "169.254.5.0/30"}]}],
            "connections[1].tunnel_options[0].inside_cidr=169.254.5.0/30 is reserved",
        ),
        ([CONN_A, {"name": "link-b"}], "connections[1].customer_gateway_id is required"),
        (
            [CONN_A, {**CONN_B, "customer_gateway_id": "cgw-1"}],
            "connections[1]: give one of customer_gateway_id and customer_gateway_name",
        ),
        ([CONN_A, {**CONN_B, "name": "link-a"}], "connections[1].name=link-a is also"),
    ],
)
def test_connections_bad_entry_is_named(entries: list[dict[str, Any]], message: str) -> None:
    errors = _aws_vpn.validate(_connections(*entries))
    assert any(message in e for e in errors), errors


def test_connections_replacement_refused_before_any_change(ec2: FakeEc2) -> None:
    _with_gateways(ec2)
    _aws_vpn.ensure(None, _connections(CONN_A, CONN_B), check_mode=False)
    ec2.log.clear()
    moved = {**CONN_B, "customer_gateway_name": "link-if0"}
    retagged = {**CONN_A, "tags": {"new": "tag"}}
    with pytest.raises(AwsError, match=r"connections\[1\] \(link-b\): VPN connection vpn-4"):
        _aws_vpn.ensure(None, _connections(retagged, moved), check_mode=False)
    assert ec2.mutations() == []


def _single(name: str, gateway_id: str) -> dict[str, Any]:
    """The single form's params (name, customer_gateway_id, no connections)."""
    return {**_connections(), "connections": None, "name": name, "customer_gateway_id": gateway_id}


def test_single_form_is_one_entry_with_its_own_result(ec2: FakeEc2) -> None:
    """The single form runs as one entry; its result is the one connection, not a dict."""
    _with_gateways(ec2)
    gateway_id = ec2.gateways[0]["CustomerGatewayId"]
    single = _single("solo", gateway_id)
    checked = _aws_vpn.ensure(None, single, check_mode=True)
    assert checked["changed"] and checked["vpn_connection"] is None and ec2.mutations() == []
    result = _aws_vpn.ensure(None, single, check_mode=False)
    assert set(result) == {"changed", "vpn_connection", "before", "after"}
    assert result["changed"] and result["vpn_connection"]["name"] == "solo"
    assert result["before"] == {} and result["after"]["customer_gateway_id"] == gateway_id
    again = _aws_vpn.ensure(None, single, check_mode=False)
    assert not again["changed"] and again["before"] == again["after"]
    removed = _aws_vpn.ensure(None, {**single, "state": "absent"}, check_mode=False)
    assert removed["changed"] and removed["vpn_connection"] is None
    assert removed["before"] == again["before"] and removed["after"] == {}


@pytest.mark.parametrize("listed", [False, True])
def test_ambiguous_name_fails_before_any_change(ec2: FakeEc2, listed: bool) -> None:
    """Only the list form names the entry (connections[i]) in the message."""
    for number in (8, 9):
        ec2.connections.append(
            {
                "VpnConnectionId": f"vpn-{number}",
                "State": "available",
                "Tags": dict_to_tags(_aws.owner_tags("solo")),
            }
        )
    single = _single("solo", "cgw-1")
    params = _connections({"name": "solo", "customer_gateway_id": "cgw-1"}) if listed else single
    with pytest.raises(AwsError) as raised:
        _aws_vpn.ensure(None, params, check_mode=False)
    prefix = "connections[0] (solo): " if listed else ""
    assert raised.value.code == "AmbiguousName"
    assert raised.value.message.startswith(
        f"{prefix}several VPN connections are tagged crosscluster.link/name=solo (vpn-8, vpn-9)"
    )
    assert ec2.mutations() == []


def test_empty_lists_make_no_call(ec2: FakeEc2) -> None:
    assert not _aws_cgw.ensure(None, _gateways(), check_mode=False)["changed"]
    assert not _aws_vpn.ensure(None, _connections(), check_mode=False)["changed"]
    assert ec2.log == []


def test_a_connection_still_modifying_is_waited_for_after_every_creation(ec2: FakeEc2) -> None:
    _with_gateways(ec2)
    _aws_vpn.ensure(None, _connections(CONN_A), check_mode=False)
    ec2.connections[0]["State"] = "modifying"
    ec2.log.clear()
    new_a = {**CONN_A, "tunnel_options": _tunnels(10, "Key.two_456")[:1]}
    _aws_vpn.ensure(None, _connections(new_a, CONN_B), check_mode=False)
    ordered = [
        e for e in ec2.log if e.startswith(("create_", "modify_", "describe_vpn_connections:"))
    ]
    assert ordered[:3] == [
        "create_vpn_connection",
        "describe_vpn_connections:vpn-3",
        "modify_vpn_tunnel_options:vpn-3",
    ]
