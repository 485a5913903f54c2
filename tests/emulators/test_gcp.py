"""The Compute Engine emulator, run as its own process and spoken to over HTTP the way the
modules will (google-auth AuthorizedSession with an access token)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.credentials import Credentials

from tests.emulators._common import free_port, read_log
from tests.emulators.gcp import schema

ROOT = Path(__file__).resolve().parents[2]
REGION = "europe-west1"


class Server:
    def __init__(self, state: Path, *extra: str) -> None:
        self.state = state
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.emulators.gcp", "--port", str(self.port)),
                *("--state-dir", str(state), *extra),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60  # it loads the 5 MB discovery document first
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/_emulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("gcp emulator did not become ready")
        self.session = AuthorizedSession(Credentials(token="test-token"))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def url(self, project: str, path: str) -> str:
        return f"{self.base}/compute/v1/projects/{project}/{path}"

    def call(self, method: str, project: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.session.request(method, self.url(project, path), json=body, params=params)
        return response.status_code, (response.json() if response.content else None)

    def ok(self, method: str, project: str, path: str, body: Any = None, **params: Any) -> Any:
        status, payload = self.call(method, project, path, body, **params)
        assert status == 200, payload
        if isinstance(payload, dict) and payload.get("kind") == "compute#operation":
            assert payload["status"] == "DONE" and "error" not in payload, payload
        return payload


@pytest.fixture(scope="module")
def gcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    seed = tmp_path_factory.mktemp("seed") / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "networks": [{"name": "gke-vpc", "autoCreateSubnetworks": False}],
                "subnetworks": [
                    {
                        "name": "gke-nodes",
                        "network": "global/networks/gke-vpc",
                        "ipCidrRange": "10.10.0.0/20",
                        "secondaryIpRanges": [
                            {"rangeName": "pods", "ipCidrRange": "10.20.0.0/14"},
                            {"rangeName": "services", "ipCidrRange": "10.24.0.0/20"},
                        ],
                    }
                ],
            }
        )
    )
    server = Server(tmp_path_factory.mktemp("gcp"), "--seed", str(seed), "--region", REGION)
    yield server
    server.stop()


def _error(payload: dict[str, Any]) -> tuple[int, str, str]:
    error = payload["error"]
    assert set(error) == {"code", "message", "errors", "status"}
    assert error["errors"][0]["message"] == error["message"]
    return error["code"], error["errors"][0]["reason"], error["message"]


def _network(gcp: Server, project: str, name: str = "vpc") -> None:
    gcp.ok("POST", project, "global/networks", {"name": name, "autoCreateSubnetworks": False})


# ----- auth, schema, errors ---------------------------------------------------------------


def test_requests_without_a_bearer_token_get_401(gcp: Server) -> None:
    response = requests.get(gcp.url("p", "global/networks"), timeout=5)
    assert response.status_code == 401
    code, reason, _unused = _error(response.json())
    assert (code, reason, response.json()["error"]["status"]) == (
        401,
        "required",
        "UNAUTHENTICATED",
    )
    response = requests.get(
        gcp.url("p", "global/networks"), headers={"Authorization": "Bearer "}, timeout=5
    )
    assert response.status_code == 401


def test_seed_created_the_gke_vpc(gcp: Server) -> None:
    subnet = gcp.ok("GET", "demo-project", f"regions/{REGION}/subnetworks/gke-nodes")
    assert [r["rangeName"] for r in subnet["secondaryIpRanges"]] == ["pods", "services"]
    assert subnet["network"].endswith("/projects/demo-project/global/networks/gke-vpc")
    assert subnet["gatewayAddress"] == "10.10.0.1"
    network = gcp.ok("GET", "demo-project", "global/networks/gke-vpc")
    assert network["subnetworks"] == [subnet["selfLink"]]


@pytest.mark.parametrize(
    "path, body, reason, needle",
    [
        ("global/networks", {"name": "n", "bogus": 1}, "invalid", 'Unknown name "bogus"'),
        ("global/networks", {"name": "n", "mtu": "big"}, "invalid", "'resource.mtu' (TYPE_INT32)"),
        (
            "global/networks",
            {"name": "n", "autoCreateSubnetworks": "no"},
            "invalid",
            "resource.auto_create_subnetworks",
        ),
        ("global/networks", {"autoCreateSubnetworks": False}, "required", "'resource.name'"),
        ("global/networks", {"name": "Bad_Name"}, "invalid", "'resource.name'"),
        (f"regions/{REGION}/vpnGateways", {"name": "g"}, "required", "'resource.network'"),
        (
            f"regions/{REGION}/vpnGateways",
            {"name": "g", "network": "global/networks/x", "stackType": "IPV5"},
            "invalid",
            "resource.stack_type",
        ),
        (
            f"regions/{REGION}/routers",
            {"name": "r", "network": "n", "bgp": {"asn": "sixty"}},
            "invalid",
            "'resource.bgp.asn' (TYPE_UINT32)",
        ),
        (
            f"regions/{REGION}/routers",
            {"name": "r", "network": "n", "bgpPeers": [{"name": "p", "interfaceName": "i"}]},
            "required",
            "'resource.bgp_peers[0].peer_asn'",
        ),
        (
            f"regions/{REGION}/routers",
            {"name": "r", "network": "n", "bgp": {"asn": 64512, "asPath": []}},
            "invalid",
            "at 'resource.bgp'",
        ),
    ],
)
def test_bodies_are_validated_against_the_discovery_document(
    gcp: Server, path: str, body: dict[str, Any], reason: str, needle: str
) -> None:
    status, payload = gcp.call("POST", "schema", path, body)
    code, got_reason, message = _error(payload)
    assert (status, code, got_reason) == (400, 400, reason)
    assert needle in message
    assert gcp.call("GET", "schema", path)[1].get("items") is None


def test_output_only_fields_are_set_by_the_server(gcp: Server) -> None:
    body = {"name": "n", "id": "1", "selfLink": "x", "creationTimestamp": "y", "kind": "z"}
    gcp.ok("POST", "outputs", "global/networks", body)
    network = gcp.ok("GET", "outputs", "global/networks/n")
    assert network["id"] != "1" and network["kind"] == "compute#network"
    assert network["selfLink"] == gcp.url("outputs", "global/networks/n")
    assert network["creationTimestamp"] != "y"


def test_duplicate_missing_and_bad_reference_errors(gcp: Server) -> None:
    _network(gcp, "errs")
    status, payload = gcp.call("POST", "errs", "global/networks", {"name": "vpc"})
    assert (status, _error(payload)[1]) == (409, "alreadyExists")
    status, payload = gcp.call("GET", "errs", "global/networks/nope")
    assert (status, _error(payload)[:2]) == (404, (404, "notFound"))
    assert "projects/errs/global/networks/nope" in payload["error"]["message"]
    status, payload = gcp.call("DELETE", "errs", f"regions/{REGION}/routers/nope")
    assert status == 404
    body = {"name": "gw", "network": "global/networks/missing"}
    status, payload = gcp.call("POST", "errs", f"regions/{REGION}/vpnGateways", body)
    assert (status, _error(payload)[1]) == (400, "invalid")
    assert "The referenced network resource cannot be found" in payload["error"]["message"]


@pytest.mark.parametrize(
    "redundancy, count, ok",
    [
        ("SINGLE_IP_INTERNALLY_REDUNDANT", 1, True),
        ("SINGLE_IP_INTERNALLY_REDUNDANT", 2, False),
        ("TWO_IPS_REDUNDANCY", 2, True),
        ("TWO_IPS_REDUNDANCY", 4, False),
        ("FOUR_IPS_REDUNDANCY", 4, True),
        ("FOUR_IPS_REDUNDANCY", 2, False),
    ],
)
def test_external_gateway_interface_count_follows_redundancy_type(
    gcp: Server, redundancy: str, count: int, ok: bool
) -> None:
    name = f"ext-{redundancy.lower().replace('_', '-')}-{count}"
    interfaces = [{"id": i, "ipAddress": f"198.51.100.{i + 1}"} for i in range(count)]
    body = {"name": name, "redundancyType": redundancy, "interfaces": interfaces}
    status, payload = gcp.call("POST", "ext", "global/externalVpnGateways", body)
    assert (status == 200) is ok, payload
    if not ok:
        assert "resource.interfaces" in payload["error"]["message"]


# ----- lists ------------------------------------------------------------------------------


def test_lists_paginate_and_filter_on_name(gcp: Server) -> None:
    for index in range(5):
        _network(gcp, "lists", f"net-{index}")
    names: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"maxResults": 2, **({"pageToken": token} if token else {})}
        payload = gcp.ok("GET", "lists", "global/networks", **params)
        assert payload["kind"] == "compute#networkList"
        names += [n["name"] for n in payload["items"]]
        pages += 1
        token = payload.get("nextPageToken")
        if not token:
            break
    assert (names, pages) == ([f"net-{i}" for i in range(5)], 3)

    def filtered(expression: str) -> list[str]:
        payload = gcp.ok("GET", "lists", "global/networks", filter=expression)
        return [n["name"] for n in payload.get("items", [])]

    assert filtered('name = "net-3"') == ["net-3"]
    assert filtered("name eq net-[12]") == ["net-1", "net-2"]
    assert filtered("name != net-0") == ["net-1", "net-2", "net-3", "net-4"]
    assert filtered("name ne net-.*") == []
    assert filtered('(name = "net-1") (mtu = 1460)') == ["net-1"]
    assert "items" not in gcp.ok("GET", "lists", "global/networks", filter="name = nope")
    status, payload = gcp.call("GET", "lists", "global/networks", maxResults=501)
    assert (status, _error(payload)[1]) == (400, "invalid")
    status, payload = gcp.call("GET", "lists", "global/networks", bogus=1)
    assert status == 400 and "bogus" in payload["error"]["message"]


# ----- HA VPN topology: in-use deletion, merge, derived status ---------------------------


def _topology(gcp: Server, project: str) -> dict[str, Any]:
    """The AWS<->GCP reference topology: HA gateway, FOUR_IPS external gateway, router,
    4 tunnels, then (by PATCH) 4 interfaces and 4 BGP peers on /30s."""
    _network(gcp, project)
    r = f"regions/{REGION}"
    subnet = {
        "name": "nodes",
        "network": "global/networks/vpc",
        "ipCidrRange": "10.10.0.0/20",
        "secondaryIpRanges": [{"rangeName": "pods", "ipCidrRange": "10.20.0.0/14"}],
    }
    gcp.ok("POST", project, f"{r}/subnetworks", subnet)
    gcp.ok("POST", project, f"{r}/vpnGateways", {"name": "ha", "network": "global/networks/vpc"})
    ext = {
        "name": "aws",
        "redundancyType": "FOUR_IPS_REDUNDANCY",
        "interfaces": [{"id": i, "ipAddress": f"198.51.100.{i + 1}"} for i in range(4)],
    }
    gcp.ok("POST", project, "global/externalVpnGateways", ext)
    router = {
        "name": "cr",
        "network": "global/networks/vpc",
        "bgp": {"asn": 65010, "advertiseMode": "DEFAULT"},
    }
    gcp.ok("POST", project, f"{r}/routers", router)
    for index in range(4):
        tunnel = {
            "name": f"t{index}",
            "vpnGateway": f"{r}/vpnGateways/ha",
            "vpnGatewayInterface": index // 2,
            "peerExternalGateway": "global/externalVpnGateways/aws",
            "peerExternalGatewayInterface": index,
            "router": f"{r}/routers/cr",
            "sharedSecret": f"secret.{index}",
            "ikeVersion": 2,
        }
        gcp.ok("POST", project, f"{r}/vpnTunnels", tunnel)
    interfaces = [
        {
            "name": f"if-t{i}",
            "ipRange": f"169.254.{10 + i}.2/30",
            "linkedVpnTunnel": f"{r}/vpnTunnels/t{i}",
        }
        for i in range(4)
    ]
    peers = [
        {
            "name": f"peer-t{i}",
            "interfaceName": f"if-t{i}",
            "ipAddress": f"169.254.{10 + i}.2",
            "peerIpAddress": f"169.254.{10 + i}.1",
            "peerAsn": 64512,
        }
        for i in range(4)
    ]
    gcp.ok("PATCH", project, f"{r}/routers/cr", {"interfaces": interfaces, "bgpPeers": peers})
    return {"interfaces": interfaces, "peers": peers}


def _statuses(gcp: Server, project: str) -> dict[str, str]:
    payload = gcp.ok("GET", project, f"regions/{REGION}/vpnTunnels")
    return {t["name"]: t["status"] for t in payload["items"]}


def _peers(gcp: Server, project: str) -> dict[str, dict[str, Any]]:
    payload = gcp.ok("GET", project, f"regions/{REGION}/routers/cr/getRouterStatus")
    return {p["name"]: p for p in payload["result"]["bgpPeerStatus"]}


def test_consistent_topology_is_established_and_bgp_up(gcp: Server) -> None:
    _topology(gcp, "topo")
    assert set(_statuses(gcp, "topo").values()) == {"ESTABLISHED"}
    peers = _peers(gcp, "topo")
    assert {p["status"] for p in peers.values()} == {"UP"}
    assert peers["peer-t0"]["state"] == "Established"
    assert peers["peer-t0"]["linkedVpnTunnel"].endswith(f"regions/{REGION}/vpnTunnels/t0")
    advertised = {r["destRange"] for r in peers["peer-t0"]["advertisedRoutes"]}
    assert advertised == {"10.10.0.0/20", "10.20.0.0/14"}
    gateway = gcp.ok("GET", "topo", f"regions/{REGION}/vpnGateways/ha/getStatus")
    (connection,) = gateway["result"]["vpnConnections"]
    assert connection["state"] == {"state": "CONNECTION_REDUNDANCY_MET"}
    assert len(connection["tunnels"]) == 4


def test_status_follows_configuration_changes(gcp: Server) -> None:
    config = _topology(gcp, "drift")
    r = f"regions/{REGION}/routers/cr"
    # Remove the BGP peer of t3: its tunnel is no longer fully configured.
    gcp.ok("PATCH", "drift", r, {"bgpPeers": config["peers"][:3]})
    tunnel = gcp.ok("GET", "drift", f"regions/{REGION}/vpnTunnels/t3")
    assert tunnel["status"] == "FIRST_HANDSHAKE"
    assert "if-t3" in tunnel["detailedStatus"]
    assert "peer-t3" not in _peers(gcp, "drift")
    # A peer address outside the interface's /30 keeps the session down.
    peers = [dict(p) for p in config["peers"]]
    peers[1]["peerIpAddress"] = "169.254.99.1"
    gcp.ok("PATCH", "drift", r, {"bgpPeers": peers})
    status = _peers(gcp, "drift")
    assert status["peer-t1"]["status"] == "DOWN" and status["peer-t0"]["status"] == "UP"
    assert "uptime" not in status["peer-t1"]
    # Unlinking the interface from its tunnel says why in detailedStatus.
    interfaces = [dict(i) for i in config["interfaces"]]
    del interfaces[2]["linkedVpnTunnel"]
    gcp.ok("PATCH", "drift", r, {"interfaces": interfaces})
    tunnel = gcp.ok("GET", "drift", f"regions/{REGION}/vpnTunnels/t2")
    assert tunnel["status"] == "WAITING_FOR_FULL_CONFIG"
    assert "linkedVpnTunnel" in tunnel["detailedStatus"]
    assert _statuses(gcp, "drift")["t0"] == "ESTABLISHED"


def test_learned_routes_are_reported_for_up_peers(gcp: Server) -> None:
    _topology(gcp, "learn")
    body = {
        "routes": [
            {"project": "learn", "region": REGION, "router": "cr", "peer": "peer-t0"}
            | {"prefixes": ["172.16.0.0/16", "172.20.0.0/16"]}
        ]
    }
    response = requests.put(gcp.base + "/_emulator/gcp/learned-routes", json=body, timeout=5)
    assert response.ok, response.text
    peers = _peers(gcp, "learn")
    assert peers["peer-t0"]["numLearnedRoutes"] == 2
    assert peers["peer-t1"]["numLearnedRoutes"] == 0
    result = gcp.ok("GET", "learn", f"regions/{REGION}/routers/cr/getRouterStatus")["result"]
    assert {r["destRange"] for r in result["bestRoutes"]} == {"172.16.0.0/16", "172.20.0.0/16"}
    assert result["bestRoutes"][0]["nextHopIp"] == "169.254.10.1"
    assert result["bestRoutes"][0]["asPaths"][0]["asLists"] == [64512]


def _ha_side(gcp: Server, project: str, side: str, asn: int) -> None:
    """One side of Google Cloud's "Create two fully configured HA VPN gateways that connect
    to each other": network, subnet, HA VPN gateway and Cloud Router."""
    r = f"regions/{REGION}"
    third = {"a": 30, "b": 40}[side]
    _network(gcp, project, f"net-{side}")
    subnet = {"name": f"nodes-{side}", "network": f"global/networks/net-{side}"}
    gcp.ok("POST", project, f"{r}/subnetworks", subnet | {"ipCidrRange": f"10.{third}.0.0/20"})
    gateway = {"name": f"gw-{side}", "network": f"global/networks/net-{side}"}
    gcp.ok("POST", project, f"{r}/vpnGateways", gateway)
    router = {"name": f"cr-{side}", "network": f"global/networks/net-{side}", "bgp": {"asn": asn}}
    gcp.ok("POST", project, f"{r}/routers", router)


