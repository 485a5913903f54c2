# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""VPC route-table entries to a VGW, a TGW or a VPC peering connection, and VGW route
propagation, touching only given CIDRs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AwsError,
    call,
    call_all,
)

# Route target keys of the EC2 Route structure (EC2 API reference, "Route").
TARGET_KEYS = (
    "GatewayId",
    "TransitGatewayId",
    "NatGatewayId",
    "InstanceId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "EgressOnlyInternetGatewayId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
)


# The module's target options and the CreateRoute parameter of each (EC2 API reference,
# CreateRoute: GatewayId "The ID of an internet gateway or virtual private gateway",
# TransitGatewayId, VpcPeeringConnectionId).
TARGET_OPTIONS = ("vpn_gateway_id", "transit_gateway_id", "vpc_peering_connection_id")
CREATE_ROUTE_KEYS = {
    "vpn_gateway_id": "GatewayId",
    "transit_gateway_id": "TransitGatewayId",
    "vpc_peering_connection_id": "VpcPeeringConnectionId",
}


@dataclass(frozen=True)
class RouteAction:
    action: str  # "create" or "delete"
    route_table_id: str
    cidr: str


@dataclass(frozen=True)
class Conflict:
    route_table_id: str
    cidr: str
    target: str

    def __str__(self) -> str:
        return f"route table {self.route_table_id} already routes {self.cidr} to {self.target}"


