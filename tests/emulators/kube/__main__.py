"""Run one emulated Kubernetes API server (one process per cluster).

    python -m tests.emulators.kube --port P --state-dir DIR --cluster NAME \
        --flavour kubeadm|k3s|gke [--service-cidr CIDR] [--pod-cidr CIDR] \
        [--faults FILE] [--images FILE] [--reload-seconds S]

Writes DIR/kube/NAME/{ca.crt,kubeconfig} before serving HTTPS on 127.0.0.1:P.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import secrets
import ssl
import tempfile
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .._common import Faults, Instrumented, RequestLog, load_fault_rules, serve
from .app import KubeApp, classify, render_fault
from .controllers import Cluster
from .seed import default_images, seed

DEFAULT_CIDRS = {
    "kubeadm": ("10.96.0.0/12", "10.244.0.0/16"),
    "k3s": ("10.43.0.0/16", "10.42.0.0/16"),
    "gke": ("10.52.0.0/20", "10.48.0.0/14"),
}


def make_pki(cluster: str) -> tuple[bytes, bytes, bytes]:
    """(CA cert PEM, server cert PEM, server key PEM); server SANs 127.0.0.1, localhost."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"kubernetes-ca-{cluster}")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes"),
                    x509.DNSName("kubernetes.default.svc"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        ca.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.PEM),
        key_pem,
    )


def kubeconfig(cluster: str, port: int, ca_pem: bytes, token: str) -> dict[str, object]:
    import base64

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster,
                "cluster": {
                    "server": f"https://127.0.0.1:{port}",
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": f"{cluster}-admin", "user": {"token": token}}],
        "contexts": [
            {
                "name": cluster,
                "context": {"cluster": cluster, "user": f"{cluster}-admin", "namespace": "default"},
            }
        ],
        "current-context": cluster,
        "preferences": {},
    }


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.emulators.kube", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--flavour", choices=sorted(DEFAULT_CIDRS), default="kubeadm")
    parser.add_argument("--service-cidr")
    parser.add_argument("--pod-cidr")
    parser.add_argument(
        "--faults", help="JSON file {'rules': [...]} (tests.emulators._common.FaultRule)"
    )
    parser.add_argument(
        "--images", help="JSON file {image: [plugins]} replacing the default image plugin sets"
    )
    parser.add_argument(
        "--reload-seconds", type=float, default=2.0, help="CoreDNS reload window (default 2s)"
    )
    args = parser.parse_args(argv)

    service_cidr = args.service_cidr or DEFAULT_CIDRS[args.flavour][0]
    pod_cidr = args.pod_cidr or DEFAULT_CIDRS[args.flavour][1]
    images = json.loads(Path(args.images).read_text()) if args.images else default_images()
    state = Path(args.state_dir)
    out = state / "kube" / args.cluster
    out.mkdir(parents=True, exist_ok=True)

    ca_pem, cert_pem, key_pem = make_pki(args.cluster)
    token = secrets.token_urlsafe(32)
    cluster = Cluster(
        args.cluster,
        args.flavour,
        service_cidr,
        pod_cidr,
        images,
        ca_pem.decode(),
        token,
        args.reload_seconds,
    )
    seed(cluster)

    _write(out / "server.crt", cert_pem, 0o644)
    _write(out / "server.key", key_pem)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(out / "server.crt", out / "server.key")
    _write(out / "ca.crt", ca_pem, 0o644)
    _write(
        out / "kubeconfig",
        yaml.safe_dump(kubeconfig(args.cluster, args.port, ca_pem, token)).encode(),
    )

    service = f"kube:{args.cluster}"
    faults = Faults()
    faults.replace(load_fault_rules(args.faults))
    app = Instrumented(
        KubeApp(cluster),
        service=service,
        log=RequestLog(state, service),
        faults=faults,
        classify=classify,
        render_fault=render_fault,
    )
    serve(app, args.port, ssl_context=ctx)


if __name__ == "__main__":
    main()