def _ha_tunnels(
    gcp: Server, project: str, side: str, peer: str, secrets: tuple[str, str], peer_asn: int
) -> None:
    """Side ``side``'s two tunnels to the peer gateway (interface i -> peer interface i) and
    its two BGP peers: side a takes the first host of each /30, side b the second."""
    r = f"regions/{REGION}"
    for index in (0, 1):
        tunnel = {
            "name": f"{side}-t{index}",
            "vpnGateway": f"{r}/vpnGateways/gw-{side}",
            "vpnGatewayInterface": index,
            "peerGcpGateway": f"{r}/vpnGateways/gw-{peer}",
            "router": f"{r}/routers/cr-{side}",
            "sharedSecret": secrets[index],
            "ikeVersion": 2,
        }
        gcp.ok("POST", project, f"{r}/vpnTunnels", tunnel)
    own, other = (1, 2) if side == "a" else (2, 1)
    interfaces = [
        {
            "name": f"if-{side}-t{i}",
            "ipRange": f"169.254.{60 + i}.{own}/30",
            "linkedVpnTunnel": f"{r}/vpnTunnels/{side}-t{i}",
        }
        for i in (0, 1)
    ]
    peers = [
        {
            "name": f"peer-{side}-t{i}",
            "interfaceName": f"if-{side}-t{i}",
            "ipAddress": f"169.254.{60 + i}.{own}",
            "peerIpAddress": f"169.254.{60 + i}.{other}",
            "peerAsn": peer_asn,
        }
        for i in (0, 1)
    ]
    body = {"interfaces": interfaces, "bgpPeers": peers}
    gcp.ok("PATCH", project, f"{r}/routers/cr-{side}", body)


