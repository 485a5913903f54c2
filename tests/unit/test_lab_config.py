"""The datapath lab's pure parts: cloud state -> tunnel ends -> strongSwan / FRR config
(tests/lab; the lab itself runs in tests/lab/test_lab.py, as root)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.lab import aws, frr, gcp, pods, proposals, swan
from tests.lab.lab import Lab, PathMtu, Result, Summary, tunnel_mtu
from tests.lab.model import Gateway, Proposal, TunnelEnd


@pytest.mark.parametrize(
    ("encryption", "integrity", "groups", "ike", "esp"),
    [
        (["aes256"], ["sha256"], [14], "aes256-sha256-modp2048", "aes256-sha256-modp2048"),
        (
            ["aes128", "aes128gcm16"],
            ["sha1", "sha256"],
            [19, 99],
            "aes128-sha1-sha256-ecp256,aes128gcm16-prfsha1-prfsha256-ecp256",
            "aes128-sha1-sha256-ecp256,aes128gcm16-ecp256",
        ),
        (["aes256gcm16"], ["sha384"], [20], "aes256gcm16-prfsha384-ecp384", "aes256gcm16-ecp384"),
    ],
)
def test_proposals_keep_aead_apart(
    encryption: list[str], integrity: list[str], groups: list[int], ike: str, esp: str
) -> None:
    assert proposals.ike(encryption, integrity, groups) == ike
    assert proposals.esp(encryption, integrity, groups) == esp


@pytest.mark.parametrize(
    ("versions", "expected"),
    [(["ikev2"], 2), (["ikev1"], 1), (["ikev1", "ikev2"], 0), ([], 0)],
)
def test_ike_version(versions: list[str], expected: int) -> None:
    assert aws.ike_version(versions) == expected


def aws_tunnel(**extra: Any) -> dict[str, Any]:
    return {
        "OutsideIpAddress": "198.51.100.1",
        "TunnelInsideCidr": "169.254.10.0/30",
        "PreSharedKey": "Secret.key_1",
        "IkeVersions": [{"Value": "ikev2"}],
        "Phase1EncryptionAlgorithms": [{"Value": "AES256"}],
        "Phase1IntegrityAlgorithms": [{"Value": "SHA2-256"}],
        "Phase1DHGroupNumbers": [{"Value": 14}],
        "Phase2EncryptionAlgorithms": [{"Value": "AES128-GCM-16"}],
        "Phase2IntegrityAlgorithms": [{"Value": "SHA2-256"}],
        "Phase2DHGroupNumbers": [{"Value": 14}],
        **extra,
    }


def test_aws_tunnel_end_takes_the_first_inside_host_and_the_customer_gateway_as_peer() -> None:
    customer = {"IpAddress": "203.0.113.10", "BgpAsn": "65010"}
    end = aws.tunnel_end("vpn-1", aws_tunnel(), customer, ["10.10.0.0/16"])
    assert (end.public_ip, end.peer_public_ip) == ("198.51.100.1", "203.0.113.10")
    assert (end.inside, end.peer_inside_ip, end.peer_asn) == (
        "169.254.10.1/30",
        "169.254.10.2",
        65010,
    )
    assert end.proposal == Proposal("aes256-sha256-modp2048", "aes128gcm16-modp2048")
    assert (end.ike_version, end.psk, end.advertised) == (2, "Secret.key_1", ("10.10.0.0/16",))
    assert not end.initiate  # StartupAction defaults to "add": AWS responds
    assert aws.tunnel_end("vpn-1", aws_tunnel(StartupAction="start"), customer, []).initiate


class FakeApi:
    """gcp.Api's GET over a dict of URL -> resource."""

    def __init__(self, resources: dict[str, Any]) -> None:
        self.resources = resources

    def get(self, url: str) -> dict[str, Any]:
        found: dict[str, Any] = self.resources[url]
        return found

    def items(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.resources.get(path, [])
        return items


SUBNETS = [
    {
        "network": "net",
        "ipCidrRange": "10.20.0.0/20",
        "secondaryIpRanges": [{"ipCidrRange": "10.48.0.0/14"}],
    },
    {"network": "other", "ipCidrRange": "10.99.0.0/20"},
]


@pytest.mark.parametrize(
    ("router_bgp", "peer", "expected"),
    [
        ({}, {}, ["10.20.0.0/20", "10.48.0.0/14"]),
        (
            {"advertiseMode": "CUSTOM", "advertisedIpRanges": [{"range": "10.104.0.0/20"}]},
            {},
            ["10.104.0.0/20"],
        ),
        (
            {"advertiseMode": "CUSTOM", "advertisedGroups": ["ALL_SUBNETS"]},
            {},
            ["10.20.0.0/20", "10.48.0.0/14"],
        ),
        (
            {"advertiseMode": "CUSTOM", "advertisedGroups": ["ALL_SUBNETS"]},
            {"advertiseMode": "CUSTOM", "advertisedIpRanges": [{"range": "10.1.0.0/16"}]},
            ["10.1.0.0/16"],
        ),
    ],
)
def test_cloud_router_advertises_what_its_settings_say(
    router_bgp: dict[str, Any], peer: dict[str, Any], expected: list[str]
) -> None:
    api = FakeApi({"net": {}, "regions/europe-west1/subnetworks": SUBNETS})
    router = {"network": "net", "region": "x/regions/europe-west1", "bgp": router_bgp}
    assert gcp.advertised(api, router, peer) == expected  # type: ignore[arg-type]


def end(
    name: str, public: str, peer: str, inside: str, peer_inside: str, **extra: Any
) -> TunnelEnd:
    values: dict[str, Any] = {
        "psk": "k" * 8,
        "ike_version": 2,
        "proposal": Proposal("aes256-sha256-modp2048", "aes256-sha256"),
        "peer_asn": 65010,
        "initiate": False,
        "advertised": ("10.10.0.0/16",),
        **extra,
    }
    return TunnelEnd(name, public, peer, inside=inside, peer_inside_ip=peer_inside, **values)


def test_each_pair_gets_one_port_on_both_sides_and_a_namespace_never_reuses_one() -> None:
    a = Gateway("aws", "vgw", "vpc", 64512, False, 10, ["198.51.100.1", "198.51.100.2"])
    a.tunnels = [
        end("a0", "198.51.100.1", "203.0.113.10", "169.254.10.1/30", "169.254.10.2"),
        end("a1", "198.51.100.2", "203.0.113.10", "169.254.10.5/30", "169.254.10.6"),
    ]
    g = Gateway("gcp", "ha", "net", 65010, True, 20, ["203.0.113.10"])
    g.tunnels = [
        end("g1", "203.0.113.10", "198.51.100.2", "169.254.10.6/30", "169.254.10.5"),
        end("g0", "203.0.113.10", "198.51.100.1", "169.254.10.2/30", "169.254.10.1"),
        end("g0bis", "203.0.113.10", "198.51.100.1", "169.254.10.2/30", "169.254.10.1"),
    ]
    ports = Lab("t-", Path("/nonexistent"), [a, g], [])._ports()
    assert ports[(0, 0)] == ports[(1, 1)] and ports[(0, 1)] == ports[(1, 0)]
    assert ports[(0, 0)] != ports[(0, 1)]
    assert len({ports[(1, t)] for t in range(3)}) == 3  # g0bis meets no peer


def test_swanctl_conf_is_route_based_psk_with_the_outside_ips_as_ids() -> None:
    charon = swan.Charon(
        end("a0", "198.51.100.1", "203.0.113.10", "169.254.10.1/30", "169.254.10.2", psk='a"b'),
        "ns",
        4501,
        4501,
        Path("/d"),
    )
    text = swan.swanctl_conf(charon)
    for line in (
        "local_addrs = 198.51.100.1",
        "remote_port = 4501",
        "encap = yes",
        "local_ts = 0.0.0.0/0",
        "start_action = none",
        'secret = "a\\"b"',
    ):
        assert line in text
    assert "port_nat_t = 4501" in swan.strongswan_conf(charon)


@pytest.mark.parametrize(("ecmp", "paths"), [(False, 1), (True, 8)])
def test_bgpd_conf_advertises_per_neighbour_and_sets_multipath(ecmp: bool, paths: int) -> None:
    gateway = Gateway("aws", "vgw", "vpc", 64512, ecmp, 10, ["198.51.100.1"])
    gateway.tunnels = [
        end("a0", "198.51.100.1", "203.0.113.10", "169.254.10.1/30", "169.254.10.2"),
        end("a1", "198.51.100.1", "203.0.113.11", "", ""),  # no BGP peer on that tunnel
    ]
    text = frr.bgpd_conf(frr.Frr(gateway, "ns", Path("/d"), "198.51.100.1"))
    assert "router bgp 64512" in text
    assert " neighbor 169.254.10.2 remote-as 65010" in text
    assert " neighbor 169.254.10.2 timers 10 30" in text
    assert text.count("remote-as") == 1
    assert "  network 10.10.0.0/16" in text
    assert f"  maximum-paths {paths}" in text
    assert "ip prefix-list out0 seq 5 permit 10.10.0.0/16" in text


@pytest.mark.parametrize(
    ("log", "cause"),
    [
        ("", ""),
        (
            "12[IKE] tried 1 shared key for 'a' - 'b', but MAC mismatched\n",
            "pre-shared key mismatch",
        ),
        (
            "01[IKE] sending retransmit 1 of request message ID 0, seq 1\n"
            "02[IKE] received NO_PROPOSAL_CHOSEN notify error\n",
            "proposal mismatch",
        ),
    ],
)
def test_diagnosis_names_the_latest_cause_in_the_charon_log(
    tmp_path: Path, log: str, cause: str
) -> None:
    (tmp_path / "charon.log").write_text(log)
    charon = swan.Charon(end("a0", "1.1.1.1", "2.2.2.2", "", ""), "ns", 1, 1, tmp_path)
    assert swan.diagnosis(charon) == cause


class FakeEc2:
    def __init__(self, tables: list[dict[str, Any]]) -> None:
        self.tables = tables

    def describe_route_tables(self, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        return {"RouteTables": self.tables}


MAIN_ROUTES = [
    {"DestinationCidrBlock": "10.10.0.0/16", "GatewayId": "local", "State": "active"},
    {"DestinationCidrBlock": "10.48.0.0/14", "GatewayId": "vgw-1", "State": "active"},
    {"DestinationCidrBlock": "10.99.0.0/16", "GatewayId": "vgw-1", "State": "blackhole"},
    {"DestinationCidrBlock": "10.7.0.0/16", "GatewayId": "igw-1", "State": "active"},
]


@pytest.mark.parametrize(
    ("propagating", "expected"),
    [
        ([], ("10.10.0.0/16", "10.48.0.0/14")),
        ([{"GatewayId": "vgw-1"}], ("10.10.0.0/16", "10.48.0.0/14", "0.0.0.0/0")),
        ([{"GatewayId": "vgw-other"}], ("10.10.0.0/16", "10.48.0.0/14")),
    ],
)
def test_vpc_routes_follow_the_main_route_table(
    propagating: list[dict[str, str]], expected: tuple[str, ...]
) -> None:
    tables = [
        {"Associations": [{"Main": False}], "Routes": [{"DestinationCidrBlock": "10.1.0.0/16"}]},
        {"Associations": [{"Main": True}], "Routes": MAIN_ROUTES, "PropagatingVgws": propagating},
    ]
    assert aws.vpc_routes(FakeEc2(tables), "vpc-1", "vgw-1") == expected


@pytest.mark.parametrize(
    ("entry", "cause"),
    [
        ({}, "not configured"),
        ({"bgpState": "Idle", "lastNotificationReason": "OPEN Message Error/Bad Peer AS"}, "ASN"),
        ({"bgpState": "Active"}, "Active: no BGP connection (tunnel down or inside address"),
    ],
)
def test_bgp_diagnosis(entry: dict[str, Any], cause: str) -> None:
    assert frr.diagnosis(entry).startswith(cause)


def test_failover_line_says_never_for_what_did_not_happen() -> None:
    from tests.lab.failover import Failover

    result = Failover("a <-> b", traffic_back=31.04, rerouted=30.5, tunnel_down=24.0)
    assert not result.ok
    assert result.line() == (
        "failover a <-> b: traffic back after 31.0s, rerouted after 30.5s, tunnel down after "
        "24.0s; restored: tunnel up after never, BGP after never"
    )


@pytest.mark.parametrize("limit", [576, 577, 1000, 1406, 1446, 1499, 1500])
def test_path_mtu_bisects_to_the_largest_size_that_fits(
    monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    tried: list[int] = []

    def fits(_source: Any, _target: Any, size: int) -> bool:
        tried.append(size)
        return size <= limit

    monkeypatch.setattr(pods, "fits", fits)
    pod = pods.Pod("c", "ns", "10.0.0.10", "gw")
    assert pods.path_mtu(pod, pod, ceiling=1500) == limit
    assert len(tried) <= 12  # log2(1500 - 576) + the floor probe


def test_path_mtu_is_none_when_not_even_576_bytes_get_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pods, "fits", lambda *_args: False)
    pod = pods.Pod("c", "ns", "10.0.0.10", "gw")
    assert pods.path_mtu(pod, pod, ceiling=1500) is None


def test_a_path_mtu_below_the_pods_mtu_advises_mss_clamping_and_a_silent_drop_fails() -> None:
    fine = PathMtu("pod-a", "10.48.0.10", 1446, 1446, 1500, (1500, 1446, 1500, 1500))
    assert fine.ok
    assert "clamp the TCP MSS to 1406 on the gateways" in fine.line()
    assert "set the pods' MTU to 1446" in fine.line()
    silent = PathMtu("pod-a", "10.48.0.10", 1400, 1446, 1500, (1500, 1446, 1500, 1500))
    assert not silent.ok and "the interfaces on the path say 1446" in silent.line()
    whole = PathMtu("pod-a", "10.48.0.10", 1500, 1500, 1500)
    assert whole.ok and "clamp" not in whole.line()
    assert not PathMtu("pod-a", "10.48.0.10", None, 1446, 1500).ok


def test_the_summary_counts_resolve_and_connect_only_when_it_was_checked() -> None:
    summary = Summary([Result("t", True)], [Result("s", True)], [Result("p", True)])
    assert summary.lines()[-1] == "1/1 pod-to-pod" and summary.ok
    summary.resolved = [Result("r1", True), Result("r2", False)]
    assert summary.lines()[-1] == "1/2 resolve-and-connect" and not summary.ok
    summary.resolved = [Result("r1", True)]
    summary.mtus = [PathMtu("pod-a", "10.48.0.10", 1400, 1446, 1500)]
    assert not summary.ok  # a path that drops silently fails the run


def test_tunnel_mtu_is_the_configured_or_documented_one_at_most_what_libipsec_carries() -> None:
    aws_gateway = Gateway("aws", "vgw", "vpc", 64512, False, 10, ["198.51.100.1"])
    onprem = Gateway("onprem", "swan", "lan", 65020, False, 30, ["192.0.2.1"], tunnel_mtu=1300)
    large = Gateway("onprem", "swan", "lan", 65020, False, 30, ["192.0.2.1"], tunnel_mtu=9000)
    assert tunnel_mtu(aws_gateway) == (1400, "documented 1446")
    assert tunnel_mtu(onprem) == (1300, "configured 1300")
    assert tunnel_mtu(large) == (1400, "configured 9000")
