# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""VPC peering connections between two VPCs of one account, in one region or two: request,
accept in the accepter's region, tags (in each Region's view), delete.

EC2 API reference: CreateVpcPeeringConnection (VpcId, PeerVpcId, PeerRegion,
TagSpecifications; "The owner of the accepter VPC must accept the peering request to
activate the peering connection"), AcceptVpcPeeringConnection ("For an inter-Region VPC
peering connection request, you must accept the VPC peering connection in the Region of
the accepter VPC"), DescribeVpcPeeringConnections, DeleteVpcPeeringConnection, and
VpcPeeringConnectionStateReason.Code: initiating-request | pending-acceptance | active |
deleted | rejected | failed | expired | provisioning | deleting. A deleted connection is
deleting, then deleted ("When you delete a peering connection, the status is set to Deleting
and then Deleted", VPC Peering Guide, "Delete a VPC peering connection"): with ``wait`` an
absent run returns once it is deleted, as Terraform's aws provider waits for it
(WaitVPCPeeringConnectionDeleted).

Tags are Regional: "Any tags that you create for your VPC peering connection are only applied
in the account or region in which you create them" (VPC Peering Guide, "VPC peering basics",
VPC peering limitations). An inter-Region connection is seen in the requester's Region with the
TagSpecifications of its request and in the accepter's Region without them, so the accepter's
view is tagged there too: the accepter's routes and prune find the connection by those tags."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _wait
from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    AwsError,
    call,
    call_all,
    client_from_params,
    dict_to_tags,
    info_states,
    is_owned,
    owned_by,
    owner_tags,
    reconcile_tags,
    resolved_region,
    tags_to_dict,
)

# Status codes by what they mean here (the prune and the verify checks read them from here).
# A request waits for the accepter while UNACCEPTED (accepted once ACCEPTABLE), is accepted but
# not yet UP while PROVISIONING, and still counts while LIVE: two VPCs have one peering
# connection at a time ("You cannot create more than one VPC peering connection between the
# same two VPCs at the same time", VPC Peering guide, "VPC peering limitations").
ACCEPTABLE = "pending-acceptance"
UNACCEPTED = ("initiating-request", ACCEPTABLE)
PROVISIONING = ("provisioning",)
UP = "active"
LIVE = (*UNACCEPTED, *PROVISIONING, UP)
FAILED = ("rejected", "failed", "expired")
GONE = ("deleting", "deleted")
# what a link once had and no longer has: routes to it may be left (the info modules' include_ended)
ENDED = (*FAILED, *GONE)
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
POLL_INTERVAL, POLL_MAX_INTERVAL = 2.0, 15.0

Sleep = Callable[[float], None]
Clock = Callable[[], float]


def validate(params: dict[str, Any]) -> list[str]:
    errors = []
    for option in ("vpc_id", "peer_vpc_id"):
        value = params.get(option)
        if value is not None and not VPC_ID.match(value):
            errors.append(
                f"{option}={value!r} is not a VPC id: give one like vpc-0a1b2c3d4e5f60718"
            )
    if params["state"] == "present" and not params.get("peer_vpc_id"):
        errors.append("peer_vpc_id is required with state=present: the VPC to peer with")
    region = resolved_region(params)
    same_region = (params.get("peer_region") or region) == region
    if params.get("peer_vpc_id") == params.get("vpc_id") and same_region:
        errors.append(
            f"peer_vpc_id {params['vpc_id']} is vpc_id itself: a VPC is not peered with itself"
        )
    return errors


def _code(pcx: dict[str, Any]) -> str:
    return str((pcx.get("Status") or {}).get("Code") or "")


def describe(pcx: dict[str, Any]) -> dict[str, Any]:
    tags = tags_to_dict(pcx.get("Tags"))
    requester, accepter = pcx.get("RequesterVpcInfo") or {}, pcx.get("AccepterVpcInfo") or {}
    return {
        "vpc_peering_connection_id": pcx["VpcPeeringConnectionId"],
        "status": _code(pcx),
        "status_message": (pcx.get("Status") or {}).get("Message"),
        "vpc_id": requester.get("VpcId"),
        "peer_vpc_id": accepter.get("VpcId"),
        "peer_region": accepter.get("Region"),
        "peer_cidr_blocks": [b["CidrBlock"] for b in accepter.get("CidrBlockSet") or []]
        or [c for c in [accepter.get("CidrBlock")] if c],
        "name": tags.get("Name"),
        "managed": is_owned(tags),
        "tags": tags,
    }