def _ha_status(gcp: Server, project: str, side: str) -> dict[str, str]:
    """Tunnel and BGP peer name -> status of one side."""
    status = {
        name: value
        for name, value in _statuses(gcp, project).items()
        if name.startswith(f"{side}-")
    }
    path = f"regions/{REGION}/routers/cr-{side}/getRouterStatus"
    for peer in gcp.ok("GET", project, path)["result"]["bgpPeerStatus"]:
        status[peer["name"]] = f"{peer['status']} {peer['state']}"
    return status


UP = {
    "a-t0": "ESTABLISHED",
    "a-t1": "ESTABLISHED",
    "peer-a-t0": "UP Established",
    "peer-a-t1": "UP Established",
}


def test_two_ha_gateways_connected_to_each_other_come_up_once_both_sides_exist(
    gcp: Server,
) -> None:
    project = "havpn"
    _ha_side(gcp, project, "a", 65001)
    _ha_side(gcp, project, "b", 65002)
    _ha_tunnels(gcp, project, "a", "b", ("k0", "k1"), 65002)
    # Nothing answers from gateway b yet.
    tunnel = gcp.ok("GET", project, f"regions/{REGION}/vpnTunnels/a-t0")
    assert tunnel["status"] == "NO_INCOMING_PACKETS", tunnel
    assert _ha_status(gcp, project, "a")["peer-a-t0"] == "DOWN Idle"
    _ha_tunnels(gcp, project, "b", "a", ("k0", "k1"), 65001)
    assert _ha_status(gcp, project, "a") == UP
    assert set(_ha_status(gcp, project, "b").values()) == {"ESTABLISHED", "UP Established"}
    # vpnGateways.getStatus: each tunnel on the same interface of the peer gateway.
    result = gcp.ok("GET", project, f"regions/{REGION}/vpnGateways/gw-a/getStatus")["result"]
    (connection,) = result["vpnConnections"]
    assert connection["peerGcpGateway"].endswith(f"regions/{REGION}/vpnGateways/gw-b")
    assert connection["state"] == {"state": "CONNECTION_REDUNDANCY_MET"}
    assert [
        (t["localGatewayInterface"], t["peerGatewayInterface"]) for t in connection["tunnels"]
    ] == [
        (0, 0),
        (1, 1),
    ]


def test_a_psk_mismatch_keeps_the_tunnel_and_its_session_down(gcp: Server) -> None:
    project = "havpn-psk"
    _ha_side(gcp, project, "a", 65001)
    _ha_side(gcp, project, "b", 65002)
    _ha_tunnels(gcp, project, "a", "b", ("k0", "k1"), 65002)
    _ha_tunnels(gcp, project, "b", "a", ("k0", "other"), 65001)
    status = _ha_status(gcp, project, "a")
    assert status["a-t0"] == "ESTABLISHED" and status["peer-a-t0"] == "UP Established"
    assert status["a-t1"] == "AUTHORIZATION_ERROR"
    assert status["peer-a-t1"] == "DOWN Idle"
    assert _ha_status(gcp, project, "b")["b-t1"] == "AUTHORIZATION_ERROR"


def test_an_asn_mismatch_keeps_the_session_down_on_an_established_tunnel(gcp: Server) -> None:
    project = "havpn-asn"
    _ha_side(gcp, project, "a", 65001)
    _ha_side(gcp, project, "b", 65002)
    _ha_tunnels(gcp, project, "a", "b", ("k0", "k1"), 65009)  # b's router is AS 65002
    _ha_tunnels(gcp, project, "b", "a", ("k0", "k1"), 65001)
    for side in ("a", "b"):
        status = _ha_status(gcp, project, side)
        assert status[f"{side}-t0"] == status[f"{side}-t1"] == "ESTABLISHED"
        assert status[f"peer-{side}-t0"] == status[f"peer-{side}-t1"] == "DOWN Active"
    # The right ASN brings both sessions up.
    router = gcp.ok("GET", project, f"regions/{REGION}/routers/cr-a")
    peers = [p | {"peerAsn": 65002} for p in router["bgpPeers"]]
    gcp.ok("PATCH", project, f"regions/{REGION}/routers/cr-a", {"bgpPeers": peers})
    assert _ha_status(gcp, project, "a") == UP


def test_swapped_bgp_addresses_keep_the_session_down(gcp: Server) -> None:
    project = "havpn-ip"
    _ha_side(gcp, project, "a", 65001)
    _ha_side(gcp, project, "b", 65002)
    _ha_tunnels(gcp, project, "a", "b", ("k0", "k1"), 65002)
    _ha_tunnels(gcp, project, "b", "a", ("k0", "k1"), 65001)
    router = gcp.ok("GET", project, f"regions/{REGION}/routers/cr-b")
    peers = [dict(p) for p in router["bgpPeers"]]
    peers[0]["peerIpAddress"] = "169.254.60.3"  # inside the /30, but not a's address
    gcp.ok("PATCH", project, f"regions/{REGION}/routers/cr-b", {"bgpPeers": peers})
    status = _ha_status(gcp, project, "a")
    assert status["peer-a-t0"] == "DOWN Active" and status["peer-a-t1"] == "UP Established"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"peerExternalGatewayInterface": 0}, "applies to a peer external VPN gateway only"),
        ({"peerGcpGateway": f"regions/{REGION}/vpnGateways/gw-a"}, "to itself"),
        ({"peerGcpGateway": f"regions/{REGION}/vpnGateways/nope"}, "cannot be found"),
        ({"peerExternalGateway": "global/externalVpnGateways/x"}, "are exclusive"),
    ],
)
def test_peer_gcp_gateway_tunnels_are_validated(
    gcp: Server, extra: dict[str, Any], message: str
) -> None:
    project = "havpn-bad"
    if gcp.call("GET", project, f"regions/{REGION}/vpnGateways/gw-a")[0] != 200:
        _ha_side(gcp, project, "a", 65001)
        _ha_side(gcp, project, "b", 65002)
    tunnel = {
        "name": "bad",
        "vpnGateway": f"regions/{REGION}/vpnGateways/gw-a",
        "peerGcpGateway": f"regions/{REGION}/vpnGateways/gw-b",
        "router": f"regions/{REGION}/routers/cr-a",
        "sharedSecret": "k",
    }
    status, payload = gcp.call("POST", project, f"regions/{REGION}/vpnTunnels", tunnel | extra)
    assert status == 400 and message in payload["error"]["message"], payload


def test_router_patch_merges_objects_and_replaces_lists(gcp: Server) -> None:
    config = _topology(gcp, "merge")
    r = f"regions/{REGION}/routers/cr"
    custom = {
        "advertiseMode": "CUSTOM",
        "advertisedGroups": ["ALL_SUBNETS"],
        "advertisedIpRanges": [{"range": "10.24.0.0/20"}],
    }
    gcp.ok("PATCH", "merge", r, {"bgp": custom, "description": "linked"})
    router = gcp.ok("GET", "merge", r)
    # JSON merge patch: bgp.asn stays, the named bgp fields change, untouched lists stay.
    assert router["bgp"]["asn"] == 65010 and router["bgp"]["advertiseMode"] == "CUSTOM"
    assert router["description"] == "linked"
    assert [p["name"] for p in router["bgpPeers"]] == [p["name"] for p in config["peers"]]
    advertised = _peers(gcp, "merge")["peer-t0"]["advertisedRoutes"]
    assert {a["destRange"] for a in advertised} == {"10.10.0.0/20", "10.20.0.0/14", "10.24.0.0/20"}
    # A list given in the patch replaces the whole list.
    gcp.ok("PATCH", "merge", r, {"bgpPeers": config["peers"][:1]})
    assert [p["name"] for p in gcp.ok("GET", "merge", r)["bgpPeers"]] == ["peer-t0"]
    status, payload = gcp.call("PATCH", "merge", r, {"bgp": {"asn": 65020}})
    assert status == 400 and "asn" in payload["error"]["message"]
    bad_peer = [{"name": "x", "interfaceName": "nope", "peerAsn": 1}]
    status, payload = gcp.call("PATCH", "merge", r, {"bgpPeers": bad_peer})
    assert status == 400 and "interface_name" in payload["error"]["message"].replace(
        "interfaceName", "interface_name"
    )


