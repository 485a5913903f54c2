"""One strongSwan charon per tunnel end, with kernel-libipsec (ESP in userspace over a TUN
device: this kernel has no XFRM) and UDP encapsulation.

Why one charon per tunnel: libipsec looks up the outbound SA by the packet's addresses alone
(its own SPD), and every cloud tunnel negotiates 0.0.0.0/0 <-> 0.0.0.0/0, so two tunnels in
one charon would be indistinguishable. With one charon per tunnel each tunnel has its own
TUN device, and the kernel route (installed by FRR from BGP) picks the tunnel. The charons of
one namespace share its addresses, so each listens on its own NAT-T port (``port_nat_t``)
and its peer's config names that port (swanctl.conf ``remote_port``; a port other than 500
disables port floating). The ports are a lab artefact; everything else comes from the
clouds' state.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.lab.model import TunnelEnd
from tests.lab.netns import LabError, run

CHARON = "/usr/lib/ipsec/charon"
# Plugins loaded explicitly (strongswan.conf ``charon.load``), so the system's plugin
# configuration does not matter: kernel-libipsec provides the IPsec stack, kernel-netlink
# the addresses and routes, socket-default the UDP sockets, vici the control socket.
PLUGINS = (
    "random nonce openssl kdf hmac sha1 sha2 aes gcm "
    "kernel-libipsec kernel-netlink socket-default vici"
)


@dataclass
class Charon:
    end: TunnelEnd
    ns: str
    port: int  # this end's NAT-T port
    peer_port: int
    directory: Path
    tun: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def vici(self) -> str:
        return f"unix://{self.directory}/charon.vici"

    @property
    def conf(self) -> Path:
        return self.directory / "strongswan.conf"


def strongswan_conf(charon: Charon) -> str:
    """strongswan.conf(5). ``install_routes = no``: routes are BGP's to decide (libipsec
    still adds some to table 220; the lab removes its rule, see ``Lab``). ``port = 0`` lets
    the kernel pick the unused non-NAT-T port: with ``encap = yes`` only port_nat_t is used.
    DPD every 10 s (swanctl.conf) and 3 retransmits of 2, 2.8, 3.9 and 5.5 s give a dead peer
    up after about 25-35 s, close to AWS's default DPDTimeoutSeconds of 30."""
    d = charon.directory
    return f"""charon {{
  load = {PLUGINS}
  port = 0
  port_nat_t = {charon.port}
  install_routes = no
  install_virtual_ip = no
  retransmit_tries = 3
  retransmit_timeout = 2.0
  retransmit_base = 1.4
  filelog {{
    lab {{
      path = {d}/charon.log
      time_format = %T
      flush_line = yes
      append = no
      default = 1
      ike = 2
      cfg = 2
    }}
  }}
  plugins {{
    vici {{
      socket = {charon.vici}
    }}
  }}
}}
swanctl {{
  load = random openssl pem pkcs1 x509 pubkey
}}
"""


def swanctl_conf(charon: Charon) -> str:
    """swanctl.conf(5): one IKE SA and one CHILD_SA 0.0.0.0/0 <-> 0.0.0.0/0 (route-based,
    as both clouds negotiate; neither does MOBIKE), PSK authentication with the outside IPs
    as identities (AWS and Cloud VPN both use the gateway's IP address as its IKE ID),
    ``encap = yes`` (UDP encapsulation of ESP: REFERENCE "Tooling offline")."""
    end = charon.end
    start = "start" if end.initiate else "none"
    psk = end.psk.replace("\\", "\\\\").replace('"', '\\"')
    return f"""connections {{
  tunnel {{
    version = {end.ike_version}
    local_addrs = {end.public_ip}
    remote_addrs = {end.peer_public_ip}
    local_port = {charon.port}
    remote_port = {charon.peer_port}
    encap = yes
    mobike = no
    proposals = {end.proposal.ike}
    dpd_delay = 10s
    keyingtries = 0
    local {{
      auth = psk
      id = {end.public_ip}
    }}
    remote {{
      auth = psk
      id = {end.peer_public_ip}
    }}
    children {{
      tunnel {{
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = {end.proposal.esp}
        start_action = {start}
        dpd_action = {end.dpd_action}
        close_action = {start}
      }}
    }}
  }}
}}
secrets {{
  ike-tunnel {{
    id-local = {end.public_ip}
    id-remote = {end.peer_public_ip}
    secret = "{psk}"
  }}
}}
"""


def start(charon: Charon, timeout: float = 20) -> None:
    """Start charon in its namespace with a private /run (its pid file is /run/charon.pid:
    one charon per mount namespace), and wait for its TUN device and vici socket."""
    d = charon.directory
    shutil.rmtree(d, ignore_errors=True)  # an earlier run's log names another TUN device
    (d / "run").mkdir(parents=True)
    charon.conf.write_text(strongswan_conf(charon))
    (d / "swanctl.conf").write_text(swanctl_conf(charon))
    (d / "swanctl.conf").chmod(0o600)
    log = (d / "charon.out").open("wb")
    charon.process = subprocess.Popen(
        [
            *("ip", "netns", "exec", charon.ns, "unshare", "-m", "sh", "-c"),
            f'mount --bind "{d}/run" /run && exec {CHARON}',
        ],
        env={"STRONGSWAN_CONF": str(charon.conf), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    logfile = d / "charon.log"
    while time.monotonic() < deadline:
        text = logfile.read_text(errors="replace") if logfile.exists() else ""
        # kernel-libipsec logs the device it created ("created TUN device: ipsec0").
        match = re.search(r"created TUN device: (\S+)", text)
        if match and (d / "charon.vici").exists():
            charon.tun = match.group(1)
            return
        if charon.process.poll() is not None:
            break
        time.sleep(0.1)
    raise LabError(f"charon for {charon.end.name} did not start; see {d}/charon.log")


def swanctl(charon: Charon, *args: str, check: bool = True) -> str:
    return run(
        "env",
        f"STRONGSWAN_CONF={charon.conf}",
        "swanctl",
        *args,
        "--uri",
        charon.vici,
        ns=charon.ns,
        check=check,
    )


def load(charon: Charon) -> None:
    swanctl(charon, "--load-all", "--file", str(charon.directory / "swanctl.conf"))


def established(charon: Charon) -> bool:
    """The IKE SA is ESTABLISHED and its CHILD_SA INSTALLED (swanctl --list-sas)."""
    out = swanctl(charon, "--list-sas", "--raw", check=False)
    return "state=ESTABLISHED" in out and "state=INSTALLED" in out


# charon log lines (ike = 2) -> the likely cause of a tunnel that is down, latest wins.
CAUSES = (
    ("MAC mismatched", "pre-shared key mismatch"),
    ("AUTHENTICATION_FAILED", "pre-shared key mismatch (peer refused our AUTH)"),
    ("NO_PROPOSAL_CHOSEN", "proposal mismatch"),
    ("no acceptable proposal", "proposal mismatch"),
    ("no IKE config found", "the peer has no tunnel for these addresses"),
    ("giving up after", "no answer from the peer"),
    ("retransmit", "no answer from the peer yet"),
)


def diagnosis(charon: Charon) -> str:
    """The likely cause of a down tunnel, from this end's charon log ("" if none seen)."""
    path = charon.directory / "charon.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    found = ""
    for line in text.splitlines():
        for marker, cause in CAUSES:
            if marker in line:
                found = cause
                break
    return found
