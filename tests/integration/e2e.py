"""Helpers of the end-to-end mesh tests (test_link_mesh*.py, test_link_prune.py): run a
playbook of the collection against the emulators, read its recap, and snapshot what the
collection may create in the clouds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from tests.conftest import EmulatorRun

ROOT = Path(__file__).parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
GONE = ("deleted", "deleting")

Result = subprocess.CompletedProcess[str]


# A bound for a hung playbook run, no target: an idle 4-cluster link takes 3 to 6 minutes, but
# CI runs the gates side by side on two saturated cores (one CI run passed 1200 s in a mesh link).
PLAYBOOK_TIMEOUT = 3600


def run_playbook(emulators: EmulatorRun, inventory: Path, name: str, *extra: str) -> Result:
    """One collection playbook against the emulators, from the checkout's collection."""
    env = {
        **os.environ,
        **emulators.env,
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOWS": "1",
        "ANSIBLE_PIPELINING": "1",
    }
    command = [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), name, *extra]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False
    )


def recap(result: Result) -> dict[str, tuple[int, int]]:
    """Host -> (changed, failed) from the PLAY RECAP."""
    counts = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == ":" and parts[2].startswith("ok="):
            fields = dict(p.split("=") for p in parts[2:] if "=" in p)
            counts[parts[0]] = (int(fields["changed"]), int(fields["failed"]))
    return counts


def assert_ok(result: Result, hosts: Collection[str] | None = None) -> Result:
    """The run succeeded (its output shown if not) and, given ``hosts``, recapped exactly them."""
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
    if hosts is not None:
        assert set(recap(result)) == set(hosts), result.stdout[-2000:]
    return result


def changed_hosts(result: Result) -> dict[str, tuple[int, int]]:
    """Host -> (changed, failed) of the hosts the run changed or failed."""
    return {host: counts for host, counts in recap(result).items() if counts != (0, 0)}


@dataclass(frozen=True)
class Gcp:
    """Reads the Compute Engine API of the GCP emulator's project."""

    base: str
    headers: dict[str, str]
    region: str

    @classmethod
    def of(cls, emulators: EmulatorRun) -> Gcp:
        gcp = emulators.endpoints["gcp"]
        return cls(
            base=f"{gcp['api_endpoint']}/compute/v1/projects/{gcp['project']}",
            headers={"Authorization": f"Bearer {emulators.env['GCP_ACCESS_TOKEN']}"},
            region=gcp["region"],
        )

    def get(self, path: str) -> dict[str, Any]:
        response = requests.get(f"{self.base}/{path}", headers=self.headers, timeout=30)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def names(self, path: str) -> list[str]:
        """The sorted names of the items of a list."""
        return sorted(item["name"] for item in self.get(path).get("items", []))


def gcp_snapshot(gcp: Gcp, networks: Iterable[str] = ()) -> dict[str, list[str]]:
    """Names of what the collection may create in the project, and the peerings of
    ``networks``."""
    region = f"regions/{gcp.region}"
    snap = {
        path: gcp.names(path)
        for path in (
            "global/firewalls",
            "global/externalVpnGateways",
            f"{region}/vpnGateways",
            f"{region}/routers",
            f"{region}/vpnTunnels",
        )
    }
    for network in networks:
        peerings = gcp.get(f"global/networks/{network}").get("peerings", [])
        snap[f"peerings of {network}"] = sorted(
            f"{p['name']} -> {p['network'].rsplit('/', 1)[-1]} {p['state']}" for p in peerings
        )
    return snap


def ec2_client(emulators: EmulatorRun, region: str | None = None) -> Any:
    """An EC2 client of the AWS emulator, in ``region`` or the emulator's own."""
    aws, env = emulators.endpoints["aws"], emulators.env
    return boto3.client(
        "ec2",
        endpoint_url=aws["endpoint_url"],
        region_name=region or aws["region"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def _name(item: dict[str, Any]) -> str:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}.get("Name", "?")


def _live(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i["State"] not in GONE]


def aws_snapshot(ec2: Any) -> dict[str, list[str]]:
    """What the collection may create in the client's Region, read through the EC2 API."""
    tables = ec2.describe_route_tables()["RouteTables"]
    return {
        "vpn connections": sorted(
            map(_name, _live(ec2.describe_vpn_connections()["VpnConnections"]))
        ),
        "customer gateways": sorted(
            map(_name, _live(ec2.describe_customer_gateways()["CustomerGateways"]))
        ),
        "vpn gateways": sorted(map(_name, _live(ec2.describe_vpn_gateways()["VpnGateways"]))),
        "peerings": sorted(
            f"{_name(p)} {p['Status']['Code']}"
            for p in ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
            if p["Status"]["Code"] not in GONE
        ),
        "routes": sorted(
            f"{t['RouteTableId']} {r.get('DestinationCidrBlock')} -> "
            f"{r.get('VpcPeeringConnectionId') or r.get('GatewayId')}"
            for t in tables
            for r in t.get("Routes", [])
        ),
        "propagation": sorted(
            f"{t['RouteTableId']} {p['GatewayId']}"
            for t in tables
            for p in t.get("PropagatingVgws", [])
        ),
        "security group rules": sorted(
            f"{g['GroupId']} {r.get('CidrIpv4')}"
            for g in ec2.describe_security_groups()["SecurityGroups"]
            for r in ec2.describe_security_group_rules(
                Filters=[{"Name": "group-id", "Values": [g["GroupId"]]}]
            )["SecurityGroupRules"]
            if not r.get("IsEgress")
        ),
    }