def find(
    client: Any, vpc_id: str, peer_vpc_id: str | None, states: tuple[str, ...] = LIVE
) -> list[dict[str, Any]]:
    """Connections between the two VPCs in ``states`` (the live ones by default), in either
    direction (the filters are applied again here: some EC2 implementations ignore them)."""
    found = call_all(
        client,
        "describe_vpc_peering_connections",
        "VpcPeeringConnections",
        Filters=[{"Name": "status-code", "Values": list(states)}],
    )
    ends = {vpc_id, peer_vpc_id} if peer_vpc_id else None

    def between(pcx: dict[str, Any]) -> bool:
        pair = {
            (pcx.get("RequesterVpcInfo") or {}).get("VpcId"),
            (pcx.get("AccepterVpcInfo") or {}).get("VpcId"),
        }
        return pair == ends if ends else vpc_id in pair

    return [p for p in found if _code(p) in states and between(p)]


def _view(pcx: dict[str, Any] | None) -> dict[str, Any]:
    if pcx is None:
        return {}
    view = describe(pcx)
    return {k: view[k] for k in ("vpc_id", "peer_vpc_id", "peer_region", "status", "tags")}


def _read(client: Any, pcx_id: str) -> dict[str, Any] | None:
    found = call_all(
        client,
        "describe_vpc_peering_connections",
        "VpcPeeringConnections",
        VpcPeeringConnectionIds=[pcx_id],
    )
    return next((p for p in found if p.get("VpcPeeringConnectionId") == pcx_id), None)


def _settle(
    client: Any, pcx_id: str, want: tuple[str, ...], timeout: float, sleep: Sleep
) -> dict[str, Any]:
    """Read the connection (with ``client``, in that client's region) until its status is in
    ``want``; a rejected, failed or expired request stops at once."""
    pcx = _wait.poll(
        lambda: _read(client, pcx_id),
        lambda p: p is not None and (_code(p) in want or _code(p) in FAILED),
        timeout,
        POLL_INTERVAL,
        sleep=sleep,
        max_interval=POLL_MAX_INTERVAL,
    )
    if pcx is None or _code(pcx) not in want:
        status = "not visible" if pcx is None else _code(pcx)
        message = "" if pcx is None else (pcx.get("Status") or {}).get("Message") or ""
        # a final status stops the wait at once: only a timeout is "after" it
        when = "a final status" if status in FAILED else f"after {timeout:.0f}s"
        raise AwsError(
            "VpcPeeringNotReady",
            f"VPC peering connection {pcx_id} is {status} {message}".strip()
            + f", not {' or '.join(want)} ({when})"
            + (": overlapping CIDR blocks fail a request" if status == "failed" else ""),
        )
    return pcx


def _wait_deleted(
    client: Any, pcx_id: str, timeout: float, sleep: Sleep, clock: Clock = time.monotonic
) -> None:
    """Read the connection until it is deleted; one no longer listed counts as deleted (a
    deleted connection stays visible for a while only: VPC peering connection lifecycle)."""
    pcx = _wait.poll(
        lambda: _read(client, pcx_id),
        lambda p: p is None or _code(p) == "deleted",
        timeout,
        POLL_INTERVAL,
        sleep=sleep,
        clock=clock,
        max_interval=POLL_MAX_INTERVAL,
    )
    if pcx is not None and _code(pcx) != "deleted":
        raise AwsError(
            "VpcPeeringNotDeleted",
            f"VPC peering connection {pcx_id} is {_code(pcx)} after {timeout:.0f}s, not "
            "deleted: raise wait_timeout, or use wait: false",
        )


