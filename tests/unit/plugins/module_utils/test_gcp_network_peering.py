"""Unit tests of plugins/module_utils/_gcp_network_peering.py: the get/mutate wrappers are
replaced by an in-memory network and a record of what would be sent (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp as g
from ansible_collections.crosscluster.link.plugins.module_utils import _gcp_network_peering as gnp

PROJECT = "team-a"
API = g.Api(session=None, endpoint="https://compute.example", project=PROJECT)
PATH = "global/networks/vpc-a"
PEER = "projects/team-b/global/networks/vpc-b"


class Network:
    """One network's resource; mutations are recorded and applied as DONE operations."""

    def __init__(self, peerings: list[dict[str, Any]] | None = None) -> None:
        self.resource: dict[str, Any] = {"name": "vpc-a", "peerings": peerings or []}
        self.sent: list[tuple[str, str, Any]] = []

    def get(self, api: g.Api, path: str) -> dict[str, Any] | None:
        return self.resource if path == PATH else None

    def mutate(
        self, api: g.Api, method: str, path: str, body: Any = None, *, wait: bool = True
    ) -> dict[str, Any]:
        self.sent.append((method, path, body))
        peerings = self.resource["peerings"]
        verb = path.rsplit("/", 1)[-1]
        if verb == "addPeering":
            peerings.append({**body["networkPeering"], "state": "INACTIVE"})
        elif verb == "removePeering":
            peerings[:] = [x for x in peerings if x["name"] != body["name"]]
        elif verb == "updatePeering":
            update = body["networkPeering"]
            next(x for x in peerings if x["name"] == update["name"]).update(update)
        return {"name": "operation-1", "status": "DONE"}


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    net = Network()
    monkeypatch.setattr(g, "get", net.get)
    monkeypatch.setattr(g, "mutate", net.mutate)
    return net


def params(**overrides: Any) -> dict[str, Any]:
    p = {
        "name": "xcl-a-b",
        "state": "present",
        "network": "vpc-a",
        "peer_network": "vpc-b",
        "peer_project": "team-b",
        "export_custom_routes": False,
        "import_custom_routes": False,
        "stack_type": "IPV4_ONLY",
    }
    p.update(overrides)
    return p


def test_add_sends_one_add_peering_and_a_rerun_sends_nothing(network: Network) -> None:
    outcome = gnp.network_peering(API, params(), check_mode=False)
    assert outcome.changed and outcome.after is not None
    assert outcome.after["state"] == "INACTIVE"  # until vpc-b peers back
    assert network.sent == [
        (
            "POST",
            f"{PATH}/addPeering",
            {
                "networkPeering": {
                    "name": "xcl-a-b",
                    "network": PEER,
                    "exchangeSubnetRoutes": True,
                    "exportCustomRoutes": False,
                    "importCustomRoutes": False,
                    "stackType": "IPV4_ONLY",
                }
            },
        )
    ]
    again = gnp.network_peering(API, params(), check_mode=False)
    assert not again.changed and len(network.sent) == 1


def test_a_full_peer_url_and_fields_the_api_omits_compare_equal(network: Network) -> None:
    # the API returns full URLs, and may leave out fields at their defaults
    network.resource["peerings"] = [
        {
            "name": "xcl-a-b",
            "network": f"https://compute.example/compute/v1/{PEER}",
            "state": "ACTIVE",
            "exchangeSubnetRoutes": True,
        }
    ]
    assert not gnp.network_peering(API, params(), check_mode=False).changed
    assert network.sent == []


def test_check_mode_plans_without_a_mutating_call(network: Network) -> None:
    outcome = gnp.network_peering(API, params(), check_mode=True)
    assert outcome.changed and outcome.before is None and outcome.after["network"] == PEER
    network.resource["peerings"] = [{"name": "xcl-a-b", "network": PEER}]
    outcome = gnp.network_peering(API, params(import_custom_routes=True), check_mode=True)
    assert outcome.changed and outcome.after["importCustomRoutes"] is True
    assert gnp.network_peering(API, params(state="absent"), check_mode=True).changed
    assert network.sent == []


