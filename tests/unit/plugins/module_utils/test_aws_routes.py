"""_aws_routes: route planning, conflicts, propagation and validation (no network)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws_routes
from ansible_collections.crosscluster.link.plugins.module_utils._aws import AwsError
from ansible_collections.crosscluster.link.plugins.module_utils._aws_routes import (
    Conflict,
    RouteAction,
)


def _table(table_id: str, routes: list[dict[str, Any]], vgws: list[str] = ()) -> dict[str, Any]:
    return {
        "RouteTableId": table_id,
        "Routes": [
            {
                "DestinationCidrBlock": "10.0.0.0/16",
                "GatewayId": "local",
                "Origin": "CreateRouteTable",
            },
            *routes,
        ],
        "PropagatingVgws": [{"GatewayId": v} for v in vgws],
    }


FOREIGN = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "Origin": "CreateRoute"}
OURS = {"DestinationCidrBlock": "10.64.0.0/14", "GatewayId": "vgw-1", "Origin": "CreateRoute"}
OTHER = {"DestinationCidrBlock": "10.64.0.0/14", "NatGatewayId": "nat-1", "Origin": "CreateRoute"}
PROPAGATED = {
    "DestinationCidrBlock": "10.68.0.0/20",
    "GatewayId": "vgw-9",
    "Origin": "EnableVgwRoutePropagation",
}


def test_plan_creates_missing_routes_only() -> None:
    tables = [_table("rtb-1", [FOREIGN, OURS]), _table("rtb-2", [FOREIGN])]
    actions, conflicts = _aws_routes.plan_routes(
        tables, ["10.64.0.0/14", "10.68.0.0/20"], "vgw-1", present=True
    )
    assert conflicts == []
    assert actions == [
        RouteAction("create", "rtb-1", "10.68.0.0/20"),
        RouteAction("create", "rtb-2", "10.64.0.0/14"),
        RouteAction("create", "rtb-2", "10.68.0.0/20"),
    ]


@pytest.mark.parametrize(
    ("route", "target"),
    [(OTHER, "nat-1"), (FOREIGN, "igw-1"), ({**OURS, "GatewayId": "vgw-2"}, "vgw-2")],
)
def test_plan_reports_conflict_and_never_overwrites(route: dict[str, Any], target: str) -> None:
    cidr = route["DestinationCidrBlock"]
    actions, conflicts = _aws_routes.plan_routes(
        [_table("rtb-1", [route])], [cidr], "vgw-1", present=True
    )
    assert actions == []
    assert conflicts == [Conflict("rtb-1", cidr, target)]
    assert str(conflicts[0]) == f"route table rtb-1 already routes {cidr} to {target}"


def test_local_route_is_a_conflict() -> None:
    _unused, conflicts = _aws_routes.plan_routes(
        [_table("rtb-1", [])], ["10.0.0.0/16"], "vgw-1", present=True
    )
    assert conflicts == [Conflict("rtb-1", "10.0.0.0/16", "local")]


def test_propagated_route_is_not_a_conflict() -> None:
    actions, conflicts = _aws_routes.plan_routes(
        [_table("rtb-1", [PROPAGATED])], ["10.68.0.0/20"], "vgw-1", present=True
    )
    assert conflicts == []
    assert actions == [RouteAction("create", "rtb-1", "10.68.0.0/20")]


def test_absent_deletes_only_routes_to_our_gateway() -> None:
    tables = [_table("rtb-1", [FOREIGN, OURS]), _table("rtb-2", [OTHER])]
    actions, conflicts = _aws_routes.plan_routes(
        tables, ["10.64.0.0/14", "0.0.0.0/0"], "vgw-1", present=False
    )
    assert conflicts == []
    assert actions == [RouteAction("delete", "rtb-1", "10.64.0.0/14")]


@pytest.mark.parametrize(
    ("vgws", "wanted", "plan"),
    [
        ([], True, [("rtb-1", True)]),
        (["vgw-1"], True, []),
        (["vgw-1"], False, [("rtb-1", False)]),
        (["vgw-2"], False, []),
        ([], None, []),
    ],
)
def test_plan_propagation(vgws: list[str], wanted: bool | None, plan: list) -> None:
    assert _aws_routes.plan_propagation([_table("rtb-1", [], vgws)], "vgw-1", wanted) == plan


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"vpn_gateway_id": "vgw-1", "transit_gateway_id": "tgw-1"},
            "(vpn_gateway_id and transit_gateway_id given)",
        ),
        (
            {"vpc_peering_connection_id": "pcx-1", "propagation": False},
            "propagation works only with vpn_gateway_id: a vpc_peering_connection_id target",
        ),
        ({"cidrs": ["10.0.0.0/8"]}, "(neither given)"),
        (
            {"transit_gateway_id": "tgw-1", "propagation": True},
            "propagation works only with vpn_gateway_id",
        ),
        ({"vpn_gateway_id": "vgw-1", "cidrs": ["10.0.0.1/8"]}, "not a network CIDR"),
        ({"vpn_gateway_id": "vgw-1", "cidrs": ["nonsense"]}, "not a network CIDR"),
        ({"vpn_gateway_id": "vgw-1"}, "give cidrs, propagation, or both"),
    ],
)
def test_validate(params: dict[str, Any], message: str) -> None:
    assert any(message in e for e in _aws_routes.validate(params))


def test_ensure_conflict_fails_before_any_mutation() -> None:
    params = {
        "vpc_id": "vpc-1",
        "vpn_gateway_id": "vgw-1",
        "transit_gateway_id": None,
        "cidrs": ["10.64.0.0/14", "10.68.0.0/20"],
        "route_table_ids": None,
        "propagation": None,
        "state": "present",
    }
    tables = [_table("rtb-1", [OTHER]), _table("rtb-2", [])]
    with (
        mock.patch.object(_aws_routes, "list_tables", return_value=tables),
        mock.patch.object(_aws_routes, "call") as call,
        pytest.raises(AwsError) as raised,
    ):
        _aws_routes.ensure(mock.Mock(), params, check_mode=False)
    call.assert_not_called()
    assert "route table rtb-1 already routes 10.64.0.0/14 to nat-1" in raised.value.message


def test_ensure_applies_creates_and_propagation() -> None:
    params = {
        "vpc_id": "vpc-1",
        "vpn_gateway_id": "vgw-1",
        "transit_gateway_id": None,
        "cidrs": ["10.64.0.0/14"],
        "route_table_ids": None,
        "propagation": True,
        "state": "present",
    }
    with (
        mock.patch.object(_aws_routes, "list_tables", return_value=[_table("rtb-1", [FOREIGN])]),
        mock.patch.object(_aws_routes, "call") as call,
    ):
        result = _aws_routes.ensure(mock.Mock(), params, check_mode=False)
    assert result["changed"]
    assert [c.args[1:] for c in call.call_args_list] == [
        ("create_route",),
        ("enable_vgw_route_propagation",),
    ]
    assert call.call_args_list[0].kwargs == {
        "RouteTableId": "rtb-1",
        "DestinationCidrBlock": "10.64.0.0/14",
        "GatewayId": "vgw-1",
    }
    assert result["before"]["rtb-1"] == {"routes": {}, "propagation": False}
    assert result["after"]["rtb-1"] == {"routes": {"10.64.0.0/14": "vgw-1"}, "propagation": True}
