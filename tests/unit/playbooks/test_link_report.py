"""The Markdown report of verify_link (playbooks/templates/link_report.md.j2), rendered by
Ansible's own templating over a plan with every transport: each link gets its own table, and
the clusters with orphans of links no longer in the inventory are listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.crosscluster.link.plugins.module_utils._plan import build_plan

from tests.unit.plugins.module_utils.test_plan import gcp, onprem
from tests.unit.plugins.module_utils.test_plan_transports import TGW, TGW_A, TGW_B, two_tgw

TEMPLATE = Path(__file__).parents[3] / "playbooks" / "templates" / "link_report.md.j2"


def mesh() -> dict[str, Any]:
    specs = {
        **two_tgw(),
        "gcp1": gcp(1),
        "gcp2": gcp(2, cluster_network="data-vpc"),
        "dc1": onprem(),
    }
    plan, errors, _warnings = build_plan(specs, transports=TGW)
    assert errors == []
    assert plan is not None
    return plan


def render(plan: dict[str, Any], orphans: dict[str, list[str]]) -> str:
    hostvars = {
        c["host"]: {
            "link_peers": [],
            "link_dns_enabled": False,
            **({"link_orphans": {"links": orphans[name]}} if name in orphans else {}),
        }
        for name, c in plan["clusters"].items()
    }
    variables = {"link_plan": plan, "link_report_checks": [], "hostvars": hostvars}
    templar = Templar(loader=DataLoader(), variables=variables)
    return str(templar.template(trust_as_template(TEMPLATE.read_text())))


def section(report: str, heading: str) -> str:
    return report.split(f"{heading}\n", 1)[1].split("\n#", 1)[0]


def test_every_transport_has_a_table_of_its_own() -> None:
    plan = mesh()
    report = render(plan, {})
    assert sorted(link["transport"] for link in plan["links"]) == sorted(
        ["aws_tgw_peering", "gcp_vpc_peering"]
        + ["aws_gcp_ha_vpn"] * 4
        + ["aws_onprem_vpn"] * 2
        + ["gcp_onprem_ha_vpn"] * 2
    )
    tgw = section(report, "### aws1--aws2 (aws_tgw_peering)")
    assert f"| aws1 | {TGW_A} (eu-west-1) AS 64512 | aws1--aws2 | yes | {TGW_B}" in tgw
    assert "| aws2 |" in tgw and "no, accepts" in tgw
    assert "tunnel" not in tgw  # not the VPN links' table
    assert '"TGW peering, 0/0 checks ok"' in report
    assert '"VPC peering, 0/0 checks ok"' in report
    assert '"4 tunnels, 0/0 checks ok"' in report


def test_the_clusters_with_orphans_are_listed() -> None:
    plan = mesh()
    listed = section(render(plan, {"gcp1": ["gcp1--gke-old"], "aws2": []}), "## Orphans")
    assert "| gcp1 | gcp1--gke-old |" in listed
    assert "| aws2 |" not in listed
    assert "none found" not in listed
    assert "| - | none found |" in section(render(plan, {}), "## Orphans")
