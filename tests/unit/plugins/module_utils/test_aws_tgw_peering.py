"""Unit tests of plugins/module_utils/_aws_tgw_peering.py with an in-memory EC2 of two
regions (the lifecycle of the EC2 API reference: initiatingRequest in the requester's
Region, pendingAcceptance where the accepter accepts, then pending and available; deleted,
deleting then deleted; tags kept per Region, each Region's view its own, as EC2 tags are
Regional) and one TGW route table per Region. With ``World.reads`` > 0 each transitional state
lasts that many reads of the attachments, as the emulator's peering_seconds makes it last
seconds."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws_tgw_peering as tgw
from ansible_collections.crosscluster.link.plugins.module_utils._aws import AwsError

A, B = "tgw-0a0a0a0a0a0a0a0a0", "tgw-0b0b0b0b0b0b0b0b0"
RTB = {"eu-west-1": "tgw-rtb-0a0a0a0a0a0a0a0a0", "us-east-1": "tgw-rtb-0b0b0b0b0b0b0b0b0"}
OWNED = [
    {"Key": "Name", "Value": "a--b"},
    {"Key": "crosscluster.link/managed", "Value": "true"},
    {"Key": "crosscluster.link/name", "Value": "a--b"},
]
OWNED_TAGS = {t["Key"]: t["Value"] for t in OWNED}


class World:
    """One account: attachments shared by every Region (the id is one), tags per Region."""

    def __init__(self) -> None:
        self.attachments: dict[str, dict[str, Any]] = {}
        self.tags: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.routes: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in RTB.values()}
        self.associations: dict[str, str] = {}
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        # reads a transitional state lasts (0: none), and the open ones: id -> [left, next]
        self.reads = 0
        self.open: dict[str, list[Any]] = {}

    def step(self, attachment_id: str, state: str, settled: str) -> None:
        """``state`` for ``reads`` reads, then ``settled`` (at once with 0)."""
        self.attachments[attachment_id]["State"] = state if self.reads else settled
        if self.reads:
            self.open[attachment_id] = [self.reads, settled]
        else:
            self.open.pop(attachment_id, None)

    def read(self) -> None:
        for attachment_id, window in list(self.open.items()):
            window[0] -= 1
            if window[0] <= 0:
                del self.open[attachment_id]
                self.attachments[attachment_id]["State"] = window[1]


class Ec2:
    def __init__(self, region: str, world: World) -> None:
        self.region, self.world = region, world

    def _send(self, what: str, kwargs: dict[str, Any]) -> None:
        self.world.sent.append((what, self.region, kwargs))

    def _view(self, attachment: dict[str, Any]) -> dict[str, Any]:
        view = copy.deepcopy(attachment)
        view["Tags"] = self.world.tags.get(
            (attachment["TransitGatewayAttachmentId"], self.region), []
        )
        return view

    def describe_transit_gateways(self, **kwargs: Any) -> dict[str, Any]:
        (tgw_id,) = kwargs["TransitGatewayIds"]
        table = RTB[self.region]
        return {
            "TransitGateways": [
                {
                    "TransitGatewayId": tgw_id,
                    "OwnerId": "123456789012",
                    "Options": {"AssociationDefaultRouteTableId": table},
                }
            ]
        }

    def describe_transit_gateway_peering_attachments(self, **kwargs: Any) -> dict[str, Any]:
        self.world.read()
        ids = kwargs.get("TransitGatewayAttachmentIds")
        found = [self._view(a) for i, a in self.world.attachments.items() if not ids or i in ids]
        return {"TransitGatewayPeeringAttachments": found}

    def create_transit_gateway_peering_attachment(self, **kwargs: Any) -> dict[str, Any]:
        self._send("create", kwargs)
        attachment_id = f"tgw-attach-{len(self.world.attachments):017x}"
        self.world.attachments[attachment_id] = {
            "TransitGatewayAttachmentId": attachment_id,
            "RequesterTgwInfo": {
                "TransitGatewayId": kwargs["TransitGatewayId"],
                "Region": self.region,
            },
            "AccepterTgwInfo": {
                "TransitGatewayId": kwargs["PeerTransitGatewayId"],
                "Region": kwargs["PeerRegion"],
                "OwnerId": kwargs["PeerAccountId"],
            },
        }
        self.world.step(attachment_id, "initiatingRequest", "pendingAcceptance")
        self.world.tags[(attachment_id, self.region)] = kwargs["TagSpecifications"][0]["Tags"]
        answer = self._view(self.world.attachments[attachment_id])
        return {"TransitGatewayPeeringAttachment": {**answer, "State": "initiatingRequest"}}

    def accept_transit_gateway_peering_attachment(self, **kwargs: Any) -> dict[str, Any]:
        attachment = self.world.attachments[kwargs["TransitGatewayAttachmentId"]]
        assert attachment["AccepterTgwInfo"]["Region"] == self.region  # accepted where it must be
        assert attachment["State"] == "pendingAcceptance"  # else EC2 answers IncorrectState
        self._send("accept", kwargs)
        self.world.step(kwargs["TransitGatewayAttachmentId"], "pending", "available")
        return {"TransitGatewayPeeringAttachment": self._view(attachment)}

    def delete_transit_gateway_peering_attachment(self, **kwargs: Any) -> dict[str, Any]:
        self._send("delete", kwargs)
        self.world.step(kwargs["TransitGatewayAttachmentId"], "deleting", "deleted")
        return {}

    def create_tags(self, **kwargs: Any) -> dict[str, Any]:
        self._send("tag", kwargs)
        (resource,) = kwargs["Resources"]
        tags = {t["Key"]: t["Value"] for t in self.world.tags.get((resource, self.region), [])}
        tags.update({t["Key"]: t["Value"] for t in kwargs["Tags"]})
        self.world.tags[(resource, self.region)] = [{"Key": k, "Value": v} for k, v in tags.items()]
        return {}

    def delete_tags(self, **kwargs: Any) -> dict[str, Any]:
        self._send("untag", kwargs)
        (resource,) = kwargs["Resources"]
        gone = {t["Key"] for t in kwargs["Tags"]}
        kept = self.world.tags.get((resource, self.region), [])
        self.world.tags[(resource, self.region)] = [t for t in kept if t["Key"] not in gone]
        return {}

    def view(self, attachment_id: str) -> dict[str, str]:
        """This Region's tags of the attachment, as a dict (a copy)."""
        return {t["Key"]: t["Value"] for t in self.world.tags.get((attachment_id, self.region), [])}

    def set_view(self, attachment_id: str, tags: dict[str, str]) -> None:
        self.world.tags[(attachment_id, self.region)] = [
            {"Key": k, "Value": v} for k, v in tags.items()
        ]

    def describe_transit_gateway_attachments(self, **kwargs: Any) -> dict[str, Any]:
        (attachment_id,) = kwargs["TransitGatewayAttachmentIds"]
        table = self.world.associations.get(f"{attachment_id}@{self.region}")
        association = (
            {"TransitGatewayRouteTableId": table, "State": "associated"} if table else None
        )
        return {
            "TransitGatewayAttachments": [
                {"TransitGatewayAttachmentId": attachment_id, "Association": association}
            ]
        }

    def associate_transit_gateway_route_table(self, **kwargs: Any) -> dict[str, Any]:
        self._send("associate", kwargs)
        key = f"{kwargs['TransitGatewayAttachmentId']}@{self.region}"
        self.world.associations[key] = kwargs["TransitGatewayRouteTableId"]
        return {}

    def search_transit_gateway_routes(self, **kwargs: Any) -> dict[str, Any]:
        return {"Routes": list(self.world.routes[kwargs["TransitGatewayRouteTableId"]].values())}

    def create_transit_gateway_route(self, **kwargs: Any) -> dict[str, Any]:
        self._send("route", kwargs)
        route = {
            "DestinationCidrBlock": kwargs["DestinationCidrBlock"],
            "Type": "static",
            "State": "active",
            "TransitGatewayAttachments": [
                {"TransitGatewayAttachmentId": kwargs["TransitGatewayAttachmentId"]}
            ],
        }
        self.world.routes[kwargs["TransitGatewayRouteTableId"]][kwargs["DestinationCidrBlock"]] = (
            route
        )
        return {"Route": route}

    def delete_transit_gateway_route(self, **kwargs: Any) -> dict[str, Any]:
        self._send("unroute", kwargs)
        del self.world.routes[kwargs["TransitGatewayRouteTableId"]][kwargs["DestinationCidrBlock"]]
        return {}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    w = World()
    monkeypatch.setattr(tgw, "client_from_params", lambda params, region: Ec2(region, w))
    return w


