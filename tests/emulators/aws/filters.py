"""Describe* filters that moto ignores, applied as the EC2 API reference documents them.

Pure functions on moto's objects; ``app.py`` calls them. Semantics of the Filter type
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Filter.html): several filters
are joined with AND, several values of one filter with OR; names and values are
case-sensitive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .vpn import invalid

# A filter name -> the resource's value for it (a list where any of several matches).
Attributes = dict[str, Callable[[Any], str | list[str] | None]]

# DescribeCustomerGateways, Filter.N: bgp-asn, customer-gateway-id, ip-address,
# state (pending | available | deleting | deleted), type, tag:<key>, tag-key.
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeCustomerGateways.html)
CUSTOMER_GATEWAYS: Attributes = {
    "bgp-asn": lambda gateway: None if gateway.bgp_asn is None else str(gateway.bgp_asn),
    "customer-gateway-id": lambda gateway: gateway.id,
    "ip-address": lambda gateway: gateway.ip_address,
    "state": lambda gateway: gateway.state,
    "type": lambda gateway: gateway.type,
}

# DescribeTransitGatewayPeeringAttachments, Filter.N: transit-gateway-attachment-id,
# local-owner-id, remote-owner-id, state, tag:<key>, tag-key, transit-gateway-id
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTransitGatewayPeeringAttachments.html).
# Which end transit-gateway-id means is not documented: here either end matches.
TGW_PEERING_ATTACHMENTS: Attributes = {
    "transit-gateway-attachment-id": lambda attachment: attachment.id,
    "transit-gateway-id": lambda attachment: [
        attachment.requester_tgw_info.get("TransitGatewayId"),
        attachment.accepter_tgw_info.get("TransitGatewayId"),
    ],
    "local-owner-id": lambda attachment: attachment.requester_tgw_info.get("OwnerId"),
    "remote-owner-id": lambda attachment: attachment.accepter_tgw_info.get("OwnerId"),
    "state": lambda attachment: attachment.state,
}


def tags_of(resource: Any) -> dict[str, str]:
    """A moto TaggedEC2Resource's tags as {key: value}."""
    return {tag["key"]: tag["value"] for tag in resource.get_tags()}


def _candidates(resource: Any, name: str, attributes: Attributes) -> set[str]:
    """The resource's values for filter ``name`` (a name ``check_names`` accepted): one, or a
    list where the filter matches any of several (either end of a peering)."""
    if name.startswith("tag:"):
        # "tag:<key> - The key/value combination of a tag assigned to the resource."
        value = tags_of(resource).get(name[len("tag:") :])
        return set() if value is None else {value}
    if name == "tag-key":
        # "tag-key - The key of a tag assigned to the resource ... regardless of the tag value."
        return set(tags_of(resource))
    value = attributes[name](resource)
    if isinstance(value, list):
        return {v for v in value if v is not None}
    return set() if value is None else {value}


def check_names(filters: Iterable[dict[str, Any]], attributes: Attributes) -> None:
    """A filter name the operation does not document is refused (InvalidParameterValue,
    "The filter '<name>' is invalid"), not ignored."""
    for item in filters:
        name = item.get("Name") or ""
        if not (name.startswith("tag:") or name == "tag-key" or name in attributes):
            raise invalid(f"The filter '{name or 'null'}' is invalid")


def apply(
    resources: Iterable[Any],
    filters: list[dict[str, Any]],
    attributes: Attributes,
) -> list[Any]:
    """The resources matching every filter (AND), each filter by any of its values (OR)."""
    check_names(filters, attributes)
    return [
        resource
        for resource in resources
        if all(
            _candidates(resource, item["Name"], attributes) & set(item.get("Values") or [])
            for item in filters
        )
    ]
