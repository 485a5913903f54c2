"""_aws_vpc: which node and pod ranges lie outside a VPC's associated CIDR blocks (no network)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws_vpc
from ansible_collections.crosscluster.link.plugins.module_utils._aws import AwsError


def _vpc(*ipv4: tuple[str, str], ipv6: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """A DescribeVpcs Vpc with these (block, state) associations."""
    return {
        "VpcId": "vpc-1",
        "CidrBlock": ipv4[0][0],
        "CidrBlockAssociationSet": [
            {"AssociationId": f"a-{n}", "CidrBlock": block, "CidrBlockState": {"State": state}}
            for n, (block, state) in enumerate(ipv4)
        ],
        "Ipv6CidrBlockAssociationSet": [
            {"Ipv6CidrBlock": block, "Ipv6CidrBlockState": {"State": state}}
            for block, state in ipv6
        ],
    }


def test_only_associated_blocks_count() -> None:
    vpc = _vpc(
        ("10.10.0.0/16", "associated"),
        ("10.32.0.0/16", "associating"),
        ("10.33.0.0/16", "disassociated"),
        ("10.34.0.0/16", "associated"),
        ipv6=(("2600:1f18:1::/56", "associated"), ("2600:1f18:2::/56", "failed")),
    )
    assert _aws_vpc.associated_blocks(vpc) == ["10.10.0.0/16", "10.34.0.0/16", "2600:1f18:1::/56"]
    assert _aws_vpc.associated_blocks({"VpcId": "vpc-1"}) == []


@pytest.mark.parametrize(
    ("cidr", "blocks", "missing"),
    [
        ("10.10.0.0/16", ["10.10.0.0/16"], []),
        ("10.10.4.0/22", ["10.10.0.0/16"], []),
        ("10.32.0.0/16", ["10.10.0.0/16", "10.32.0.0/16"], []),  # a secondary block
        ("10.0.0.0/15", ["10.0.0.0/16", "10.1.0.0/16"], []),  # two blocks together
        ("10.32.0.0/16", ["10.10.0.0/16"], ["10.32.0.0/16"]),
        ("10.32.0.0/16", ["10.32.0.0/17"], ["10.32.128.0/17"]),
        ("10.32.0.0/14", ["10.33.0.0/16"], ["10.32.0.0/16", "10.34.0.0/15"]),
        ("10.0.0.0/16", [], ["10.0.0.0/16"]),
        ("fd00:10::/64", ["fd00:10::/56"], []),
        ("fd00:10::/64", ["10.0.0.0/8"], ["fd00:10::/64"]),  # another family covers nothing
        ("10.0.0.0/16", ["fd00::/8"], ["10.0.0.0/16"]),
    ],
)
def test_uncovered(cidr: str, blocks: list[str], missing: list[str]) -> None:
    assert [str(n) for n in _aws_vpc.uncovered(cidr, blocks)] == missing


def test_problem_names_option_range_and_association_command() -> None:
    [message] = _aws_vpc.problems(
        "vpc-1", ["10.10.0.0/16"], {"node_cidrs": ["10.10.0.0/16"], "pod_cidrs": ["10.32.0.0/16"]}
    )
    assert message == (
        "pod_cidrs: 10.32.0.0/16 is not inside the CIDR blocks associated with VPC vpc-1 "
        "(10.10.0.0/16): associate 10.32.0.0/16 with the VPC as a secondary CIDR block "
        "(aws ec2 associate-vpc-cidr-block --vpc-id vpc-1 --cidr-block 10.32.0.0/16), "
        "or choose pod_cidrs inside them"
    )


def test_problem_of_a_partly_covered_range_names_the_missing_part() -> None:
    [message] = _aws_vpc.problems("vpc-1", ["10.32.0.0/17"], {"pod_cidrs": ["10.32.0.0/16"]})
    assert "(10.32.0.0/17) (not covered: 10.32.128.0/17)" in message
    assert "--cidr-block 10.32.128.0/17" in message


def test_range_larger_than_a_vpc_block_needs_several_blocks() -> None:
    """Amazon VPC User Guide, "VPC CIDR blocks": an IPv4 block is /16 to /28."""
    [message] = _aws_vpc.problems("vpc-1", [], {"pod_cidrs": ["10.32.0.0/13"]})
    assert "(none)" in message
    assert "the 8 /16 blocks 10.32.0.0/16 ... 10.39.0.0/16" in message
    assert "--cidr-block 10.32.0.0/16, and so on; a VPC CIDR block is /16 to /28" in message


def test_ipv6_range_remedy() -> None:
    [message] = _aws_vpc.problems("vpc-1", ["10.10.0.0/16"], {"pod_cidrs": ["fd00:10::/64"]})
    assert "associate an IPv6 CIDR block containing fd00:10::/64" in message
    assert "--ipv6-cidr-block" in message


def test_every_range_inside_gives_no_problem() -> None:
    blocks = ["10.10.0.0/16", "10.32.0.0/16", "2600:1f18:1::/56"]
    ranges = {"node_cidrs": ["10.10.0.0/20", "2600:1f18:1:1::/64"], "pod_cidrs": ["10.32.0.0/16"]}
    assert _aws_vpc.problems("vpc-1", blocks, ranges) == []


def _check(vpc: dict[str, Any] | None, **params: Any) -> tuple[Any, dict[str, Any] | AwsError]:
    answer = {"Vpcs": [vpc] if vpc else []}
    with mock.patch.object(_aws_vpc, "call", return_value=answer) as call:
        try:
            result: dict[str, Any] | AwsError = _aws_vpc.check(
                mock.Mock(), {"vpc_id": "vpc-1", **params}, check_mode=True
            )
        except AwsError as exc:
            result = exc
    return call, result


def test_check_reads_only_and_returns_the_blocks() -> None:
    vpc = _vpc(("10.10.0.0/16", "associated"), ("10.32.0.0/16", "associated"))
    call, result = _check(vpc, node_cidrs=["10.10.0.0/16"], pod_cidrs=["10.32.0.0/16"])
    assert result == {
        "changed": False,
        "vpc_id": "vpc-1",
        "cidr_blocks": ["10.10.0.0/16", "10.32.0.0/16"],
    }
    assert [c.args[1:] for c in call.call_args_list] == [("describe_vpcs",)]
    assert call.call_args.kwargs == {"VpcIds": ["vpc-1"]}


def test_check_fails_naming_every_range_outside_and_why() -> None:
    vpc = _vpc(("10.10.0.0/16", "associated"), ("10.32.0.0/16", "associating"))
    _unused, error = _check(vpc, node_cidrs=["10.11.0.0/16"], pod_cidrs=["10.32.0.0/16"])
    assert isinstance(error, AwsError) and error.code == "CidrNotInVpc"
    assert error.message.startswith("node_cidrs: 10.11.0.0/16 is not inside")
    assert "; pod_cidrs: 10.32.0.0/16 is not inside" in error.message
    assert "advertises only the VPC's CIDR blocks" in error.message
    assert "cluster_pod_cidrs" in error.message and "Nothing was changed." in error.message


def test_check_of_an_unknown_vpc_fails() -> None:
    _unused, error = _check(None, pod_cidrs=["10.32.0.0/16"])
    assert isinstance(error, AwsError) and error.code == "InvalidVpcID.NotFound"


def test_validate_names_the_option() -> None:
    errors = _aws_vpc.validate({"node_cidrs": ["10.10.0.0/16"], "pod_cidrs": ["10.32.0.1/16", "x"]})
    assert errors == [
        "pod_cidrs has '10.32.0.1/16', which is not a network CIDR: use the network address, "
        "e.g. 10.32.0.0/16",
        "pod_cidrs has 'x', which is not a network CIDR: use the network address, "
        "e.g. 10.32.0.0/16",
    ]
