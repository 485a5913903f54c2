# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""Customer gateways: validation, lookup, plan and apply."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    MANAGED_TAG,
    AwsError,
    call,
    call_all,
    dict_to_tags,
    is_owned,
    owner_tags,
    reconcile_tags,
    resolved_region,
    tags_to_dict,
)
from ansible_collections.crosscluster.link.plugins.module_utils._cloud_facts import (
    AWS_CGW_RESERVED_ASNS,
)

# EC2 API reference, CreateCustomerGateway: BgpAsn 1..2,147,483,647, BgpAsnExtended
# 2,147,483,648..4,294,967,295; the reserved ones are AWS_CGW_RESERVED_ASNS.
ASN_MAX = 4294967295
BGP_ASN_MAX = 2147483647
LIVE_STATES = ("pending", "available")


def validate_asn(asn: int, region: str | None, option: str = "bgp_asn") -> list[str]:
    if not 1 <= asn <= ASN_MAX:
        return [f"{option}={asn} is out of range: use an ASN from 1 to {ASN_MAX}"]
    if asn in AWS_CGW_RESERVED_ASNS:
        reserved_in = AWS_CGW_RESERVED_ASNS[asn]
        if reserved_in is None:
            return [f"{option}={asn} is reserved by AWS in every region: choose another ASN"]
        if region in (None, reserved_in):
            where = reserved_in if region else f"{reserved_in} (region unknown, assumed)"
            return [f"{option}={asn} is reserved by AWS in {where}: choose another ASN"]
    return []


def validate(params: dict[str, Any], region: str | None = None) -> list[str]:
    """Error messages for bad input; ``region`` defaults to the one the client will use."""
    region = region or resolved_region(params)
    errors: list[str] = []
    if params.get("ip_address") is not None:
        try:
            address = ipaddress.ip_address(params["ip_address"])
            if address.version != 4:
                errors.append(
                    f"ip_address={params['ip_address']} is not IPv4: "
                    "a customer gateway needs the device's public IPv4 address"
                )
        except ValueError:
            errors.append(
                f"ip_address={params['ip_address']!r} is not an IP address: "
                "give the device's public IPv4 address, e.g. 203.0.113.10"
            )
    if params.get("bgp_asn") is not None:
        errors.extend(validate_asn(params["bgp_asn"], region))
    return errors


def gateway_asn(gateway: dict[str, Any]) -> int | None:
    value = gateway.get("BgpAsnExtended") or gateway.get("BgpAsn")
    return int(value) if value not in (None, "") else None


def describe(gateway: dict[str, Any]) -> dict[str, Any]:
    """The user-facing view of a customer gateway."""
    tags = tags_to_dict(gateway.get("Tags"))
    return {
        "customer_gateway_id": gateway["CustomerGatewayId"],
        "ip_address": gateway.get("IpAddress"),
        "bgp_asn": gateway_asn(gateway),
        "device_name": gateway.get("DeviceName"),
        "type": gateway.get("Type"),
        "state": gateway.get("State"),
        "name": tags.get("Name"),
        "managed": is_owned(tags),
        "tags": tags,
    }


