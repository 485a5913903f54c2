# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""Customer gateways: validation, lookup, plan and apply."""

from __future__ import annotations

import ipaddress
from collections import Counter
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


def entries(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Each entry of ``gateways`` over the shared options (an entry's unset options are the
    module's own)."""
    shared = {k: v for k, v in params.items() if k != "gateways"}
    return [
        {**shared, **{k: v for k, v in entry.items() if v is not None}}
        for entry in params["gateways"]
    ]


def validate(params: dict[str, Any], region: str | None = None) -> list[str]:
    """Error messages for bad input; ``region`` defaults to the one the client will use.
    With ``gateways``, every entry is checked and its messages start with ``gateways[i].``."""
    region = region or resolved_region(params)
    if params.get("gateways") is not None:
        return _validate_entries(params, region)
    errors: list[str] = []
    missing = [o for o in ("name", "ip_address", "bgp_asn") if params.get(o) is None]
    if missing:
        errors.append(f"missing required arguments: {', '.join(missing)}")
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


def _validate_entries(params: dict[str, Any], region: str | None) -> list[str]:
    errors: list[str] = []
    identities: dict[tuple[str, int, str], int] = {}
    names: dict[str, int] = {}
    for index, entry in enumerate(entries(params)):
        where = f"gateways[{index}]"
        errors.extend(f"{where}.{e}" for e in validate({**entry, "gateways": None}, region))
        if entry.get("name") in names:
            errors.append(f"{where}.name={entry['name']} is also gateways[{names[entry['name']]}]")
        names.setdefault(entry.get("name"), index)
        identity = (entry.get("ip_address"), entry.get("bgp_asn"), entry.get("device_name") or "")
        if identity in identities and None not in identity[:2]:
            errors.append(
                f"{where} has the ip_address, bgp_asn and device_name of "
                f"gateways[{identities[identity]}]: AWS would return one gateway for both; "
                "give each its own device_name"
            )
        identities.setdefault(identity, index)
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


def absent_entries(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``gateways`` entries that delete the ``found`` gateways (describe views), one each.
    An entry's name is the gateway's Name tag, or its ID when the tag is missing or another
    found gateway has the same one (a gateway left at an earlier IP of a rebuilt peer keeps
    its link's name): the list form refuses a repeated name and keys its results by name."""
    counts = Counter(g.get("name") for g in found)
    return [
        {
            "name": g["name"]
            if g.get("name") and counts[g["name"]] == 1
            else g["customer_gateway_id"],
            "ip_address": g["ip_address"],
            "bgp_asn": g["bgp_asn"],
            "device_name": g.get("device_name") or None,
        }
        for g in found
    ]


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


def _select(params: dict[str, Any], matches: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The owned gateway among the live ``matches`` of the IP and ASN, or None; AwsError when
    only a gateway this collection does not own has them (state present)."""
    device = params.get("device_name")
    if device is not None:
        # Gateways of one IP and ASN are told apart by their device name (CreateCustomerGateway:
        # "To create more than one customer gateway with the same VPN type, IP address, and BGP
        # ASN, specify a unique device name for each customer gateway").
        matches = [g for g in matches if (g.get("DeviceName") or "") == device]
    owned = [g for g in matches if is_owned(tags_to_dict(g.get("Tags")))]
    foreign = [g for g in matches if g not in owned]
    if not owned and foreign and params["state"] == "present":
        found = foreign[0]["CustomerGatewayId"]
        raise AwsError(
            "ForeignCustomerGateway",
            f"customer gateway {found} already has ip_address={params['ip_address']} and "
            f"bgp_asn={params['bgp_asn']} but is not managed by this collection; AWS would "
            "return it for an identical create. Tag it "
            f"'crosscluster.link/managed: \"true\"' to adopt it, or change ip_address/bgp_asn.",
        )
    return owned[0] if owned else None


def ensure(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Make the customer gateway match ``params``; return changed, gateway, before, after.
    With ``gateways``, every entry (ensure_all)."""
    if params.get("gateways") is not None:
        return ensure_all(client, params, check_mode)
    current = _select(params, find(client, params["ip_address"], params["bgp_asn"]))
    return _apply(client, params, current, check_mode)


def ensure_all(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Every entry of ``gateways``: one DescribeCustomerGateways for all of them, every entry
    matched and checked before any change (a foreign gateway in the way fails naming
    ``gateways[i]``), then each applied. ``customer_gateways``, ``before`` and ``after`` are
    keyed by name (absent gateways left out)."""
    wanted = entries(params)
    if not wanted:
        return {"changed": False, "customer_gateways": {}, "before": {}, "after": {}}
    addresses = sorted({entry["ip_address"] for entry in wanted})
    live = [
        g
        for g in list_gateways(
            client,
            [
                {"Name": "ip-address", "Values": addresses},
                {"Name": "state", "Values": list(LIVE_STATES)},
            ],
        )
        if g.get("State") in LIVE_STATES
    ]
    currents = []
    for index, entry in enumerate(wanted):
        matches = [
            g
            for g in live
            if g.get("IpAddress") == entry["ip_address"] and gateway_asn(g) == entry["bgp_asn"]
        ]
        try:
            currents.append(_select(entry, matches))
        except AwsError as exc:
            raise AwsError(
                exc.code, f"gateways[{index}] ({entry['name']}): {exc.message}"
            ) from None
    results = [
        _apply(client, entry, current, check_mode)
        for entry, current in zip(wanted, currents, strict=True)
    ]
    names = [entry["name"] for entry in wanted]
    return {
        "changed": any(r["changed"] for r in results),
        "customer_gateways": {
            n: r["customer_gateway"] for n, r in zip(names, results, strict=True)
        },
        "before": {n: r["before"] for n, r in zip(names, results, strict=True) if r["before"]},
        "after": {n: r["after"] for n, r in zip(names, results, strict=True) if r["after"]},
    }


def _apply(
    client: Any, params: dict[str, Any], current: dict[str, Any] | None, check_mode: bool
) -> dict[str, Any]:
    """Create, delete or retag the gateway (``current``: the owned one, found already)."""
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