@pytest.mark.parametrize(
    "path, user",
    [
        ("global/networks/vpc", "projects/inuse/global/"),
        (f"regions/{REGION}/vpnGateways/ha", "/vpnTunnels/t"),
        ("global/externalVpnGateways/aws", "/vpnTunnels/t"),
        (f"regions/{REGION}/routers/cr", "/vpnTunnels/t"),
        (f"regions/{REGION}/vpnTunnels/t0", "/routers/cr"),
    ],
)
def test_resources_in_use_cannot_be_deleted(gcp: Server, path: str, user: str) -> None:
    project = "inuse"
    if gcp.call("GET", project, "global/networks/vpc")[0] == 404:
        _topology(gcp, project)
    status, payload = gcp.call("DELETE", project, path)
    _unused, reason, message = _error(payload)
    assert (status, reason) == (400, "resourceInUseByAnotherResource")
    assert "is already being used by" in message and user in message
    assert gcp.call("GET", project, path)[0] == 200


def test_teardown_in_dependency_order_succeeds(gcp: Server) -> None:
    _topology(gcp, "teardown")
    r = f"regions/{REGION}"
    gcp.ok("PATCH", "teardown", f"{r}/routers/cr", {"bgpPeers": [], "interfaces": []})
    for index in range(4):
        gcp.ok("DELETE", "teardown", f"{r}/vpnTunnels/t{index}")
    for path in (
        f"{r}/routers/cr",
        f"{r}/vpnGateways/ha",
        "global/externalVpnGateways/aws",
        f"{r}/subnetworks/nodes",
        "global/networks/vpc",
    ):
        gcp.ok("DELETE", "teardown", path)
        assert gcp.call("GET", "teardown", path)[0] == 404


def test_tunnel_secret_is_write_only(gcp: Server) -> None:
    _topology(gcp, "secret")
    tunnel = gcp.ok("GET", "secret", f"regions/{REGION}/vpnTunnels/t0")
    other = gcp.ok("GET", "secret", f"regions/{REGION}/vpnTunnels/t1")
    assert "secret.0" not in json.dumps(tunnel)
    assert tunnel["sharedSecretHash"] and tunnel["sharedSecretHash"] != other["sharedSecretHash"]
    assert tunnel["peerIp"] == "198.51.100.1"


def test_ha_gateway_interfaces_have_distinct_documentation_addresses(gcp: Server) -> None:
    _network(gcp, "ips")
    addresses = []
    for name in ("a", "b"):
        body = {"name": name, "network": "global/networks/vpc"}
        gcp.ok("POST", "ips", f"regions/{REGION}/vpnGateways", body)
        gateway = gcp.ok("GET", "ips", f"regions/{REGION}/vpnGateways/{name}")
        assert [i["id"] for i in gateway["vpnInterfaces"]] == [0, 1]
        addresses += [i["ipAddress"] for i in gateway["vpnInterfaces"]]
    assert len(set(addresses)) == 4
    assert all(a.startswith("203.0.113.") for a in addresses)


# ----- shapes against the reference ---------------------------------------------------------


@pytest.mark.parametrize(
    "path, schema_name",
    [
        (f"regions/{REGION}/vpnTunnels/t0", "VpnTunnel"),
        (f"regions/{REGION}/vpnGateways/ha", "VpnGateway"),
        ("global/externalVpnGateways/aws", "ExternalVpnGateway"),
        (f"regions/{REGION}/routers/cr", "Router"),
        (f"regions/{REGION}/routers/cr/getRouterStatus", "RouterStatusResponse"),
        (f"regions/{REGION}/vpnGateways/ha/getStatus", "VpnGatewaysGetStatusResponse"),
        (f"regions/{REGION}/subnetworks/nodes", "Subnetwork"),
        ("global/networks/vpc", "Network"),
        (f"regions/{REGION}/vpnTunnels", "VpnTunnelList"),
        (f"regions/{REGION}/operations", "OperationList"),
    ],
)
def test_responses_use_only_documented_fields_and_types(
    gcp: Server, path: str, schema_name: str
) -> None:
    if gcp.call("GET", "shapes", "global/networks/vpc")[0] == 404:
        _topology(gcp, "shapes")
    payload = gcp.ok("GET", "shapes", path)
    schema.validate(payload, schema_name, "response")  # raises on an unknown field or type


def test_operation_shape_matches_the_reference(gcp: Server) -> None:
    op = gcp.ok("POST", "opshape", "global/networks", {"name": "vpc"})
    schema.validate(op, "Operation", "response")
    for key in ("id", "name", "operationType", "targetLink", "targetId", "status", "selfLink"):
        assert key in op
    assert op["operationType"] == "insert" and op["progress"] == 100
    assert op["targetLink"] == gcp.url("opshape", "global/networks/vpc")
    assert op["targetId"] == gcp.ok("GET", "opshape", "global/networks/vpc")["id"]
    got = gcp.ok("GET", "opshape", f"global/operations/{op['name']}")
    assert got["status"] == "DONE" and got["selfLink"] == op["selfLink"]


# ----- request log and faults -----------------------------------------------------------------


def test_request_log_names_method_ids_and_mutations(gcp: Server) -> None:
    op = gcp.ok("POST", "logged", "global/networks", {"name": "vpc"})
    gcp.ok("GET", "logged", "global/networks/vpc")
    gcp.ok("POST", "logged", f"global/operations/{op['name']}/wait")
    entries = [e for e in read_log(gcp.state, "gcp") if "/projects/logged/" in e["path"]]
    assert [(e["operation"], e["mutating"], e["status"]) for e in entries] == [
        ("compute.networks.insert", True, 200),
        ("compute.networks.get", False, 200),
        ("compute.globalOperations.wait", False, 200),
    ]


def test_admin_faults_throttle_by_count_and_fail_by_rate(gcp: Server) -> None:
    faults = gcp.base + "/_emulator/faults"
    rule = {"kind": "throttle", "operation": "compute.networks.list", "count": 2}
    requests.put(faults, json={"rules": [rule]}, timeout=5).raise_for_status()
    try:
        statuses = [gcp.call("GET", "faults", "global/networks") for _unused in range(3)]
        # Compute Engine "API rate limits": 403 reason rateLimitExceeded, not 429.
        assert [s for s, _unused in statuses] == [403, 403, 200]
        code, reason, message = _error(statuses[0][1])
        error = statuses[0][1]["error"]
        assert (code, reason, error["errors"][0]["domain"], error["status"]) == (
            403,
            "rateLimitExceeded",
            "usageLimits",
            "PERMISSION_DENIED",
        )
        assert message.startswith("Quota exceeded") and "compute.googleapis.com" in message
        assert gcp.call("GET", "faults", "global/routes")[0] == 200
        rule = {"kind": "server_error", "operation": "compute.routes.list", "rate": 1.0}
        requests.put(faults, json={"rules": [rule]}, timeout=5).raise_for_status()
        status, payload = gcp.call("GET", "faults", "global/routes")
        assert (status, _error(payload)[1]) == (503, "backendError")
    finally:
        requests.delete(faults, timeout=5).raise_for_status()
    assert gcp.call("GET", "faults", "global/routes")[0] == 200


def test_latency_rule_delays_matching_calls(gcp: Server) -> None:
    faults = gcp.base + "/_emulator/faults"
    rule = {"kind": "latency", "operation": "compute.firewalls.list", "latency_ms": 400}
    requests.put(faults, json={"rules": [rule]}, timeout=5).raise_for_status()
    try:
        start = time.monotonic()
        assert gcp.call("GET", "latency", "global/firewalls")[0] == 200
        slow = time.monotonic() - start
        start = time.monotonic()
        assert gcp.call("GET", "latency", "global/routes")[0] == 200
        fast = time.monotonic() - start
    finally:
        requests.delete(faults, timeout=5).raise_for_status()
    assert slow >= 0.4 and fast < 0.4


# ----- a second process: slow operations, a --faults file, the per-user throttle ----------


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    rules = tmp_path_factory.mktemp("faults") / "faults.json"
    rule = {"kind": "throttle", "service": "gcp", "operation": "compute.routes.get", "count": 1}
    rules.write_text(json.dumps({"rules": [rule]}))
    server = Server(
        tmp_path_factory.mktemp("slow"),
        *("--operation-seconds", "1.2", "--faults", str(rules)),
        *("--throttle-reason", "userRateLimitExceeded"),
    )
    yield server
    server.stop()


