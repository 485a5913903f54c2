# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""Transit Gateway peering attachments between two TGWs of one account (one Region or two),
their tags in each Region's view, and the static routes of a TGW route table to one of them.

EC2 API reference: CreateTransitGatewayPeeringAttachment (TransitGatewayId,
PeerTransitGatewayId, PeerAccountId, PeerRegion, TagSpecifications of resource type
transit-gateway-attachment), AcceptTransitGatewayPeeringAttachment ("The transit gateway
peering attachment must be in the pendingAcceptance state", accepted in the accepter's
Region), DeleteTransitGatewayPeeringAttachment, DescribeTransitGatewayPeeringAttachments
(TransitGatewayAttachment State: initiatingRequest | pendingAcceptance | rollingBack |
pending | available | modifying | deleting | deleted | failed | rejected | rejecting |
failing), CreateTransitGatewayRoute / DeleteTransitGatewayRoute / SearchTransitGatewayRoutes
(TransitGatewayRoute: Type static | propagated, State active | blackhole,
TransitGatewayAttachments), AssociateTransitGatewayRouteTable. Transit Gateway guide, "Add a
route to a transit gateway route table": both owners add a static route to the peering
attachment, and the attachment is associated with the route table. A deleted attachment is
deleting, then deleted (State): with ``wait`` an absent run returns once it is deleted, as
Terraform's aws provider waits for it (waitTransitGatewayPeeringAttachmentDeleted); until then,
for example, its Transit Gateway still has an attachment.

