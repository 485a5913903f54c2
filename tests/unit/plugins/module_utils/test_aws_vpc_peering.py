"""Unit tests of plugins/module_utils/_aws_vpc_peering.py with an in-memory EC2 of two
regions (the lifecycle of the EC2 API reference: initiating-request in the requester's
Region, pending-acceptance where the accepter accepts, then provisioning and active; deleted,
deleting then deleted; tags kept per Region: "Any tags that you create for your VPC peering
connection are only applied in the account or region in which you create them", VPC Peering
Guide, VPC peering limitations). With ``windows["reads"]`` > 0 each transitional state lasts
that many reads, as the emulator's peering_seconds makes it last seconds."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws_vpc_peering as pcx
from ansible_collections.crosscluster.link.plugins.module_utils._aws import AwsError

A, B = "vpc-0a0a0a0a0a0a0a0a0", "vpc-0b0b0b0b0b0b0b0b0"
OWNED = {
    "Name": "xcl-a--b",
    "crosscluster.link/name": "xcl-a--b",
    "crosscluster.link/managed": "true",
}


class Ec2:
    """One account: ``connections`` shared by every region's client, as the ids are; their
    tags in ``tags[region][id]``, each Region's view its own."""

    def __init__(
        self,
        region: str,
        connections: dict[str, dict[str, Any]],
        sent: list,
        tags: dict[str, dict[str, dict[str, str]]] | None = None,
        windows: dict[str, Any] | None = None,
    ) -> None:
        self.region, self.connections, self.sent = region, connections, sent
        self.tags = tags if tags is not None else {}
        # {"reads": N, "open": {id: [reads left, next code]}}, shared like the connections
        self.windows = windows if windows is not None else {"reads": 0, "open": {}}

    def step(self, pcx_id: str, state: str, settled: str) -> None:
        """``state`` for windows["reads"] reads, then ``settled`` (at once with 0)."""
        reads = self.windows["reads"]
        self.connections[pcx_id]["Status"] = {"Code": state if reads else settled}
        if reads:
            self.windows["open"][pcx_id] = [reads, settled]
        else:
            self.windows["open"].pop(pcx_id, None)

    def view(self, pcx_id: str) -> dict[str, dict[str, str]]:
        return self.tags.setdefault(self.region, {}).setdefault(pcx_id, {})

    def _seen(self, pcx_id: str) -> dict[str, Any]:
        tags = [{"Key": k, "Value": v} for k, v in self.view(pcx_id).items()]
        return {**self.connections[pcx_id], "Tags": tags}

    def describe_vpc_peering_connections(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(("read", self.region, kwargs))
        for pcx_id, window in list(self.windows["open"].items()):
            window[0] -= 1
            if window[0] <= 0:
                del self.windows["open"][pcx_id]
                self.connections[pcx_id]["Status"] = {"Code": window[1]}
        ids = kwargs.get("VpcPeeringConnectionIds")
        found = [self._seen(i) for i in self.connections if not ids or i in ids]
        return {"VpcPeeringConnections": found}

    def create_vpc_peering_connection(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(("create", self.region, kwargs))
        pcx_id = f"pcx-{len(self.connections):017x}"
        self.connections[pcx_id] = {
            "VpcPeeringConnectionId": pcx_id,
            "RequesterVpcInfo": {"VpcId": kwargs["VpcId"], "Region": self.region},
            "AccepterVpcInfo": {
                "VpcId": kwargs["PeerVpcId"],
                "Region": kwargs.get("PeerRegion", self.region),
            },
        }
        self.step(pcx_id, "initiating-request", "pending-acceptance")
        self.view(pcx_id).update(
            {t["Key"]: t["Value"] for t in kwargs["TagSpecifications"][0]["Tags"]}
        )
        return {
            "VpcPeeringConnection": {**self._seen(pcx_id), "Status": {"Code": "initiating-request"}}
        }

    def accept_vpc_peering_connection(self, **kwargs: Any) -> dict[str, Any]:
        connection = self.connections[kwargs["VpcPeeringConnectionId"]]
        assert connection["AccepterVpcInfo"]["Region"] == self.region  # accepted where it must be
        assert connection["Status"]["Code"] == "pending-acceptance"  # else EC2 refuses it
        self.sent.append(("accept", self.region, kwargs))
        self.step(kwargs["VpcPeeringConnectionId"], "provisioning", "active")
        return {"VpcPeeringConnection": self._seen(kwargs["VpcPeeringConnectionId"])}

    def delete_vpc_peering_connection(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(("delete", self.region, kwargs))
        self.step(kwargs["VpcPeeringConnectionId"], "deleting", "deleted")
        return {"Return": True}

    def create_tags(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(("tag", self.region, kwargs))
        (resource,) = kwargs["Resources"]
        self.view(resource).update({t["Key"]: t["Value"] for t in kwargs["Tags"]})
        return {}

    def delete_tags(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(("untag", self.region, kwargs))
        (resource,) = kwargs["Resources"]
        for tag in kwargs["Tags"]:
            self.view(resource).pop(tag["Key"], None)
        return {}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> tuple[Ec2, list]:
    connections: dict[str, dict[str, Any]] = {}
    sent: list = []
    tags: dict[str, dict[str, dict[str, str]]] = {}
    windows: dict[str, Any] = {"reads": 0, "open": {}}
    monkeypatch.setattr(
        pcx,
        "client_from_params",
        lambda params, region: Ec2(region, connections, sent, tags, windows),
    )
    return Ec2("eu-west-1", connections, sent, tags, windows), sent


def calls(sent: list) -> list[tuple[str, str]]:
    """The mutating calls sent, (what, region), in order (the reads left out)."""
    return [(what, region) for what, region, _kwargs in sent if what != "read"]


def params(**over: Any) -> dict[str, Any]:
    p = {
        "name": "xcl-a--b",
        "vpc_id": A,
        "peer_vpc_id": B,
        "peer_region": None,
        "region": "eu-west-1",
        "accept": True,
        "wait": True,
        "wait_timeout": 30,
        "tags": None,
        "purge_tags": False,
        "state": "present",
    }
    p.update(over)
    return p


def test_create_accepts_and_tags_in_the_accepter_region_and_a_rerun_sends_nothing(world) -> None:
    client, sent = world
    over = {"peer_region": "us-east-1", "tags": {"env": "it"}}
    result = pcx.ensure(client, params(**over), False, sleep=lambda s: None)
    assert result["changed"] and result["vpc_peering_connection"]["status"] == "active"
    assert calls(sent) == [
        ("create", "eu-west-1"),
        ("accept", "us-east-1"),
        ("tag", "us-east-1"),
    ]
    (create,) = [kwargs for what, _region, kwargs in sent if what == "create"]
    assert create["PeerRegion"] == "us-east-1"
    pcx_id = result["vpc_peering_connection"]["vpc_peering_connection_id"]
    # the accepter Region's view carries the Name, ownership and user tags too
    accepter = Ec2("us-east-1", client.connections, sent, client.tags)
    assert accepter.view(pcx_id) == {**OWNED, "env": "it"}
    assert result["vpc_peering_connection"]["accepter_tags"] == {**OWNED, "env": "it"}
    assert result["before"] == {} and result["after"]["accepter_tags"] == {**OWNED, "env": "it"}
    found = pcx.info(accepter, info_params(name="xcl-a--b", managed_only=True), False)
    assert [c["vpc_peering_connection_id"] for c in found["vpc_peering_connections"]] == [pcx_id]
    # the re-run reads both views and sends nothing
    again = pcx.ensure(client, params(**over), False, sleep=lambda s: None)
    assert not again["changed"] and len(calls(sent)) == 3
    assert again["before"]["accepter_tags"] == again["after"]["accepter_tags"]


def test_the_accepter_view_is_kept_in_place(world) -> None:
    client, sent = world
    over = {"peer_region": "us-east-1", "tags": {"env": "it"}}
    pcx_id = pcx.ensure(client, params(**over), False, lambda s: None)["vpc_peering_connection"][
        "vpc_peering_connection_id"
    ]
    accepter = Ec2("us-east-1", client.connections, sent, client.tags)
    del accepter.view(pcx_id)["crosscluster.link/managed"]
    accepter.view(pcx_id)["env"] = "other"
    sent.clear()
    # check mode: the diff shows the accepter's tags change, and nothing is sent
    check = pcx.ensure(client, params(**over), True)
    assert check["changed"] and calls(sent) == []
    assert check["before"]["accepter_tags"]["env"] == "other"
    assert check["after"]["accepter_tags"] == {**OWNED, "env": "it"}
    assert check["before"]["tags"] == check["after"]["tags"]  # the requester's view is right
    fixed = pcx.ensure(client, params(**over), False, lambda s: None)
    assert fixed["changed"]
    assert calls(sent) == [("tag", "us-east-1")]
    assert accepter.view(pcx_id) == {**OWNED, "env": "it"}
    # purge_tags removes a user tag from both views, never the ownership tags
    accepter.view(pcx_id)["extra"] = "x"
    client.view(pcx_id)["extra"] = "y"
    sent.clear()
    pcx.ensure(client, params(**over, purge_tags=True), False, lambda s: None)
    assert sorted(calls(sent)) == [
        ("untag", "eu-west-1"),
        ("untag", "us-east-1"),
    ]
    assert accepter.view(pcx_id) == client.view(pcx_id) == {**OWNED, "env": "it"}


def test_one_region_has_one_view_and_accept_false_leaves_the_accepter_alone(world) -> None:
    client, sent = world
    result = pcx.ensure(client, params(), False, sleep=lambda s: None)
    assert calls(sent) == [
        ("create", "eu-west-1"),
        ("accept", "eu-west-1"),
    ]
    connection = result["vpc_peering_connection"]
    assert connection["accepter_tags"] == connection["tags"] == OWNED
    sent.clear()
    other = params(vpc_id="vpc-0c0c0c0c", peer_region="us-east-1", accept=False)
    pending = pcx.ensure(client, other, False)
    assert calls(sent) == [("create", "eu-west-1")]
    assert pending["vpc_peering_connection"]["accepter_tags"] is None
    assert "accepter_tags" not in pending["after"]


def test_check_mode_plans_without_a_call(world) -> None:
    client, sent = world
    result = pcx.ensure(client, params(), True)
    assert result["changed"] and result["after"]["status"] == "active" and calls(sent) == []
    assert "accepter_tags" not in result["after"]  # one Region, one view
    across = pcx.ensure(client, params(peer_region="us-east-1", tags={"env": "it"}), True)
    assert across["after"]["accepter_tags"] == {**OWNED, "env": "it"} and calls(sent) == []


def test_a_connection_the_task_does_not_own_is_refused(world) -> None:
    client, sent = world
    pcx.ensure(client, params(name="theirs"), False, sleep=lambda s: None)
    with pytest.raises(AwsError, match="two VPCs peer once"):
        pcx.ensure(client, params(), False)
    # the reverse direction is the same pair
    with pytest.raises(AwsError, match="two VPCs peer once"):
        pcx.ensure(client, params(vpc_id=B, peer_vpc_id=A), False)
    assert pcx.ensure(client, params(state="absent"), False)["changed"] is False
    assert [what for what, _r in calls(sent)] == ["create", "accept"]


def test_a_failed_request_is_reported_with_its_message(world) -> None:
    client, _sent = world
    result = pcx.ensure(client, params(accept=False), False)
    assert result["vpc_peering_connection"]["status"] == "initiating-request"
    (connection,) = client.connections.values()
    connection["Status"] = {"Code": "failed", "Message": "Overlapping CIDR range"}
    sleeps: list[float] = []
    with pytest.raises(
        AwsError, match=r"failed Overlapping CIDR range.*overlapping CIDR blocks"
    ) as err:
        pcx._settle(client, connection["VpcPeeringConnectionId"], ("active",), 300, sleeps.append)
    # a final status stops the wait at once, and the message does not call it a timeout
    assert sleeps == [] and "(a final status)" in str(err.value) and "after" not in str(err.value)


def test_a_request_not_settled_in_time_says_after_how_long(world) -> None:
    client, _sent = world
    pcx.ensure(client, params(accept=False), False)
    (connection,) = client.connections.values()
    with pytest.raises(AwsError, match=r"is pending-acceptance, not active \(after 0s\)$"):
        pcx._settle(client, connection["VpcPeeringConnectionId"], ("active",), 0, lambda s: None)


def test_absent_deletes_only_its_own_once(world) -> None:
    client, sent = world
    pcx.ensure(client, params(), False, sleep=lambda s: None)
    assert pcx.ensure(client, params(state="absent"), True)["changed"]  # check mode
    assert pcx.ensure(client, params(state="absent"), False)["changed"]
    assert not pcx.ensure(client, params(state="absent"), False)["changed"]
    assert [what for what, _r in calls(sent)] == ["create", "accept", "delete"]


def test_each_transitional_state_is_waited_out(world) -> None:
    """Every state lasts three reads: the request is accepted only once pending-acceptance
    (the fake refuses it before, as EC2), and the module returns it active."""
    client, sent = world
    client.windows["reads"] = 3
    sleeps: list[float] = []
    result = pcx.ensure(client, params(peer_region="us-east-1"), False, sleep=sleeps.append)
    assert result["vpc_peering_connection"]["status"] == "active" and sleeps
    assert calls(sent) == [("create", "eu-west-1"), ("accept", "us-east-1"), ("tag", "us-east-1")]
    # a re-run while provisioning does not accept again; it waits for active
    client.step(
        result["vpc_peering_connection"]["vpc_peering_connection_id"], "provisioning", "active"
    )
    again = pcx.ensure(client, params(peer_region="us-east-1"), False, sleep=sleeps.append)
    assert not again["changed"] and again["vpc_peering_connection"]["status"] == "active"
    assert len(calls(sent)) == 3


def test_absent_with_wait_returns_once_the_connection_is_deleted(world) -> None:
    """DeleteVpcPeeringConnection: deleting, then deleted (VPC Peering Guide, "Delete a VPC
    peering connection"); with wait the module returns when it is deleted, as Terraform's
    aws provider waits for it (WaitVPCPeeringConnectionDeleted)."""
    client, sent = world
    pcx.ensure(client, params(), False, sleep=lambda s: None)
    client.windows["reads"] = 3
    sleeps: list[float] = []
    result = pcx.ensure(client, params(state="absent"), False, sleep=sleeps.append)
    (connection,) = client.connections.values()
    assert result["changed"] and connection["Status"]["Code"] == "deleted" and sleeps
    assert [what for what, _r in calls(sent)] == ["create", "accept", "delete"]


def test_absent_waits_for_a_connection_an_earlier_run_left_deleting(world) -> None:
    client, sent = world
    pcx.ensure(client, params(), False, sleep=lambda s: None)
    client.windows["reads"] = 3
    left = pcx.ensure(client, params(state="absent", wait=False), False)
    (connection,) = client.connections.values()
    assert left["changed"] and connection["Status"]["Code"] == "deleting"
    waited = pcx.ensure(client, params(state="absent"), False, sleep=lambda s: None)
    assert not waited["changed"] and connection["Status"]["Code"] == "deleted"
    assert [what for what, _r in calls(sent)] == ["create", "accept", "delete"]  # deleted once


def test_absent_gives_up_on_a_connection_not_deleted_in_time(world) -> None:
    client, _sent = world
    pcx_id = pcx.ensure(client, params(), False, sleep=lambda s: None)["vpc_peering_connection"][
        "vpc_peering_connection_id"
    ]
    client.windows["reads"] = 10_000
    client.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    clock = iter(range(0, 1000, 10))
    with pytest.raises(AwsError, match=r"deleting after 30s, not deleted"):
        pcx._wait_deleted(client, pcx_id, 30, lambda s: None, lambda: next(clock))


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"vpc_id": "vpc-x"}, "vpc_id='vpc-x' is not a VPC id"),
        ({"peer_vpc_id": None}, "peer_vpc_id is required with state=present"),
        ({"peer_vpc_id": A}, "is vpc_id itself"),
    ],
)
def test_bad_input_names_the_option(over: dict[str, Any], message: str) -> None:
    assert any(message in e for e in pcx.validate(params(**over)))


def info_params(**over: Any) -> dict[str, Any]:
    p = {"vpc_id": B, "peer_vpc_id": None, "name": None, "managed_only": False, "states": None}
    p.update(over)
    return p


def test_info_lists_the_connections_of_either_end_by_name_and_state(world) -> None:
    client, _sent = world
    pcx.ensure(client, params(), False, sleep=lambda s: None)
    pcx.ensure(client, params(name="theirs", peer_vpc_id="vpc-0c0c0c0c"), False, lambda s: None)
    # B is the accepter of the first connection and no end of the second
    (found,) = pcx.info(client, info_params(), False)["vpc_peering_connections"]
    assert (found["name"], found["status"], found["managed"]) == ("xcl-a--b", "active", True)
    assert len(pcx.info(client, info_params(vpc_id=A), False)["vpc_peering_connections"]) == 2
    assert pcx.info(client, info_params(vpc_id=A, name="nope"), False) == {
        "changed": False,
        "vpc_peering_connections": [],
    }
    pcx.ensure(client, params(state="absent"), False)
    assert pcx.info(client, info_params(), False)["vpc_peering_connections"] == []
    gone = pcx.info(client, info_params(states=["deleted"]), False)["vpc_peering_connections"]
    assert [c["status"] for c in gone] == ["deleted"]


def test_routes_to_a_connection_are_read_from_every_route_table() -> None:
    tables = [
        {
            "RouteTableId": "rtb-1",
            "Routes": [
                {
                    "DestinationCidrBlock": "10.50.0.0/16",
                    "VpcPeeringConnectionId": "pcx-1",
                    "State": "active",
                },
                {
                    "DestinationCidrBlock": "10.60.0.0/16",
                    "VpcPeeringConnectionId": "pcx-2",
                    "State": "active",
                },
                {"DestinationCidrBlock": "10.10.0.0/16", "GatewayId": "local", "State": "active"},
            ],
        },
        {
            "RouteTableId": "rtb-2",
            "Routes": [
                {
                    "DestinationIpv6CidrBlock": "fd00::/56",
                    "VpcPeeringConnectionId": "pcx-1",
                    "State": "blackhole",
                },
            ],
        },
    ]
    assert pcx.routes_to(tables, "pcx-1") == [
        {"route_table_id": "rtb-1", "destination": "10.50.0.0/16", "state": "active"},
        {"route_table_id": "rtb-2", "destination": "fd00::/56", "state": "blackhole"},
    ]
