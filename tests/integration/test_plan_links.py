"""Runs the collection playbook crosscluster.link.plan_links with ansible-playbook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import tunnel_psk

ROOT = Path(__file__).parents[2]
INVENTORY = Path(__file__).parent / "inventories" / "three_clusters.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
SECRET = yaml.safe_load(INVENTORY.read_text())["all"]["children"]["clusters"]["vars"][
    "link_psk_secret"
]


def run_plan(*extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOWS": "1",
    }
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(INVENTORY), "crosscluster.link.plan_links", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def assert_no_secret(text: str, tunnel_ids: list[str]) -> None:
    assert SECRET not in text
    for tid in tunnel_ids:
        assert tunnel_psk(SECRET, tid) not in text


def test_pairs_plan_written_as_json(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    # -vvv prints the module's invocation arguments: the clusters passed to link_plan.
    result = run_plan("-vvv", "-e", f"link_plan_file={out}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"cluster_provider": "aws"' in result.stdout  # the arguments are visible ...
    # ... and hold no secret: link_psk_secret is there by name only (link_variables).
    assert SECRET not in result.stdout
    assert '"link_psk_secret": ' not in result.stdout
    plan = json.loads(out.read_text())

    assert sorted(plan["clusters"]) == ["aws-euw1", "gcp-euw1", "gcp-euw4"]
    assert plan["clusters"]["gcp-euw4"]["node_cidrs"] == ["10.30.0.0/20", "fd20::/64"]
    assert plan["clusters"]["aws-euw1"]["aws_gateway"] == "vgw"
    assert [link["id"] for link in plan["links"]] == ["aws-euw1--gcp-euw1", "aws-euw1--gcp-euw4"]
    cidrs = []
    for link in plan["links"]:
        assert link["transport"] == "aws_gcp_ha_vpn"
        assert link["aws_cluster"] == "aws-euw1"
        assert [t["index"] for t in link["tunnels"]] == [0, 1, 2, 3]
        assert [(t["aws_vpn_connection"], t["aws_tunnel"]) for t in link["tunnels"]] == [
            ("a", 1),
            ("a", 2),
            ("b", 1),
            ("b", 2),
        ]
        assert [t["gcp_vpn_interface"] for t in link["tunnels"]] == [0, 0, 1, 1]
        gcp_asn = plan["clusters"][link["gcp_cluster"]]["asn"]
        for t in link["tunnels"]:
            assert t["inside_cidr"].startswith("169.254.") and t["inside_cidr"].endswith("/30")
            base = t["inside_cidr"].split("/")[0].rsplit(".", 1)
            assert t["aws_inside_address"] == f"{base[0]}.{int(base[1]) + 1}"
            assert t["gcp_inside_address"] == f"{base[0]}.{int(base[1]) + 2}"
            assert (t["aws_asn"], t["gcp_asn"]) == (64512, gcp_asn)
            cidrs.append(t["inside_cidr"])
    assert len(set(cidrs)) == 8

    # The summary is printed; no secret or derived key anywhere.
    assert "tunnel aws-euw1--gcp-euw1-t0 " + plan["links"][0]["tunnels"][0]["inside_cidr"] in (
        result.stdout
    )
    tunnel_ids = [t["id"] for link in plan["links"] for t in link["tunnels"]]
    assert_no_secret(result.stdout + result.stderr, tunnel_ids)
    assert_no_secret(out.read_text(), tunnel_ids)
    assert "psk" not in out.read_text().lower()

    # Deterministic: a second run writes the same plan.
    again = tmp_path / "again.json"
    assert run_plan("-e", f"link_plan_file={again}").returncode == 0
    assert json.loads(again.read_text()) == plan


def test_full_mesh_fails_naming_the_pair_and_the_fix(tmp_path: Path) -> None:
    # gcp-euw1 and gcp-euw4 are on one network: a VPC peering of it with itself is refused
    out = tmp_path / "plan.json"
    result = run_plan("-e", "link_topology=full_mesh", "-e", f"link_plan_file={out}")
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "link gcp-euw1--gcp-euw4" in text
    assert "are on the same network prod-vpc of project crosscluster-demo" in text
    assert "leave this pair out (link_topology: pairs)" in text
    assert "link aws-euw1--gcp-euw1: " not in text  # supported links are not errors
    assert not out.exists()
    assert SECRET not in text


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ('{"link_pairs": [["aws-euw1", "gcp-nowhere"]]}', "names unknown cluster(s) 'gcp-nowhere'"),
        ('{"link_pairs": [["aws-euw1", "aws-euw1"]]}', "links cluster 'aws-euw1' to itself"),
    ],
)
def test_invalid_pairs_fail(override: str, expected: str) -> None:
    result = run_plan("-e", override)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