def list_gateways(client: Any, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return call_all(client, "describe_customer_gateways", "CustomerGateways", Filters=filters)


def find(client: Any, ip_address: str, bgp_asn: int) -> list[dict[str, Any]]:
    """Live gateways with this IP and ASN (the ASN is matched here: BgpAsn or BgpAsnExtended)."""
    gateways = list_gateways(
        client,
        [
            {"Name": "ip-address", "Values": [ip_address]},
            {"Name": "state", "Values": list(LIVE_STATES)},
        ],
    )
    # The state filter is applied again here: some EC2 implementations ignore it.
    return [g for g in gateways if gateway_asn(g) == bgp_asn and g.get("State") in LIVE_STATES]


def _view(gateway: dict[str, Any] | None) -> dict[str, Any]:
    if gateway is None:
        return {}
    view = describe(gateway)
    return {k: view[k] for k in ("ip_address", "bgp_asn", "device_name", "tags")}


def ensure(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Make the customer gateway match ``params``; return changed, gateway, before, after."""
    matches = find(client, params["ip_address"], params["bgp_asn"])
    device = params.get("device_name")
    if device is not None:
        # Gateways of one IP and ASN are told apart by their device name (CreateCustomerGateway:
        # "To create more than one customer gateway with the same VPN type, IP address, and BGP
        # ASN, specify a unique device name for each customer gateway").
        matches = [g for g in matches if (g.get("DeviceName") or "") == device]
    owned = [g for g in matches if is_owned(tags_to_dict(g.get("Tags")))]
    foreign = [g for g in matches if g not in owned]
    current = owned[0] if owned else None

    if params["state"] == "absent":
        if current is None:
            return {"changed": False, "customer_gateway": None, "before": {}, "after": {}}
        if not check_mode:
            call(client, "delete_customer_gateway", CustomerGatewayId=current["CustomerGatewayId"])
        return {
            "changed": True,
            "customer_gateway": None,
            "before": _view(current),
            "after": {},
        }

    keep = owner_tags(params["name"])
    if current is None:
        if foreign:
            found = foreign[0]["CustomerGatewayId"]
            raise AwsError(
                "ForeignCustomerGateway",
                f"customer gateway {found} already has ip_address={params['ip_address']} and "
                f"bgp_asn={params['bgp_asn']} but is not managed by this collection; AWS would "
                "return it for an identical create. Tag it "
                f"'crosscluster.link/managed: \"true\"' to adopt it, or change ip_address/bgp_asn.",
            )
        tags = {**(params.get("tags") or {}), **keep}
        wanted = {
            "ip_address": params["ip_address"],
            "bgp_asn": params["bgp_asn"],
            "device_name": params.get("device_name"),
            "tags": tags,
        }
        gateway: dict[str, Any] | None = None
        if not check_mode:
            request: dict[str, Any] = {
                "Type": "ipsec.1",
                "IpAddress": params["ip_address"],
                "TagSpecifications": [
                    {"ResourceType": "customer-gateway", "Tags": dict_to_tags(tags)}
                ],
            }
            if params["bgp_asn"] > BGP_ASN_MAX:
                request["BgpAsnExtended"] = params["bgp_asn"]
            else:
                request["BgpAsn"] = params["bgp_asn"]
            if params.get("device_name"):
                request["DeviceName"] = params["device_name"]
            gateway = call(client, "create_customer_gateway", **request)["CustomerGateway"]
        return {
            "changed": True,
            "customer_gateway": describe(gateway) if gateway else None,
            "before": {},
            "after": wanted,
        }

    changed, after_tags = reconcile_tags(
        client, current["CustomerGatewayId"], tags_to_dict(current.get("Tags")), params, check_mode
    )
    result_gateway = describe({**current, "Tags": dict_to_tags(after_tags)})
    return {
        "changed": changed,
        "customer_gateway": result_gateway,
        "before": _view(current),
        "after": {**_view(current), "tags": after_tags},
    }


def info(client: Any, params: dict[str, Any], check_mode: bool = False) -> dict[str, Any]:
    """Gateways matching the info module's filters (all live ones by default); read-only."""
    request: dict[str, Any] = {"Filters": [{"Name": "state", "Values": list(LIVE_STATES)}]}
    if params.get("customer_gateway_ids"):
        request["CustomerGatewayIds"] = params["customer_gateway_ids"]
    if params.get("ip_address"):
        request["Filters"].append({"Name": "ip-address", "Values": [params["ip_address"]]})
    if params.get("name"):
        request["Filters"].append({"Name": "tag:Name", "Values": [params["name"]]})
    if params.get("managed_only"):
        request["Filters"].append({"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]})
    gateways = call_all(client, "describe_customer_gateways", "CustomerGateways", **request)
    gateways = [g for g in gateways if g.get("State") in LIVE_STATES]
    if params.get("bgp_asn") is not None:
        gateways = [g for g in gateways if gateway_asn(g) == params["bgp_asn"]]
    gateways = sorted(gateways, key=lambda g: g["CustomerGatewayId"])
    return {"changed": False, "customer_gateways": [describe(g) for g in gateways]}
