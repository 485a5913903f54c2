"""The launcher: up -> endpoints.json / env.sh / health -> status -> down leaves nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import read_env_sh
from tests.emulators import launcher

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.emulators", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_cli_up_status_down(tmp_path):
    state = tmp_path / "state"
    faults = tmp_path / "faults.json"
    faults.write_text(
        json.dumps({"rules": [{"kind": "throttle", "operation": "DescribeVpcs", "count": 1}]})
    )
    started = cli("up", "--state-dir", str(state), "--only", "aws", "--faults", str(faults))
    try:
        assert started.returncode == 0, started.stderr
        endpoints = json.loads((state / "endpoints.json").read_text())
        assert set(endpoints) == {"aws"}
        url = endpoints["aws"]["endpoint_url"]
        with urllib.request.urlopen(url + "/_emulator/health", timeout=5) as response:
            assert response.status == 200
        env = read_env_sh(state / "env.sh")
        assert env["AWS_ENDPOINT_URL"] == url
        assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == "testing"
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert env["CROSSCLUSTER_EMULATOR_STATE"] == str(state.resolve())
        pids = json.loads((state / "pids.json").read_text())
        pid = pids["aws"]["pid"]
        assert os.getpgid(pid) == pid  # its own process group
        assert (state / "logs" / "aws.log").exists()

        # The --faults file given to up is in force: one throttled DescribeVpcs.
        ec2 = boto3.client(
            "ec2",
            endpoint_url=url,
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )
        with pytest.raises(ClientError, match="RequestLimitExceeded"):
            ec2.describe_vpcs()
        ec2.describe_vpcs()

        status = cli("status", "--state-dir", str(state))
        assert status.returncode == 0
        assert f"{pid}" in status.stdout and "alive" in status.stdout and url in status.stdout

        again = cli("up", "--state-dir", str(state), "--only", "aws")
        assert again.returncode == 1 and "run down first" in again.stderr
    finally:
        stopped = cli("down", "--state-dir", str(state))
    assert stopped.returncode == 0
    assert gone(pid)
    assert not (state / "pids.json").exists()
    assert cli("down", "--state-dir", str(state)).returncode == 0  # idempotent
    assert cli("status", "--state-dir", str(state)).returncode == 3


def test_pending_connection_becomes_available_after_the_delay(tmp_path):
    endpoints = launcher.up(tmp_path, only=["aws"], aws_pending_seconds=1.5)
    try:
        ec2 = boto3.client(
            "ec2",
            endpoint_url=endpoints["aws"]["endpoint_url"],
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.1", BgpAsn=65001)
        created = ec2.create_vpn_connection(
            Type="ipsec.1",
            CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
            VpnGatewayId=vgw,
        )["VpnConnection"]
        # AWS returns the outside addresses while the connection is still pending.
        assert created["State"] == "pending"
        assert all(t["OutsideIpAddress"] for t in created["Options"]["TunnelOptions"])
        assert {t["Status"] for t in created["VgwTelemetry"]} == {"DOWN"}
        waiter = ec2.get_waiter("vpn_connection_available")
        waiter.wait(
            VpnConnectionIds=[created["VpnConnectionId"]],
            WaiterConfig={"Delay": 0.5, "MaxAttempts": 10},
        )
        connection = ec2.describe_vpn_connections(VpnConnectionIds=[created["VpnConnectionId"]])
        assert {t["Status"] for t in connection["VpnConnections"][0]["VgwTelemetry"]} == {"UP"}
    finally:
        launcher.down(tmp_path)


def test_aws_lifecycle_options_reach_the_emulator(tmp_path):
    """up --aws-deleting-seconds / --aws-modifying-seconds / --aws-shuffle-tunnel-options /
    --aws-notfound-seconds / --aws-peering-seconds start the AWS emulator with them
    (python -m tests.emulators.aws --deleting-seconds ...)."""
    state = tmp_path / "state"
    started = cli(
        *("up", "--state-dir", str(state), "--only", "aws", "--aws-pending-seconds", "0.5"),
        *("--aws-deleting-seconds", "2.5", "--aws-modifying-seconds", "1.5"),
        *("--aws-shuffle-tunnel-options", "4", "--aws-notfound-seconds", "3"),
        *("--aws-peering-seconds", "4.5"),
    )
    try:
        assert started.returncode == 0, started.stderr
        url = json.loads((state / "endpoints.json").read_text())["aws"]["endpoint_url"]
        with urllib.request.urlopen(url + "/_emulator/aws/lifecycle", timeout=5) as response:
            assert json.loads(response.read()) == {
                "pending_seconds": 0.5,
                "deleting_seconds": 2.5,
                "modifying_seconds": 1.5,
                "shuffle_seed": 4,
                "notfound_seconds": 3.0,
                "peering_seconds": 4.5,
                "peering_expiry_seconds": 7 * 24 * 3600.0,  # the reference's 7 days: no flag
            }
    finally:
        cli("down", "--state-dir", str(state))


def test_start_that_is_not_ready_in_time_is_cleaned_up(tmp_path):
    with pytest.raises(launcher.LauncherError, match="not ready within") as caught:
        launcher.up(tmp_path, only=["aws"], timeout=0.01)
    assert "--- aws" in str(caught.value)  # the log tail is shown
    assert not (tmp_path / "pids.json").exists()
    # The process it had started is gone: find it by the port recorded in its command line.
    assert not [
        p
        for p in Path("/proc").iterdir()
        if p.name.isdigit()
        and str(tmp_path).encode() in _cmdline(p)
        and b"tests.emulators.aws" in _cmdline(p)
    ]


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def test_emulator_that_crashes_is_reported_with_its_log(tmp_path):
    bad = tmp_path / "faults.json"
    bad.write_text('{"rules": [{"kind": "explode"}]}')
    with pytest.raises(launcher.LauncherError, match="exited before it was ready") as caught:
        launcher.up(tmp_path / "state", only=["aws"], faults=bad)
    assert "explode" in str(caught.value)
    assert not (tmp_path / "state" / "pids.json").exists()


def test_missing_emulator_package_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(launcher, "REPO", tmp_path)
    with pytest.raises(launcher.LauncherError, match=r"tests/emulators/gcp/__main__.py"):
        launcher.up(tmp_path / "state", only=["gcp"])
    assert not (tmp_path / "state" / "pids.json").exists()


def test_unknown_emulator_is_refused(tmp_path):
    with pytest.raises(launcher.LauncherError, match="unknown emulator"):
        launcher.up(tmp_path, only=["azure"])


def test_default_kube_clusters_do_not_overlap():
    import ipaddress

    nets = [
        ipaddress.ip_network(c[key])
        for c in launcher.DEFAULT_KUBE_CLUSTERS
        for key in ("service_cidr", "pod_cidr")
    ]
    assert [c["name"] for c in launcher.DEFAULT_KUBE_CLUSTERS] == [
        "aws-euw1",
        "gcp-euw1",
        "onprem-lab",
    ]
    assert not [(a, b) for i, a in enumerate(nets) for b in nets[i + 1 :] if a.overlaps(b)]


def test_up_starts_every_emulator(tmp_path):
    """The full set (AWS, GCP, three Kubernetes clusters), as the ``emulators`` fixture does."""
    endpoints = launcher.up(tmp_path)
    try:
        pids = json.loads((tmp_path / "pids.json").read_text())
        assert set(endpoints) == {"aws", "gcp", "kube"}
        assert set(endpoints["kube"]) == {"aws-euw1", "gcp-euw1", "onprem-lab"}
        for name, cluster in endpoints["kube"].items():
            assert Path(cluster["kubeconfig"]).is_file(), name
            assert cluster["api_endpoint"].startswith("https://127.0.0.1:")
        env = read_env_sh(tmp_path / "env.sh")
        assert env["GCP_API_ENDPOINT"] == endpoints["gcp"]["api_endpoint"]
        assert env["GCP_AUTH_KIND"] == "accesstoken" and env["GCP_PROJECT"] == "demo-project"
        assert all(row["alive"] for row in launcher.status(tmp_path))
    finally:
        launcher.down(tmp_path)
    assert all(gone(p["pid"]) for p in pids.values())


def test_emulators_fixture_and_request_log_marks(emulators):
    assert emulators.env["AWS_ENDPOINT_URL"] == emulators.endpoints["aws"]["endpoint_url"]
    assert emulators.env["CROSSCLUSTER_EMULATOR_STATE"] == str(emulators.state_dir)
    assert set(emulators.endpoints["kube"]) == {"aws-euw1", "gcp-euw1", "onprem-lab"}
    ec2 = boto3.client(
        "ec2",
        endpoint_url=emulators.env["AWS_ENDPOINT_URL"],
        region_name=emulators.env["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    mark = emulators.mark()
    ec2.describe_vpcs()
    ec2.create_vpc(CidrBlock="10.77.0.0/16")
    assert [e["operation"] for e in emulators.requests_since(mark, service="aws")] == [
        "DescribeVpcs",
        "CreateVpc",
    ]
    assert [e["operation"] for e in emulators.mutations_since(mark, service="aws")] == ["CreateVpc"]
    assert emulators.requests_since(emulators.mark()) == []
