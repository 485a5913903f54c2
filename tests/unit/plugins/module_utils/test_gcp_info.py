"""Unit tests of plugins/module_utils/_gcp_info.py: the peering part of gcp_vpn_info, with
the get/list wrappers replaced by one network and its exchanged routes (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp as g
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp_info as gi

API = g.Api(session=None, endpoint="https://compute.example", project="team-a", region="r1")
PEER = "https://compute.example/compute/v1/projects/team-b/global/networks/vpc-b"
NETWORK = {
    "name": "vpc-a",
    "peerings": [
        {"name": "xcl-a--b", "network": PEER, "state": "ACTIVE", "stateDetails": "Connected."},
        {"name": "xcl-a--c", "network": PEER + "c", "state": "INACTIVE"},
        {"name": "theirs", "network": PEER + "d", "state": "ACTIVE"},
    ],
}


def test_peerings_of_the_prefix_with_the_routes_an_active_one_imports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed: list[tuple[str, dict[str, Any]]] = []

    def list_all(api: g.Api, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        listed.append((path, dict(params or {})))
        return [{"destRange": "10.0.0.0/20"}, {"destRange": "10.4.0.0/14"}]

    monkeypatch.setattr(g, "get", lambda api, path: NETWORK if path.endswith("/vpc-a") else None)
    monkeypatch.setattr(g, "list_all", list_all)
    assert gi.peering_status(API, "vpc-a", "xcl-") == [
        {
            "name": "xcl-a--b",
            "network": PEER,
            "state": "ACTIVE",
            "state_details": "Connected.",
            "incoming_routes": ["10.0.0.0/20", "10.4.0.0/14"],
        },
        {
            "name": "xcl-a--c",
            "network": PEER + "c",
            "state": "INACTIVE",
            "state_details": None,
            "incoming_routes": [],
        },
    ]
    # Only the active peering's routes are read, in the module's region.
    assert listed == [
        (
            "global/networks/vpc-a/listPeeringRoutes",
            {"peeringName": "xcl-a--b", "direction": "INCOMING", "region": "r1"},
        )
    ]


def test_a_missing_network_has_no_peerings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(g, "get", lambda api, path: None)
    assert gi.peering_status(API, "vpc-x", "xcl-") == []
