"""The on-prem gateway's files from the plan (module_utils/_onprem_vpn.py and its filters)."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.onprem_vpn_files import (
    onprem_vpn_files,
    onprem_vpn_secrets_conf,
)
from ansible_collections.crosscluster.link.plugins.module_utils._onprem_vpn import (
    OnpremConfigError,
    if_id,
    tunnel_ends,
)
from ansible_collections.crosscluster.link.plugins.module_utils._plan import build_plan

from tests.unit.plugins.module_utils.test_plan import aws, gcp, onprem

OPTIONS: dict[str, Any] = {
    "root": "/srv/gw",
    "swanctl_dir": "/etc/swanctl/conf.d",
    "frr_conf_path": "/etc/frr/frr.conf",
    "sysctl_path": "/etc/sysctl.d/90-crosscluster-link.conf",
    "nftables_path": "/etc/crosscluster-link/nftables.nft",
    "unit_path": "/etc/systemd/system/crosscluster-link-gateway.service",
    "manifest_path": "/etc/crosscluster-link/onprem-files.json",
    "ike_proposals": "aes256-sha256-modp2048",
    "esp_proposals": "aes256-sha256-modp2048",
    "encap": False,
    "dpd_delay": 10,
    "local_address": "",
    "tcp_mss": {"aws": 1379, "gcp": 1360},
    "restrict": False,
    "maximum_paths": 1,
    "router_id": "",
    "hostname": "",
    "mtu": 1436,
    "ip": "/usr/sbin/ip",
    "nft": "/usr/sbin/nft",
    "sysctl": "/usr/sbin/sysctl",
}
AWS_IPS = ["198.51.100.11", "198.51.100.12"]
GCP_IPS = ["203.0.113.1", "203.0.113.2"]


def plan() -> dict[str, Any]:
    result, errors, _warnings = build_plan({"aws1": aws(), "gcp1": gcp(1), "dc1": onprem()})
    assert not errors
    assert result is not None
    return result


def peers(the_plan: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for link in the_plan["links"]:
        if link["transport"] == "aws_onprem_vpn":
            ips = AWS_IPS
        elif link["transport"] == "gcp_onprem_ha_vpn":
            ips = [GCP_IPS[t["gcp_vpn_interface"]] for t in link["tunnels"]]
        else:
            continue
        out[link["id"]] = {
            "tunnels": [
                {"id": t["id"], "outside_ip": ip}
                for t, ip in zip(link["tunnels"], ips, strict=True)
            ]
        }
    return out


def files() -> dict[str, Any]:
    the_plan = plan()
    return onprem_vpn_files(the_plan, "dc1", peers(the_plan), OPTIONS)


def by_kind(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in result["files"] if f["kind"] == kind]


def test_one_swanctl_file_per_tunnel_of_the_onprem_links() -> None:
    the_plan = plan()
    result = onprem_vpn_files(the_plan, "dc1", peers(the_plan), OPTIONS)
    swan = by_kind(result, "swanctl")
    tunnels = [t for link in the_plan["links"] if "onprem_cluster" in link for t in link["tunnels"]]
    assert [f["tunnel"] for f in swan] == [t["id"] for t in tunnels]
    assert len(swan) == 4
    for f, tunnel in zip(swan, tunnels, strict=True):
        assert f["path"] == f"/srv/gw/etc/swanctl/conf.d/xcl-{tunnel['id']}.conf"
        text = f["content"]
        assert "version = 2" in text and "auth = psk" in text
        assert "local_ts = 0.0.0.0/0" in text and "remote_ts = 0.0.0.0/0" in text
        assert "proposals = aes256-sha256-modp2048" in text
        assert "esp_proposals = aes256-sha256-modp2048" in text
        assert f"if_id_in = {if_id(tunnel['inside_cidr'])}" in text
        assert "id = 192.0.2.10" in text
        assert f"include xcl-{tunnel['id']}.secrets" in text
        assert "secret" not in text.replace(".secrets", "")


def test_each_tunnel_points_at_its_cloud_end() -> None:
    result = files()
    remote = {
        f["tunnel"]: re.search(r"remote_addrs = (\S+)", f["content"]).group(1)
        for f in by_kind(result, "swanctl")
    }
    assert remote == {
        "aws1--dc1-t0": "198.51.100.11",
        "aws1--dc1-t1": "198.51.100.12",
        "dc1--gcp1-t0": "203.0.113.1",
        "dc1--gcp1-t1": "203.0.113.2",
    }


def test_if_ids_and_interfaces_are_unique_and_follow_the_inside_cidr() -> None:
    ends = files()["tunnels"]
    ids = [e["if_id"] for e in ends]
    assert len(set(ids)) == len(ids) and all(i > 0 for i in ids)
    for end in ends:
        network = ipaddress.IPv4Network(end["inside_cidr"])
        assert (
            end["if_id"]
            == (int(network.network_address) - int(ipaddress.IPv4Address("169.254.0.0"))) // 4
        )
        assert end["interface"] == f"xcl{end['if_id']}" and len(end["interface"]) <= 15
        assert end["local_inside_address"] == str(network.network_address + 2)
        assert end["peer_inside_address"] == str(network.network_address + 1)


def test_frr_has_one_neighbour_per_tunnel_and_advertises_the_cluster_ranges() -> None:
    result = files()
    (frr,) = by_kind(result, "frr")
    text = frr["content"]
    assert frr["path"] == "/srv/gw/etc/frr/frr.conf"
    assert "router bgp 65100" in text and "bgp router-id 192.0.2.10" in text
    for end in result["tunnels"]:
        peer = end["peer_inside_address"]
        asn = 64512 if end["peer_provider"] == "aws" else 65001
        timers = "10 30" if end["peer_provider"] == "aws" else "20 60"
        assert f" neighbor {peer} remote-as {asn}\n" in text
        assert f" neighbor {peer} update-source {end['local_inside_address']}\n" in text
        assert f" neighbor {peer} timers {timers}\n" in text
        assert f"  neighbor {peer} prefix-list xcl-out out\n" in text
    assert text.count("remote-as") == 4
    ranges = ["192.168.0.0/20", "192.168.64.0/18", "192.168.128.0/20"]
    assert result["ranges"] == ranges
    for n, prefix in enumerate(ranges):
        assert f"  network {prefix}\n" in text
        assert f"ip prefix-list xcl-out seq {5 * (n + 1)} permit {prefix}\n" in text
        assert f"deny {prefix} le 32\n" in text  # never learn our own ranges back
    assert "ip prefix-list xcl-in seq 5 deny 0.0.0.0/0\n" in text


def test_ipv6_ranges_are_not_advertised_over_the_ipv4_sessions() -> None:
    specs = {"aws1": aws(), "dc1": onprem(cluster_pod_cidrs=["192.168.64.0/18", "fd00:10::/56"])}
    the_plan, errors, _warnings = build_plan(specs)
    assert not errors
    result = onprem_vpn_files(the_plan, "dc1", peers(the_plan), OPTIONS)
    assert "fd00" not in by_kind(result, "frr")[0]["content"]


def test_nftables_clamps_mss_per_cloud_and_admits_the_peers() -> None:
    result = files()
    (nft,) = by_kind(result, "nft")
    text = nft["content"]
    assert "delete table inet crosscluster_link" in text
    assert "elements = { 198.51.100.11, 198.51.100.12, 203.0.113.1, 203.0.113.2 }" in text
    for end in result["tunnels"]:
        mss = 1379 if end["peer_provider"] == "aws" else 1360
        for direction in ("oifname", "iifname"):
            assert (
                f'{direction} "{end["interface"]}" tcp flags & (syn | rst) == syn tcp option '
                f"maxseg size > {mss} tcp option maxseg size set {mss}"
            ) in text
    assert "drop" not in text
    restricted = onprem_vpn_files(plan(), "dc1", peers(plan()), {**OPTIONS, "restrict": True})
    assert "udp dport { 500, 4500 } drop" in by_kind(restricted, "nft")[0]["content"]


def test_sysctls_and_unit() -> None:
    result = files()
    sysctl = by_kind(result, "sysctl")[0]["content"]
    assert "net.ipv4.ip_forward = 1" in sysctl
    assert "net.ipv4.conf.all.rp_filter = 2" in sysctl
    unit = by_kind(result, "unit")[0]["content"]
    # The unit names the files where the running system has them, not under the root.
    assert "ExecStart=/usr/sbin/nft -f /etc/crosscluster-link/nftables.nft" in unit
    assert "ExecStart=/usr/sbin/sysctl -p /etc/sysctl.d/90-crosscluster-link.conf" in unit
    for end in result["tunnels"]:
        assert f"link add {end['interface']} type xfrm dev lo if_id {end['if_id']}" in unit
        assert f"address replace {end['local_inside_address']}/30 dev {end['interface']}" in unit


def test_secrets_are_separate_and_listed_with_their_paths() -> None:
    result = files()
    assert [s["path"] for s in result["secrets"]] == [
        f["path"].replace(".conf", ".secrets") for f in by_kind(result, "swanctl")
    ]
    entry = result["secrets"][0]
    text = onprem_vpn_secrets_conf(entry, 'Ab"c\\d')
    assert "id-local = 192.0.2.10" in text and f"id-remote = {entry['peer_ip']}" in text
    assert 'secret = "Ab\\"c\\\\d"' in text
    assert all("psk" not in s for s in result["secrets"])
    with pytest.raises(AnsibleFilterError, match="pre-shared key is empty"):
        onprem_vpn_secrets_conf(entry, "")


def test_paths_dirs_and_manifest_are_under_the_root() -> None:
    result = files()
    assert all(p.startswith("/srv/gw/") for p in result["paths"] + result["dirs"])
    assert result["manifest"] == "/srv/gw/etc/crosscluster-link/onprem-files.json"
    assert len(result["paths"]) == len(set(result["paths"])) == 4 + 4 + 4
    plain = onprem_vpn_files(plan(), "dc1", peers(plan()), {**OPTIONS, "root": "/"})
    assert by_kind(plain, "frr")[0]["path"] == "/etc/frr/frr.conf"


def test_a_cluster_without_onprem_links_gets_empty_configs() -> None:
    specs = {"aws1": aws(), "gcp1": gcp(1), "dc1": onprem()}
    the_plan, errors, _warnings = build_plan(specs, "pairs", [["aws1", "gcp1"]])
    assert not errors
    result = onprem_vpn_files(the_plan, "dc1", {}, OPTIONS)
    assert result["tunnels"] == [] and by_kind(result, "swanctl") == []
    assert "router bgp" not in by_kind(result, "frr")[0]["content"]


@pytest.mark.parametrize(
    ("peer_tunnels", "match"),
    [
        (None, "tunnel aws1--dc1-t0 has no peer outside IP"),
        ([{"id": "aws1--dc1-t0", "outside_ip": "198.51.100.11"}], "tunnel aws1--dc1-t1 has no"),
        ([{"id": "aws1--dc1-t0", "outside_ip": "nope"}, {"id": "aws1--dc1-t1"}], "got 'nope'"),
    ],
)
def test_missing_peer_ips_are_refused_naming_the_tunnel(peer_tunnels, match: str) -> None:
    the_plan = plan()
    the_peers = peers(the_plan)
    if peer_tunnels is None:
        del the_peers["aws1--dc1"]
    else:
        the_peers["aws1--dc1"] = {"tunnels": peer_tunnels}
    with pytest.raises(AnsibleFilterError, match=match):
        onprem_vpn_files(the_plan, "dc1", the_peers, OPTIONS)


def test_the_cluster_must_be_onprem() -> None:
    with pytest.raises(OnpremConfigError, match="'aws1' is not an onprem cluster"):
        tunnel_ends(plan(), "aws1", {})
    with pytest.raises(AnsibleFilterError, match="must be the plan"):
        onprem_vpn_files({}, "dc1", {}, OPTIONS)


@pytest.mark.skipif(not shutil.which("vtysh"), reason="FRR's vtysh is not installed")
def test_frr_accepts_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "frr.conf"
    path.write_text(by_kind(files(), "frr")[0]["content"])
    check = subprocess.run(
        ["vtysh", "-C", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.skipif(not shutil.which("vtysh"), reason="FRR's vtysh is not installed")
def test_frr_dry_run_can_fail(tmp_path: Path) -> None:
    path = tmp_path / "frr.conf"
    path.write_text("router bgp 65100\n neighbor nowhere remote-as x\n")
    check = subprocess.run(
        ["vtysh", "-C", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert check.returncode != 0


CHARON = Path("/usr/lib/ipsec/charon")


@pytest.mark.skipif(
    not (CHARON.exists() and shutil.which("swanctl") and shutil.which("unshare"))
    or os.geteuid() != 0,
    reason="needs root, strongSwan's charon and swanctl",
)
def test_strongswan_loads_every_connection_and_its_key(tmp_path: Path) -> None:
    """A charon of its own (private network and mount namespaces, vici socket in tmp_path)
    parses and loads the rendered files, key files included through ``include``."""
    result = files()
    confs = []
    for f, secret in zip(by_kind(result, "swanctl"), result["secrets"], strict=True):
        conf = tmp_path / Path(f["path"]).name
        conf.write_text(f["content"])
        (tmp_path / Path(secret["path"]).name).write_text(
            onprem_vpn_secrets_conf(secret, "Ab12cd34ef56gh78")
        )
        confs.append(conf)
    (tmp_path / "run").mkdir()
    vici = f"unix://{tmp_path}/charon.vici"
    (tmp_path / "strongswan.conf").write_text(
        "charon {\n  load = random nonce openssl kdf hmac sha1 sha2 aes gcm kernel-netlink "
        "socket-default vici\n  port = 0\n  port_nat_t = 0\n  install_routes = no\n"
        f"  plugins {{\n    vici {{\n      socket = {vici}\n    }}\n  }}\n}}\n"
    )
    env = {"STRONGSWAN_CONF": str(tmp_path / "strongswan.conf"), "PATH": os.environ["PATH"]}
    charon = subprocess.Popen(
        ["unshare", "-n", "-m", "sh", "-c", f'mount --bind "{tmp_path}/run" /run && exec {CHARON}'],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not (tmp_path / "charon.vici").exists():
            assert charon.poll() is None and time.monotonic() < deadline, "charon did not start"
            time.sleep(0.1)
        for conf in confs:
            out = subprocess.run(
                ["swanctl", "--load-all", "--file", str(conf), "--uri", vici],
                env=env,
                check=False,
                capture_output=True,
                text=True,
            )
            assert out.returncode == 0, out.stdout + out.stderr
            assert "loaded ike secret" in out.stdout and "loaded connection" in out.stdout
    finally:
        charon.terminate()
        charon.wait(timeout=10)


def test_the_lab_reads_the_gateway_back_from_the_rendered_files(tmp_path: Path) -> None:
    """tests/lab/onprem.py builds the lab's on-prem gateway from these files only: what it
    reads back is what the plan and the peers say."""
    from tests.lab import onprem as lab_onprem

    the_plan = plan()
    result = onprem_vpn_files(the_plan, "dc1", peers(the_plan), {**OPTIONS, "root": str(tmp_path)})
    for f in result["files"]:
        Path(f["path"]).parent.mkdir(parents=True, exist_ok=True)
        Path(f["path"]).write_text(f["content"])
    for s in result["secrets"]:
        Path(s["path"]).write_text(onprem_vpn_secrets_conf(s, f"key-{s['tunnel']}"))
    gateway = lab_onprem.gateway(tmp_path, "dc1")
    assert gateway is not None
    assert (gateway.cloud, gateway.asn, gateway.public_ips) == ("onprem", 65100, ["192.0.2.10"])
    assert gateway.tunnel_mtu == OPTIONS["mtu"]  # the XFRM unit's interface MTU
    ends = {end["name"]: end for end in result["tunnels"]}
    assert sorted(t.name for t in gateway.tunnels) == sorted(ends)
    for tunnel in gateway.tunnels:
        end = ends[tunnel.name]
        assert tunnel.peer_public_ip == end["peer_ip"]
        assert tunnel.psk == f"key-{end['id']}"
        assert tunnel.inside == f"{end['local_inside_address']}/30"
        assert tunnel.peer_inside_ip == end["peer_inside_address"]
        assert tunnel.peer_asn == end["peer_asn"]
        assert tunnel.initiate and tunnel.ike_version == 2
        assert tunnel.proposal.ike == "aes256-sha256-modp2048"
        assert list(tunnel.advertised) == result["ranges"]
    assert lab_onprem.gateway(tmp_path / "nothing", "dc1") is None