def test_update_sends_only_the_changed_updatable_fields(network: Network) -> None:
    network.resource["peerings"] = [{"name": "xcl-a-b", "network": PEER, "state": "ACTIVE"}]
    outcome = gnp.network_peering(API, params(export_custom_routes=True), check_mode=False)
    assert outcome.changed
    assert network.sent == [
        (
            "PATCH",
            f"{PATH}/updatePeering",
            {"networkPeering": {"name": "xcl-a-b", "exportCustomRoutes": True}},
        )
    ]
    assert outcome.after is not None and outcome.after["exportCustomRoutes"] is True


def test_absent_removes_only_the_named_peering(network: Network) -> None:
    other = {"name": "team-peering", "network": "projects/x/global/networks/y"}
    network.resource["peerings"] = [{"name": "xcl-a-b", "network": PEER}, other]
    outcome = gnp.network_peering(API, params(state="absent"), check_mode=False)
    assert outcome.changed and outcome.after is None
    assert network.sent == [("POST", f"{PATH}/removePeering", {"name": "xcl-a-b"})]
    assert network.resource["peerings"] == [other]
    assert not gnp.network_peering(API, params(state="absent"), check_mode=False).changed


@pytest.mark.parametrize(
    ("peerings", "overrides", "message"),
    [
        (
            [{"name": "team-peering", "network": PEER}],
            {},
            "already peers with projects/team-b/global/networks/vpc-b through peering "
            "team-peering, which this task does not manage",
        ),
        (
            [{"name": "xcl-a-b", "network": "projects/team-c/global/networks/vpc-c"}],
            {},
            "the peer network cannot be changed in place: remove the peering",
        ),
        ([], {"peer_network": "vpc-a", "peer_project": None}, "is the network itself"),
        ([], {"peer_network": None}, "peer_network is required with state present"),
        ([], {"name": "Bad_Name"}, "name 'Bad_Name'"),
        ([], {"network": "projects/other/global/networks/vpc-a"}, "is not in project team-a"),
    ],
)
def test_refused_before_any_mutating_call(
    network: Network, peerings: list[dict[str, Any]], overrides: dict[str, Any], message: str
) -> None:
    network.resource["peerings"] = peerings
    with pytest.raises(ValueError, match=message):
        gnp.network_peering(API, params(**overrides), check_mode=False)
    assert network.sent == []


def test_a_missing_network_is_named(network: Network) -> None:
    with pytest.raises(ValueError, match="network vpc-x does not exist in project team-a"):
        gnp.network_peering(API, params(network="vpc-x"), check_mode=False)


BUSY = g.GcpError(
    400,
    "badRequest",
    "There is a peering operation in progress on the local or peer network. Try again later.",
)


def test_a_peering_operation_in_progress_is_waited_out(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other end of the link adds its peering at the same moment: the first call is refused.
    refusals = [BUSY, BUSY]
    record = network.mutate
    slept: list[float] = []

    def mutate(*args: Any, **kwargs: Any) -> dict[str, Any]:
        if refusals:
            network.sent.append(("refused", "", None))
            raise refusals.pop(0)
        return record(*args, **kwargs)

    monkeypatch.setattr(g, "mutate", mutate)
    monkeypatch.setattr(g, "_sleep", slept.append)
    outcome = gnp.network_peering(API, params(), check_mode=False)
    assert outcome.changed and outcome.after["name"] == "xcl-a-b"
    assert [s[0] for s in network.sent] == ["refused", "refused", "POST"]
    assert len(slept) == 2


def test_any_other_bad_request_fails_at_once(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlap = g.GcpError(400, "badRequest", "An IP range in the peer network overlaps")

    def mutate(*args: Any, **kwargs: Any) -> dict[str, Any]:
        network.sent.append(("refused", "", None))
        raise overlap

    monkeypatch.setattr(g, "mutate", mutate)
    monkeypatch.setattr(g, "_sleep", lambda seconds: None)
    with pytest.raises(g.GcpError, match="overlaps"):
        gnp.network_peering(API, params(), check_mode=False)
    assert len(network.sent) == 1
