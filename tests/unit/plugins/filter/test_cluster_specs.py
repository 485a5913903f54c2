"""cluster_specs filter: only cluster_* variables reach the planner."""

from __future__ import annotations

from ansible_collections.crosscluster.link.plugins.filter.cluster_specs import (
    FilterModule,
    cluster_specs,
    variable_names,
)


def test_selects_only_cluster_variables_of_the_given_hosts() -> None:
    hostvars = {
        "aws1": {
            "cluster_provider": "aws",
            "cluster_asn": 64512,
            "link_psk_secret": "vaulted",
            "ansible_connection": "local",
            "clusterish": 1,
        },
        "gcp1": {"cluster_provider": "gcp", "link_topology": "pairs"},
        "other": {"cluster_provider": "onprem"},
    }
    result = cluster_specs(hostvars, ["aws1", "gcp1"])
    assert result == {
        "aws1": {"cluster_provider": "aws", "cluster_asn": 64512},
        "gcp1": {"cluster_provider": "gcp"},
    }


def test_variable_names_gives_names_never_values() -> None:
    hostvars = {
        "aws1": {"link_psk_secret": "vaulted-value", "link_topolgy": "pairs", "cluster_asn": 1},
        "gcp1": {"link_topolgy": "pairs", "link_dns": False},
        "other": {"link_other": 1},
    }
    names = variable_names(hostvars, ["aws1", "gcp1"], "link_")
    assert names == ["link_dns", "link_psk_secret", "link_topolgy"]


def test_registered_as_filter() -> None:
    assert FilterModule().filters()["cluster_specs"] is cluster_specs
