# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""Site-to-Site VPN connections: tunnel option validation, drift, plan and apply."""

from __future__ import annotations

import ipaddress
import itertools
import re
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils._aws import (
    FRESH_ID_NOT_FOUND_CODES,
    MANAGED_TAG,
    NAME_TAG,
    AwsError,
    call,
    call_all,
    dict_to_tags,
    owner_tags,
    reconcile_tags,
    tags_to_dict,
)
from ansible_collections.crosscluster.link.plugins.module_utils._cloud_facts import (
    AWS_RESERVED_TUNNEL_CIDRS,
    TUNNEL_POOL,
)
from ansible_collections.crosscluster.link.plugins.module_utils._wait import poll

# Valid values from the EC2 API reference, VpnTunnelOptionsSpecification
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpnTunnelOptionsSpecification.html).
ENCRYPTION_ALGORITHMS = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
INTEGRITY_ALGORITHMS = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
PHASE1_DH_GROUPS = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
PHASE2_DH_GROUPS = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
IKE_VERSIONS = ("ikev1", "ikev2")
DPD_TIMEOUT_ACTIONS = ("clear", "none", "restart")
STARTUP_ACTIONS = ("add", "start")
INSIDE_RANGE = ipaddress.ip_network(TUNNEL_POOL)
RESERVED_INSIDE_CIDRS = tuple(ipaddress.ip_network(c) for c in AWS_RESERVED_TUNNEL_CIDRS)
# PreSharedKey: 8-64 of letters, digits, '.' and '_', not starting with 0.
PSK_PATTERN = re.compile(r"^(?!0)[A-Za-z0-9._]{8,64}$")
# VpnConnection State: pending | available | deleting | deleted, and "modifying" while
# ModifyVpnTunnelOptions applies (what AWS reports; Terraform's aws provider waits on it).
LIVE_STATES = ("pending", "available", "modifying")
GONE_STATES = ("deleting", "deleted")
# Polling of wait_for: the first interval, doubled up to the last (seconds).
POLL_FIRST, POLL_MAX = 1.0, 15.0

# option -> (request key, response key in TunnelOption, kind). Kinds: "str", "int",
# "bool", "strs" and "ints" (lists of {"Value": x}, compared as sets).
TUNNEL_FIELDS: dict[str, tuple[str, str, str]] = {
    "inside_cidr": ("TunnelInsideCidr", "TunnelInsideCidr", "str"),
    "pre_shared_key": ("PreSharedKey", "PreSharedKey", "str"),
    "ike_versions": ("IKEVersions", "IkeVersions", "strs"),
    "phase1_encryption_algorithms": (
        "Phase1EncryptionAlgorithms",
        "Phase1EncryptionAlgorithms",
        "strs",
    ),
    "phase2_encryption_algorithms": (
        "Phase2EncryptionAlgorithms",
        "Phase2EncryptionAlgorithms",
        "strs",
    ),
    "phase1_integrity_algorithms": (
        "Phase1IntegrityAlgorithms",
        "Phase1IntegrityAlgorithms",
        "strs",
    ),
    "phase2_integrity_algorithms": (
        "Phase2IntegrityAlgorithms",
        "Phase2IntegrityAlgorithms",
        "strs",
    ),
    "phase1_dh_group_numbers": ("Phase1DHGroupNumbers", "Phase1DHGroupNumbers", "ints"),
    "phase2_dh_group_numbers": ("Phase2DHGroupNumbers", "Phase2DHGroupNumbers", "ints"),
    "phase1_lifetime_seconds": ("Phase1LifetimeSeconds", "Phase1LifetimeSeconds", "int"),
    "phase2_lifetime_seconds": ("Phase2LifetimeSeconds", "Phase2LifetimeSeconds", "int"),
    "rekey_margin_time_seconds": ("RekeyMarginTimeSeconds", "RekeyMarginTimeSeconds", "int"),
    "rekey_fuzz_percentage": ("RekeyFuzzPercentage", "RekeyFuzzPercentage", "int"),
    "replay_window_size": ("ReplayWindowSize", "ReplayWindowSize", "int"),
    "dpd_timeout_seconds": ("DPDTimeoutSeconds", "DpdTimeoutSeconds", "int"),
    "dpd_timeout_action": ("DPDTimeoutAction", "DpdTimeoutAction", "str"),
    "startup_action": ("StartupAction", "StartupAction", "str"),
    "enable_tunnel_lifecycle_control": (
        "EnableTunnelLifecycleControl",
        "EnableTunnelLifecycleControl",
        "bool",
    ),
}
LIST_CHOICES: dict[str, tuple[Any, ...]] = {
    "ike_versions": IKE_VERSIONS,
    "phase1_encryption_algorithms": ENCRYPTION_ALGORITHMS,
    "phase2_encryption_algorithms": ENCRYPTION_ALGORITHMS,
    "phase1_integrity_algorithms": INTEGRITY_ALGORITHMS,
    "phase2_integrity_algorithms": INTEGRITY_ALGORITHMS,
    "phase1_dh_group_numbers": PHASE1_DH_GROUPS,
    "phase2_dh_group_numbers": PHASE2_DH_GROUPS,
}
# (min, max) from the same reference; rekey_margin_time_seconds' max is half of phase 2.
INT_RANGES: dict[str, tuple[int, int | None]] = {
    "phase1_lifetime_seconds": (900, 28800),
    "phase2_lifetime_seconds": (900, 3600),
    "rekey_margin_time_seconds": (60, None),
    "rekey_fuzz_percentage": (0, 100),
    "replay_window_size": (64, 2048),
    "dpd_timeout_seconds": (30, None),
}
MASK = "********"