def test_operations_go_pending_running_done_and_wait_returns_done(slow: Server) -> None:
    op = slow.call("POST", "life", "global/networks", {"name": "vpc"})[1]
    assert op["status"] == "PENDING"
    # Not visible until the operation is DONE, and a second insert is still a duplicate.
    assert slow.call("GET", "life", "global/networks/vpc")[0] == 404
    assert slow.call("POST", "life", "global/networks", {"name": "vpc"})[0] == 409
    time.sleep(0.5)
    status, running = slow.call("GET", "life", f"global/operations/{op['name']}")
    assert status == 200
    assert running["status"] == "RUNNING" and "startTime" in running
    done = slow.ok("POST", "life", f"global/operations/{op['name']}/wait")
    assert done["status"] == "DONE" and done["progress"] == 100 and "endTime" in done
    assert slow.call("GET", "life", "global/networks/vpc")[0] == 200
    listed = slow.ok("GET", "life", "global/operations", filter=f"name = {op['name']}")
    assert [o["status"] for o in listed["items"]] == ["DONE"]


def test_operation_failing_at_run_time_carries_errors(slow: Server) -> None:
    slow.call("POST", "late", "global/networks", {"name": "vpc"})
    time.sleep(1.3)
    body = {"name": "gw", "network": "global/networks/vpc"}
    delete = slow.call("DELETE", "late", "global/networks/vpc")[1]
    insert = slow.call("POST", "late", f"regions/{REGION}/vpnGateways", body)[1]
    assert insert["status"] == delete["status"] == "PENDING"
    status, done = slow.call("POST", "late", f"regions/{REGION}/operations/{insert['name']}/wait")
    assert (status, done["status"]) == (200, "DONE")
    # The network was deleted first (its operation completed earlier), so the gateway insert
    # fails at run time with Operation.error.errors[] like the real API.
    deleted = slow.ok("GET", "late", f"global/operations/{delete['name']}")
    assert deleted["status"] == "DONE"
    (error,) = done["error"]["errors"]
    assert error["code"] == "INVALID" and "network" in error["message"]
    assert done["httpErrorStatusCode"] == 400
    assert slow.call("GET", "late", f"regions/{REGION}/vpnGateways/gw")[0] == 404


def test_operation_time_is_set_at_run_time(gcp: Server) -> None:
    url = gcp.base + "/_emulator/gcp/operations"
    assert requests.get(url, timeout=5).json() == {"seconds": 0.0, "byKind": {}}
    for bad in ({"seconds": -1}, {"seconds": "2"}, {"seconds": True}, []):
        assert requests.put(url, json=bad, timeout=5).status_code == 400
    answer = requests.put(url, json={"seconds": 3600}, timeout=5).json()
    assert answer == {"seconds": 3600.0, "byKind": {}}
    try:
        op = gcp.call("POST", "timing", "global/networks", {"name": "vpc"})[1]
        assert op["status"] == "PENDING"
        assert gcp.call("GET", "timing", "global/networks/vpc")[0] == 404
    finally:
        requests.put(url, json={"seconds": 0}, timeout=5)
    # an operation started at 0 s is DONE at once again
    done = gcp.call("POST", "timing", "global/networks", {"name": "vpc2"})[1]
    assert done["status"] == "DONE"


def test_operation_time_per_kind(gcp: Server) -> None:
    url = gcp.base + "/_emulator/gcp/operations"
    bad = {"seconds": 0, "byKind": {"networks": -1}}
    assert requests.put(url, json=bad, timeout=5).status_code == 400
    assert gcp.call("POST", "kinds", "global/networks", {"name": "old"})[1]["status"] == "DONE"
    # <collection>.<operationType> first, then <collection>, then "seconds".
    kinds = {"networks.insert": 3600, "firewalls": 3600}
    answer = requests.put(url, json={"seconds": 0, "byKind": kinds}, timeout=5).json()
    assert answer == {"seconds": 0.0, "byKind": {"networks.insert": 3600.0, "firewalls": 3600.0}}
    rule = {"name": "fw", "network": "global/networks/old", "allowed": [{"IPProtocol": "all"}]}
    try:
        assert gcp.call("POST", "kinds", "global/networks", {"name": "new"})[1]["status"] == (
            "PENDING"
        )
        assert gcp.call("POST", "kinds", "global/firewalls", rule)[1]["status"] == "PENDING"
        assert gcp.call("DELETE", "kinds", "global/networks/old")[1]["status"] == "DONE"
    finally:
        requests.put(url, json={"seconds": 0, "byKind": {}}, timeout=5)
    assert requests.get(url, timeout=5).json() == {"seconds": 0.0, "byKind": {}}


def test_faults_file_is_loaded_at_start(slow: Server) -> None:
    status, payload = slow.call("GET", "ff", "global/routes/r")
    # --throttle-reason userRateLimitExceeded: the per-user variant, same domain and status.
    code, reason, message = _error(payload)
    assert (status, code, reason) == (403, 403, "userRateLimitExceeded")
    assert payload["error"]["errors"][0]["domain"] == "usageLimits"
    assert "per user" in message
    assert slow.call("GET", "ff", "global/routes/r")[0] == 404


def test_set_labels_needs_the_current_fingerprint(gcp: Server) -> None:
    _topology(gcp, "labels")
    path = f"regions/{REGION}/vpnTunnels/t0"
    before = gcp.ok("GET", "labels", path)
    stale = {"labels": {"owner": "x"}, "labelFingerprint": "stale"}
    status, payload = gcp.call("POST", "labels", f"{path}/setLabels", stale)
    assert (status, _error(payload)[1]) == (412, "conditionNotMet")
    body = {"labels": {"owner": "crosscluster"}, "labelFingerprint": before["labelFingerprint"]}
    gcp.ok("POST", "labels", f"{path}/setLabels", body)
    after = gcp.ok("GET", "labels", path)
    assert after["labels"] == {"owner": "crosscluster"}
    assert after["labelFingerprint"] != before["labelFingerprint"]


def test_firewalls_and_routes(gcp: Server) -> None:
    rule = {"name": "allow-remote", "allowed": [{"IPProtocol": "all"}]}
    status, payload = gcp.call("POST", "fw", "global/firewalls", rule)
    # Firewall.network defaults to global/networks/default, which this project lacks.
    assert status == 400 and "network" in payload["error"]["message"]
    _topology(gcp, "fw")
    rule |= {"network": "global/networks/vpc", "sourceRanges": ["172.16.0.0/16"]}
    gcp.ok("POST", "fw", "global/firewalls", rule)
    patch = {"sourceRanges": ["172.17.0.0/16"]}
    status, payload = gcp.call("PATCH", "fw", "global/firewalls/allow-remote", patch)
    # The discovery document marks Firewall.name required for firewalls.patch too.
    assert status == 400 and "'resource.name'" in payload["error"]["message"]
    gcp.ok("PATCH", "fw", "global/firewalls/allow-remote", {"name": "allow-remote"} | patch)
    firewall = gcp.ok("GET", "fw", "global/firewalls/allow-remote")
    assert firewall["sourceRanges"] == ["172.17.0.0/16"]
    assert (firewall["direction"], firewall["priority"]) == ("INGRESS", 1000)
    gcp.ok("PUT", "fw", "global/firewalls/allow-remote", {"name": "allow-remote"} | rule)
    assert gcp.ok("GET", "fw", "global/firewalls/allow-remote")["sourceRanges"] == ["172.16.0.0/16"]
    # One rule holds IPv4 or IPv6 source ranges, never both: insert and patch answer 400.
    gcp.ok("POST", "fw", "global/firewalls", rule | {"name": "v6", "sourceRanges": ["fd00::/8"]})
    mixed = {"sourceRanges": ["172.16.0.0/16", "fd00:1::/64"]}
    for method, path, body in (
        ("POST", "global/firewalls", rule | {"name": "mixed"} | mixed),
        ("PATCH", "global/firewalls/allow-remote", {"name": "allow-remote"} | mixed),
    ):
        status, payload = gcp.call(method, "fw", path, body)
        code, reason, message = _error(payload)
        assert (status, code, reason) == (400, 400, "invalid"), payload
        assert "'resource.sourceRanges[1]'" in message and "IPv4 and IPv6" in message
    assert gcp.call("GET", "fw", "global/firewalls/mixed")[0] == 404
    assert gcp.ok("GET", "fw", "global/firewalls/allow-remote")["sourceRanges"] == ["172.16.0.0/16"]
    route = {
        "name": "to-aws",
        "network": "global/networks/vpc",
        "destRange": "172.16.0.0/16",
        "priority": 100,
        "nextHopVpnTunnel": f"regions/{REGION}/vpnTunnels/t0",
    }
    gcp.ok("POST", "fw", "global/routes", route)
    status, payload = gcp.call("DELETE", "fw", f"regions/{REGION}/vpnTunnels/t1")
    assert status == 400  # still linked by a router interface
    status, payload = gcp.call(
        "POST", "fw", "global/routes", route | {"name": "r2"} | {"nextHopIp": "10.0.0.1"}
    )
    assert status == 400 and "nextHop" in payload["error"]["message"]


