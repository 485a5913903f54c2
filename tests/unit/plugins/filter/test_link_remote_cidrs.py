"""link_remote_cidrs: the ranges behind the other end of each of a cluster's links."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.link_remote_cidrs import (
    FilterModule,
    link_remote_cidrs,
)

PLAN: dict[str, Any] = {
    "clusters": {
        "aws-euw1": {
            "node_cidrs": ["10.10.0.0/16"],
            "pod_cidrs": ["10.32.0.0/13"],
            "service_cidrs": ["10.100.0.0/16"],
        },
        "gcp-euw1": {
            "node_cidrs": ["10.20.0.0/20"],
            "pod_cidrs": ["10.48.0.0/14", "10.20.0.0/20"],
            "service_cidrs": ["fd00:20::/108"],
        },
        "onprem-lab": {"node_cidrs": ["10.30.0.0/16"], "pod_cidrs": None},
    },
    "links": [
        {"id": "a--g", "clusters": ["aws-euw1", "gcp-euw1"], "aws_cluster": "aws-euw1"},
        {"id": "a--o", "clusters": ["aws-euw1", "onprem-lab"], "aws_cluster": "aws-euw1"},
        {"id": "g--o", "clusters": ["gcp-euw1", "onprem-lab"], "gcp_cluster": "gcp-euw1"},
    ],
}


def test_each_link_gets_the_other_ends_node_pod_and_service_ranges_once() -> None:
    assert link_remote_cidrs(PLAN, "aws-euw1") == {
        "a--g": ["10.20.0.0/20", "10.48.0.0/14", "fd00:20::/108"],
        "a--o": ["10.30.0.0/16"],
    }
    assert link_remote_cidrs(PLAN, "onprem-lab") == {
        "a--o": ["10.10.0.0/16", "10.32.0.0/13", "10.100.0.0/16"],
        "g--o": ["10.20.0.0/20", "10.48.0.0/14", "fd00:20::/108"],
    }


def test_side_keeps_only_the_links_where_the_cluster_is_that_end() -> None:
    assert list(link_remote_cidrs(PLAN, "gcp-euw1", "gcp")) == ["g--o"]
    assert link_remote_cidrs(PLAN, "gcp-euw1", "aws") == {}


@pytest.mark.parametrize(
    ("plan", "cluster", "message"),
    [
        ([], "aws-euw1", "must be the link plan"),
        ({"links": []}, "aws-euw1", "must be the link plan"),
        (PLAN, "nope", "'nope' is not a cluster of the plan"),
    ],
)
def test_refuses_what_is_not_a_plan_or_one_of_its_clusters(
    plan: Any, cluster: str, message: str
) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        link_remote_cidrs(plan, cluster)


def test_registered() -> None:
    assert FilterModule().filters()["link_remote_cidrs"] is link_remote_cidrs
