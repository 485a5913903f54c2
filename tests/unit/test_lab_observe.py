"""The lab's feedback, pure parts (tests/lab/observe.py): swanctl and vtysh output parsed
into what each tunnel end sees, and that mapped to the values the EC2 (VgwTelemetry) and
Compute Engine (vpnTunnels status, getRouterStatus) references document."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lab import observe
from tests.lab.model import Proposal, TunnelEnd

# swanctl --list-sas --raw of an established tunnel (strongSwan 5.9, vici raw format),
# then of one still negotiating, then of a charon with no SA.
ESTABLISHED = (
    "list-sa event {tunnel {uniqueid=1 version=2 state=ESTABLISHED local-host=198.51.100.1 "
    "local-port=4501 local-id=198.51.100.1 remote-host=203.0.113.10 remote-port=4501 "
    "remote-id=203.0.113.10 initiator-spi=0a1b responder-spi=2c3d encr-alg=AES_CBC "
    "encr-keysize=256 integ-alg=HMAC_SHA2_256_128 prf-alg=PRF_HMAC_SHA2_256 dh-group=MODP_2048 "
    "established=12 rekey-time=13000 child-sas {tunnel-1 {name=tunnel uniqueid=1 reqid=1 "
    "state=INSTALLED mode=TUNNEL protocol=ESP encap=yes spi-in=c1 spi-out=c2 "
    "local-ts=[0.0.0.0/0] remote-ts=[0.0.0.0/0]}}}}\nlist-sas reply {}\n"
)
CONNECTING = (
    "list-sa event {tunnel {uniqueid=4 version=2 state=CONNECTING local-host=198.51.100.2 "
    "remote-host=203.0.113.11 child-sas {}}}\nlist-sas reply {}\n"
)
REKEYING_CHILD = (
    "list-sa event {tunnel {uniqueid=2 state=ESTABLISHED child-sas {tunnel-7 {state=REKEYED} "
    "tunnel-8 {state=INSTALLED}}}}\nlist-sas reply {}\n"
)


@pytest.mark.parametrize(
    ("raw", "sas", "up"),
    [
        (ESTABLISHED, [observe.IkeSa("ESTABLISHED", ("INSTALLED",))], True),
        (CONNECTING, [observe.IkeSa("CONNECTING", ())], False),
        (REKEYING_CHILD, [observe.IkeSa("ESTABLISHED", ("REKEYED", "INSTALLED"))], True),
        ("list-sas reply {}\n", [], False),
        ("", [], False),
    ],
)
def test_swanctl_list_sas_is_parsed_into_ike_and_child_states(
    raw: str, sas: list[observe.IkeSa], up: bool
) -> None:
    assert observe.parse_sas(raw) == sas
    assert observe.ipsec_up(sas) is up


def test_an_ike_sa_without_an_installed_child_is_not_up() -> None:
    raw = ESTABLISHED.replace("state=INSTALLED", "state=CREATED")
    assert not observe.ipsec_up(observe.parse_sas(raw))


# show bgp ipv4 unicast json (FRR 8): one path per peer that sent the prefix; ours has no peer.
TABLE: dict[str, Any] = {
    "routes": {
        "10.10.0.0/16": [
            {"valid": True, "bestpath": True, "peerId": "169.254.10.1"},
            {"valid": True, "multipath": True, "peerId": "169.254.10.5"},
        ],
        "10.32.0.0/16": [{"valid": True, "peerId": "169.254.10.1"}],
        "10.99.0.0/16": [{"valid": False, "peerId": "169.254.10.1"}],
        "10.20.0.0/20": [{"valid": True, "bestpath": True, "peerId": "(unspec)"}],
    }
}


def test_accepted_prefixes_are_the_valid_paths_from_that_peer() -> None:
    assert observe.accepted_prefixes(TABLE, "169.254.10.1") == ["10.10.0.0/16", "10.32.0.0/16"]
    assert observe.accepted_prefixes(TABLE, "169.254.10.5") == ["10.10.0.0/16"]
    assert observe.accepted_prefixes(TABLE, "169.254.10.9") == []
    assert observe.accepted_prefixes({}, "169.254.10.1") == []


UP = observe.Seen(True, "", {"bgpState": "Established"}, ("10.20.0.0/20", "10.48.0.0/14"))
PSK = observe.Seen(False, "pre-shared key mismatch (peer refused our AUTH)", {}, ())
ASN = observe.Seen(
    True,
    "",
    {"bgpState": "Active", "lastNotificationReason": "OPEN Message Error/Bad Peer AS"},
    (),
)


@pytest.mark.parametrize(
    ("seen", "telemetry"),
    [
        (UP, {"Status": "UP", "StatusMessage": "2 BGP ROUTES", "AcceptedRouteCount": 2}),
        (PSK, {"Status": "DOWN", "StatusMessage": "IPSEC IS DOWN", "AcceptedRouteCount": 0}),
        (ASN, {"Status": "DOWN", "StatusMessage": "IPSEC IS UP", "AcceptedRouteCount": 0}),
    ],
)
def test_aws_telemetry_is_up_only_with_ipsec_and_bgp(
    seen: observe.Seen, telemetry: dict[str, Any]
) -> None:
    assert observe.aws_telemetry(seen) == telemetry


@pytest.mark.parametrize(
    ("diagnosis", "status"),
    [
        ("pre-shared key mismatch", "AUTHORIZATION_ERROR"),
        ("pre-shared key mismatch (peer refused our AUTH)", "AUTHORIZATION_ERROR"),
        ("proposal mismatch", "NEGOTIATION_FAILURE"),
        ("the peer has no tunnel for these addresses", "NEGOTIATION_FAILURE"),
        ("no answer from the peer", "NO_INCOMING_PACKETS"),
        ("no answer from the peer yet", "NO_INCOMING_PACKETS"),
        ("", "NO_INCOMING_PACKETS"),
    ],
)
def test_a_down_gcp_tunnel_reports_the_status_cloud_vpn_documents(
    diagnosis: str, status: str
) -> None:
    reported = observe.gcp_tunnel(observe.Seen(False, diagnosis, {}, ()))
    assert reported["status"] == status
    assert reported["detailedStatus"].startswith(diagnosis or "no IKE answer")
    assert observe.gcp_tunnel(UP)["status"] == "ESTABLISHED"


def test_gcp_peer_status_state_and_learned_routes() -> None:
    assert observe.gcp_peer(UP) == {
        "status": "UP",
        "state": "Established",
        "numLearnedRoutes": 2,
        "learnedRoutes": ["10.20.0.0/20", "10.48.0.0/14"],
    }
    assert observe.gcp_peer(ASN) == {
        "status": "DOWN",
        "state": "Active",
        "numLearnedRoutes": 0,
        "learnedRoutes": [],
    }
    # An Established bgpd over a tunnel that is not up is not a session; an unknown state
    # (none reported) is Idle.
    stale = observe.Seen(False, "", {"bgpState": "Established"}, ("10.1.0.0/16",))
    assert observe.gcp_peer(stale)["status"] == "DOWN"
    assert observe.gcp_peer(PSK)["state"] == "Idle"


def end(name: str, router: str = "", peer: str = "") -> TunnelEnd:
    return TunnelEnd(
        name=name,
        public_ip="198.51.100.1",
        peer_public_ip="203.0.113.10",
        psk="k" * 16,
        ike_version=2,
        proposal=Proposal("aes256-sha256-modp2048", "aes256-sha256"),
        inside="169.254.10.1/30",
        peer_inside_ip="169.254.10.2",
        peer_asn=65010,
        initiate=False,
        router=router,
        bgp_peer=peer,
    )


def test_request_bodies_address_each_clouds_resources() -> None:
    observed = [
        ("aws", end("vpn-0a1b2c3d4e5f60718:198.51.100.1"), PSK),
        ("gcp", end("xcl-link-t0", "xcl-gcp-router", "xcl-link-t0"), UP),
        ("gcp", end("xcl-link-t9"), PSK),  # a tunnel without a BGP peer: no peer entry
    ]
    aws, gcp = observe.bodies(observed, "demo-project", "europe-west1")
    assert aws == {
        "tunnels": [
            {
                "VpnConnectionId": "vpn-0a1b2c3d4e5f60718",
                "OutsideIpAddress": "198.51.100.1",
                "Status": "DOWN",
                "StatusMessage": "IPSEC IS DOWN",
                "AcceptedRouteCount": 0,
            }
        ]
    }
    scope = {"project": "demo-project", "region": "europe-west1"}
    assert [t["tunnel"] for t in gcp["tunnels"]] == ["xcl-link-t0", "xcl-link-t9"]
    assert gcp["tunnels"][1]["status"] == "AUTHORIZATION_ERROR"
    assert gcp["bgpPeers"] == [
        scope | {"router": "xcl-gcp-router", "peer": "xcl-link-t0"} | observe.gcp_peer(UP)
    ]