def test_learned_routes_hook_rejects_a_bad_body(gcp: Server) -> None:
    response = requests.put(gcp.base + "/_emulator/gcp/learned-routes", json={}, timeout=5)
    assert response.status_code == 400
    assert requests.get(gcp.base + "/_emulator/gcp/learned-routes", timeout=5).ok


def _observe(gcp: Server, body: dict[str, Any], method: str = "PUT") -> requests.Response:
    return requests.request(method, gcp.base + "/_emulator/gcp/observed", json=body, timeout=5)


def test_observed_status_replaces_the_derived_one_until_forgotten(gcp: Server) -> None:
    _topology(gcp, "seen")
    scope = {"project": "seen", "region": REGION}
    body = {
        "tunnels": [
            scope | {"tunnel": "t1", "status": "AUTHORIZATION_ERROR", "detailedStatus": "bad PSK"}
        ],
        "bgpPeers": [
            scope | {"router": "cr", "peer": "peer-t1", "status": "DOWN", "state": "Connect"},
            scope | {"router": "cr", "peer": "peer-t2", "status": "DOWN", "state": "Active"},
            scope
            | {"router": "cr", "peer": "peer-t3", "status": "UP", "state": "Established"}
            | {"numLearnedRoutes": 1, "learnedRoutes": ["10.40.0.0/16"]},
        ],
    }
    try:
        assert _observe(gcp, body).ok
        tunnel = gcp.ok("GET", "seen", f"regions/{REGION}/vpnTunnels/t1")
        assert (tunnel["status"], tunnel["detailedStatus"]) == ("AUTHORIZATION_ERROR", "bad PSK")
        assert _statuses(gcp, "seen")["t0"] == "ESTABLISHED"  # not observed: derived
        peers = _peers(gcp, "seen")
        assert (peers["peer-t1"]["status"], peers["peer-t1"]["state"]) == ("DOWN", "Connect")
        assert peers["peer-t1"]["advertisedRoutes"] == []
        assert (peers["peer-t2"]["status"], peers["peer-t2"]["state"]) == ("DOWN", "Active")
        assert peers["peer-t3"]["numLearnedRoutes"] == 1
        assert peers["peer-t0"]["status"] == "UP"
        result = gcp.ok("GET", "seen", f"regions/{REGION}/routers/cr/getRouterStatus")["result"]
        assert [(r["destRange"], r["nextHopIp"]) for r in result["bestRoutes"]] == [
            ("10.40.0.0/16", "169.254.13.1")
        ]
    finally:
        assert _observe(gcp, {}, "DELETE").json() == {"tunnels": [], "bgpPeers": []}
    assert set(_statuses(gcp, "seen").values()) == {"ESTABLISHED"}
    assert {p["status"] for p in _peers(gcp, "seen").values()} == {"UP"}


@pytest.mark.parametrize(
    ("project", "bad"),
    list(
        enumerate(
            [
                {"tunnels": [{"tunnel": "t0", "status": "UP"}]},
                {"tunnels": [{"tunnel": "nope", "status": "ESTABLISHED"}]},
                {
                    "bgpPeers": [
                        {"router": "cr", "peer": "nope", "status": "UP", "state": "Established"}
                    ]
                },
                {"bgpPeers": [{"router": "cr", "peer": "peer-t0", "status": "UP", "state": "Up"}]},
                {"bgpPeers": [{"router": "cr", "peer": "peer-t0", "status": "ESTABLISHED"}]},
                {
                    "bgpPeers": [
                        {"router": "cr", "peer": "peer-t0", "status": "UP", "state": "Established"}
                        | {"numLearnedRoutes": -1}
                    ]
                },
            ]
        )
    ),
)
def test_observed_status_is_validated_all_or_nothing(
    gcp: Server, project: int, bad: dict[str, Any]
) -> None:
    name = f"badseen{project}"
    _topology(gcp, name)
    good = {"project": name, "region": REGION, "tunnel": "t1", "status": "FIRST_HANDSHAKE"}
    scoped = {
        kind: [{"project": name, "region": REGION} | e for e in entries]
        for kind, entries in bad.items()
    }
    body = {"tunnels": [good, *scoped.get("tunnels", [])], "bgpPeers": scoped.get("bgpPeers", [])}
    response = _observe(gcp, body)
    assert response.status_code == 400, response.text
    assert _observe(gcp, {}, "GET").json() == {"tunnels": [], "bgpPeers": []}
    assert _statuses(gcp, name)["t1"] == "ESTABLISHED"


# ----- VPC Network Peering ------------------------------------------------------------------


def _subnet(gcp: Server, project: str, network: str, name: str, cidr: str, *extra: str) -> None:
    body: dict[str, Any] = {
        "name": name,
        "network": f"global/networks/{network}",
        "ipCidrRange": cidr,
    }
    if extra:
        body["secondaryIpRanges"] = [
            {"rangeName": f"r{i}", "ipCidrRange": cidr} for i, cidr in enumerate(extra)
        ]
    gcp.ok("POST", project, f"regions/{REGION}/subnetworks", body)


def _peer(gcp: Server, project: str, network: str, name: str, peer: str, **options: Any) -> Any:
    """networks.addPeering in the networkPeering form (what gcloud and Terraform send)."""
    body = {"networkPeering": {"name": name, "network": peer, "exchangeSubnetRoutes": True}}
    body["networkPeering"] |= options
    return gcp.call("POST", project, f"global/networks/{network}/addPeering", body)


def _peerings(gcp: Server, project: str, network: str) -> dict[str, dict[str, Any]]:
    payload = gcp.ok("GET", project, f"global/networks/{network}")
    return {p["name"]: p for p in payload.get("peerings", [])}


def _routes(gcp: Server, project: str, network: str, peering: str, direction: str, **q: Any) -> Any:
    params = {"peeringName": peering, "direction": direction, "region": REGION} | q
    payload = gcp.ok("GET", project, f"global/networks/{network}/listPeeringRoutes", **params)
    schema.validate(payload, "ExchangedPeeringRoutesList", "response")
    return payload.get("items", [])


def _op_error(payload: dict[str, Any]) -> str:
    """The one error of a failed (DONE) Operation."""
    assert payload["kind"] == "compute#operation" and payload["status"] == "DONE", payload
    (error,) = payload["error"]["errors"]
    return str(error["message"])


def _peered_pair(gcp: Server, a: str, b: str) -> None:
    """vpc-a in project ``a`` (10.1.0.0/20 + secondary 10.2.0.0/16) ACTIVE-peered with vpc-b in
    project ``b`` (10.3.0.0/20): a-to-b in the networkPeering form, b-to-a in the legacy form."""
    _network(gcp, a, "vpc-a")
    _network(gcp, b, "vpc-b")
    _subnet(gcp, a, "vpc-a", "nodes-a", "10.1.0.0/20", "10.2.0.0/16")
    _subnet(gcp, b, "vpc-b", "nodes-b", "10.3.0.0/20")
    status, op = _peer(gcp, a, "vpc-a", "a-to-b", gcp.url(b, "global/networks/vpc-b"))
    assert status == 200 and "error" not in op, op
    legacy = {"name": "b-to-a", "peerNetwork": f"projects/{a}/global/networks/vpc-a"}
    gcp.ok("POST", b, "global/networks/vpc-b/addPeering", legacy | {"autoCreateRoutes": True})


def test_peering_is_inactive_until_the_peer_matches_then_both_are_active(gcp: Server) -> None:
    _network(gcp, "pa", "vpc-a")
    _network(gcp, "pb", "vpc-b")
    peer_url = gcp.url("pb", "global/networks/vpc-b")
    status, op = _peer(gcp, "pa", "vpc-a", "a-to-b", peer_url, exportCustomRoutes=True)
    assert status == 200 and op["status"] == "DONE" and "error" not in op, op
    schema.validate(op, "Operation", "response")
    assert op["operationType"] == "addPeering"
    assert op["targetLink"] == gcp.url("pa", "global/networks/vpc-a")
    network = gcp.ok("GET", "pa", "global/networks/vpc-a")
    schema.validate(network, "Network", "response")
    (peering,) = network["peerings"]
    assert peering == {
        "name": "a-to-b",
        "network": peer_url,
        "state": "INACTIVE",
        "stateDetails": peering["stateDetails"],
        "autoCreateRoutes": True,
        "exchangeSubnetRoutes": True,
        "exportCustomRoutes": True,
        "importCustomRoutes": False,
        "exportSubnetRoutesWithPublicIp": True,
        "importSubnetRoutesWithPublicIp": False,
        "stackType": "IPV4_ONLY",
        "peerMtu": 1460,
    }
    assert peering["stateDetails"].endswith("]: Waiting for peer network to connect.")
    # The matching configuration, in the legacy top-level form and by partial URL: ACTIVE.
    body = {"name": "b-to-a", "peerNetwork": "projects/pa/global/networks/vpc-a"}
    gcp.ok("POST", "pb", "global/networks/vpc-b/addPeering", body | {"autoCreateRoutes": True})
    mine, theirs = _peerings(gcp, "pa", "vpc-a")["a-to-b"], _peerings(gcp, "pb", "vpc-b")["b-to-a"]
    assert (mine["state"], theirs["state"]) == ("ACTIVE", "ACTIVE")
    assert mine["stateDetails"].endswith("]: Connected.")
    assert theirs["network"] == gcp.url("pa", "global/networks/vpc-a")
    assert (theirs["exportCustomRoutes"], theirs["stackType"]) == (False, "IPV4_ONLY")
    # The state endpoint shows peerings as part of the network resource.
    state = requests.get(gcp.base + "/_emulator/gcp/state", timeout=5).json()
    assert state["pb/global/networks"]["vpc-b"]["peerings"][0]["state"] == "ACTIVE"
    # The request log counts the peering calls as mutations, listPeeringRoutes as a read.
    _routes(gcp, "pa", "vpc-a", "a-to-b", "INCOMING")
    logged = {
        e["operation"]: e["mutating"]
        for e in read_log(gcp.state, "gcp")
        if "/projects/pa/" in e["path"] or "/projects/pb/" in e["path"]
    }
    assert logged["compute.networks.addPeering"] is True
    assert logged["compute.networks.listPeeringRoutes"] is False


