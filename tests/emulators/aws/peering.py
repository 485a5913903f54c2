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