def params(**over: Any) -> dict[str, Any]:
    p = {
        "name": "a--b",
        "transit_gateway_id": A,
        "peer_transit_gateway_id": B,
        "peer_region": "us-east-1",
        "peer_account_id": None,
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


def no_sleep(seconds: float) -> None:
    pass


def test_create_accepts_in_the_accepter_region_tags_it_there_and_a_rerun_sends_nothing(world):
    client = Ec2("eu-west-1", world)
    result = tgw.ensure(client, params(tags={"env": "it"}), False, sleep=no_sleep)
    assert result["changed"]
    attachment = result["transit_gateway_peering_attachment"]
    assert attachment["state"] == "available"
    assert [sent[:2] for sent in world.sent] == [
        ("create", "eu-west-1"),
        ("accept", "us-east-1"),
        ("tag", "us-east-1"),
    ]
    create = world.sent[0][2]
    assert (create["PeerRegion"], create["PeerAccountId"]) == ("us-east-1", "123456789012")
    assert create["TagSpecifications"][0]["ResourceType"] == "transit-gateway-attachment"
    # the accepter's view gets the Name, ownership and user tags, not only the ownership ones
    wanted = {**OWNED_TAGS, "env": "it"}
    assert Ec2("us-east-1", world).view(attachment["transit_gateway_attachment_id"]) == wanted
    assert attachment["tags"] == attachment["accepter_tags"] == wanted
    accepter = tgw.info(Ec2("us-east-1", world), info_params(transit_gateway_id=B), False)
    (seen,) = accepter["transit_gateway_peering_attachments"]
    assert (seen["name"], seen["managed"], seen["tags"]) == ("a--b", True, wanted)
    again = tgw.ensure(client, params(tags={"env": "it"}), False, sleep=no_sleep)
    assert not again["changed"] and len(world.sent) == 3
    assert again["transit_gateway_peering_attachment"]["accepter_tags"] == wanted


def test_the_accepter_view_is_kept_in_place(world):
    client, accepter = Ec2("eu-west-1", world), Ec2("us-east-1", world)
    over = {"tags": {"env": "it"}}
    attachment_id = tgw.ensure(client, params(**over), False, sleep=no_sleep)[
        "transit_gateway_peering_attachment"
    ]["transit_gateway_attachment_id"]
    broken = accepter.view(attachment_id)
    del broken["crosscluster.link/managed"]
    accepter.set_view(attachment_id, {**broken, "env": "other"})
    world.sent.clear()
    # check mode: the diff shows the accepter's tags change, and nothing is sent
    check = tgw.ensure(client, params(**over), True)
    assert check["changed"] and world.sent == []
    assert check["before"]["accepter_tags"]["env"] == "other"
    assert check["after"]["accepter_tags"] == {**OWNED_TAGS, "env": "it"}
    assert check["before"]["tags"] == check["after"]["tags"]  # the requester's view is right
    fixed = tgw.ensure(client, params(**over), False, sleep=no_sleep)
    assert fixed["changed"]
    assert [(what, region) for what, region, _kwargs in world.sent] == [("tag", "us-east-1")]
    assert accepter.view(attachment_id) == {**OWNED_TAGS, "env": "it"}
    world.sent.clear()
    assert not tgw.ensure(client, params(**over), False, sleep=no_sleep)["changed"]
    assert not tgw.ensure(client, params(**over), True)["changed"]
    assert world.sent == []
    # purge_tags removes a user tag from both views, never the ownership tags
    accepter.set_view(attachment_id, {**accepter.view(attachment_id), "extra": "x"})
    client.set_view(attachment_id, {**client.view(attachment_id), "extra": "y"})
    tgw.ensure(client, params(**over, purge_tags=True), False, sleep=no_sleep)
    assert sorted((what, region) for what, region, _kwargs in world.sent) == [
        ("untag", "eu-west-1"),
        ("untag", "us-east-1"),
    ]
    assert accepter.view(attachment_id) == client.view(attachment_id) == {**OWNED_TAGS, "env": "it"}


def test_one_region_has_one_view_and_accept_false_leaves_the_accepter_alone(world):
    client = Ec2("eu-west-1", world)
    result = tgw.ensure(client, params(peer_region=None), False, sleep=no_sleep)
    assert [(what, region) for what, region, _kwargs in world.sent] == [
        ("create", "eu-west-1"),
        ("accept", "eu-west-1"),
    ]
    attachment = result["transit_gateway_peering_attachment"]
    assert attachment["accepter_tags"] == attachment["tags"] == OWNED_TAGS
    world.sent.clear()
    other = params(transit_gateway_id="tgw-0c0c0c0c0c0c0c0c0", accept=False, wait=False)
    pending = tgw.ensure(client, other, False)
    assert [(what, region) for what, region, _kwargs in world.sent] == [("create", "eu-west-1")]
    assert pending["transit_gateway_peering_attachment"]["accepter_tags"] is None
    assert "accepter_tags" not in pending["after"]
    assert not tgw.ensure(client, other, False)["changed"]


def test_check_mode_plans_without_a_call(world):
    result = tgw.ensure(Ec2("eu-west-1", world), params(tags={"env": "it"}), True)
    assert result["changed"] and result["after"]["state"] == "available"
    assert result["after"]["accepter_tags"] == {**OWNED_TAGS, "env": "it"}
    assert result["transit_gateway_peering_attachment"] is None and world.sent == []
    one = tgw.ensure(Ec2("eu-west-1", world), params(peer_region=None), True)
    assert "accepter_tags" not in one["after"] and world.sent == []  # one Region, one view


def test_an_attachment_the_task_does_not_own_is_refused_and_never_deleted(world):
    client = Ec2("eu-west-1", world)
    tgw.ensure(client, params(name="theirs"), False, sleep=no_sleep)
    world.tags = {k: [t for t in v if t["Key"] == "Name"] for k, v in world.tags.items()}
    with pytest.raises(AwsError, match="is not this task's"):
        tgw.ensure(client, params(), False)
    assert tgw.ensure(client, params(state="absent"), False)["changed"] is False
    assert [what for what, _r, _k in world.sent] == ["create", "accept", "tag"]


def test_absent_deletes_only_its_own_once(world):
    client = Ec2("eu-west-1", world)
    tgw.ensure(client, params(), False, sleep=no_sleep)
    assert tgw.ensure(client, params(state="absent"), True)["changed"]  # check mode
    assert tgw.ensure(client, params(state="absent"), False)["changed"]
    assert not tgw.ensure(client, params(state="absent"), False)["changed"]
    assert [what for what, _r, _k in world.sent] == ["create", "accept", "tag", "delete"]


def test_each_transitional_state_is_waited_out(world):
    """Every state lasts three reads: the request is accepted only once pendingAcceptance (the
    fake refuses it before, as EC2), and the module returns it available."""
    client = Ec2("eu-west-1", world)
    world.reads = 3
    sleeps: list[float] = []
    result = tgw.ensure(client, params(), False, sleep=sleeps.append)
    assert result["transit_gateway_peering_attachment"]["state"] == "available" and sleeps
    assert [what for what, _r, _k in world.sent] == ["create", "accept", "tag"]
    # a re-run while pending does not accept again; it waits for available
    world.step(next(iter(world.attachments)), "pending", "available")
    again = tgw.ensure(client, params(), False, sleep=sleeps.append)
    assert not again["changed"]
    assert again["transit_gateway_peering_attachment"]["state"] == "available"
    assert len(world.sent) == 3


def test_absent_with_wait_returns_once_the_attachment_is_deleted(world):
    """DeleteTransitGatewayPeeringAttachment: deleting, then deleted (State); with wait the
    module returns when it is deleted, as Terraform's aws provider waits for it
    (waitTransitGatewayPeeringAttachmentDeleted)."""
    client = Ec2("eu-west-1", world)
    tgw.ensure(client, params(), False, sleep=no_sleep)
    world.reads = 3
    sleeps: list[float] = []
    result = tgw.ensure(client, params(state="absent"), False, sleep=sleeps.append)
    (attachment,) = world.attachments.values()
    assert result["changed"] and attachment["State"] == "deleted" and sleeps
    assert [what for what, _r, _k in world.sent] == ["create", "accept", "tag", "delete"]


def test_absent_waits_for_an_attachment_an_earlier_run_left_deleting(world):
    client = Ec2("eu-west-1", world)
    tgw.ensure(client, params(), False, sleep=no_sleep)
    world.reads = 3
    left = tgw.ensure(client, params(state="absent", wait=False), False)
    (attachment,) = world.attachments.values()
    assert left["changed"] and attachment["State"] == "deleting"
    waited = tgw.ensure(client, params(state="absent"), False, sleep=no_sleep)
    assert not waited["changed"] and attachment["State"] == "deleted"
    assert [what for what, _r, _k in world.sent] == ["create", "accept", "tag", "delete"]


def test_absent_gives_up_on_an_attachment_not_deleted_in_time(world):
    client = Ec2("eu-west-1", world)
    tgw.ensure(client, params(), False, sleep=no_sleep)
    world.reads = 10_000
    (attachment_id,) = world.attachments
    client.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment_id)
    clock = iter(range(0, 1000, 10))
    with pytest.raises(AwsError, match=r"deleting after 30s, not deleted"):
        tgw._wait_deleted(client, attachment_id, 30, no_sleep, lambda: next(clock))


