"""Site-to-Site VPN behaviour that moto does not model: tunnel options, outside addresses,
telemetry and the customer gateway configuration document.

Pure functions on plain values; ``app.py`` applies them to moto's objects. Every rule
cites the EC2 API reference page (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/)
it follows.
"""

from __future__ import annotations

import ipaddress
import random
import re
import string
from typing import Any
from xml.sax.saxutils import escape


class Ec2Error(Exception):
    """An EC2 API error (code as in "Error codes for the Amazon EC2 API")."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def invalid(message: str) -> Ec2Error:
    return Ec2Error("InvalidParameterValue", message)


# VpnTunnelOptionsSpecification / ModifyVpnTunnelOptionsSpecification: "Valid values".
PHASE1_ENCRYPTION = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
PHASE2_ENCRYPTION = PHASE1_ENCRYPTION
PHASE1_INTEGRITY = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
PHASE2_INTEGRITY = PHASE1_INTEGRITY
PHASE1_DH_GROUPS = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
PHASE2_DH_GROUPS = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
IKE_VERSIONS = ("ikev1", "ikev2")
DPD_TIMEOUT_ACTIONS = ("clear", "none", "restart")
STARTUP_ACTIONS = ("add", "start")

# VpnTunnelOptionsSpecification, TunnelInsideCidr: "A size /30 CIDR block from the
# 169.254.0.0/16 range. The following CIDR blocks are reserved and cannot be used".
LINK_LOCAL = ipaddress.ip_network("169.254.0.0/16")
RESERVED_INSIDE_CIDRS = frozenset(
    ipaddress.ip_network(c)
    for c in (
        "169.254.0.0/30",
        "169.254.1.0/30",
        "169.254.2.0/30",
        "169.254.3.0/30",
        "169.254.4.0/30",
        "169.254.5.0/30",
        "169.254.169.252/30",
    )
)
# VpnTunnelOptionsSpecification, PreSharedKey: "between 8 and 64 characters in length and
# cannot start with zero (0). Allowed characters are alphanumeric characters, periods (.),
# and underscores (_)."
PSK_RE = re.compile(r"^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$")
PSK_ALPHABET = string.ascii_letters + string.digits + "._"

# (request member, response member, allowed values) of the list options. The request uses
# IKEVersions, the TunnelOption type answers ikeVersionSet (IkeVersions in botocore).
LIST_OPTIONS = (
    ("Phase1EncryptionAlgorithms", "Phase1EncryptionAlgorithms", PHASE1_ENCRYPTION),
    ("Phase2EncryptionAlgorithms", "Phase2EncryptionAlgorithms", PHASE2_ENCRYPTION),
    ("Phase1IntegrityAlgorithms", "Phase1IntegrityAlgorithms", PHASE1_INTEGRITY),
    ("Phase2IntegrityAlgorithms", "Phase2IntegrityAlgorithms", PHASE2_INTEGRITY),
    ("Phase1DHGroupNumbers", "Phase1DHGroupNumbers", PHASE1_DH_GROUPS),
    ("Phase2DHGroupNumbers", "Phase2DHGroupNumbers", PHASE2_DH_GROUPS),
    ("IKEVersions", "IkeVersions", IKE_VERSIONS),
)

# Defaults of VpnTunnelOptionsSpecification ("Default:" of each member); a list option not
# given permits every valid value.
SCALAR_DEFAULTS: dict[str, Any] = {
    "Phase1LifetimeSeconds": 28800,
    "Phase2LifetimeSeconds": 3600,
    "RekeyMarginTimeSeconds": 270,
    "RekeyFuzzPercentage": 100,
    "ReplayWindowSize": 1024,
    "DpdTimeoutSeconds": 30,
    "DpdTimeoutAction": "clear",
    "StartupAction": "add",
    "EnableTunnelLifecycleControl": False,
}
# request member -> response member where they differ (DPDTimeoutSeconds vs dpdTimeoutSeconds)
SCALAR_NAMES = {
    "Phase1LifetimeSeconds": "Phase1LifetimeSeconds",
    "Phase2LifetimeSeconds": "Phase2LifetimeSeconds",
    "RekeyMarginTimeSeconds": "RekeyMarginTimeSeconds",
    "RekeyFuzzPercentage": "RekeyFuzzPercentage",
    "ReplayWindowSize": "ReplayWindowSize",
    "DPDTimeoutSeconds": "DpdTimeoutSeconds",
    "DPDTimeoutAction": "DpdTimeoutAction",
    "StartupAction": "StartupAction",
    "EnableTunnelLifecycleControl": "EnableTunnelLifecycleControl",
}


def validate_inside_cidr(value: str, taken: set[str]) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise invalid(f"The tunnel inside CIDR {value!r} is not a valid CIDR block.") from None
    if net.version != 4 or net.prefixlen != 30 or not net.subnet_of(LINK_LOCAL):  # type: ignore[arg-type]
        raise invalid(
            f"The tunnel inside CIDR {value} must be a /30 CIDR block in the 169.254.0.0/16 range."
        )
    if net in RESERVED_INSIDE_CIDRS:
        raise invalid(f"The tunnel inside CIDR {value} is reserved and cannot be used.")
    if str(net) in taken:
        # TunnelInsideCidr: "must be unique across all VPN connections that use the same
        # virtual private gateway."
        raise invalid(f"The tunnel inside CIDR {value} is already in use on this gateway.")
    return str(net)


def validate_psk(value: str) -> str:
    if not PSK_RE.match(value):
        raise invalid(
            "The pre-shared key must be 8-64 characters of letters, digits, periods and "
            "underscores, and cannot start with zero (0)."
        )
    return value


def _ranged(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low} and {high}, got {value}.")
    return value


def merge_tunnel_options(spec: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Validate one VpnTunnelOptionsSpecification / ModifyVpnTunnelOptionsSpecification and
    return ``current`` (a TunnelOption, response names) updated with what it sets."""
    result = dict(current)
    for request_name, response_name, allowed in LIST_OPTIONS:
        values = spec.get(request_name)
        if values is None:
            continue
        chosen = [item.get("Value") for item in values]
        bad = [v for v in chosen if v not in allowed]
        if bad or not chosen:
            raise invalid(
                f"{request_name} value {bad[0] if bad else '(empty)'!r} is not valid; "
                f"valid values: {', '.join(str(a) for a in allowed)}."
            )
        result[response_name] = [{"Value": v} for v in dict.fromkeys(chosen)]
    for request_name, response_name in SCALAR_NAMES.items():
        if spec.get(request_name) is not None:
            result[response_name] = spec[request_name]
    if spec.get("PreSharedKey") is not None:
        result["PreSharedKey"] = validate_psk(spec["PreSharedKey"])
    if spec.get("LogOptions") is not None:
        result["LogOptions"] = spec["LogOptions"]
    # Ranges of VpnTunnelOptionsSpecification.
    p1 = _ranged("Phase1LifetimeSeconds", result["Phase1LifetimeSeconds"], 900, 28800)
    p2 = _ranged("Phase2LifetimeSeconds", result["Phase2LifetimeSeconds"], 900, 3600)
    if p2 >= p1:
        raise invalid("Phase2LifetimeSeconds must be less than Phase1LifetimeSeconds.")
    # RekeyMarginTimeSeconds: "A value between 60 and half of Phase2LifetimeSeconds."
    _ranged("RekeyMarginTimeSeconds", result["RekeyMarginTimeSeconds"], 60, p2 // 2)
    _ranged("RekeyFuzzPercentage", result["RekeyFuzzPercentage"], 0, 100)
    _ranged("ReplayWindowSize", result["ReplayWindowSize"], 64, 2048)
    if result["DpdTimeoutSeconds"] < 30:
        raise invalid("DPDTimeoutSeconds must be greater than or equal to 30.")
    if result["DpdTimeoutAction"] not in DPD_TIMEOUT_ACTIONS:
        raise invalid(f"DPDTimeoutAction must be one of {', '.join(DPD_TIMEOUT_ACTIONS)}.")
    if result["StartupAction"] not in STARTUP_ACTIONS:
        raise invalid(f"StartupAction must be one of {', '.join(STARTUP_ACTIONS)}.")
    return result


def default_tunnel(outside_ip: str) -> dict[str, Any]:
    """A TunnelOption with AWS's defaults (every valid algorithm, DH group and IKE version)."""
    tunnel: dict[str, Any] = {"OutsideIpAddress": outside_ip, **SCALAR_DEFAULTS}
    for _unused, response_name, allowed in LIST_OPTIONS:
        tunnel[response_name] = [{"Value": v} for v in allowed]
    return tunnel


def random_inside_cidr(rng: random.Random, taken: set[str]) -> str:
    """A free /30 of 169.254.0.0/16 outside the reserved list, as AWS picks when none is given."""
    while True:
        net = ipaddress.ip_network(f"169.254.{rng.randrange(256)}.{rng.randrange(64) * 4}/30")
        if net not in RESERVED_INSIDE_CIDRS and str(net) not in taken:
            return str(net)


def random_psk(rng: random.Random) -> str:
    """A 32-character key in the PreSharedKey charset, not starting with 0 (as AWS generates)."""
    first = rng.choice(string.ascii_letters)
    return first + "".join(rng.choice(PSK_ALPHABET) for _unused in range(31))


def outside_ips(index: int) -> tuple[str, str]:
    """Deterministic AWS outside addresses of the index-th (0-based) VPN connection, from the
    documentation range 198.51.100.0/24 (RFC 5737): two per connection, 127 connections."""
    if index >= 127:
        raise Ec2Error("VpnConnectionLimitExceeded", "The emulator has no more outside addresses.")
    return f"198.51.100.{2 * index + 1}", f"198.51.100.{2 * index + 2}"


def inside_hosts(cidr: str) -> tuple[str, str]:
    """(AWS side, customer side) of a tunnel's /30: the first and second host."""
    hosts = list(ipaddress.ip_network(cidr).hosts())
    return str(hosts[0]), str(hosts[1])


# Names used in the generic customer gateway configuration for the first permitted value
# of each list ("Download the configuration file" in the Site-to-Site VPN user guide).
_IKE_CIPHER = {
    "AES128": "aes-128-cbc",
    "AES256": "aes-256-cbc",
    "AES128-GCM-16": "aes-128-gcm-16",
    "AES256-GCM-16": "aes-256-gcm-16",
}
_IKE_AUTH = {"SHA1": "sha1", "SHA2-256": "sha2-256", "SHA2-384": "sha2-384", "SHA2-512": "sha2-512"}
_ESP_AUTH = {
    "SHA1": "hmac-sha1-96",
    "SHA2-256": "hmac-sha256-128",
    "SHA2-384": "hmac-sha384-192",
    "SHA2-512": "hmac-sha512-256",
}


def _first(tunnel: dict[str, Any], name: str) -> Any:
    return tunnel[name][0]["Value"]


def customer_gateway_configuration(
    *,
    connection_id: str,
    connection_type: str,
    customer_gateway_id: str,
    gateway_field: tuple[str, str],
    customer_ip: str,
    customer_asn: str | int,
    amazon_asn: str | int,
    static_routes_only: bool,
    tunnels: list[dict[str, Any]],
) -> str:
    """The per-connection CustomerGatewayConfiguration document (VpnConnection type:
    "The configuration information for the VPN connection's customer gateway (in the native
    XML format)"), laid out like AWS's generic configuration."""
    tag, gateway_id = gateway_field
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<vpn_connection id="{escape(connection_id)}">',
        f"  <customer_gateway_id>{escape(customer_gateway_id)}</customer_gateway_id>",
        f"  <{tag}>{escape(gateway_id)}</{tag}>",
        f"  <vpn_connection_type>{escape(connection_type)}</vpn_connection_type>",
    ]
    for tunnel in tunnels:
        aws_inside, customer_inside = inside_hosts(tunnel["TunnelInsideCidr"])
        out.append("  <ipsec_tunnel>")
        for side, outside, inside, asn in (
            ("customer_gateway", customer_ip, customer_inside, customer_asn),
            ("vpn_gateway", tunnel["OutsideIpAddress"], aws_inside, amazon_asn),
        ):
            out += [
                f"    <{side}>",
                "      <tunnel_outside_address>",
                f"        <ip_address>{escape(outside)}</ip_address>",
                "      </tunnel_outside_address>",
                "      <tunnel_inside_address>",
                f"        <ip_address>{inside}</ip_address>",
                "        <network_mask>255.255.255.252</network_mask>",
                "        <network_cidr>30</network_cidr>",
                "      </tunnel_inside_address>",
            ]
            if not static_routes_only:
                out += [
                    "      <bgp>",
                    f"        <asn>{asn}</asn>",
                    "        <hold_time>30</hold_time>",
                    "      </bgp>",
                ]
            out.append(f"    </{side}>")
        ike_version = _first(tunnel, "IkeVersions")
        out += [
            "    <ike>",
            f"      <version>{ike_version}</version>",
            f"      <authentication_protocol>"
            f"{_IKE_AUTH[_first(tunnel, 'Phase1IntegrityAlgorithms')]}</authentication_protocol>",
            f"      <encryption_protocol>"
            f"{_IKE_CIPHER[_first(tunnel, 'Phase1EncryptionAlgorithms')]}</encryption_protocol>",
            f"      <lifetime>{tunnel['Phase1LifetimeSeconds']}</lifetime>",
            f"      <perfect_forward_secrecy>group{_first(tunnel, 'Phase1DHGroupNumbers')}"
            "</perfect_forward_secrecy>",
            f"      <mode>{'main' if ike_version == 'ikev1' else 'ikev2'}</mode>",
            f"      <pre_shared_key>{escape(tunnel['PreSharedKey'])}</pre_shared_key>",
            "    </ike>",
            "    <ipsec>",
            "      <protocol>esp</protocol>",
            f"      <authentication_protocol>"
            f"{_ESP_AUTH[_first(tunnel, 'Phase2IntegrityAlgorithms')]}</authentication_protocol>",
            f"      <encryption_protocol>"
            f"{_IKE_CIPHER[_first(tunnel, 'Phase2EncryptionAlgorithms')]}</encryption_protocol>",
            f"      <lifetime>{tunnel['Phase2LifetimeSeconds']}</lifetime>",
            f"      <perfect_forward_secrecy>group{_first(tunnel, 'Phase2DHGroupNumbers')}"
            "</perfect_forward_secrecy>",
            "      <mode>tunnel</mode>",
            "      <clear_df_bit>true</clear_df_bit>",
            "      <fragmentation_before_encryption>true</fragmentation_before_encryption>",
            "      <tcp_mss_adjustment>1379</tcp_mss_adjustment>",
            "      <dead_peer_detection>",
            "        <interval>10</interval>",
            "        <retries>3</retries>",
            "      </dead_peer_detection>",
            "    </ipsec>",
            "  </ipsec_tunnel>",
        ]
    out.append("</vpn_connection>")
    return "\n".join(out) + "\n"
