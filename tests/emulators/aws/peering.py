"""The lifecycles of VPC peering connections and Transit Gateway peering attachments, which moto
makes jump (created ``pending-acceptance`` / ``pendingAcceptance``, accepted ``active`` /
``available`` and deleted ``deleted`` at once, overlapping CIDR blocks never ``failed``).

The states and their order, as values; ``app.py`` applies them to moto's objects, each step
held for ``Lifecycle.peering_seconds``. Every rule cites the page it follows: the EC2 API
reference (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/), the VPC Peering Guide
or the Transit Gateway guide.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

# VpcPeeringConnectionStateReason.Code, valid values: initiating-request | pending-acceptance |
# active | deleted | rejected | failed | expired | provisioning | deleting. VPC Peering Guide,
# "VPC peering connection lifecycle": a request is initiating-request, then pending-acceptance
# (or failed); once accepted it is provisioning, then active. "Delete a VPC peering
# connection": "When you delete a peering connection, the status is set to Deleting and then
# Deleted."
PCX_CREATED = ("initiating-request", "pending-acceptance")
PCX_ACCEPTED = ("provisioning", "active")
PCX_DELETED = ("deleting", "deleted")
PCX_FAILED = "failed"
# DeleteVpcPeeringConnection (EC2 API reference,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpcPeeringConnection.html):
# "You cannot delete a VPC peering connection that's in the failed or rejected state"; VPC
# Peering Guide, "VPC peering connection lifecycle"
# (https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-lifecycle):
# a failed request "cannot be accepted, rejected, or deleted", an expired one is a request on
# which "no action can be taken ... by either VPC owner". The reference names no error code: the
# refusal is InvalidStateTransition, the code the EC2 error list ("Error codes for the Amazon EC2
# API", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html) gives a VPC
# peering connection "not in the correct state for the request", with moto's message for it.
PCX_UNDELETABLE = ("failed", "rejected", "expired")
# "VPC peering connection lifecycle": "Pending-acceptance: ... If no action is taken on the
# request, it expires after 7 days"; "Expired: The VPC peering connection request has expired"
# (CreateVpcPeeringConnection: "The VPC peering connection request expires after 7 days, after
# which it cannot be accepted or rejected"). VpcPeeringConnection.ExpirationTime: "The time that
# an unaccepted VPC peering connection will expire."
PCX_UNACCEPTED = ("initiating-request", "pending-acceptance")
PCX_EXPIRABLE = "pending-acceptance"
PCX_EXPIRED = "expired"
PCX_EXPIRY_SECONDS = 7 * 24 * 3600.0
# What the accepter's Region sees of an inter-Region request: the references say the request
# must be accepted there, and only in pending-acceptance (AcceptVpcPeeringConnection: "the VPC
# peering connection must be in the pending-acceptance state"; "Use DescribeVpcPeeringConnections
# to view your outstanding VPC peering connection requests"). None of them says the request is
# hidden from that Region while initiating-request, so it is not: both Regions list it
# initiating-request, and an accept then answers InvalidStateTransition (moto's refusal).

# Route.State (EC2 API reference, Route,
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html): "The blackhole state
# indicates that the route's target isn't available". A VPC peering connection carries traffic
# only while active ("VPC peering connection lifecycle": "Active: The VPC peering connection is
# active, and traffic can flow between the VPCs"), so a route to one in any other state (not yet
# accepted, failed, expired, deleting, deleted...) is a blackhole; moto reported every route
# active.
PCX_ROUTABLE = "active"
# TransitGatewayRoute.State (EC2 API reference, TransitGatewayRoute: pending | active |
# blackhole | deleting | deleted), with the same meaning: a static route whose attachment is
# gone (deleting, deleted, failed or rejected, or no longer known) is a blackhole; moto kept it
# active.
TGW_GONE = ("deleting", "deleted", "failing", "failed", "rejecting", "rejected")

# TransitGatewayPeeringAttachment.State, valid values: initiating | initiatingRequest |
# pendingAcceptance | rollingBack | pending | available | modifying | deleting | deleted |
# failed | rejected | rejecting | failing. Transit Gateway guide, "Accept or reject a peering
# attachment request": "When created, a transit gateway peering attachment is automatically
# created in a pendingAcceptance state and remains in this state indefinitely until it's
# either accepted or rejected".
TGW_CREATED = ("initiatingRequest", "pendingAcceptance")
TGW_ACCEPTED = ("pending", "available")
TGW_DELETED = ("deleting", "deleted")
# AcceptTransitGatewayPeeringAttachment: "The peering attachment must be in the
# pendingAcceptance state."
TGW_ACCEPTABLE = "pendingAcceptance"

# Status.Message of the states moto has no message for (Status.Code is the state's name).
MESSAGES = {
    "provisioning": "Provisioning",
    "deleting": "Deleting",
    "expired": "Expired",
    "initiatingRequest": "Initiating Request",
    "pendingAcceptance": "Pending Acceptance",
    "pending": "Pending",
    "available": "Available",
    "deleted": "Deleted",
}


def ipv4_blocks(associations: Iterable[dict[str, object]]) -> list[str]:
    """The associated IPv4 CIDR blocks of a VPC, from moto's CidrBlockAssociationSet entries
    (``cidr_block``, ``cidr_block_state.state``): a disassociated block no longer counts."""
    blocks = []
    for entry in associations:
        state = entry.get("cidr_block_state")
        if isinstance(state, dict) and state.get("state") != "associated":
            continue
        block = str(entry.get("cidr_block") or "")
        if "." in block:
            blocks.append(block)
    return blocks


def overlaps(requester: Iterable[str], accepter: Iterable[str]) -> list[tuple[str, str]]:
    """Every (requester block, accepter block) pair that overlaps. CreateVpcPeeringConnection:
    "If you create a VPC peering connection request between VPCs with overlapping CIDR blocks,
    the VPC peering connection has a status of failed"; VPC Peering Guide, "Create a VPC
    peering connection", prerequisites: "Ensure that the VPCs do not have overlapping IPv4 CIDR
    blocks. If they overlap, the status of the VPC peering connection immediately goes to
    failed. This limitation applies even if the VPCs have unique IPv6 CIDR blocks." Every
    associated IPv4 block of each VPC counts, its secondary ones too."""
    theirs = [ipaddress.ip_network(b, strict=False) for b in accepter]
    return [
        (mine, str(other))
        for mine in requester
        for other in theirs
        if ipaddress.ip_network(mine, strict=False).overlaps(other)
    ]


def failed_message(pairs: list[tuple[str, str]], vpc_id: str, peer_vpc_id: str) -> str:
    """Status.Message of a request failed for overlapping CIDR blocks, naming them."""
    named = ", ".join(f"{mine} ({vpc_id}) with {other} ({peer_vpc_id})" for mine, other in pairs)
    return f"Overlapping CIDR blocks: {named}"


def pcx_route_state(pcx_state: str | None) -> str:
    """Route.State of a VPC route to a peering connection in ``pcx_state`` (None: unknown)."""
    return "active" if pcx_state == PCX_ROUTABLE else "blackhole"


def tgw_route_state(attachment_state: str | None) -> str:
    """TransitGatewayRoute.State of a static route to an attachment in ``attachment_state``
    (None: no longer known)."""
    return "blackhole" if attachment_state is None or attachment_state in TGW_GONE else "active"