def test_a_rejected_attachment_stops_the_wait_at_once(world):
    client = Ec2("eu-west-1", world)
    tgw.ensure(client, params(accept=False, wait=False), False)
    (attachment,) = world.attachments.values()
    attachment["State"] = "rejected"
    slept: list[float] = []
    with pytest.raises(AwsError, match="is rejected, not available"):
        tgw._settle(
            client, attachment["TransitGatewayAttachmentId"], ("available",), 60, slept.append
        )
    assert slept == []


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"transit_gateway_id": "tgw-x"}, "transit_gateway_id='tgw-x' is not a valid id"),
        (
            {"peer_transit_gateway_id": None},
            "peer_transit_gateway_id is required with state=present",
        ),
        ({"peer_transit_gateway_id": A, "peer_region": None}, "is transit_gateway_id itself"),
        ({"peer_account_id": "1234"}, "peer_account_id='1234' is not a valid id"),
    ],
)
def test_bad_input_names_the_option(over: dict[str, Any], message: str) -> None:
    assert any(message in e for e in tgw.validate(params(**over)))


def info_params(**over: Any) -> dict[str, Any]:
    p = {
        "transit_gateway_id": A,
        "peer_transit_gateway_id": None,
        "name": None,
        "managed_only": False,
        "states": None,
        "include_routes": False,
        "route_table_id": None,
    }
    p.update(over)
    return p