def _accepter_side(
    params: dict[str, Any],
    pcx_id: str,
    pending: bool,
    two_views: bool,
    check_mode: bool,
    timeout: float,
    sleep: Sleep,
) -> tuple[bool, dict[str, str] | None, dict[str, str] | None]:
    """In the accepter's Region: accept a ``pending`` request and, with ``two_views`` (another
    Region), give that Region's view the Name, ownership and user tags of ``params``. Returns
    (changed, the view's tags before, after); the tags are None without ``two_views``."""
    if not (pending or two_views):
        return False, None, None
    peer_region = params.get("peer_region") or resolved_region(params)
    accepter = client_from_params(params, peer_region)
    if check_mode:
        seen = _read(accepter, pcx_id) if two_views else None
    else:
        # An inter-Region request reaches the accepter's Region as pending-acceptance after
        # initiating-request (VpcPeeringConnectionStateReason).
        want = (ACCEPTABLE,) if pending else LIVE
        seen = _settle(accepter, pcx_id, want, timeout, sleep)
        if pending:
            call(accepter, "accept_vpc_peering_connection", VpcPeeringConnectionId=pcx_id)
    if not two_views:
        return pending, None, None
    seen_tags = tags_to_dict((seen or {}).get("Tags"))
    tagged, after = reconcile_tags(accepter, pcx_id, seen_tags, params, check_mode)
    return pending or tagged, seen_tags, after


def ensure(
    client: Any, params: dict[str, Any], check_mode: bool, sleep: Sleep | None = None
) -> dict[str, Any]:
    """Make the peering of ``vpc_id`` with ``peer_vpc_id`` match ``params``: the requester's
    view (``client``'s Region) and, with ``accept`` across Regions, the accepter's view."""
    sleep = sleep or time.sleep
    vpc_id, peer = params["vpc_id"], params.get("peer_vpc_id")
    absent = params["state"] == "absent"
    # state=absent also sees a connection an earlier run left deleting, to wait for it
    matches = find(client, vpc_id, peer, (*LIVE, "deleting") if absent else LIVE)
    # this task's connection: the ownership tags under its Name
    owned = [p for p in matches if owned_by(p, params["name"])]
    live = [p for p in owned if _code(p) in LIVE]
    current = live[0] if live else None
    nothing = {"changed": False, "vpc_peering_connection": None, "before": {}, "after": {}}

    if absent:
        if not check_mode:
            if current is not None:
                # one delete ends the connection, so both Regions' views
                call(
                    client,
                    "delete_vpc_peering_connection",
                    VpcPeeringConnectionId=current["VpcPeeringConnectionId"],
                )
            if params["wait"]:
                timeout = float(params.get("wait_timeout") or 300)
                for pcx in owned:
                    _wait_deleted(client, pcx["VpcPeeringConnectionId"], timeout, sleep)
        if current is None:
            return nothing
        return {**nothing, "changed": True, "before": _view(current)}

    foreign = [p for p in matches if p not in owned]
    if current is None and foreign:
        found = foreign[0]["VpcPeeringConnectionId"]
        raise AwsError(
            "ForeignVpcPeeringConnection",
            f"VPC peering connection {found} already joins {vpc_id} and {peer} and is not "
            f"this task's (Name {params['name']} with the crosscluster.link ownership tags): "
            "two VPCs peer once; remove it, or give this task its Name and tags to adopt it",
        )
    region = resolved_region(params)
    peer_region = params.get("peer_region") or region
    # the accepter's view is another one (with its own tags) only in another Region
    two_views = params["accept"] and peer_region != region
    keep = owner_tags(params["name"])
    tags = {**(params.get("tags") or {}), **keep}
    changed = False
    if current is None:
        changed = True
        if check_mode:
            planned = {"vpc_id": vpc_id, "peer_vpc_id": peer, "peer_region": peer_region}
            after = {**planned, "status": UP if params["accept"] else ACCEPTABLE}
            after["tags"] = tags
            if two_views:
                after["accepter_tags"] = tags
            return {**nothing, "changed": True, "after": after}
        request: dict[str, Any] = {
            "VpcId": vpc_id,
            "PeerVpcId": peer,
            "TagSpecifications": [
                {"ResourceType": "vpc-peering-connection", "Tags": dict_to_tags(tags)}
            ],
        }
        if peer_region != region:
            request["PeerRegion"] = peer_region
        current = call(client, "create_vpc_peering_connection", **request)["VpcPeeringConnection"]
        before: dict[str, Any] = {}
    else:
        before = _view(current)
        tagged, after_tags = reconcile_tags(
            client,
            current["VpcPeeringConnectionId"],
            tags_to_dict(current.get("Tags")),
            params,
            check_mode,
        )
        if tagged:
            changed = True
            current = {**current, "Tags": dict_to_tags(after_tags)}

    pcx_id = current["VpcPeeringConnectionId"]
    timeout = float(params.get("wait_timeout") or 300)
    pending = params["accept"] and _code(current) in UNACCEPTED
    accepted, seen_tags, accepter_tags = _accepter_side(
        params, pcx_id, pending, two_views, check_mode, timeout, sleep
    )
    changed = changed or accepted
    if before and seen_tags is not None:
        before["accepter_tags"] = seen_tags
    if not check_mode and params["wait"] and params["accept"]:
        current = _settle(client, pcx_id, (UP,), timeout, sleep)
    after = _view(current)
    if check_mode and params["accept"]:
        after["status"] = UP
    if accepter_tags is not None:
        after["accepter_tags"] = accepter_tags
    connection = describe(current)
    if peer_region == region:
        accepter_tags = connection["tags"]  # one Region, one view
    return {
        "changed": changed,
        "vpc_peering_connection": {**connection, "accepter_tags": accepter_tags},
        "before": before,
        "after": after,
    }


