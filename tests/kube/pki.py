"""The certificates and keys of one test cluster, as kubeadm lays them out.

One CA per cluster signs the API server's serving certificate (SANs 127.0.0.1, localhost and
the in-cluster names), the API server's client certificate for the kubelet and etcd, the
controller manager's client certificate, and the node agent's serving certificate. The
service-account key pair signs and verifies ServiceAccount tokens.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=30)
IN_CLUSTER_NAMES = (
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "localhost",
)


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


class Authority:
    """A self-signed CA in ``directory`` (ca.crt, ca.key) that issues leaf pairs there."""

    def __init__(self, directory: Path, common_name: str) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.key = _key()
        now = datetime.datetime.now(datetime.UTC)
        self.name = _name(common_name)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        self.cert_path = directory / "ca.crt"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        _write_key(self.key, directory / "ca.key")

    def issue(
        self,
        stem: str,
        common_name: str,
        *,
        organization: str | None = None,
        server: bool = False,
        client: bool = False,
        ips: tuple[str, ...] = (),
        dns_names: tuple[str, ...] = (),
    ) -> Pair:
        key = _key()
        now = datetime.datetime.now(datetime.UTC)
        usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + (
            [ExtendedKeyUsageOID.CLIENT_AUTH] if client else []
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, organization))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
        alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        if alt_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        pair = Pair(self.directory / f"{stem}.crt", self.directory / f"{stem}.key")
        pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, pair.key)
        return pair


@dataclass(frozen=True)
class ClusterPki:
    ca: Path
    apiserver: Pair  # serving: API server and the logging proxy in front of it
    apiserver_kubelet_client: Pair  # the API server as a client of the kubelet (pods/log)
    controller_manager: Pair
    scheduler: Pair  # the node agent binding pods, as kube-scheduler does
    proxier: Pair  # the node agent as kube-proxy (ClusterRole system:node-proxier)
    node: Pair  # the node agent as the kubelet (Node authorizer: system:node:<name>)
    kubelet: Pair  # the node agent's kubelet API serving certificate
    sa_key: Path
    sa_pub: Path


def create(directory: Path, cluster: str, node: str, service_ip: str) -> ClusterPki:
    """Write a fresh PKI for ``cluster`` (its one Node is ``node``) into ``directory``."""
    ca = Authority(directory, f"crosscluster-link-test-ca-{cluster}")
    serving_ips = ("127.0.0.1", service_ip)
    sa = _key()
    sa_key, sa_pub = directory / "sa.key", directory / "sa.pub"
    _write_key(sa, sa_key)
    sa_pub.write_bytes(
        sa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return ClusterPki(
        ca=ca.cert_path,
        apiserver=ca.issue(
            "apiserver", "kube-apiserver", server=True, ips=serving_ips, dns_names=IN_CLUSTER_NAMES
        ),
        apiserver_kubelet_client=ca.issue(
            "apiserver-kubelet-client",
            "kube-apiserver-kubelet-client",
            organization="kubeadm:cluster-admins",
            client=True,
        ),
        controller_manager=ca.issue(
            "controller-manager", "system:kube-controller-manager", client=True
        ),
        scheduler=ca.issue("scheduler", "system:kube-scheduler", client=True),
        proxier=ca.issue("proxier", "system:kube-proxy", client=True),
        node=ca.issue("node", f"system:node:{node}", organization="system:nodes", client=True),
        kubelet=ca.issue("kubelet", node, server=True, ips=("127.0.0.1",)),
        sa_key=sa_key,
        sa_pub=sa_pub,
    )