def validate(params: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    given = [option for option in TARGET_OPTIONS if params.get(option)]
    if len(given) != 1:
        errors.append(
            f"give exactly one of {', '.join(TARGET_OPTIONS)} "
            f"({' and '.join(given) if given else 'neither'} given)"
        )
    if params.get("propagation") is not None and given and given != ["vpn_gateway_id"]:
        errors.append(
            f"propagation works only with vpn_gateway_id: a {given[0]} target does not "
            "propagate into VPC route tables, give cidrs for static routes instead"
        )
    for cidr in params.get("cidrs") or []:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            errors.append(
                f"cidrs has {cidr!r}, which is not a network CIDR: use the network address, "
                "e.g. 10.20.0.0/16"
            )
    if not params.get("cidrs") and params.get("propagation") is None:
        errors.append("give cidrs, propagation, or both: there is nothing to manage")
    return errors


def _destination(route: dict[str, Any]) -> str | None:
    return route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")


def _target(route: dict[str, Any]) -> str:
    for key in TARGET_KEYS:
        if route.get(key):
            return str(route[key])
    return "unknown target"


def _normal(cidr: str) -> str:
    return str(ipaddress.ip_network(cidr, strict=False))


def static_routes(table: dict[str, Any]) -> dict[str, str]:
    """CIDR -> target of the table's routes that are not propagated."""
    return {
        _normal(dest): _target(route)
        for route in table.get("Routes", [])
        if (dest := _destination(route)) and route.get("Origin") != "EnableVgwRoutePropagation"
    }


def plan_routes(
    tables: list[dict[str, Any]], cidrs: list[str], gateway_id: str, present: bool
) -> tuple[list[RouteAction], list[Conflict]]:
    """Creates/deletes for ``cidrs`` pointing at ``gateway_id``; conflicts are never touched.

    present: a CIDR routed to another target is a conflict; absent: only routes to
    ``gateway_id`` are deleted, routes to anything else are left alone.
    """
    actions: list[RouteAction] = []
    conflicts: list[Conflict] = []
    for table in tables:
        routes = static_routes(table)
        for cidr in (_normal(c) for c in cidrs):
            target = routes.get(cidr)
            if present and target is None:
                actions.append(RouteAction("create", table["RouteTableId"], cidr))
            elif present and target != gateway_id:
                conflicts.append(Conflict(table["RouteTableId"], cidr, target))
            elif not present and target == gateway_id:
                actions.append(RouteAction("delete", table["RouteTableId"], cidr))
    return actions, conflicts


def propagating(table: dict[str, Any], vgw_id: str) -> bool:
    return any(p.get("GatewayId") == vgw_id for p in table.get("PropagatingVgws", []))


def plan_propagation(
    tables: list[dict[str, Any]], vgw_id: str, wanted: bool | None
) -> list[tuple[str, bool]]:
    """(route table, enable) for each table whose propagation from ``vgw_id`` must change."""
    if wanted is None:
        return []
    return [(t["RouteTableId"], wanted) for t in tables if propagating(t, vgw_id) != wanted]


def view(tables: list[dict[str, Any]], cidrs: list[str], vgw_id: str | None) -> dict[str, Any]:
    """Per table: the touched CIDRs' targets (and propagation from the VGW)."""
    wanted = {_normal(c) for c in cidrs}
    result: dict[str, Any] = {}
    for table in tables:
        routes = static_routes(table)
        entry: dict[str, Any] = {"routes": {c: t for c, t in routes.items() if c in wanted}}
        if vgw_id:
            entry["propagation"] = propagating(table, vgw_id)
        result[table["RouteTableId"]] = entry
    return result


def list_tables(
    client: Any, vpc_id: str, route_table_ids: list[str] | None
) -> list[dict[str, Any]]:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    if route_table_ids:
        filters.append({"Name": "route-table-id", "Values": list(route_table_ids)})
    tables = call_all(client, "describe_route_tables", "RouteTables", Filters=filters)
    missing = sorted(set(route_table_ids or []) - {t["RouteTableId"] for t in tables})
    if missing:
        raise AwsError(
            "InvalidRouteTableID.NotFound",
            f"route_table_ids {', '.join(missing)} not found in VPC {vpc_id}: "
            "give route tables of that VPC, or omit route_table_ids for all of them",
        )
    return sorted(tables, key=lambda t: t["RouteTableId"])


def _route_key(cidr: str) -> str:
    return (
        "DestinationIpv6CidrBlock"
        if ipaddress.ip_network(cidr).version == 6
        else "DestinationCidrBlock"
    )


def ensure(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    vgw = params.get("vpn_gateway_id")
    option = next(o for o in TARGET_OPTIONS if params.get(o))
    gateway = params[option]
    cidrs = params.get("cidrs") or []
    present = params["state"] == "present"
    tables = list_tables(client, params["vpc_id"], params.get("route_table_ids"))
    actions, conflicts = plan_routes(tables, cidrs, gateway, present)
    if conflicts:
        raise AwsError(
            "RouteConflict",
            "; ".join(str(c) for c in conflicts)
            + f". Not overwritten: remove those routes or leave their CIDRs out of cidrs "
            f"(wanted target {gateway}).",
        )
    # absent with propagation: true turns off the propagation this module turned on.
    wanted_propagation = params.get("propagation")
    if not present and wanted_propagation:
        wanted_propagation = False
    elif not present:
        wanted_propagation = None
    propagation = plan_propagation(tables, vgw, wanted_propagation) if vgw else []

    before = view(tables, cidrs, vgw)
    after = {k: {**v, "routes": dict(v["routes"])} for k, v in before.items()}
    for action in actions:
        if action.action == "create":
            after[action.route_table_id]["routes"][action.cidr] = gateway
        else:
            del after[action.route_table_id]["routes"][action.cidr]
    for table_id, enable in propagation:
        after[table_id]["propagation"] = enable

    if not check_mode:
        target_key = CREATE_ROUTE_KEYS[option]
        for action in actions:
            route = {
                "RouteTableId": action.route_table_id,
                _route_key(action.cidr): action.cidr,
            }
            if action.action == "create":
                call(client, "create_route", **route, **{target_key: gateway})
            else:
                call(client, "delete_route", **route)
        for table_id, enable in propagation:
            operation = (
                "enable_vgw_route_propagation" if enable else "disable_vgw_route_propagation"
            )
            call(client, operation, GatewayId=vgw, RouteTableId=table_id)

    return {
        "changed": bool(actions or propagation),
        "route_tables": [
            {"route_table_id": table_id, **entry} for table_id, entry in after.items()
        ],
        "before": before,
        "after": after,
    }
