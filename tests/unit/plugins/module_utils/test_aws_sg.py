"""_aws_sg: owned-rule planning by description marker, validation (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws_sg
from ansible_collections.crosscluster.link.plugins.module_utils._aws_sg import Rule

A = Rule("-1", None, None, "10.64.0.0/14")
B = Rule("-1", None, None, "10.68.0.0/20")
SSH = Rule("tcp", 22, 22, "192.0.2.0/24")
MARK = "crosscluster.link:link1"


def test_present_adds_missing_and_purges_only_our_marker() -> None:
    owned = {A: MARK, B: MARK, Rule("-1", None, None, "10.1.0.0/16"): "crosscluster.link:other"}
    foreign = {SSH: "admin ssh"}
    add, remove, covered = _aws_sg.plan_group(owned, foreign, {A}, MARK, True, True)
    assert (add, remove, covered) == (set(), {B}, set())


def test_present_without_purge_keeps_extra_owned_rules() -> None:
    add, remove, _unused = _aws_sg.plan_group({B: MARK}, {}, {A}, MARK, True, False)
    assert (add, remove) == ({A}, set())


def test_rule_already_allowed_by_foreign_rule_is_left_alone() -> None:
    add, remove, covered = _aws_sg.plan_group({}, {SSH: "admin ssh"}, {SSH, A}, MARK, True, True)
    assert (add, remove, covered) == ({A}, set(), {SSH})


@pytest.mark.parametrize(
    ("wanted", "removed"),
    [(set(), {A, B}), ({A}, {A})],
)
def test_absent_removes_only_our_marked_rules(wanted: set, removed: set) -> None:
    owned = {A: MARK, B: MARK, Rule("-1", None, None, "10.1.0.0/16"): "crosscluster.link:other"}
    add, remove, _unused = _aws_sg.plan_group(owned, {SSH: "x"}, wanted, MARK, False, True)
    assert (add, remove) == (set(), removed)


@pytest.mark.parametrize(
    ("params", "rules"),
    [
        ({"cidrs": ["10.0.0.0/8"]}, {Rule("-1", None, None, "10.0.0.0/8")}),
        ({"cidrs": ["10.0.0.0/8"], "protocol": "tcp"}, {Rule("tcp", 0, 65535, "10.0.0.0/8")}),
        (
            {"cidrs": ["10.0.0.0/8"], "protocol": "udp", "from_port": 53, "to_port": 53},
            {Rule("udp", 53, 53, "10.0.0.0/8")},
        ),
        ({"cidrs": ["fd00::/64"], "protocol": "icmp"}, {Rule("icmp", -1, -1, "fd00::/64")}),
    ],
)
def test_wanted_rules(params: dict[str, Any], rules: set) -> None:
    assert _aws_sg.wanted_rules(params) == rules


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"name": "x", "cidrs": ["10.0.0.1/8"]}, "not a network CIDR"),
        ({"name": "x", "protocol": "all", "from_port": 1}, "apply to tcp, udp and icmp only"),
        ({"name": "x", "protocol": "tcp", "from_port": 70000}, "from_port=70000 is out of range"),
        ({"name": "x", "protocol": "tcp", "from_port": 9, "to_port": 8}, "swap them"),
        ({"name": "x", "protocol": "icmp", "to_port": 300}, "to_port=300 is out of range for icmp"),
        ({"name": ""}, "name is required"),
    ],
)
def test_validate(params: dict[str, Any], message: str) -> None:
    assert any(message in e for e in _aws_sg.validate(params))


def test_permission_carries_the_marker() -> None:
    assert _aws_sg._permission(SSH, MARK) == {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": "192.0.2.0/24", "Description": MARK}],
    }