def test_info_lists_by_either_end_name_and_state(world):
    client = Ec2("eu-west-1", world)
    tgw.ensure(client, params(), False, sleep=no_sleep)
    found = tgw.info(client, info_params(), False)["transit_gateway_peering_attachments"]
    assert [(a["name"], a["state"], a["managed"]) for a in found] == [("a--b", "available", True)]
    assert (
        tgw.info(client, info_params(name="nope"), False)["transit_gateway_peering_attachments"]
        == []
    )
    other = info_params(transit_gateway_id="tgw-0c0c0c0c0c0c0c0c0")
    assert tgw.info(client, other, False)["transit_gateway_peering_attachments"] == []
    tgw.ensure(client, params(state="absent"), False)
    assert tgw.info(client, info_params(), False)["transit_gateway_peering_attachments"] == []
    gone = tgw.info(client, info_params(states=["deleted"]), False)
    assert [a["state"] for a in gone["transit_gateway_peering_attachments"]] == ["deleted"]
    ended = tgw.info(client, info_params(include_ended=True), False)
    assert [a["state"] for a in ended["transit_gateway_peering_attachments"]] == ["deleted"]


# ---------------------------------------------------------------------------- routes


def route_params(attachment_id: str, **over: Any) -> dict[str, Any]:
    p = {
        "transit_gateway_id": A,
        "transit_gateway_attachment_id": attachment_id,
        "route_table_id": None,
        "cidrs": ["10.50.0.0/16", "10.52.0.0/16"],
        "associate": True,
        "state": "present",
    }
    p.update(over)
    return p


