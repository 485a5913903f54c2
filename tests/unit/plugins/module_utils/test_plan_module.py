"""The link_plan module's main(): exit values, failure with every error, check mode."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args
from ansible_collections.crosscluster.link.plugins.modules import link_plan

AWS = {
    "cluster_provider": "aws",
    "cluster_region": "eu-west-1",
    "cluster_network": "vpc-0a1b2c3d4e5f60718",
    "cluster_node_cidrs": ["10.10.0.0/16"],
    "cluster_pod_cidrs": ["10.11.0.0/16"],
    "cluster_service_cidrs": ["172.20.0.0/16"],
    "cluster_dns_zone": "aws-euw1.local",
    "cluster_asn": 64512,
}
GCP = {
    "cluster_provider": "gcp",
    "cluster_region": "europe-west1",
    "cluster_project": "crosscluster-demo",
    "cluster_network": "prod-vpc",
    "cluster_node_cidrs": ["10.20.0.0/20"],
    "cluster_pod_cidrs": ["10.24.0.0/14"],
    "cluster_service_cidrs": ["10.28.0.0/20"],
    "cluster_dns_zone": "gcp-euw1.local",
    "cluster_asn": 65010,
}


def run(args: dict[str, Any], capsys) -> tuple[int, dict[str, Any]]:
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        link_plan.main()
    return exit_info.value.code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("check_mode", [False, True])
def test_plan_is_returned_unchanged(capsys, check_mode: bool) -> None:
    args = {"clusters": {"aws-euw1": AWS, "gcp-euw1": GCP}, "_ansible_check_mode": check_mode}
    code, result = run(args, capsys)
    assert code == 0
    assert result["changed"] is False
    assert [link["id"] for link in result["plan"]["links"]] == ["aws-euw1--gcp-euw1"]
    assert result["summary"][0] == "2 clusters, 1 links"


def test_failure_lists_every_error(capsys) -> None:
    bad_gcp = {**GCP, "cluster_asn": 64512, "cluster_dns_zone": "cluster.local"}
    code, result = run({"clusters": {"aws-euw1": AWS, "gcp-euw1": bad_gcp}}, capsys)
    assert code == 1
    assert result["failed"] is True
    assert len(result["errors"]) == 2
    assert result["msg"].startswith("link plan: 2 error(s):\n- ")
    assert all(f"- {e}" in result["msg"] for e in result["errors"])


def test_unknown_variable_warns(capsys, monkeypatch) -> None:
    # Once controller code is imported in this process (other tests import ansible.errors),
    # module warnings go to the controller display instead of the result: undo that here.
    monkeypatch.setattr(_internal, "is_controller", False)
    code, result = run({"clusters": {"aws-euw1": {**AWS, "cluster_x": 1}, "gcp-euw1": GCP}}, capsys)
    assert code == 0
    assert "cluster 'aws-euw1': unknown variable(s) cluster_x ignored" in json.dumps(
        result["warnings"]
    )