def info(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The connections of ``vpc_id`` (either end; with ``peer_vpc_id`` only those joining the
    two) whose status is in ``states``, optionally by Name tag and ownership, sorted by ID.
    A deleted connection stays visible for a while (VPC peering guide, "VPC peering
    connection lifecycle": deleted "remains visible ... for 2 hours"), so routes left to it
    can still be found by its ID."""
    states = info_states(params, LIVE, ENDED)
    found = call_all(
        client,
        "describe_vpc_peering_connections",
        "VpcPeeringConnections",
        Filters=[{"Name": "status-code", "Values": list(states)}],
    )
    ends = {params["vpc_id"], params.get("peer_vpc_id")} - {None}
    connections = []
    for pcx in found:
        pair = {
            (pcx.get("RequesterVpcInfo") or {}).get("VpcId"),
            (pcx.get("AccepterVpcInfo") or {}).get("VpcId"),
        }
        view = describe(pcx)
        if (
            _code(pcx) in states
            and ends <= pair
            and (not params.get("name") or view["name"] == params["name"])
            and (not params.get("managed_only") or view["managed"])
        ):
            connections.append(view)
    connections.sort(key=lambda c: c["vpc_peering_connection_id"])
    result: dict[str, Any] = {"changed": False, "vpc_peering_connections": connections}
    if params.get("include_routes"):
        tables = call_all(
            client,
            "describe_route_tables",
            "RouteTables",
            Filters=[{"Name": "vpc-id", "Values": [params["vpc_id"]]}],
        )
        tables = [t for t in tables if t.get("VpcId") == params["vpc_id"]]
        result["route_table_ids"] = sorted(t["RouteTableId"] for t in tables)
        for view in connections:
            view["routes"] = routes_to(tables, view["vpc_peering_connection_id"])
    return result


def routes_to(tables: list[dict[str, Any]], pcx_id: str) -> list[dict[str, Any]]:
    """The routes of the route tables whose target is the connection ``pcx_id`` (EC2 API
    reference, "Route": State ``active`` or ``blackhole`` - a route to a connection that is
    not active, or no longer is)."""
    return sorted(
        (
            {
                "route_table_id": table["RouteTableId"],
                "destination": route.get("DestinationCidrBlock")
                or route.get("DestinationIpv6CidrBlock"),
                "state": route.get("State"),
            }
            for table in tables
            for route in table.get("Routes") or []
            if route.get("VpcPeeringConnectionId") == pcx_id
        ),
        key=lambda r: (r["route_table_id"], str(r["destination"])),
    )