Tags are Regional. The VPC Peering Guide says it of peering connections ("Any tags that you
create for your VPC peering connection are only applied in the account or region in which you
create them", VPC peering limitations); an inter-Region peering attachment likewise has one id
and a view in each Region (it is accepted "from the Region that the accepter transit gateway is
located in", Transit Gateway guide), and the request's TagSpecifications tag the requester's
view. So the accepter's view is tagged in the accepter's Region too, and kept so on every run:
the accepter's routes, verify_link and prune find the attachment there by name and ownership.

A TGW route has no tags: a route is this collection's only when it is static and its target
is a peering attachment carrying the collection's ownership tags (the one the module is
given). Any other route for a requested CIDR is a conflict, never replaced or deleted."""

from __future__ import annotations

import ipaddress
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

# States by what they mean here (the prune and the verify checks read them from here). A
# request waits for the accepter while UNACCEPTED (accepted once ACCEPTABLE), is accepted but
# not (or, modifying, no longer) UP while PROVISIONING, and counts while LIVE: two TGWs are
# peered once by this collection.
ACCEPTABLE = "pendingAcceptance"
UNACCEPTED = ("initiatingRequest", ACCEPTABLE)
PROVISIONING = ("pending", "modifying")
UP = "available"
# in the order of the lifecycle, as aws_tgw_peering_info documents its default states
LIVE = (*UNACCEPTED, "pending", UP, "modifying")
FAILED = ("failed", "failing", "rejected", "rejecting", "rollingBack")
GONE = ("deleting", "deleted")
# what a link once had and no longer has: routes to it may be left (the info modules' include_ended)
ENDED = (*FAILED, *GONE)
TGW_ID = re.compile(r"^tgw-[0-9a-f]{8}([0-9a-f]{9})?$")
ATTACHMENT_ID = re.compile(r"^tgw-attach-[0-9a-f]{8}([0-9a-f]{9})?$")
ROUTE_TABLE_ID = re.compile(r"^tgw-rtb-[0-9a-f]{8}([0-9a-f]{9})?$")
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
POLL_INTERVAL, POLL_MAX_INTERVAL = 2.0, 15.0

Sleep = Callable[[float], None]
Clock = Callable[[], float]


# ---------------------------------------------------------------------------- validation


def _id_errors(params: dict[str, Any], checks: dict[str, tuple[re.Pattern[str], str]]) -> list[str]:
    errors = []
    for option, (pattern, example) in checks.items():
        value = params.get(option)
        if value is not None and not pattern.match(str(value)):
            errors.append(f"{option}={value!r} is not a valid id: give one like {example}")
    return errors


def validate(params: dict[str, Any]) -> list[str]:
    errors = _id_errors(
        params,
        {
            "transit_gateway_id": (TGW_ID, "tgw-0a1b2c3d4e5f60718"),
            "peer_transit_gateway_id": (TGW_ID, "tgw-0f1e2d3c4b5a69788"),
            "peer_account_id": (ACCOUNT_ID, "123456789012 (12 digits)"),
        },
    )
    if params["state"] == "present" and not params.get("peer_transit_gateway_id"):
        errors.append(
            "peer_transit_gateway_id is required with state=present: the Transit Gateway to "
            "peer with"
        )
    region = resolved_region(params)
    same_region = (params.get("peer_region") or region) == region
    if params.get("peer_transit_gateway_id") == params.get("transit_gateway_id") and same_region:
        errors.append(
            f"peer_transit_gateway_id {params['transit_gateway_id']} is transit_gateway_id "
            "itself: a Transit Gateway is not peered with itself"
        )
    return errors


def validate_info(params: dict[str, Any]) -> list[str]:
    return _id_errors(
        params,
        {
            "transit_gateway_id": (TGW_ID, "tgw-0a1b2c3d4e5f60718"),
            "peer_transit_gateway_id": (TGW_ID, "tgw-0f1e2d3c4b5a69788"),
            "route_table_id": (ROUTE_TABLE_ID, "tgw-rtb-0a1b2c3d4e5f60718"),
        },
    )


def validate_routes(params: dict[str, Any]) -> list[str]:
    errors = _id_errors(
        params,
        {
            "transit_gateway_id": (TGW_ID, "tgw-0a1b2c3d4e5f60718"),
            "transit_gateway_attachment_id": (ATTACHMENT_ID, "tgw-attach-0a1b2c3d4e5f60718"),
            "route_table_id": (ROUTE_TABLE_ID, "tgw-rtb-0a1b2c3d4e5f60718"),
        },
    )
    for cidr in params.get("cidrs") or []:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            errors.append(f"cidrs: {cidr!r} is not a CIDR block without host bits (10.50.0.0/16)")
    return errors


# ---------------------------------------------------------------------------- attachments


def _tgws(attachment: dict[str, Any]) -> tuple[str | None, str | None]:
    return (
        (attachment.get("RequesterTgwInfo") or {}).get("TransitGatewayId"),
        (attachment.get("AccepterTgwInfo") or {}).get("TransitGatewayId"),
    )


def describe(attachment: dict[str, Any]) -> dict[str, Any]:
    tags = tags_to_dict(attachment.get("Tags"))
    requester = attachment.get("RequesterTgwInfo") or {}
    accepter = attachment.get("AccepterTgwInfo") or {}
    return {
        "transit_gateway_attachment_id": attachment["TransitGatewayAttachmentId"],
        "state": attachment.get("State"),
        "status_message": (attachment.get("Status") or {}).get("Message"),
        "transit_gateway_id": requester.get("TransitGatewayId"),
        "region": requester.get("Region"),
        "peer_transit_gateway_id": accepter.get("TransitGatewayId"),
        "peer_region": accepter.get("Region"),
        "peer_account_id": accepter.get("OwnerId"),
        "name": tags.get("Name"),
        "managed": is_owned(tags),
        "tags": tags,
    }


def _list(client: Any, states: tuple[str, ...], tgw: str) -> list[dict[str, Any]]:
    """The peering attachments of ``tgw`` (either end) in ``states``; the state filter is
    applied again here, and the TGW matched here at either end (which end the API's
    transit-gateway-id filter means is not documented)."""
    found = call_all(
        client,
        "describe_transit_gateway_peering_attachments",
        "TransitGatewayPeeringAttachments",
        Filters=[{"Name": "state", "Values": list(states)}],
    )
    return [a for a in found if a.get("State") in states and tgw in _tgws(a)]


def _view(attachment: dict[str, Any] | None) -> dict[str, Any]:
    if attachment is None:
        return {}
    view = describe(attachment)
    keys = ("transit_gateway_id", "peer_transit_gateway_id", "peer_region", "state", "tags")
    return {k: view[k] for k in keys}


def _read(client: Any, attachment_id: str) -> dict[str, Any] | None:
    found = call_all(
        client,
        "describe_transit_gateway_peering_attachments",
        "TransitGatewayPeeringAttachments",
        TransitGatewayAttachmentIds=[attachment_id],
    )
    return next((a for a in found if a["TransitGatewayAttachmentId"] == attachment_id), None)


def _settle(
    client: Any, attachment_id: str, want: tuple[str, ...], timeout: float, sleep: Sleep
) -> dict[str, Any]:
    """Read the attachment (in ``client``'s Region) until its state is in ``want``; a failed
    or rejected one stops at once."""
    found = _wait.poll(
        lambda: _read(client, attachment_id),
        lambda a: a is not None and (a.get("State") in want or a.get("State") in FAILED),
        timeout,
        POLL_INTERVAL,
        sleep=sleep,
        max_interval=POLL_MAX_INTERVAL,
    )
    if found is None or found.get("State") not in want:
        state = "not visible" if found is None else found.get("State")
        raise AwsError(
            "TransitGatewayPeeringNotReady",
            f"Transit Gateway peering attachment {attachment_id} is {state}, not "
            f"{' or '.join(want)}, after {timeout:.0f}s",
        )
    return found


def _wait_deleted(
    client: Any, attachment_id: str, timeout: float, sleep: Sleep, clock: Clock = time.monotonic
) -> None:
    """Read the attachment until it is deleted; one no longer listed counts as deleted."""
    found = _wait.poll(
        lambda: _read(client, attachment_id),
        lambda a: a is None or a.get("State") == "deleted",
        timeout,
        POLL_INTERVAL,
        sleep=sleep,
        clock=clock,
        max_interval=POLL_MAX_INTERVAL,
    )
    if found is not None and found.get("State") != "deleted":
        raise AwsError(
            "TransitGatewayPeeringNotDeleted",
            f"Transit Gateway peering attachment {attachment_id} is {found.get('State')} after "
            f"{timeout:.0f}s, not deleted: raise wait_timeout, or use wait: false",
        )


def _own_account(client: Any, tgw: str) -> str:
    """The account that owns ``tgw`` (one account peers its own TGWs)."""
    found = call(client, "describe_transit_gateways", TransitGatewayIds=[tgw])
    gateways = found.get("TransitGateways") or []
    if not gateways:
        raise AwsError("InvalidTransitGatewayID.NotFound", f"Transit Gateway {tgw} does not exist")
    return str(gateways[0]["OwnerId"])


def _accepter_side(
    params: dict[str, Any],
    attachment_id: str,
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
        seen = _read(accepter, attachment_id) if two_views else None
    else:
        # The request reaches the accepter's Region as pendingAcceptance after
        # initiatingRequest; it is accepted there.
        want = (ACCEPTABLE,) if pending else LIVE
        seen = _settle(accepter, attachment_id, want, timeout, sleep)
        if pending:
            call(
                accepter,
                "accept_transit_gateway_peering_attachment",
                TransitGatewayAttachmentId=attachment_id,
            )
    if not two_views:
        return pending, None, None
    seen_tags = tags_to_dict((seen or {}).get("Tags"))
    tagged, after = reconcile_tags(accepter, attachment_id, seen_tags, params, check_mode)
    return pending or tagged, seen_tags, after


def ensure(
    client: Any, params: dict[str, Any], check_mode: bool, sleep: Sleep | None = None
) -> dict[str, Any]:
    """Make the peering attachment of ``transit_gateway_id`` with ``peer_transit_gateway_id``
    match ``params``: the requester's view (``client``'s Region) and, with ``accept`` across
    Regions, the accepter's view."""
    sleep = sleep or time.sleep
    tgw, peer = params["transit_gateway_id"], params.get("peer_transit_gateway_id")
    absent = params["state"] == "absent"
    # state=absent also sees an attachment an earlier run left deleting, to wait for it
    states = (*LIVE, "deleting") if absent else LIVE
    between = [
        a for a in _list(client, states, tgw) if peer is None or set(_tgws(a)) == {tgw, peer}
    ]
    owned = [a for a in between if owned_by(a, params["name"])]
    live = [a for a in owned if a.get("State") in LIVE]
    current = live[0] if live else None
    nothing = {
        "changed": False,
        "transit_gateway_peering_attachment": None,
        "before": {},
        "after": {},
    }

    if absent:
        if not check_mode:
            if current is not None:
                # one delete ends the attachment, so both Regions' views
                call(
                    client,
                    "delete_transit_gateway_peering_attachment",
                    TransitGatewayAttachmentId=current["TransitGatewayAttachmentId"],
                )
            if params["wait"]:
                timeout = float(params.get("wait_timeout") or 600)
                for attachment in owned:
                    attachment_id = attachment["TransitGatewayAttachmentId"]
                    _wait_deleted(client, attachment_id, timeout, sleep)
        if current is None:
            return nothing
        return {**nothing, "changed": True, "before": _view(current)}

    region = resolved_region(params)
    peer_region = params.get("peer_region") or region
    # the accepter's view is another one (with its own tags) only in another Region
    two_views = params["accept"] and peer_region != region
    keep = owner_tags(params["name"])
    tags = {**(params.get("tags") or {}), **keep}
    changed = False
    if current is None:
        if between:
            found = between[0]["TransitGatewayAttachmentId"]
            raise AwsError(
                "ForeignTransitGatewayPeering",
                f"Transit Gateway peering attachment {found} already joins {tgw} and {peer} "
                f"and is not this task's (Name {params['name']} with the crosscluster.link "
                "ownership tags); remove it, or give it this task's Name and tags to adopt it",
            )
        changed = True
        if check_mode:
            after = {"transit_gateway_id": tgw, "peer_transit_gateway_id": peer}
            after.update(peer_region=peer_region, tags=tags)
            after["state"] = UP if params["accept"] else ACCEPTABLE
            if two_views:
                after["accepter_tags"] = tags
            return {**nothing, "changed": True, "after": after}
        account = params.get("peer_account_id") or _own_account(client, tgw)
        current = call(
            client,
            "create_transit_gateway_peering_attachment",
            TransitGatewayId=tgw,
            PeerTransitGatewayId=peer,
            PeerAccountId=account,
            PeerRegion=peer_region,
            TagSpecifications=[
                {"ResourceType": "transit-gateway-attachment", "Tags": dict_to_tags(tags)}
            ],
            retry_codes=("InvalidTransitGatewayID.NotFound",),
        )["TransitGatewayPeeringAttachment"]
        before: dict[str, Any] = {}
    else:
        before = _view(current)
        tagged, after_tags = reconcile_tags(
            client,
            current["TransitGatewayAttachmentId"],
            tags_to_dict(current.get("Tags")),
            params,
            check_mode,
        )
        if tagged:
            changed = True
            current = {**current, "Tags": dict_to_tags(after_tags)}

    attachment_id = current["TransitGatewayAttachmentId"]
    timeout = float(params.get("wait_timeout") or 600)
    pending = params["accept"] and current.get("State") in UNACCEPTED
    accepted, seen_tags, accepter_tags = _accepter_side(
        params, attachment_id, pending, two_views, check_mode, timeout, sleep
    )
    changed = changed or accepted
    if before and seen_tags is not None:
        before["accepter_tags"] = seen_tags
    if not check_mode and params["wait"] and params["accept"]:
        current = _settle(client, attachment_id, (UP,), timeout, sleep)
    after = _view(current)
    if check_mode and params["accept"]:
        after["state"] = UP
    if accepter_tags is not None:
        after["accepter_tags"] = accepter_tags
    attachment = describe(current)
    if peer_region == region:
        accepter_tags = attachment["tags"]  # one Region, one view
    return {
        "changed": changed,
        "transit_gateway_peering_attachment": {**attachment, "accepter_tags": accepter_tags},
        "before": before,
        "after": after,
    }


def info(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The peering attachments of ``transit_gateway_id`` (either end; with
    ``peer_transit_gateway_id`` only those joining the two) in ``states``, optionally by Name
    and ownership, sorted by id; with ``include_routes`` each one's routes in the TGW's route
    table (``route_table_id``, else the TGW's association default route table)."""
    tgw, peer = params["transit_gateway_id"], params.get("peer_transit_gateway_id")
    states = info_states(params, LIVE, ENDED)
    attachments = []
    for attachment in _list(client, states, tgw):
        view = describe(attachment)
        if (
            (peer is None or set(_tgws(attachment)) == {tgw, peer})
            and (not params.get("name") or view["name"] == params["name"])
            and (not params.get("managed_only") or view["managed"])
        ):
            attachments.append(view)
    attachments.sort(key=lambda a: a["transit_gateway_attachment_id"])
    result: dict[str, Any] = {"changed": False, "transit_gateway_peering_attachments": attachments}
    if params.get("include_routes"):
        table = params.get("route_table_id") or default_route_table(client, tgw)
        result["route_table_id"] = table
        for view in attachments:
            view["routes"] = [
                _route_view(r)
                for r in routes_to(client, table, view["transit_gateway_attachment_id"])
            ]
    return result


# ---------------------------------------------------------------------------- routes


def default_route_table(client: Any, tgw: str) -> str:
    """The TGW's association default route table (Options.AssociationDefaultRouteTableId):
    the table its VPC attachments are associated with, where their traffic is routed."""
    found = call(client, "describe_transit_gateways", TransitGatewayIds=[tgw])
    gateways = found.get("TransitGateways") or []
    table = (
        (gateways[0].get("Options") or {}).get("AssociationDefaultRouteTableId")
        if gateways
        else None
    )
    if not table:
        raise AwsError(
            "NoDefaultRouteTable",
            f"Transit Gateway {tgw} has no association default route table "
            "(DefaultRouteTableAssociation disabled): give route_table_id",
        )
    return str(table)


def _targets(route: dict[str, Any]) -> list[str]:
    return [
        a.get("TransitGatewayAttachmentId") for a in route.get("TransitGatewayAttachments") or []
    ]


def _search(client: Any, table: str, cidrs: list[str] | None = None) -> list[dict[str, Any]]:
    """The static routes of the table (for ``cidrs``, when given)."""
    filters = [{"Name": "type", "Values": ["static"]}]
    if cidrs:
        filters.append({"Name": "route-search.exact-match", "Values": list(cidrs)})
    found = call(
        client, "search_transit_gateway_routes", TransitGatewayRouteTableId=table, Filters=filters
    )
    routes = [r for r in found.get("Routes") or [] if r.get("Type") == "static"]
    return [r for r in routes if not cidrs or _destination(r) in cidrs]


def _destination(route: dict[str, Any]) -> str:
    return str(ipaddress.ip_network(route.get("DestinationCidrBlock") or "0.0.0.0/0"))


def routes_to(client: Any, table: str, attachment_id: str) -> list[dict[str, Any]]:
    return sorted(
        (r for r in _search(client, table) if attachment_id in _targets(r)),
        key=_destination,
    )


def _route_view(route: dict[str, Any]) -> dict[str, Any]:
    return {
        "destination": _destination(route),
        "state": route.get("State"),
        "transit_gateway_attachment_ids": _targets(route),
    }


def _owned_attachment(client: Any, attachment_id: str) -> dict[str, Any]:
    """The peering attachment, which must carry the collection's ownership tags (in any
    state: on removal it may be deleted already, its routes left as blackholes)."""
    attachment = _read(client, attachment_id)
    if attachment is None:
        raise AwsError(
            "InvalidTransitGatewayAttachmentID.NotFound",
            f"transit_gateway_attachment_id {attachment_id} is not a Transit Gateway peering "
            "attachment of this Region",
        )
    if not is_owned(tags_to_dict(attachment.get("Tags"))):
        raise AwsError(
            "ForeignTransitGatewayAttachment",
            f"transit_gateway_attachment_id {attachment_id} was not created by this collection "
            "(no crosscluster.link/managed=true tag): its routes are not this module's to manage",
        )
    return attachment


def _association(client: Any, attachment_id: str) -> dict[str, Any]:
    found = call_all(
        client,
        "describe_transit_gateway_attachments",
        "TransitGatewayAttachments",
        TransitGatewayAttachmentIds=[attachment_id],
    )
    return next((a.get("Association") or {} for a in found), {})


def ensure_routes(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Static routes of ``cidrs`` in the TGW route table to our peering attachment; with
    state absent only the routes of ``cidrs`` whose target is that attachment go."""
    attachment_id = params["transit_gateway_attachment_id"]
    attachment = _owned_attachment(client, attachment_id)
    tgw = params["transit_gateway_id"]
    if tgw not in _tgws(attachment):
        raise AwsError(
            "AttachmentOfAnotherTransitGateway",
            f"transit_gateway_attachment_id {attachment_id} peers "
            f"{' and '.join(map(str, _tgws(attachment)))}, not transit_gateway_id {tgw}",
        )
    table = params.get("route_table_id") or default_route_table(client, tgw)
    cidrs = [str(ipaddress.ip_network(c)) for c in dict.fromkeys(params.get("cidrs") or [])]
    existing = {_destination(r): r for r in _search(client, table, cidrs)} if cidrs else {}
    ours = {d for d, r in existing.items() if attachment_id in _targets(r)}
    before = sorted(ours)
    present = params["state"] == "present"
    if present:
        conflicts = [
            f"{d} already goes to {', '.join(map(str, _targets(r))) or 'a blackhole'}"
            for d, r in sorted(existing.items())
            if d not in ours
        ]
        if conflicts:
            raise AwsError(
                "RouteConflict",
                f"route table {table}: {'; '.join(conflicts)} - a route this collection did "
                "not create is never replaced; remove it or leave the range out",
            )
        create, delete = [c for c in cidrs if c not in ours], []
    else:
        create, delete = [], sorted(ours)
    associate = (
        present
        and params.get("associate", True)
        and attachment.get("State") in LIVE
        and not _association(client, attachment_id).get("TransitGatewayRouteTableId")
    )
    if not check_mode:
        if associate:
            call(
                client,
                "associate_transit_gateway_route_table",
                TransitGatewayRouteTableId=table,
                TransitGatewayAttachmentId=attachment_id,
            )
        for cidr in create:
            call(
                client,
                "create_transit_gateway_route",
                TransitGatewayRouteTableId=table,
                DestinationCidrBlock=cidr,
                TransitGatewayAttachmentId=attachment_id,
            )
        for cidr in delete:
            call(
                client,
                "delete_transit_gateway_route",
                TransitGatewayRouteTableId=table,
                DestinationCidrBlock=cidr,
            )
    after = sorted((set(ours) | set(create)) - set(delete))
    return {
        "changed": bool(create or delete or associate),
        "route_table_id": table,
        "created": create,
        "deleted": delete,
        "associated": bool(associate),
        "before": {"routes": before},
        "after": {"routes": after},
    }