@pytest.fixture
def peered(world: World) -> str:
    tgw.ensure(Ec2("eu-west-1", world), params(), False, sleep=no_sleep)
    world.sent.clear()
    return next(iter(world.attachments))


def test_routes_four_run_cycle_and_removal(world, peered):
    client = Ec2("eu-west-1", world)
    preview = tgw.ensure_routes(client, route_params(peered), True)
    assert preview["changed"] and preview["created"] == ["10.50.0.0/16", "10.52.0.0/16"]
    assert preview["associated"] and world.sent == []
    applied = tgw.ensure_routes(client, route_params(peered), False)
    assert applied["route_table_id"] == RTB["eu-west-1"]
    assert [w for w, _r, _k in world.sent] == ["associate", "route", "route"]
    assert not tgw.ensure_routes(client, route_params(peered), True)["changed"]
    assert not tgw.ensure_routes(client, route_params(peered), False)["changed"]
    assert len(world.sent) == 3
    info = tgw.info(client, info_params(include_routes=True), False)
    (found,) = info["transit_gateway_peering_attachments"]
    assert [(r["destination"], r["state"]) for r in found["routes"]] == [
        ("10.50.0.0/16", "active"),
        ("10.52.0.0/16", "active"),
    ]
    removed = tgw.ensure_routes(client, route_params(peered, state="absent"), False)
    assert removed["deleted"] == ["10.50.0.0/16", "10.52.0.0/16"] and not removed["associated"]
    assert not tgw.ensure_routes(client, route_params(peered, state="absent"), False)["changed"]
    assert [w for w, _r, _k in world.sent] == ["associate", "route", "route", "unroute", "unroute"]


