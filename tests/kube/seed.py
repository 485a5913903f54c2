"""What each flavour's installer puts into kube-system before anyone links the cluster.

kubeadm: CoreDNS as kubernetes/cmd/kubeadm/app/phases/addons/dns/manifests.go installs it
(ServiceAccount, ``system:coredns`` ClusterRole and binding, ConfigMap ``coredns``,
Deployment ``coredns``, Service ``kube-dns``). k3s: the same objects from
k3s-io/k3s manifests/coredns.yaml, with the optional ``coredns-custom`` imports and
``NodeHosts``. GKE: the kube-dns Deployment and its ``kube-dns`` ConfigMap
(``addonmanager.kubernetes.io/mode: EnsureExists``).
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from .rest import Client

Obj = dict[str, Any]

COREDNS_IMAGE = {
    "kubeadm": "registry.k8s.io/coredns/coredns:v1.15.0",
    "k3s": "rancher/mirrored-coredns-coredns:1.15.0",
}

KUBEADM_COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""

K3S_COREFILE = """.:53 {
    errors
    health
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
    }
    hosts /etc/coredns/NodeHosts {
      ttl 60
      reload 15s
      fallthrough
    }
    prometheus :9153
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
    import /etc/coredns/custom/*.override
}
import /etc/coredns/custom/*.server
"""

# The installers' Corefiles say plain ``reload``: CoreDNS checks for a changed Corefile every
# 30 s +- 15 s (coredns.io/plugins/reload), so every native DNS change waits that long.
# XCL_KUBE_DNS_RELOAD (``make test`` sets ``2s``, the plugin's minimum) gives the seeded
# Corefiles that interval instead, so the test gates do not sit out the default window at
# every change; the product waits for the reload it reads from the pods' logs either way,
# and ``make demo`` keeps the installers' default.
RELOAD_ENV = "XCL_KUBE_DNS_RELOAD"


def native_corefile(text: str) -> str:
    """An installer's Corefile with the reload interval of XCL_KUBE_DNS_RELOAD, if set."""
    interval = os.environ.get(RELOAD_ENV, "").strip()
    return text.replace("\n    reload\n", f"\n    reload {interval}\n") if interval else text


DNS_PORTS = [
    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
    {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
]


def _coredns_deployment(image: str, volumes: list[Obj], mounts: list[Obj]) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "coredns",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1},
            },
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-dns"}},
                "spec": {
                    "serviceAccountName": "coredns",
                    "priorityClassName": "system-cluster-critical",
                    "dnsPolicy": "Default",
                    "containers": [
                        {
                            "name": "coredns",
                            "image": image,
                            "args": ["-conf", "/etc/coredns/Corefile"],
                            "ports": [
                                {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
                                {
                                    "containerPort": 8080,
                                    "name": "liveness-probe",
                                    "protocol": "TCP",
                                },
                                {
                                    "containerPort": 8181,
                                    "name": "readiness-probe",
                                    "protocol": "TCP",
                                },
                            ],
                            "volumeMounts": mounts,
                            "livenessProbe": {
                                "httpGet": {
                                    "path": "/health",
                                    "port": "liveness-probe",
                                    "scheme": "HTTP",
                                },
                                "initialDelaySeconds": 60,
                                "timeoutSeconds": 5,
                                "successThreshold": 1,
                                "failureThreshold": 5,
                            },
                            "readinessProbe": {
                                "httpGet": {
                                    "path": "/ready",
                                    "port": "readiness-probe",
                                    "scheme": "HTTP",
                                }
                            },
                        }
                    ],
                    "volumes": volumes,
                },
            },
        },
    }


def _kube_dns_deployment() -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "kube-dns",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns", "addonmanager.kubernetes.io/mode": "Reconcile"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "template": {
                "metadata": {"labels": {"k8s-app": "kube-dns"}},
                "spec": {
                    "serviceAccountName": "kube-dns",
                    "containers": [
                        {
                            "name": "kubedns",
                            "image": "gke.gcr.io/k8s-dns-kube-dns:1.23.0-gke.9",
                            "args": [
                                "--domain=cluster.local.",
                                "--dns-port=10053",
                                "--config-dir=/kube-dns-config",
                                "--v=2",
                            ],
                            "volumeMounts": [
                                {"name": "kube-dns-config", "mountPath": "/kube-dns-config"}
                            ],
                        },
                        {
                            "name": "dnsmasq",
                            "image": "gke.gcr.io/k8s-dns-dnsmasq-nanny:1.23.0-gke.9",
                        },
                        {"name": "sidecar", "image": "gke.gcr.io/k8s-dns-sidecar:1.23.0-gke.9"},
                    ],
                    "volumes": [
                        {
                            "name": "kube-dns-config",
                            "configMap": {"name": "kube-dns", "optional": True},
                        }
                    ],
                },
            },
        },
    }


def _objects(name: str, flavour: str, service_cidr: str) -> list[Obj]:
    net = ipaddress.ip_network(service_cidr)
    dns_ip = str(net.network_address + 10)
    account = "kube-dns" if flavour == "gke" else "coredns"
    objects: list[Obj] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": account, "namespace": "kube-system"},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"system:{account}"},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["endpoints", "services", "pods", "namespaces"],
                    "verbs": ["list", "watch"],
                },
                {
                    "apiGroups": ["discovery.k8s.io"],
                    "resources": ["endpointslices"],
                    "verbs": ["list", "watch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"system:{account}"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"system:{account}",
            },
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": "kube-system"}],
        },
    ]
    config = {
        "name": "config-volume",
        "configMap": {"name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]},
    }
    config_mount = {"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}
    if flavour == "kubeadm":
        objects += [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "coredns", "namespace": "kube-system"},
                "data": {"Corefile": native_corefile(KUBEADM_COREFILE)},
            },
            _coredns_deployment(COREDNS_IMAGE["kubeadm"], [config], [config_mount]),
        ]
    elif flavour == "k3s":
        hosts = f"127.0.0.1 {name}-node\n"
        config["configMap"]["items"].append({"key": "NodeHosts", "path": "NodeHosts"})
        objects += [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "coredns", "namespace": "kube-system"},
                "data": {"Corefile": native_corefile(K3S_COREFILE), "NodeHosts": hosts},
            },
            _coredns_deployment(
                COREDNS_IMAGE["k3s"],
                [
                    config,
                    {
                        "name": "custom-config-volume",
                        "configMap": {"name": "coredns-custom", "optional": True},
                    },
                ],
                [
                    config_mount,
                    {
                        "name": "custom-config-volume",
                        "mountPath": "/etc/coredns/custom",
                        "readOnly": True,
                    },
                ],
            ),
        ]
    elif flavour == "gke":
        objects += [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "kube-dns",
                    "namespace": "kube-system",
                    "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists"},
                },
            },
            _kube_dns_deployment(),
        ]
    else:
        raise ValueError(f"unknown flavour {flavour!r}: use kubeadm, k3s or gke")
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kube-dns",
                "namespace": "kube-system",
                "labels": {
                    "k8s-app": "kube-dns",
                    "kubernetes.io/name": "KubeDNS" if flavour == "gke" else "CoreDNS",
                },
            },
            "spec": {"clusterIP": dns_ip, "selector": {"k8s-app": "kube-dns"}, "ports": DNS_PORTS},
        }
    )
    return objects


def _collection(obj: Obj) -> str:
    group_version = obj["apiVersion"]
    base = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    plural = {
        "ServiceAccount": "serviceaccounts",
        "ClusterRole": "clusterroles",
        "ClusterRoleBinding": "clusterrolebindings",
        "ConfigMap": "configmaps",
        "Deployment": "deployments",
        "Service": "services",
    }[obj["kind"]]
    namespace = obj["metadata"].get("namespace")
    return f"{base}/namespaces/{namespace}/{plural}" if namespace else f"{base}/{plural}"


def seed(client: Client, name: str, flavour: str, service_cidr: str) -> None:
    for obj in _objects(name, flavour, service_cidr):
        client.apply(_collection(obj), obj)
