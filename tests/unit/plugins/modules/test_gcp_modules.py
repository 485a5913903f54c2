"""Unit tests of the gcp_* modules' main(): argument handling, bad input rejected before any
API call (the ``request`` wrapper must not be reached), check mode and diff output.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp as g

MODULES = "ansible_collections.crosscluster.link.plugins.modules"
AUTH = {
    "auth_kind": "accesstoken",
    "access_token": "unit-token",
    "project": "demo-project",
    "region": "europe-west1",
}


def run_module(name: str, args: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict:
    module = importlib.import_module(
        f"ansible_collections.crosscluster.link.plugins.modules.{name}"
    )
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def no_api(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an API call was made before validation")

    monkeypatch.setattr(g, "request", refuse)


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        ("gcp_router", {"name": "Bad_Name", "network": "n", "asn": 65000}, "name 'Bad_Name'"),
        ("gcp_router", {"name": "r", "network": "n", "asn": 65535}, "asn 65535 is not a private"),
        (
            "gcp_router",
            {"name": "r", "network": "n", "asn": 65000, "keepalive_interval": 5},
            "keepalive_interval 5 is out of range",
        ),
        (
            "gcp_router",
            {"name": "r", "network": "n", "advertised_groups": ["ALL_SUBNETS"]},
            "need advertise_mode: CUSTOM",
        ),
        ("gcp_ha_vpn_gateway", {"name": "gw"}, "network is required"),
        (
            "gcp_network_peering",
            {"name": "Bad_Name", "network": "vpc-a", "peer_network": "vpc-b"},
            "name 'Bad_Name'",
        ),
        (
            "gcp_network_peering",
            {"name": "xcl-a-a", "network": "vpc-a", "peer_network": "vpc-a"},
            "peer_network vpc-a is the network itself",
        ),
        ("gcp_ha_vpn_gateway", {"name": "gw", "network": "Net_1"}, "network 'Net_1'"),
        (
            "gcp_external_vpn_gateway",
            {"name": "peer", "interfaces": [{"ip_address": "1.1.1.1"}]},
            "needs exactly 4",
        ),
        (
            "gcp_external_vpn_gateway",
            {
                "name": "peer",
                "redundancy_type": "TWO_IPS_REDUNDANCY",
                "interfaces": [
                    {"id": 0, "ip_address": "1.1.1.1"},
                    {"id": 5, "ip_address": "2.2.2.2"},
                ],
            },
            "interfaces[1].id 5 is out of range",
        ),
        (
            "gcp_router_peer",
            {
                "name": "p",
                "router": "r",
                "ip_range": "169.254.10.2/30",
                "peer_ip_address": "169.254.10.6",
                "peer_asn": 64512,
            },
            "peer_ip_address 169.254.10.6 is not the other host",
        ),
        (
            "gcp_router_peer",
            {"name": "p", "router": "r", "ip_range": "169.254.10.2/24", "peer_ip_address": "x"},
            "peer_asn is required",
        ),
        (
            "gcp_vpn_tunnel",
            {
                "name": "t",
                "vpn_gateway": "gw",
                "vpn_gateway_interface": 2,
                "peer_external_gateway": "peer",
                "shared_secret": "abcdefgh",
                "router": "r",
            },
            "vpn_gateway_interface 2 is out of range",
        ),
        (
            "gcp_firewall_rule",
            {"name": "fw", "network": "n", "source_ranges": ["10.0.0.0/33"]},
            "source_ranges[0] '10.0.0.0/33' is not a CIDR",
        ),
        (
            "gcp_firewall_rule",
            {
                "name": "fw",
                "network": "n",
                "source_ranges": ["10.0.0.0/8"],
                "allowed": [{"protocol": "icmp", "ports": ["80"]}],
            },
            "allowed[0].ports applies to tcp, udp and sctp only",
        ),
        (
            "gcp_firewall_rule",
            {"name": "fw", "network": "n", "source_ranges": ["10.0.0.0/8", "fd00::/8"]},
            "source_ranges mixes IPv4 (10.0.0.0/8) and IPv6 (fd00::/8) ranges",
        ),
        ("gcp_router_info", {"name": "UPPER"}, "name 'UPPER'"),
        ("gcp_vpn_info", {"routers": ["ok", "Not-ok"]}, "routers[1] 'Not-ok'"),
    ],
)
def test_bad_input_rejected_before_any_api_call(
    no_api: None, capsys: pytest.CaptureFixture[str], module: str, args: dict, message: str
) -> None:
    result = run_module(module, {**AUTH, **args}, capsys)
    assert result["failed"]
    assert message in result["msg"]


@pytest.mark.parametrize(
    ("drop", "message"),
    [("project", "project is required"), ("region", "region is required")],
)
def test_missing_location(
    no_api: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    drop: str,
    message: str,
) -> None:
    monkeypatch.delenv("GCP_PROJECT", raising=False)
    monkeypatch.delenv("GCP_REGION", raising=False)
    args = {k: v for k, v in AUTH.items() if k != drop}
    result = run_module("gcp_router", {**args, "name": "r", "network": "n", "asn": 65000}, capsys)
    assert message in result["msg"]


def test_unreadable_credentials_file(
    no_api: None, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    path = tmp_path / "missing-key.json"
    args = {
        "auth_kind": "serviceaccount",
        "service_account_file": str(path),
        "project": "p",
        "name": "fw",
        "network": "n",
        "source_ranges": ["10.0.0.0/8"],
    }
    result = run_module("gcp_firewall_rule", args, capsys)
    assert f"service_account_file {path} cannot be read" in result["msg"]


def test_env_fallbacks(
    no_api: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """project/region/auth come from GCP_* variables; validation still precedes the API."""
    monkeypatch.setenv("GCP_AUTH_KIND", "accesstoken")
    monkeypatch.setenv("GCP_ACCESS_TOKEN", "env-token")
    monkeypatch.setenv("GCP_PROJECT", "env-project")
    monkeypatch.setenv("GCP_REGION", "env-region")
    result = run_module("gcp_router", {"name": "r", "network": "n", "asn": 1}, capsys)
    assert "asn 1 is not a private ASN" in result["msg"]


def test_check_mode_and_diff_make_no_mutation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []

    def fake_request(api: g.Api, method: str, path: str, body: Any = None, params: Any = None):
        calls.append((method, path))
        if method == "GET":
            raise g.GcpError(404, "notFound", "not found")
        raise AssertionError("mutating call in check mode")

    monkeypatch.setattr(g, "request", fake_request)
    args = {
        **AUTH,
        "name": "xcl-fw",
        "network": "n",
        "source_ranges": ["10.0.0.0/8"],
        "_ansible_check_mode": True,
        "_ansible_diff": True,
    }
    result = run_module("gcp_firewall_rule", args, capsys)
    assert result["changed"]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["source_ranges"] == ["10.0.0.0/8"]
    assert calls == [("GET", "global/firewalls/xcl-fw")]


def test_info_returns_empty_list(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(g, "request", lambda *a, **k: {})
    result = run_module("gcp_vpn_tunnel_info", {**AUTH, "name_prefix": "xcl-"}, capsys)
    assert result["vpn_tunnels"] == []
    assert not result["changed"]


def test_secrets_are_not_logged(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(g, "request", lambda *a, **k: {})
    args = {**AUTH, "access_token": "very-secret-token", "name": "very-secret-token"}
    result = run_module("gcp_router_info", args, capsys)
    assert "very-secret-token" not in json.dumps(result["invocation"])
