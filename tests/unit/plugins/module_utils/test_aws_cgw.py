"""_aws_cgw: ASN and IP validation, ownership, identical-create semantics (no network)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws_cgw
from ansible_collections.crosscluster.link.plugins.module_utils._aws import AwsError


@pytest.mark.parametrize(
    ("asn", "region", "message"),
    [
        (0, "eu-west-1", "bgp_asn=0 is out of range"),
        (4294967296, "eu-west-1", "bgp_asn=4294967296 is out of range"),
        (7224, "us-west-2", "bgp_asn=7224 is reserved by AWS in every region"),
        (9059, "eu-west-1", "bgp_asn=9059 is reserved by AWS in eu-west-1"),
        (10124, "ap-northeast-1", "reserved by AWS in ap-northeast-1"),
        (17943, None, "reserved by AWS in ap-southeast-1 (region unknown, assumed)"),
    ],
)
def test_validate_asn_rejects(asn: int, region: str | None, message: str) -> None:
    assert any(message in e for e in _aws_cgw.validate_asn(asn, region))


@pytest.mark.parametrize(
    ("asn", "region"),
    [(1, "eu-west-1"), (9059, "us-east-1"), (65000, None), (4294967295, "eu-west-1")],
)
def test_validate_asn_accepts(asn: int, region: str | None) -> None:
    assert _aws_cgw.validate_asn(asn, region) == []


@pytest.mark.parametrize(
    ("ip", "message"),
    [("203.0.113.300", "is not an IP address"), ("2001:db8::1", "is not IPv4")],
)
def test_validate_ip(ip: str, message: str) -> None:
    errors = _aws_cgw.validate({"ip_address": ip, "bgp_asn": 65000}, "eu-west-1")
    assert any(message in e and e.startswith("ip_address=") for e in errors)


def _gateway(gateway_id: str, asn: str, tags: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "CustomerGatewayId": gateway_id,
        "IpAddress": "203.0.113.10",
        "BgpAsn": asn,
        "State": "available",
        "Type": "ipsec.1",
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        **extra,
    }


OURS = {"crosscluster.link/managed": "true", "crosscluster.link/name": "gw", "Name": "gw"}
PARAMS = {"name": "gw", "ip_address": "203.0.113.10", "bgp_asn": 65010, "state": "present"}


def test_find_matches_asn_and_live_state() -> None:
    gateways = [
        _gateway("cgw-1", "65010", OURS),
        _gateway("cgw-2", "65011", OURS),
        _gateway("cgw-3", "65010", OURS, State="deleted"),
        {**_gateway("cgw-4", "", OURS), "BgpAsnExtended": "4200000000"},
    ]
    with mock.patch.object(_aws_cgw, "call_all", return_value=gateways):
        assert [g["CustomerGatewayId"] for g in _aws_cgw.find(None, "203.0.113.10", 65010)] == [
            "cgw-1"
        ]
        assert [g["CustomerGatewayId"] for g in _aws_cgw.find(None, "x", 4200000000)] == ["cgw-4"]


def test_existing_owned_gateway_is_returned_unchanged() -> None:
    with (
        mock.patch.object(_aws_cgw, "call_all", return_value=[_gateway("cgw-1", "65010", OURS)]),
        mock.patch.object(_aws_cgw, "call") as call,
    ):
        result = _aws_cgw.ensure(None, PARAMS, check_mode=False)
    assert not result["changed"]
    assert result["customer_gateway"]["customer_gateway_id"] == "cgw-1"
    call.assert_not_called()


def test_foreign_gateway_is_neither_adopted_nor_deleted() -> None:
    foreign = [_gateway("cgw-9", "65010", {"Name": "theirs"})]
    with (
        mock.patch.object(_aws_cgw, "call_all", return_value=foreign),
        mock.patch.object(_aws_cgw, "call") as call,
    ):
        with pytest.raises(AwsError, match="not managed by this collection"):
            _aws_cgw.ensure(None, PARAMS, check_mode=False)
        result = _aws_cgw.ensure(None, {**PARAMS, "state": "absent"}, check_mode=False)
    assert not result["changed"]
    call.assert_not_called()


@pytest.mark.parametrize(("asn", "key"), [(65010, "BgpAsn"), (4200000000, "BgpAsnExtended")])
def test_create_uses_bgp_asn_or_extended(asn: int, key: str) -> None:
    created = _gateway("cgw-1", str(asn), OURS)
    with (
        mock.patch.object(_aws_cgw, "call_all", return_value=[]),
        mock.patch.object(_aws_cgw, "call", return_value={"CustomerGateway": created}) as call,
    ):
        result = _aws_cgw.ensure(None, {**PARAMS, "bgp_asn": asn}, check_mode=False)
    assert result["changed"]
    request = call.call_args.kwargs
    assert request[key] == asn and len({"BgpAsn", "BgpAsnExtended"} & set(request)) == 1
    assert {"Key": "crosscluster.link/managed", "Value": "true"} in request["TagSpecifications"][0][
        "Tags"
    ]


def test_gateways_of_one_ip_and_asn_are_told_apart_by_device_name() -> None:
    # Two links to one peer (two AWS clusters of a Region and one GCP interface): each its own
    # gateway, neither re-tagged or deleted by the other's task.
    theirs = {**OURS, "Name": "aws-1--gcp-1-if0", "crosscluster.link/name": "aws-1--gcp-1-if0"}
    first = _gateway("cgw-1", "65010", theirs, DeviceName="aws-1--gcp-1-if0")
    mine = {**PARAMS, "name": "aws-2--gcp-1-if0", "device_name": "aws-2--gcp-1-if0"}
    created = _gateway("cgw-2", "65010", OURS, DeviceName="aws-2--gcp-1-if0")
    with (
        mock.patch.object(_aws_cgw, "call_all", return_value=[first]),
        mock.patch.object(_aws_cgw, "call", return_value={"CustomerGateway": created}) as call,
    ):
        result = _aws_cgw.ensure(None, mine, check_mode=False)
        assert result["changed"] and call.call_args.args[1] == "create_customer_gateway"
        assert call.call_args.kwargs["DeviceName"] == "aws-2--gcp-1-if0"
        call.reset_mock()
        assert not _aws_cgw.ensure(None, {**mine, "state": "absent"}, check_mode=False)["changed"]
        call.assert_not_called()
    with (
        mock.patch.object(_aws_cgw, "call_all", return_value=[first, created]),
        mock.patch.object(_aws_cgw, "call") as call,
    ):
        assert _aws_cgw.ensure(None, {**mine, "state": "absent"}, check_mode=False)["changed"]
        assert call.call_args.kwargs == {"CustomerGatewayId": "cgw-2"}


def test_absent_entries_delete_every_found_gateway_even_of_one_name() -> None:
    # A link's gateway left at an earlier IP of its rebuilt peer shares the link's Name with the
    # current one, and a gateway may have lost its Name tag: each gets an entry the list form
    # accepts (its ID for a name), and one call deletes all three.
    stale = _gateway("cgw-1", "65010", OURS, IpAddress="203.0.113.9")
    current = _gateway("cgw-2", "65010", OURS)
    unnamed = _gateway("cgw-3", "65010", {"crosscluster.link/managed": "true"}, DeviceName="d")
    found = [_aws_cgw.describe(g) for g in (stale, current, unnamed)]
    entries = _aws_cgw.absent_entries(found)
    assert [e["name"] for e in entries] == ["cgw-1", "cgw-2", "cgw-3"]
    assert [e["device_name"] for e in entries] == [None, None, "d"]
    only = _aws_cgw.absent_entries(found[1:2])
    assert only == [
        {"name": "gw", "ip_address": "203.0.113.10", "bgp_asn": 65010, "device_name": None}
    ]
    params = {**PARAMS, "name": None, "ip_address": None, "bgp_asn": None, "state": "absent"}
    params["gateways"] = entries
    assert _aws_cgw.validate(params, "eu-west-1") == []
    with (
        mock.patch.object(_aws_cgw, "call_all", return_value=[stale, current, unnamed]),
        mock.patch.object(_aws_cgw, "call") as call,
    ):
        result = _aws_cgw.ensure(None, params, check_mode=False)
    assert result["changed"] and sorted(result["before"]) == ["cgw-1", "cgw-2", "cgw-3"]
    assert [c.kwargs["CustomerGatewayId"] for c in call.call_args_list] == [
        "cgw-1",
        "cgw-2",
        "cgw-3",
    ]