def validate_inside_cidr(value: str, option: str) -> list[str]:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return [
            f"{option}={value!r} is not a valid network CIDR: give a /30 network "
            "address inside 169.254.0.0/16, e.g. 169.254.10.0/30"
        ]
    if network.version != 4 or network.prefixlen != 30 or not network.subnet_of(INSIDE_RANGE):
        return [f"{option}={value} must be a /30 inside 169.254.0.0/16, e.g. 169.254.10.0/30"]
    if network in RESERVED_INSIDE_CIDRS:
        return [f"{option}={value} is reserved by AWS: choose another /30 in 169.254.0.0/16"]
    return []


def validate_tunnel_options(tunnels: list[dict[str, Any]] | None) -> list[str]:
    """Every problem with ``tunnel_options``, each naming the option and the fix."""
    errors: list[str] = []
    tunnels = tunnels or []
    if len(tunnels) > 2:
        errors.append(
            f"tunnel_options has {len(tunnels)} entries: a VPN connection has exactly 2 "
            "tunnels, give at most 2"
        )
    cidrs: list[str] = []
    for index, tunnel in enumerate(tunnels):
        where = f"tunnel_options[{index}]"
        cidr = tunnel.get("inside_cidr")
        if cidr is not None:
            errors.extend(validate_inside_cidr(cidr, f"{where}.inside_cidr"))
            cidrs.append(cidr)
        psk = tunnel.get("pre_shared_key")
        if psk is not None and not PSK_PATTERN.match(psk):
            errors.append(
                f"{where}.pre_shared_key is invalid: use 8-64 letters, digits, '.' or '_', "
                "not starting with '0'"
            )
        for option, choices in LIST_CHOICES.items():
            values = tunnel.get(option)
            if values is None:
                continue
            if not values:
                errors.append(f"{where}.{option} is empty: give at least one value or omit it")
            bad = [v for v in values if v not in choices]
            if bad:
                allowed = ", ".join(str(c) for c in choices)
                errors.append(
                    f"{where}.{option} has {', '.join(map(str, bad))} which AWS does not "
                    f"accept: use values from {allowed}"
                )
        for option, choices in (
            ("dpd_timeout_action", DPD_TIMEOUT_ACTIONS),
            ("startup_action", STARTUP_ACTIONS),
        ):
            value = tunnel.get(option)
            if value is not None and value not in choices:
                allowed = ", ".join(choices)
                errors.append(f"{where}.{option}={value} is invalid: use one of {allowed}")
        phase2 = tunnel.get("phase2_lifetime_seconds") or 3600
        for option, (low, high) in INT_RANGES.items():
            value = tunnel.get(option)
            if value is None:
                continue
            if option == "rekey_margin_time_seconds":
                high = phase2 // 2
            if value < low or (high is not None and value > high):
                bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
                errors.append(f"{where}.{option}={value} is out of range: use a value {bound}")
        phase1 = tunnel.get("phase1_lifetime_seconds") or 28800
        if tunnel.get("phase2_lifetime_seconds") and tunnel["phase2_lifetime_seconds"] >= phase1:
            errors.append(
                f"{where}.phase2_lifetime_seconds must be less than phase1_lifetime_seconds "
                f"({phase1}): lower it or raise phase 1"
            )
    if len(cidrs) != len(set(cidrs)):
        errors.append("tunnel_options inside_cidr values must differ between the two tunnels")
    return errors