@pytest.mark.parametrize(
    "body, code, reason, needle",
    [
        ({"networkPeering": {"name": "p", "bogus": 1}}, 400, "invalid", 'Unknown name "bogus"'),
        (
            {"networkPeering": {"name": "p", "network": "x", "stackType": "IPV5"}},
            400,
            "invalid",
            "resource.network_peering.stack_type",
        ),
        ({"peerNetwork": "global/networks/other"}, 400, "required", "'resource.name'"),
        ({"networkPeering": {"name": "p"}}, 400, "required", "network_peering.network"),
        ({"networkPeering": {"name": "Bad_Name", "network": "other"}}, 400, "invalid", "regex"),
        (
            {"networkPeering": {"name": "p", "network": "other", "exchangeSubnetRoutes": False}},
            400,
            "invalid",
            "exchangeSubnetRoutes",
        ),
        ({"networkPeering": {"name": "p", "network": "missing"}}, 404, "notFound", "missing"),
        (
            {"networkPeering": {"name": "p", "network": "projects/nope/global/networks/other"}},
            404,
            "notFound",
            "'projects/nope/global/networks/other' was not found",
        ),
        ({"networkPeering": {"name": "p", "network": "vpc"}}, 400, "invalid", "itself"),
        (
            {"networkPeering": {"name": "taken", "network": "third"}},
            400,
            "invalid",
            "already has a peering of this name",
        ),
        (
            {"networkPeering": {"name": "again", "network": "global/networks/other"}},
            400,
            "badRequest",
            "There is already a peering taken with the same network. Select another network.",
        ),
    ],
)
def test_add_peering_is_validated_and_refused_like_the_real_api(
    gcp: Server, body: dict[str, Any], code: int, reason: str, needle: str
) -> None:
    project = "peererr"
    if gcp.call("GET", project, "global/networks/vpc")[0] == 404:
        for name in ("vpc", "other", "third"):
            _network(gcp, project, name)
        assert _peer(gcp, project, "vpc", "taken", "other")[0] == 200
    status, payload = gcp.call("POST", project, "global/networks/vpc/addPeering", body)
    got_code, got_reason, message = _error(payload)
    assert (status, got_code, got_reason) == (code, code, reason), payload
    assert needle in message
    assert list(_peerings(gcp, project, "vpc")) == ["taken"]


@pytest.mark.parametrize(
    "case, local, peer, overlap",
    [
        (0, ("10.0.0.0/20",), ("10.0.8.0/24",), ("10.0.8.0/24", "10.0.0.0/20")),  # primaries
        (1, ("10.0.0.0/20",), ("172.16.0.0/20", "10.0.0.0/16"), ("10.0.0.0/16", "10.0.0.0/20")),
        (2, ("10.0.0.0/20", "10.8.0.0/14"), ("10.9.0.0/20",), ("10.9.0.0/20", "10.8.0.0/14")),
        (
            3,
            ("10.0.0.0/20", "10.8.0.0/14"),
            ("10.1.0.0/20", "10.8.4.0/22"),
            ("10.8.4.0/22", "10.8.0.0/14"),
        ),
        (4, ("10.0.0.0/20", "10.8.0.0/14"), ("10.0.16.0/20", "10.12.0.0/14"), None),  # adjacent
    ],
)
def test_overlapping_subnet_ranges_fail_the_peering_operation(
    gcp: Server,
    case: int,
    local: tuple[str, ...],
    peer: tuple[str, ...],
    overlap: tuple[str, str] | None,
) -> None:
    """Primary with primary, primary with secondary (either way), secondary with secondary;
    adjacent ranges are fine."""
    project = f"overlap{case}"
    _network(gcp, project, "local")
    _network(gcp, project, "peer")
    _subnet(gcp, project, "local", "mine", *local)
    _subnet(gcp, project, "peer", "theirs", *peer)
    status, op = _peer(gcp, project, "local", "to-peer", "peer")
    assert status == 200
    if overlap is None:
        assert "error" not in op, op
        assert list(_peerings(gcp, project, "local")) == ["to-peer"]
        return
    message = _op_error(op)
    assert op["httpErrorStatusCode"] == 400
    their_range, my_range = overlap
    assert message.startswith(f"An IP range in the peer network ({their_range}) overlaps with")
    assert f"with an IP range in the local network ({my_range}) allocated" in message
    assert message.endswith(
        f"allocated by resource (projects/{project}/regions/{REGION}/subnetworks/mine)."
    )
    assert _peerings(gcp, project, "local") == {}


def test_remove_peering_removes_it_and_the_peer_becomes_inactive(gcp: Server) -> None:
    _peered_pair(gcp, "rma", "rmb")
    path = "global/networks/vpc-a/removePeering"
    status, payload = gcp.call("POST", "rma", path, {"name": "nope"})
    assert (status, *_error(payload)) == (
        400,
        400,
        "badRequest",
        "There is no peering (nope) for the network.",
    )
    status, payload = gcp.call("POST", "rma", path, {})
    assert (status, _error(payload)[1]) == (400, "required")
    op = gcp.ok("POST", "rma", path, {"name": "a-to-b"})
    assert op["operationType"] == "removePeering"
    assert "peerings" not in gcp.ok("GET", "rma", "global/networks/vpc-a")
    theirs = _peerings(gcp, "rmb", "vpc-b")["b-to-a"]
    assert theirs["state"] == "INACTIVE"
    assert theirs["stateDetails"].endswith("]: Waiting for peer network to connect.")
    assert _routes(gcp, "rmb", "vpc-b", "b-to-a", "INCOMING") == []


def test_update_peering_changes_only_the_updatable_fields(gcp: Server) -> None:
    _peered_pair(gcp, "upa", "upb")
    path = "global/networks/vpc-a/updatePeering"
    before = _peerings(gcp, "upa", "vpc-a")["a-to-b"]
    change = {
        "name": "a-to-b",
        "network": "projects/upb/global/networks/vpc-b",  # as Terraform sends it: unchanged
        "exchangeSubnetRoutes": True,
        "exportCustomRoutes": True,
        "importCustomRoutes": True,
        "stackType": "IPV4_IPV6",
        "state": "INACTIVE",  # output only: ignored
        "peerMtu": 9000,
    }
    op = gcp.ok("PATCH", "upa", path, {"networkPeering": change})
    assert op["operationType"] == "updatePeering"
    after = _peerings(gcp, "upa", "vpc-a")["a-to-b"]
    assert (after["exportCustomRoutes"], after["importCustomRoutes"]) == (True, True)
    assert after["stackType"] == "IPV4_IPV6"
    for key in ("name", "network", "state", "stateDetails", "peerMtu", "exchangeSubnetRoutes"):
        assert after[key] == before[key], key
    assert _peerings(gcp, "upb", "vpc-b")["b-to-a"]["exportCustomRoutes"] is False
    for body, reason, needle in (
        ({"networkPeering": {"name": "nope"}}, "badRequest", "There is no peering (nope)"),
        ({"networkPeering": {"exportCustomRoutes": True}}, "required", "network_peering.name"),
        ({"networkPeering": {"name": "a-to-b", "network": "vpc-c"}}, "invalid", "cannot change"),
        ({"networkPeering": {"name": "a-to-b", "bogus": True}}, "invalid", 'Unknown name "bogus"'),
    ):
        status, payload = gcp.call("PATCH", "upa", path, body)
        assert (status, _error(payload)[1]) == (400, reason), payload
        assert needle in payload["error"]["message"]
    assert _peerings(gcp, "upa", "vpc-a")["a-to-b"] == after