def test_a_route_to_another_target_is_a_conflict_and_never_deleted(world, peered):
    client = Ec2("eu-west-1", world)
    theirs = {
        "DestinationCidrBlock": "10.50.0.0/16",
        "Type": "static",
        "State": "active",
        "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-0f0f0f0f"}],
    }
    world.routes[RTB["eu-west-1"]]["10.50.0.0/16"] = theirs
    with pytest.raises(AwsError, match=r"10.50.0.0/16 already goes to tgw-attach-0f0f0f0f"):
        tgw.ensure_routes(client, route_params(peered), False)
    assert world.sent == []
    removed = tgw.ensure_routes(client, route_params(peered, state="absent"), False)
    assert not removed["changed"] and world.routes[RTB["eu-west-1"]]["10.50.0.0/16"] is theirs


def test_routes_to_an_attachment_we_did_not_create_are_refused(world, peered):
    client = Ec2("eu-west-1", world)
    world.tags[(peered, "eu-west-1")] = [{"Key": "Name", "Value": "a--b"}]
    with pytest.raises(AwsError, match="was not created by this collection"):
        tgw.ensure_routes(client, route_params(peered, state="absent"), False)
    with pytest.raises(AwsError, match=r"peers .* not transit_gateway_id"):
        world.tags[(peered, "eu-west-1")] = OWNED
        tgw.ensure_routes(client, route_params(peered, transit_gateway_id="tgw-0c0c0c0c"), False)
    assert world.sent == []


def test_routes_of_a_deleted_attachment_are_still_removed(world, peered):
    client = Ec2("eu-west-1", world)
    tgw.ensure_routes(client, route_params(peered), False)
    tgw.ensure(client, params(state="absent"), False)
    removed = tgw.ensure_routes(client, route_params(peered, state="absent"), False)
    assert removed["deleted"] == ["10.50.0.0/16", "10.52.0.0/16"]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"transit_gateway_attachment_id": "attach-1"}, "transit_gateway_attachment_id='attach-1'"),
        ({"route_table_id": "rtb-1"}, "route_table_id='rtb-1' is not a valid id"),
        ({"cidrs": ["10.50.0.1/16"]}, "cidrs: '10.50.0.1/16' is not a CIDR block"),
    ],
)
def test_bad_route_input_names_the_option(over: dict[str, Any], message: str) -> None:
    errors = tgw.validate_routes(route_params("tgw-attach-0a0a0a0a0a0a0a0a0", **over))
    assert any(message in e for e in errors), errors