def entries(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Each entry of ``connections`` over the shared options (an entry's unset options are
    the module's own); without ``connections``, the one entry ``params``."""
    shared = {k: v for k, v in params.items() if k != "connections"}
    if params.get("connections") is None:
        return [shared]
    return [
        {**shared, **{k: v for k, v in entry.items() if v is not None}}
        for entry in params["connections"]
    ]


def validate(params: dict[str, Any]) -> list[str]:
    """Error messages for bad input. With ``connections``, every entry is checked and its
    messages start with ``connections[i].``."""
    if params.get("connections") is not None:
        return _validate_entries(params)
    errors: list[str] = []
    if params["state"] == "present":
        vgw, tgw = params.get("vpn_gateway_id"), params.get("transit_gateway_id")
        if bool(vgw) == bool(tgw):
            errors.append(
                "give exactly one of vpn_gateway_id and transit_gateway_id "
                f"({'both' if vgw else 'neither'} given)"
            )
        if not params.get("customer_gateway_id"):
            errors.append("customer_gateway_id is required when state=present")
    errors.extend(validate_tunnel_options(params.get("tunnel_options")))
    return errors


def _validate_entries(params: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    names: dict[str, int] = {}
    for index, entry in enumerate(entries(params)):
        where = f"connections[{index}]"
        if params["state"] == "present" and entry.get("customer_gateway_name"):
            if entry.get("customer_gateway_id"):
                errors.append(f"{where}: give one of customer_gateway_id and customer_gateway_name")
            entry = {**entry, "customer_gateway_id": "(by name)"}
        errors.extend(f"{where}.{e}" for e in validate({**entry, "connections": None}))
        if entry["name"] in names:
            errors.append(
                f"{where}.name={entry['name']} is also connections[{names[entry['name']]}]"
            )
        names.setdefault(entry["name"], index)
    return errors


def _set(tunnel: dict[str, Any]) -> dict[str, Any]:
    """Only the options the user set."""
    return {k: v for k, v in tunnel.items() if k in TUNNEL_FIELDS and v is not None}


def tunnel_request(tunnel: dict[str, Any]) -> dict[str, Any]:
    """A VpnTunnelOptionsSpecification / ModifyVpnTunnelOptionsSpecification."""
    request: dict[str, Any] = {}
    for option, value in _set(tunnel).items():
        key, kind = TUNNEL_FIELDS[option][0], TUNNEL_FIELDS[option][2]
        request[key] = [{"Value": v} for v in value] if kind in ("strs", "ints") else value
    return request


def actual_tunnel(option: dict[str, Any]) -> dict[str, Any]:
    """A DescribeVpnConnections TunnelOption in this module's option names."""
    result: dict[str, Any] = {}
    for option_name, (_request_key, key, kind) in TUNNEL_FIELDS.items():
        if key not in option:
            continue
        value = option[key]
        if kind in ("strs", "ints"):
            value = [item["Value"] for item in value]
        result[option_name] = value
    return result


def _same(kind: str, wanted: Any, actual: Any) -> bool:
    if kind in ("strs", "ints"):
        return actual is not None and sorted(map(str, wanted)) == sorted(map(str, actual))
    return wanted == actual


def tunnel_drift(wanted: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Options set in ``wanted`` whose value differs in ``actual`` (lists compared as sets)."""
    return sorted(
        option
        for option, value in _set(wanted).items()
        if not _same(TUNNEL_FIELDS[option][2], value, actual.get(option))
    )


def masked(tunnel: dict[str, Any], changed_psk: bool = False) -> dict[str, Any]:
    """A tunnel view safe for diff and results: the PSK never appears."""
    view = {k: sorted(v) if isinstance(v, list) else v for k, v in tunnel.items()}
    if view.get("pre_shared_key") is not None:
        view["pre_shared_key"] = MASK + (" (changed)" if changed_psk else "")
    return view


def _connection_tunnel_options(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return list(connection.get("Options", {}).get("TunnelOptions", []))


def _outside_key(option: dict[str, Any]) -> tuple[int, str]:
    outside = option.get("OutsideIpAddress") or ""
    try:
        return int(ipaddress.ip_address(outside)), outside
    except ValueError:
        return -1, outside


def _same_cidr(wanted: str, actual: str | None) -> bool:
    try:
        return actual is not None and ipaddress.ip_network(wanted) == ipaddress.ip_network(actual)
    except ValueError:
        return False


def pair_tunnels(
    connection: dict[str, Any], wanted: list[dict[str, Any]]
) -> list[tuple[int, dict[str, Any]]]:
    """(index in ``wanted``, the connection's TunnelOption) for each wanted tunnel AWS has.

    The order of Options.TunnelOptions is not documented (it may change between two
    Describe calls), so position means nothing: a wanted tunnel is the AWS tunnel with its
    ``inside_cidr``. The wanted tunnels left (no inside_cidr, or a new one) take the AWS
    tunnels left so that the fewest options drift; ties go by outside IP, which is stable.
    """
    remaining = sorted(_connection_tunnel_options(connection), key=_outside_key)
    pairs: list[tuple[int, dict[str, Any]]] = []
    unpaired: list[int] = []
    for index, tunnel in enumerate(wanted):
        cidr = tunnel.get("inside_cidr")
        match = next(
            (a for a in remaining if cidr and _same_cidr(cidr, a.get("TunnelInsideCidr"))), None
        )
        if match is None:
            unpaired.append(index)
        else:
            pairs.append((index, match))
            remaining.remove(match)
    unpaired = unpaired[: len(remaining)]
    if unpaired:
        best = min(
            itertools.permutations(remaining, len(unpaired)),
            key=lambda chosen: sum(
                len(tunnel_drift(wanted[i], actual_tunnel(a)))
                for i, a in zip(unpaired, chosen, strict=True)
            ),
        )
        pairs.extend(zip(unpaired, best, strict=True))
    return sorted(pairs, key=lambda pair: pair[0])


def in_tunnel_order(
    connection: dict[str, Any], wanted: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The connection with Options.TunnelOptions in a stable order: the tunnels paired with
    ``wanted`` in its order (pair_tunnels), then the others by outside IP."""
    if not _connection_tunnel_options(connection):
        return connection
    paired = [actual for _index, actual in pair_tunnels(connection, wanted or [])]
    rest = sorted(
        (t for t in _connection_tunnel_options(connection) if t not in paired), key=_outside_key
    )
    options = {**connection.get("Options", {}), "TunnelOptions": paired + rest}
    return {**connection, "Options": options}


def connection_view(connection: dict[str, Any] | None) -> dict[str, Any]:
    """The comparable, PSK-free view of a connection used for the diff."""
    if connection is None:
        return {}
    options = connection.get("Options", {})
    return {
        "customer_gateway_id": connection.get("CustomerGatewayId"),
        "vpn_gateway_id": connection.get("VpnGatewayId"),
        "transit_gateway_id": connection.get("TransitGatewayId"),
        "static_routes_only": bool(options.get("StaticRoutesOnly", False)),
        "tags": tags_to_dict(connection.get("Tags")),
        "tunnel_options": [
            masked(actual_tunnel(t)) for t in _connection_tunnel_options(connection)
        ],
    }


def tunnels(connection: dict[str, Any], aws_asn: int | None) -> list[dict[str, Any]]:
    """Per tunnel: outside IP, inside addresses, AWS-side ASN and telemetry (no PSK)."""
    telemetry = {t.get("OutsideIpAddress"): t for t in connection.get("VgwTelemetry", [])}
    options = _connection_tunnel_options(connection)
    if not options:
        options = [{"OutsideIpAddress": ip} for ip in telemetry]
    result = []
    for option in options:
        outside = option.get("OutsideIpAddress")
        cidr = option.get("TunnelInsideCidr")
        aws_inside = customer_inside = None
        if cidr:
            hosts = list(ipaddress.ip_network(cidr, strict=False).hosts())
            aws_inside, customer_inside = str(hosts[0]), str(hosts[1])
        status = telemetry.get(outside, {})
        result.append(
            {
                "outside_ip": outside,
                "inside_cidr": cidr,
                "aws_inside_address": aws_inside,
                "customer_inside_address": customer_inside,
                "aws_asn": aws_asn,
                "status": status.get("Status"),
                "status_message": status.get("StatusMessage"),
                "accepted_route_count": status.get("AcceptedRouteCount"),
                "options": masked(actual_tunnel(option)),
            }
        )
    return result


def describe(connection: dict[str, Any], aws_asn: int | None) -> dict[str, Any]:
    tags = tags_to_dict(connection.get("Tags"))
    view = connection_view(connection)
    return {
        "vpn_connection_id": connection["VpnConnectionId"],
        "state": connection.get("State"),
        "type": connection.get("Type"),
        "customer_gateway_id": view["customer_gateway_id"],
        "vpn_gateway_id": view["vpn_gateway_id"],
        "transit_gateway_id": view["transit_gateway_id"],
        "static_routes_only": view["static_routes_only"],
        "name": tags.get("Name"),
        "managed": tags.get(MANAGED_TAG) == "true",
        "tags": tags,
        "routes": [
            {"destination_cidr_block": r.get("DestinationCidrBlock"), "state": r.get("State")}
            for r in connection.get("Routes", [])
        ],
        "tunnels": tunnels(connection, aws_asn),
    }


def gateway_asn(
    client: Any, vpn_gateway_id: str | None, transit_gateway_id: str | None
) -> int | None:
    """The AWS-side ASN of the VGW or TGW the connection terminates on."""
    if vpn_gateway_id:
        found = call(client, "describe_vpn_gateways", VpnGatewayIds=[vpn_gateway_id])
        gateways = found.get("VpnGateways", [])
        asn = gateways[0].get("AmazonSideAsn") if gateways else None
    elif transit_gateway_id:
        found = call(client, "describe_transit_gateways", TransitGatewayIds=[transit_gateway_id])
        gateways = found.get("TransitGateways", [])
        asn = gateways[0].get("Options", {}).get("AmazonSideAsn") if gateways else None
    else:
        return None
    return int(asn) if asn is not None else None


def find(client: Any, names: list[str], states: tuple[str, ...]) -> list[dict[str, Any]]:
    """The connections of this collection named ``names`` in ``states`` (one Describe)."""
    found = call_all(
        client,
        "describe_vpn_connections",
        "VpnConnections",
        Filters=[
            {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]},
            {"Name": f"tag:{NAME_TAG}", "Values": sorted(set(names))},
            {"Name": "state", "Values": list(states)},
        ],
    )
    # The state filter is applied again here: some EC2 implementations ignore it.
    return [c for c in found if c.get("State") in states]


def immutable_changes(connection: dict[str, Any], params: dict[str, Any]) -> list[str]:
    """Settings AWS cannot change in place, as 'option: current -> wanted'."""
    current = connection_view(connection)
    changes = []
    for option in ("customer_gateway_id", "vpn_gateway_id", "transit_gateway_id"):
        if (current[option] or None) != (params.get(option) or None):
            changes.append(f"{option}: {current[option]} -> {params.get(option)}")
    if current["static_routes_only"] != params["static_routes_only"]:
        changes.append(
            f"static_routes_only: {current['static_routes_only']} -> {params['static_routes_only']}"
        )
    return changes


def plan_tunnels(
    connection: dict[str, Any], wanted: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any], list[str]]]:
    """(outside IP, wanted options, drifted option names) for each tunnel that drifted, in
    the order of ``wanted``; tunnels are paired by inside CIDR (pair_tunnels)."""
    plan = []
    for index, actual in pair_tunnels(connection, wanted):
        drift = tunnel_drift(wanted[index], actual_tunnel(actual))
        if drift:
            plan.append((actual["OutsideIpAddress"], wanted[index], drift))
    return plan


def _desired_view(
    params: dict[str, Any],
    current: dict[str, Any] | None,
    tags: dict[str, str],
) -> dict[str, Any]:
    """The connection as it will be: a new one gets every wanted tunnel; an existing one
    (``current``, in_tunnel_order) keeps its tunnels, each overlaid with the wanted tunnel
    it is paired with."""
    wanted = params.get("tunnel_options") or []
    if current is None:
        tunnel_views = [masked(_set(tunnel)) for tunnel in wanted]
    else:
        overlay = {
            actual["OutsideIpAddress"]: wanted[index]
            for index, actual in pair_tunnels(current, wanted)
        }
        tunnel_views = []
        for actual in _connection_tunnel_options(current):
            view = masked(actual_tunnel(actual))
            tunnel = overlay.get(actual["OutsideIpAddress"])
            if tunnel is not None:
                psk_changed = "pre_shared_key" in tunnel_drift(tunnel, actual_tunnel(actual))
                view.update(masked(_set(tunnel), psk_changed))
            tunnel_views.append(view)
    return {
        "customer_gateway_id": params.get("customer_gateway_id"),
        "vpn_gateway_id": params.get("vpn_gateway_id"),
        "transit_gateway_id": params.get("transit_gateway_id"),
        "static_routes_only": params["static_routes_only"],
        "tags": tags,
        "tunnel_options": tunnel_views,
    }


def _create(client: Any, params: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "Type": "ipsec.1",
        "CustomerGatewayId": params["customer_gateway_id"],
        "Options": {
            "StaticRoutesOnly": params["static_routes_only"],
            "TunnelOptions": [tunnel_request(t) for t in params.get("tunnel_options") or []],
        },
        "TagSpecifications": [{"ResourceType": "vpn-connection", "Tags": dict_to_tags(tags)}],
    }
    if params.get("vpn_gateway_id"):
        request["VpnGatewayId"] = params["vpn_gateway_id"]
    else:
        request["TransitGatewayId"] = params["transit_gateway_id"]
    # The customer gateway and VGW are usually created right before (the aws_vpn role's
    # previous tasks): a NotFound of them is retried ("Eventual consistency in the Amazon EC2
    # API"), then reported as AWS gave it. Nothing is created by a call that answers NotFound.
    connection: dict[str, Any] = call(
        client, "create_vpn_connection", retry_codes=FRESH_ID_NOT_FOUND_CODES, **request
    )["VpnConnection"]
    return connection


def _get(client: Any, connection_id: str, just_created: bool = False) -> dict[str, Any] | None:
    """The connection, or None if AWS does not find it (gone, or too fresh: "Eventual
    consistency in the Amazon EC2 API"). ``just_created``: this run created it, so a NotFound
    is retried first (never when waiting for ``deleted``, where NotFound means gone)."""
    codes = FRESH_ID_NOT_FOUND_CODES if just_created else ()
    try:
        found = call(
            client,
            "describe_vpn_connections",
            retry_codes=codes,
            VpnConnectionIds=[connection_id],
        )
    except AwsError as exc:
        if exc.code == "InvalidVpnConnectionID.NotFound":
            return None
        raise
    connections: list[dict[str, Any]] = found.get("VpnConnections") or []
    return connections[0] if connections else None


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _clock() -> float:
    return time.monotonic()


def wait_for(
    client: Any,
    connection_id: str,
    target: str,
    timeout: float,
    advice: str,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Poll the connection until its state is ``target`` (``available`` or ``deleted``; one
    no longer found counts as deleted) and return it. The interval starts at POLL_FIRST
    seconds and doubles up to POLL_MAX, never past the deadline ``timeout`` seconds away;
    there, or when the connection can no longer become available, AwsError WaitTimeout
    says what it is and ``advice``."""
    sleep, clock = sleep or _sleep, clock or _clock

    def step() -> dict[str, Any] | None:
        connection = _get(client, connection_id)
        if connection is None and target == "deleted":
            return {"VpnConnectionId": connection_id, "State": "deleted"}
        state = connection.get("State") if connection else None
        if target == "available" and state in GONE_STATES:
            raise AwsError(
                "WaitTimeout",
                f"VPN connection {connection_id} is {state}: it will not become available",
            )
        return connection

    def reached(connection: dict[str, Any] | None) -> bool:
        return connection is not None and connection.get("State") == target

    found = poll(step, reached, timeout, POLL_FIRST, sleep, clock, max_interval=POLL_MAX)
    if found is not None and reached(found):
        return found
    state = found.get("State") if found else "not found yet"
    raise AwsError(
        "WaitTimeout",
        f"VPN connection {connection_id} is {state} after waiting {timeout:g}s for "
        f"'{target}': {advice}",
    )


def wait_available(
    client: Any,
    connection_id: str,
    timeout: float,
    advice: str = "raise wait_timeout or use wait: false",
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> dict[str, Any]:
    return wait_for(client, connection_id, "available", timeout, advice, sleep, clock)


def wait_deleted(client: Any, connection_id: str, timeout: float) -> None:
    """Wait up to ``timeout`` seconds (0: not at all) for a deleted connection to be
    ``deleted``: AWS takes minutes, and until then its customer gateway and VGW answer
    IncorrectState "is in use" and its inside CIDRs stay taken on the gateway."""
    if timeout > 0:
        advice = (
            "raise delete_timeout (AWS takes minutes to delete a VPN connection); its "
            "gateways cannot be deleted before"
        )
        wait_for(client, connection_id, "deleted", timeout, advice)


def modify_tunnel(
    client: Any,
    connection_id: str,
    planned: tuple[str, dict[str, Any], list[str]],
    timeout: float,
    wait: bool = True,
) -> None:
    """ModifyVpnTunnelOptions for one tunnel of plan_tunnels, with ``wait`` once the
    connection is ``available`` (up to ``timeout``): AWS modifies one tunnel at a time and
    the connection is ``modifying`` until it is done (API_ModifyVpnTunnelOptions)."""
    if wait:
        advice = "raise wait_timeout: AWS applies one tunnel modification at a time"
        wait_available(client, connection_id, timeout, advice)
    outside, tunnel, _names = planned
    call(
        client,
        "modify_vpn_tunnel_options",
        VpnConnectionId=connection_id,
        VpnTunnelOutsideIpAddress=outside,
        TunnelOptions=tunnel_request(tunnel),
    )


def ensure(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Make the named connection match ``params``: changed, vpn_connection, before, after.
    It is ensure_all over one entry; with ``connections``, ensure_all's result itself."""
    result = ensure_all(client, params, check_mode)
    if params.get("connections") is not None:
        return result
    name = params["name"]
    return {
        "changed": result["changed"],
        "vpn_connection": result["vpn_connections"][name],
        "before": result["before"].get(name, {}),
        "after": result["after"].get(name, {}),
    }


def ensure_all(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Every entry of ``connections`` (of the single form: ``params``). Every entry is planned
    first (_plan), so a wrong one fails before any change; then every deletion, creation and
    first tunnel modification is started without waiting (_start), and the waits come after
    (_wait). ``vpn_connections``, ``before`` and ``after`` are keyed by name."""
    wanted = entries(params)
    if not wanted:
        return {"changed": False, "vpn_connections": {}, "before": {}, "after": {}}
    plans = [_tag(client, plan, check_mode) for plan in _plan(client, params, wanted, check_mode)]
    made = {p["params"]["name"]: p["current"] for p in plans if p["action"] == "modify"}
    if not check_mode:
        made.update(_start(client, params, plans))
        made.update(_wait(client, params, plans, made))
    return _result(client, plans, made)


def _plan(
    client: Any, params: dict[str, Any], wanted: list[dict[str, Any]], check_mode: bool
) -> list[dict[str, Any]]:
    """_plan_entry for every entry (reads only): one DescribeVpnConnections for all of them
    and one DescribeCustomerGateways for those with ``customer_gateway_name``. With
    ``connections``, an entry's AwsError names it ``connections[i] (name)``."""
    absent = params["state"] == "absent"
    # state=absent also sees a connection an earlier run left deleting, to wait for it.
    states = (*LIVE_STATES, "deleting") if absent else LIVE_STATES
    by_name: dict[str, list[dict[str, Any]]] = {}
    for connection in find(client, [entry["name"] for entry in wanted], states):
        name = tags_to_dict(connection.get("Tags")).get(NAME_TAG)
        by_name.setdefault(name or "", []).append(connection)
    gateway_names = [] if absent else [e.get("customer_gateway_name") for e in wanted]
    gateway_ids = _gateway_ids(client, [n for n in gateway_names if n])
    plans = []
    for index, entry in enumerate(wanted):
        try:
            plans.append(
                _plan_entry(entry, by_name.get(entry["name"], []), gateway_ids, check_mode)
            )
        except AwsError as exc:
            if params.get("connections") is None:
                raise
            raise AwsError(
                exc.code, f"connections[{index}] ({entry['name']}): {exc.message}"
            ) from None
    return plans


def _gateway_ids(client: Any, names: list[str]) -> dict[str, str]:
    """Customer gateway id by Name, for the live gateways this collection owns with these
    names (one DescribeCustomerGateways); AmbiguousName when a name has several."""
    if not names:
        return {}
    found = call_all(
        client,
        "describe_customer_gateways",
        "CustomerGateways",
        Filters=[
            {"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]},
            {"Name": f"tag:{NAME_TAG}", "Values": sorted(set(names))},
            {"Name": "state", "Values": ["pending", "available"]},
        ],
    )
    ids: dict[str, list[str]] = {}
    for gateway in found:
        tags = tags_to_dict(gateway.get("Tags"))
        if gateway.get("State") in ("pending", "available") and tags.get(NAME_TAG) in names:
            ids.setdefault(tags[NAME_TAG], []).append(gateway["CustomerGatewayId"])
    several = {n: i for n, i in ids.items() if len(i) > 1}
    if several:
        name, found_ids = sorted(several.items())[0]
        raise AwsError(
            "AmbiguousName",
            f"several customer gateways are tagged {NAME_TAG}={name} ({', '.join(found_ids)}): "
            "delete the extra ones",
        )
    return {n: i[0] for n, i in ids.items()}


def _plan_entry(
    params: dict[str, Any],
    found: list[dict[str, Any]],
    gateway_ids: dict[str, str],
    check_mode: bool,
) -> dict[str, Any]:
    """What to do for one connection (reads only; AwsError if it cannot be done): ``action``
    create | replace | modify | absent, with ``current``, ``before`` and ``tunnels``."""
    absent = params["state"] == "absent"
    live = [c for c in found if c.get("State") in LIVE_STATES]
    if len(live) > 1:
        ids = ", ".join(c["VpnConnectionId"] for c in live)
        raise AwsError(
            "AmbiguousName",
            f"several VPN connections are tagged {NAME_TAG}={params['name']} ({ids}): "
            "delete the extra ones",
        )
    wanted = params.get("tunnel_options") or []
    current = in_tunnel_order(live[0], wanted) if live else None
    plan: dict[str, Any] = {
        "params": params,
        "wanted": wanted,
        "current": current,
        "deleting": [c for c in found if c not in live],
        "before": connection_view(current),
        "tunnels": [],
    }
    if absent:
        return {**plan, "action": "absent"}
    gateway_name = params.get("customer_gateway_name")
    if gateway_name:
        gateway_id = gateway_ids.get(gateway_name)
        if gateway_id is None and not check_mode:
            raise AwsError(
                "InvalidCustomerGatewayName.NotFound",
                f"no customer gateway of this collection is named {gateway_name}: create it "
                "first (crosscluster.link.aws_customer_gateway)",
            )
        # In check mode a gateway still to be created means a connection still to be created.
        params = plan["params"] = {**params, "customer_gateway_id": gateway_id}
        if gateway_id is None:
            return {**plan, "action": "replace" if current is not None else "create"}
    if current is None:
        return {**plan, "action": "create"}
    reasons = immutable_changes(current, params)
    if reasons:
        if not params["replace"]:
            raise AwsError(
                "ReplacementRequired",
                f"VPN connection {current['VpnConnectionId']} differs in settings AWS cannot "
                f"change in place ({'; '.join(reasons)}). Set replace: true to delete "
                "and recreate it (the tunnels get new outside IPs), or keep the current values.",
            )
        return {**plan, "action": "replace"}
    return {**plan, "action": "modify", "tunnels": plan_tunnels(current, wanted)}


def _tag(client: Any, plan: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The plan with ``tags`` (the connection's tags after) and ``changed``. A connection
    kept gets its tags now (reconcile_tags: nothing is sent in check mode)."""
    params, action, current = plan["params"], plan["action"], plan["current"]
    if action in ("create", "replace"):
        tags = {**(params.get("tags") or {}), **owner_tags(params["name"])}
        return {**plan, "tags": tags, "changed": True}
    if action == "absent":
        return {**plan, "tags": {}, "changed": current is not None}
    tagged, tags = reconcile_tags(
        client, current["VpnConnectionId"], tags_to_dict(current.get("Tags")), params, check_mode
    )
    return {**plan, "tags": tags, "changed": tagged or bool(plan["tunnels"])}


def _start(
    client: Any, params: dict[str, Any], plans: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every deletion, creation and first tunnel modification, waiting for none of them but
    a connection an earlier run left ``modifying`` (after every creation). Returns the
    created connections by name."""
    for plan in plans:
        if plan["action"] in ("absent", "replace") and plan["current"] is not None:
            call(
                client, "delete_vpn_connection", VpnConnectionId=plan["current"]["VpnConnectionId"]
            )
    created = {
        plan["params"]["name"]: _create(client, plan["params"], plan["tags"])
        for plan in plans
        if plan["action"] == "create"
    }
    for plan in plans:
        if plan["tunnels"]:
            current = plan["current"]
            modifying = current.get("State") == "modifying"
            connection_id, timeout = current["VpnConnectionId"], params["wait_timeout"]
            modify_tunnel(client, connection_id, plan["tunnels"][0], timeout, wait=modifying)
    return created


def _wait(
    client: Any,
    params: dict[str, Any],
    plans: list[dict[str, Any]],
    made: dict[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """The waits, each after everything that did not need it was started: a replaced
    connection ``deleted`` before its successor is created (it may reuse the inside CIDRs),
    each further tunnel modification, the deleted connections. Returns every connection
    kept or made (``made`` by name, with the replacements) as _latest gives it."""
    made = dict(made)
    delete_timeout = params.get("delete_timeout", 0)
    for plan in plans:
        if plan["action"] == "replace":
            if plan["current"] is not None:
                wait_deleted(client, plan["current"]["VpnConnectionId"], delete_timeout)
            made[plan["params"]["name"]] = _create(client, plan["params"], plan["tags"])
    for plan in plans:
        for planned in plan["tunnels"][1:]:
            connection_id = plan["current"]["VpnConnectionId"]
            modify_tunnel(client, connection_id, planned, params["wait_timeout"])
    for plan in plans:
        if plan["action"] == "absent":
            current = [plan["current"]] if plan["current"] is not None else []
            for connection in current + plan["deleting"]:
                wait_deleted(client, connection["VpnConnectionId"], delete_timeout)
    return {
        name: _latest(client, params, plan, made[name])
        for plan in plans
        if (name := plan["params"]["name"]) in made
    }


def _latest(
    client: Any, params: dict[str, Any], plan: dict[str, Any], connection: dict[str, Any]
) -> dict[str, Any]:
    """The connection once changed: with ``wait``, ``available``; else described again when
    this run created or changed it."""
    connection_id = connection["VpnConnectionId"]
    if params["wait"]:
        return wait_available(client, connection_id, params["wait_timeout"])
    if plan["action"] in ("create", "replace"):
        return _get(client, connection_id, just_created=True) or connection
    if plan["changed"]:
        return _get(client, connection_id) or connection
    return connection


def _result(
    client: Any, plans: list[dict[str, Any]], made: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """changed, and by name: vpn_connections (None when absent or not made, as in check
    mode), before and after (the diff's views)."""
    results: dict[str, Any] = {}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    asns: dict[tuple[str | None, str | None], int | None] = {}
    for plan in plans:
        name, action = plan["params"]["name"], plan["action"]
        if plan["before"]:
            before[name] = plan["before"]
        if action != "absent":
            current = plan["current"] if action == "modify" else None
            after[name] = _desired_view(plan["params"], current, plan["tags"])
        connection = made.get(name)
        if action == "absent" or connection is None:
            results[name] = None
            continue
        key = (connection.get("VpnGatewayId"), connection.get("TransitGatewayId"))
        if key not in asns:
            asns[key] = gateway_asn(client, *key)
        results[name] = describe(in_tunnel_order(connection, plan["wanted"]), asns[key])
    return {
        "changed": any(plan["changed"] for plan in plans),
        "vpn_connections": results,
        "before": before,
        "after": after,
    }


def info(client: Any, params: dict[str, Any], check_mode: bool = False) -> dict[str, Any]:
    """Connections matching the info module's filters (all live ones by default); read-only."""
    filters: list[dict[str, Any]] = [{"Name": "state", "Values": list(LIVE_STATES)}]
    request: dict[str, Any] = {"Filters": filters}
    if params.get("vpn_connection_ids"):
        request["VpnConnectionIds"] = params["vpn_connection_ids"]
    for option, name in (
        ("name", f"tag:{NAME_TAG}"),
        ("customer_gateway_id", "customer-gateway-id"),
        ("vpn_gateway_id", "vpn-gateway-id"),
        ("transit_gateway_id", "transit-gateway-id"),
    ):
        if params.get(option):
            filters.append({"Name": name, "Values": [params[option]]})
    if params.get("managed_only"):
        filters.append({"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]})
    connections = call_all(client, "describe_vpn_connections", "VpnConnections", **request)
    connections = [c for c in connections if c.get("State") in LIVE_STATES]
    asns: dict[tuple[str | None, str | None], int | None] = {}
    result = []
    for connection in sorted(connections, key=lambda c: c["VpnConnectionId"]):
        key = (connection.get("VpnGatewayId"), connection.get("TransitGatewayId"))
        if key not in asns:
            asns[key] = gateway_asn(client, *key)
        result.append(describe(in_tunnel_order(connection), asns[key]))
    return {"changed": False, "vpn_connections": result}
