"""A realistic kube-system per flavour (kubeadm/EKS CoreDNS, k3s CoreDNS with the
``coredns-custom`` imports, GKE kube-dns), two Nodes and the ``kubernetes`` Service."""

from __future__ import annotations

import ipaddress

from .controllers import Cluster
from .model import Obj, type_of_kind, validate

# kubeadm's CoreDNS Corefile (kubernetes/cmd/kubeadm/app/phases/addons/dns/manifests.go).
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

# k3s's CoreDNS manifest (k3s-io/k3s manifests/coredns.yaml).
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

DNS_PORTS = [
    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
    {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
]


def _coredns_deployment(image: str, volumes: list[Obj], mounts: list[Obj]) -> Obj:
    return {
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
                            ],
                            "volumeMounts": mounts,
                            "readinessProbe": {
                                "httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}
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


def _put(cluster: Cluster, kind: str, obj: Obj) -> None:
    rt = type_of_kind(kind)
    cluster.default(rt, obj, None)
    validate(rt, {**obj, "apiVersion": rt.api_version, "kind": rt.kind})
    cluster.admit(rt, obj, None)
    cluster.store.put(rt, obj)


def seed(cluster: Cluster) -> None:
    net = cluster.service_net
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        _put(cluster, "Namespace", {"metadata": {"name": ns}})
    for i in (1, 2):
        pod_cidr = list(cluster.pod_net.subnets(new_prefix=max(cluster.pod_net.prefixlen, 24)))[
            i - 1
        ]
        _put(
            cluster,
            "Node",
            {
                "metadata": {
                    "name": f"{cluster.name}-node-{i}",
                    "labels": {
                        "kubernetes.io/hostname": f"{cluster.name}-node-{i}",
                        "kubernetes.io/os": "linux",
                    },
                },
                "spec": {"podCIDR": str(pod_cidr), "podCIDRs": [str(pod_cidr)]},
                "status": {
                    "addresses": [
                        {"type": "InternalIP", "address": f"192.168.0.{i + 1}"},
                        {"type": "Hostname", "address": f"{cluster.name}-node-{i}"},
                    ],
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                        }
                    ],
                    "nodeInfo": {
                        "kubeletVersion": "v1.31.4",
                        "architecture": "amd64",
                        "operatingSystem": "linux",
                        "containerRuntimeVersion": "containerd://1.7.24",
                        "kernelVersion": "6.1.0",
                        "osImage": "Debian GNU/Linux 12",
                        "kubeProxyVersion": "v1.31.4",
                        "machineID": "",
                        "systemUUID": "",
                        "bootID": "",
                    },
                },
            },
        )
    _put(
        cluster,
        "Service",
        {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "clusterIP": str(net.network_address + 1),
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            },
        },
    )
    dns_ip = str(ipaddress.ip_address(int(net.network_address) + 10))
    _put(
        cluster,
        "ServiceAccount",
        {
            "metadata": {
                "name": "coredns" if cluster.flavour != "gke" else "kube-dns",
                "namespace": "kube-system",
            }
        },
    )
    if cluster.flavour == "kubeadm":
        _put(
            cluster,
            "ConfigMap",
            {
                "metadata": {"name": "coredns", "namespace": "kube-system"},
                "data": {"Corefile": KUBEADM_COREFILE},
            },
        )
        _put(
            cluster,
            "Deployment",
            _coredns_deployment(
                "registry.k8s.io/coredns/coredns:v1.11.3",
                [
                    {
                        "name": "config-volume",
                        "configMap": {
                            "name": "coredns",
                            "items": [{"key": "Corefile", "path": "Corefile"}],
                        },
                    }
                ],
                [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
            ),
        )
    elif cluster.flavour == "k3s":
        hosts = "".join(f"192.168.0.{i + 1} {cluster.name}-node-{i}\n" for i in (1, 2))
        _put(
            cluster,
            "ConfigMap",
            {
                "metadata": {"name": "coredns", "namespace": "kube-system"},
                "data": {"Corefile": K3S_COREFILE, "NodeHosts": hosts},
            },
        )
        _put(
            cluster,
            "Deployment",
            _coredns_deployment(
                "rancher/mirrored-coredns-coredns:1.11.3",
                [
                    {
                        "name": "config-volume",
                        "configMap": {
                            "name": "coredns",
                            "items": [
                                {"key": "Corefile", "path": "Corefile"},
                                {"key": "NodeHosts", "path": "NodeHosts"},
                            ],
                        },
                    },
                    {
                        "name": "custom-config-volume",
                        "configMap": {"name": "coredns-custom", "optional": True},
                    },
                ],
                [
                    {"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True},
                    {
                        "name": "custom-config-volume",
                        "mountPath": "/etc/coredns/custom",
                        "readOnly": True,
                    },
                ],
            ),
        )
    elif cluster.flavour == "gke":
        _put(
            cluster,
            "ConfigMap",
            {
                "metadata": {
                    "name": "kube-dns",
                    "namespace": "kube-system",
                    "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists"},
                }
            },
        )
        _put(cluster, "Deployment", _kube_dns_deployment())
    else:
        raise ValueError(f"unknown flavour {cluster.flavour!r}: use kubeadm, k3s or gke")
    _put(
        cluster,
        "Service",
        {
            "metadata": {
                "name": "kube-dns",
                "namespace": "kube-system",
                "labels": {
                    "k8s-app": "kube-dns",
                    "kubernetes.io/name": "CoreDNS" if cluster.flavour != "gke" else "KubeDNS",
                },
            },
            "spec": {"clusterIP": dns_ip, "selector": {"k8s-app": "kube-dns"}, "ports": DNS_PORTS},
        },
    )
    for name, rules in {
        "cluster-admin": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
        "view": [
            {
                "apiGroups": ["", "apps", "batch", "discovery.k8s.io"],
                "resources": [
                    "configmaps",
                    "endpoints",
                    "pods",
                    "services",
                    "serviceaccounts",
                    "deployments",
                    "jobs",
                    "endpointslices",
                    "namespaces",
                ],
                "verbs": ["get", "list", "watch"],
            }
        ],
    }.items():
        _put(cluster, "ClusterRole", {"metadata": {"name": name}, "rules": rules})
    cluster.reconcile()


def default_images() -> dict[str, list[str]]:
    from .corefile import STANDARD_PLUGINS

    std = list(STANDARD_PLUGINS)
    return {
        "coredns/coredns": std,
        "registry.k8s.io/coredns/coredns": std,
        "rancher/mirrored-coredns-coredns": std,
        "ghcr.io/crosscluster-link/coredns-kubernetai": [*std, "kubernetai"],
    }