def test_list_peering_routes_exchanges_subnet_routes_only_while_active(gcp: Server) -> None:
    _network(gcp, "lra", "vpc-a")
    _network(gcp, "lrb", "vpc-b")
    _subnet(gcp, "lra", "vpc-a", "nodes-a", "10.1.0.0/20", "10.2.0.0/16")
    _subnet(gcp, "lrb", "vpc-b", "nodes-b", "10.3.0.0/20")
    assert _peer(gcp, "lra", "vpc-a", "a-to-b", "projects/lrb/global/networks/vpc-b")[0] == 200
    # INACTIVE: nothing is exchanged.
    assert _routes(gcp, "lra", "vpc-a", "a-to-b", "INCOMING") == []
    assert _routes(gcp, "lra", "vpc-a", "a-to-b", "OUTGOING") == []
    assert _peer(gcp, "lrb", "vpc-b", "b-to-a", "projects/lra/global/networks/vpc-a")[0] == 200

    def subnet(cidr: str) -> dict[str, Any]:
        return {"destRange": cidr, "type": "SUBNET_PEERING_ROUTE", "priority": 0, "imported": True}

    assert _routes(gcp, "lra", "vpc-a", "a-to-b", "INCOMING") == [subnet("10.3.0.0/20")]
    outgoing = [subnet("10.1.0.0/20"), subnet("10.2.0.0/16")]  # secondary ranges too
    assert _routes(gcp, "lra", "vpc-a", "a-to-b", "OUTGOING") == outgoing
    assert _routes(gcp, "lrb", "vpc-b", "b-to-a", "INCOMING") == outgoing
    # Subnet routes are global: another region lists them as well; lists filter and page.
    assert _routes(gcp, "lra", "vpc-a", "a-to-b", "OUTGOING", region="us-east1") == outgoing
    filtered = _routes(gcp, "lra", "vpc-a", "a-to-b", "OUTGOING", filter="destRange eq 10\\.2.*")
    assert filtered == [subnet("10.2.0.0/16")]
    payload = gcp.ok(
        "GET",
        "lra",
        "global/networks/vpc-a/listPeeringRoutes",
        **{"peeringName": "a-to-b", "direction": "OUTGOING", "region": REGION, "maxResults": 1},
    )
    assert payload["items"] == outgoing[:1] and payload["nextPageToken"]
    path = "global/networks/vpc-a/listPeeringRoutes"
    for params, reason in (
        ({"peeringName": "nope", "direction": "INCOMING", "region": REGION}, "badRequest"),
        ({"peeringName": "a-to-b", "region": REGION}, "required"),
        ({"peeringName": "a-to-b", "direction": "INCOMING"}, "required"),
        ({"peeringName": "a-to-b", "direction": "SIDEWAYS", "region": REGION}, "invalid"),
    ):
        status, payload = gcp.call("GET", "lra", path, **params)
        assert (status, _error(payload)[1]) == (400, reason), (params, payload)


def _custom(routes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in routes if r["type"] != "SUBNET_PEERING_ROUTE"]


def test_custom_routes_are_listed_when_exported_and_marked_imported_when_imported(
    gcp: Server,
) -> None:
    """Static routes and the prefixes the Cloud Router learned over its UP BGP sessions cross
    the peering as STATIC_/DYNAMIC_PEERING_ROUTE once the exporting side sets
    exportCustomRoutes; ``imported`` follows the importing side's importCustomRoutes."""
    _topology(gcp, "custom")  # network vpc, router cr with 4 UP BGP peers, 10.10/20 + 10.20/14
    body = {
        "routes": [
            {"project": "custom", "region": REGION, "router": "cr", "peer": "peer-t0"}
            | {"prefixes": ["172.16.0.0/16"]}
        ]
    }
    response = requests.put(gcp.base + "/_emulator/gcp/learned-routes", json=body, timeout=5)
    assert response.ok, response.text
    route = {
        "name": "to-aws",
        "network": "global/networks/vpc",
        "destRange": "172.30.0.0/16",
        "priority": 900,
        "nextHopVpnTunnel": f"regions/{REGION}/vpnTunnels/t0",
    }
    gcp.ok("POST", "custom", "global/routes", route)
    _network(gcp, "hub", "hub")
    _subnet(gcp, "hub", "hub", "hub-nodes", "10.50.0.0/20")
    assert _peer(gcp, "hub", "hub", "to-vpc", "projects/custom/global/networks/vpc")[0] == 200
    assert _peer(gcp, "custom", "vpc", "to-hub", "projects/hub/global/networks/hub")[0] == 200
    incoming = _routes(gcp, "hub", "hub", "to-vpc", "INCOMING")
    # Not exported yet: only the subnet routes cross.
    assert {(r["destRange"], r["type"]) for r in incoming} == {
        ("10.10.0.0/20", "SUBNET_PEERING_ROUTE"),
        ("10.20.0.0/14", "SUBNET_PEERING_ROUTE"),
    }
    export = {"networkPeering": {"name": "to-hub", "exportCustomRoutes": True}}
    gcp.ok("PATCH", "custom", "global/networks/vpc/updatePeering", export)
    static = {"destRange": "172.30.0.0/16", "type": "STATIC_PEERING_ROUTE", "priority": 900}
    dynamic = {
        "destRange": "172.16.0.0/16",
        "type": "DYNAMIC_PEERING_ROUTE",
        "nextHopRegion": REGION,
        "priority": 100,
    }
    custom = _custom(_routes(gcp, "hub", "hub", "to-vpc", "INCOMING"))
    # Exported but the hub does not import custom routes.
    assert custom == [static | {"imported": False}, dynamic | {"imported": False}]
    outgoing = _routes(gcp, "custom", "vpc", "to-hub", "OUTGOING")
    assert _custom(outgoing) == custom
    imp = {"networkPeering": {"name": "to-vpc", "importCustomRoutes": True}}
    gcp.ok("PATCH", "hub", "global/networks/hub/updatePeering", imp)
    custom = _custom(_routes(gcp, "hub", "hub", "to-vpc", "INCOMING"))
    assert custom == [static | {"imported": True}, dynamic | {"imported": True}]
    # The VPC's routing mode is REGIONAL: another region sees the static route only.
    other = _routes(gcp, "hub", "hub", "to-vpc", "INCOMING", region="us-east1")
    assert [r["type"] for r in _custom(other)] == ["STATIC_PEERING_ROUTE"]
    # The hub exports nothing custom, so the VPC's INCOMING list has the hub subnet only.
    assert [r["destRange"] for r in _routes(gcp, "custom", "vpc", "to-hub", "INCOMING")] == [
        "10.50.0.0/20"
    ]


def test_network_with_peerings_cannot_be_deleted(gcp: Server) -> None:
    _network(gcp, "delpeer", "a")
    _network(gcp, "delpeer", "b")
    assert _peer(gcp, "delpeer", "a", "a-to-b", "b")[0] == 200
    status, payload = gcp.call("DELETE", "delpeer", "global/networks/a")
    _unused, reason, message = _error(payload)
    assert (status, reason) == (400, "resourceInUseByAnotherResource")
    assert "projects/delpeer/global/networks/a" in message and "a-to-b" in message
    # b has no peering of its own: it can go; a's peering stays, INACTIVE.
    gcp.ok("DELETE", "delpeer", "global/networks/b")
    assert _peerings(gcp, "delpeer", "a")["a-to-b"]["state"] == "INACTIVE"
    gcp.ok("POST", "delpeer", "global/networks/a/removePeering", {"name": "a-to-b"})
    gcp.ok("DELETE", "delpeer", "global/networks/a")


def test_peering_operations_take_time_and_one_runs_at_a_time(slow: Server) -> None:
    for name in ("a", "b"):
        op = slow.call("POST", "slowpeer", "global/networks", {"name": name})[1]
        slow.ok("POST", "slowpeer", f"global/operations/{op['name']}/wait")
    status, op = _peer(slow, "slowpeer", "a", "a-to-b", "b")
    assert (status, op["status"]) == (200, "PENDING")
    # Not visible until DONE, and the other side must wait for it (only one peering
    # operation at a time across peered networks).
    assert "peerings" not in slow.ok("GET", "slowpeer", "global/networks/a")
    status, payload = _peer(slow, "slowpeer", "b", "b-to-a", "a")
    assert (status, *_error(payload)) == (
        400,
        400,
        "badRequest",
        "There is a peering operation in progress on the local or peer network. Try again later.",
    )
    slow.ok("POST", "slowpeer", f"global/operations/{op['name']}/wait")
    status, op = _peer(slow, "slowpeer", "b", "b-to-a", "a")
    assert status == 200, op
    slow.ok("POST", "slowpeer", f"global/operations/{op['name']}/wait")
    states = {
        name: _peerings(slow, "slowpeer", net)[name]["state"]
        for net, name in (("a", "a-to-b"), ("b", "b-to-a"))
    }
    assert states == {"a-to-b": "ACTIVE", "b-to-a": "ACTIVE"}
