"""cluster_dns_remote_problems: the cluster_dns role's remotes checked before any change."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.cluster_dns_remote_problems import (
    FilterModule,
    cluster_dns_remote_problems,
)


def remote(name: str = "gcp-euw1", **fields: Any) -> dict[str, Any]:
    return {"name": name, "zone": "gcp-euw1.local", "api_endpoint": "https://10.0.0.1:443"} | fields


def test_good_remotes_have_no_problem() -> None:
    remotes = [remote(), remote("onprem-lab", zone="Onprem.Lab.", api_endpoint="https://k")]
    assert cluster_dns_remote_problems(remotes, "aws-euw1.local") == []
    assert cluster_dns_remote_problems([]) == []


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (remote("GCP"), "cluster_dns_remotes entry GCP: name must be a lowercase DNS label"),
        (remote("a" * 33), "at most 32 characters"),
        (remote(""), "cluster_dns_remotes entry (unnamed): name must be"),
        (remote(zone="bad_zone.local"), "zone (bad_zone.local) is not a valid DNS name"),
        (remote(zone="cluster.local"), "zone (cluster.local) collides with the in-cluster zone"),
        (remote(zone="x.cluster.local"), "collides with the in-cluster zone"),
        (remote(zone="local"), "collides with the in-cluster zone"),
        (remote(zone="svc.gcp.local"), "starts with 'svc.'"),
        (remote(zone=None), "zone (None) is not a string"),
        (
            remote(api_endpoint="http://10.0.0.1"),
            "cluster_dns_remotes entry gcp-euw1: api_endpoint (http://10.0.0.1) must be the https://",
        ),
        (remote(api_endpoint=None), "api_endpoint (None) must be"),
    ],
)
def test_each_bad_field_is_named_with_its_entry(entry: dict[str, Any], expected: str) -> None:
    problems = cluster_dns_remote_problems([entry])
    assert len(problems) == 1 and expected in problems[0], problems


def test_duplicate_names_and_same_or_nested_zones() -> None:
    remotes = [
        remote("a", zone="a.local"),
        remote("a", zone="b.local"),
        remote("c", zone="x.A.local."),
    ]
    problems = cluster_dns_remote_problems(remotes, "b.local")
    assert problems == [
        "cluster_dns_remotes: name a is listed twice; each remote needs its own.",
        "Zones a.local and x.a.local are the same or nested: every cluster needs a zone of its own "
        "that contains no other (cluster_dns_zone and each remote's zone).",
        "Zones b.local and b.local are the same or nested: every cluster needs a zone of its own "
        "that contains no other (cluster_dns_zone and each remote's zone).",
    ]


@pytest.mark.parametrize("bad", [None, {"name": "x"}, ["x"]])
def test_refuses_what_is_not_a_list_of_entries(bad: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="must be a list of"):
        cluster_dns_remote_problems(bad)


def test_registered() -> None:
    assert FilterModule().filters()["cluster_dns_remote_problems"] is cluster_dns_remote_problems
