"""Cluster state and the controllers that matter here: namespaces, token, RBAC,
services/endpoints, deployments/pods and the DNS readiness model."""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import json
import random
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

from . import corefile
from .model import (
    ApiError,
    Obj,
    ResourceType,
    Store,
    invalid,
    now,
    selector_match,
    type_of_kind,
)

ADMIN_USER = "kubernetes-admin"
SA_TOKEN_TYPE = "kubernetes.io/service-account-token"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(text: str) -> str:
    try:
        return base64.b64decode(text).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


def repository(image: str) -> str:
    """Image reference without tag or digest."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


@dataclass
class DnsState:
    """What one DNS pod has loaded (CoreDNS reload plugin model)."""

    running: bool
    loaded: Any
    pending: Any
    changed_at: float
    error: str = ""
    rejected: Any = None
    log: list[str] = field(default_factory=list)
    restarts: int = 0


class Cluster:
    def __init__(
        self,
        name: str,
        flavour: str,
        service_cidr: str,
        pod_cidr: str,
        images: dict[str, list[str]],
        ca_pem: str,
        admin_token: str,
        reload_seconds: float = 2.0,
    ) -> None:
        self.name = name
        self.flavour = flavour
        self.service_net = ipaddress.ip_network(service_cidr)
        self.pod_net = ipaddress.ip_network(pod_cidr)
        self.images = {repository(k): set(v) for k, v in images.items()}
        self.images_exact = {k: set(v) for k, v in images.items()}
        self.ca_pem = ca_pem
        self.admin_token = admin_token
        self.reload_seconds = reload_seconds
        self.store = Store()
        self.issued_tokens: dict[str, tuple[str, str, str]] = {}
        self.dns: dict[str, DnsState] = {}
        self.rollout_started: dict[str, float] = {}
        self._pod_ips = self.pod_net.hosts()
        self._random = random.Random(name)

    # --- helpers -------------------------------------------------------------------

    def generate_name(self, prefix: str) -> str:
        return prefix + "".join(
            self._random.choice(string.ascii_lowercase + string.digits) for _unused in range(5)
        )

    def put(self, kind: str, obj: Obj) -> Obj:
        rt = type_of_kind(kind)
        meta = obj.setdefault("metadata", {})
        current = self.store.get(
            rt.plural, meta.get("namespace", "") if rt.namespaced else "", meta["name"]
        )
        self.default(rt, obj, current)
        return self.store.put(rt, obj)

    def delete(self, rt: ResourceType, ns: str, name: str) -> None:
        obj = self.store.delete(rt.plural, ns, name)
        if obj is None:
            return
        if rt.plural == "namespaces":
            for key in [k for k in self.store.objects if k[1] == name]:
                self.store.objects.pop(key)
        elif rt.plural == "deployments":
            for pod in self._owned_pods(obj):
                self.store.delete("pods", ns, pod["metadata"]["name"])
        elif rt.plural == "services":
            self.store.delete("endpoints", ns, name)
            for s in self.store.list("endpointslices", ns):
                if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == name:
                    self.store.delete("endpointslices", ns, s["metadata"]["name"])
        elif rt.plural == "pods":
            self.dns.pop(f"{ns}/{name}", None)

    # --- authentication / RBAC -----------------------------------------------------

    def identify(self, token: str) -> tuple[str, list[str]] | None:
        if secrets.compare_digest(token, self.admin_token):
            return ADMIN_USER, ["system:masters", "system:authenticated"]
        found = self.issued_tokens.get(token)
        if found is None:
            for s in self.store.list("secrets"):
                if (
                    s.get("type") == SA_TOKEN_TYPE
                    and unb64((s.get("data") or {}).get("token", "")) == token
                ):
                    ann = s["metadata"].get("annotations") or {}
                    found = (
                        s["metadata"]["namespace"],
                        ann.get("kubernetes.io/service-account.name", ""),
                        ann.get("kubernetes.io/service-account.uid", ""),
                    )
                    break
        if found is None:
            return None
        ns, sa_name, uid = found
        sa = self.store.get("serviceaccounts", ns, sa_name)
        if sa is None or sa["metadata"]["uid"] != uid:
            return None  # the token's ServiceAccount was deleted: the token is invalid
        return f"system:serviceaccount:{ns}:{sa_name}", [
            "system:serviceaccounts",
            f"system:serviceaccounts:{ns}",
            "system:authenticated",
        ]

    def allowed(
        self, user: str, groups: list[str], verb: str, group: str, resource: str, ns: str, name: str
    ) -> bool:
        """RBAC authorizer ("Using RBAC Authorization"): union of the rules of every
        ClusterRoleBinding, and of every RoleBinding in the request's namespace."""
        if "system:masters" in groups:
            return True

        def subject_ok(binding: Obj) -> bool:
            for s in binding.get("subjects") or []:
                kind = s.get("kind")
                if (
                    kind == "ServiceAccount"
                    and user
                    == f"system:serviceaccount:{s.get('namespace', binding['metadata'].get('namespace', ''))}:{s.get('name')}"  # noqa: E501
                ):
                    return True
                if kind == "User" and s.get("name") == user:
                    return True
                if kind == "Group" and s.get("name") in groups:
                    return True
            return False

        def rules_of(binding: Obj) -> list[Obj]:
            ref = binding.get("roleRef") or {}
            if ref.get("kind") == "ClusterRole":
                role = self.store.get("clusterroles", "", ref.get("name", ""))
            else:
                role = self.store.get(
                    "roles", binding["metadata"].get("namespace", ""), ref.get("name", "")
                )
            return (role or {}).get("rules") or []

        def rule_ok(rule: Obj) -> bool:
            verbs, groups_, resources = (
                rule.get("verbs") or [],
                rule.get("apiGroups") or [],
                rule.get("resources") or [],
            )
            names = rule.get("resourceNames") or []
            return (
                ("*" in verbs or verb in verbs)
                and ("*" in groups_ or group in groups_)
                and (
                    "*" in resources
                    or resource in resources
                    or (("/" in resource) and f"*/{resource.split('/', 1)[1]}" in resources)
                )
                and (not names or name in names)
            )

        bindings = [b for b in self.store.list("clusterrolebindings") if subject_ok(b)]
        if ns:
            bindings += [b for b in self.store.list("rolebindings", ns) if subject_ok(b)]
        return any(rule_ok(r) for b in bindings for r in rules_of(b))

    def _jwt(self, ns: str, sa: str, uid: str, secret: str = "") -> str:
        claims = {
            "iss": "kubernetes/serviceaccount",
            "sub": f"system:serviceaccount:{ns}:{sa}",
            "kubernetes.io/serviceaccount/namespace": ns,
            "kubernetes.io/serviceaccount/secret.name": secret,
            "kubernetes.io/serviceaccount/service-account.name": sa,
            "kubernetes.io/serviceaccount/service-account.uid": uid,
        }

        def enc(data: Any) -> str:
            raw = (
                data
                if isinstance(data, bytes)
                else json.dumps(data, separators=(",", ":")).encode()
            )
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        return ".".join(
            [enc({"alg": "RS256", "kid": self.name}), enc(claims), enc(secrets.token_bytes(64))]
        )

    def token_request(self, ns: str, name: str, body: Obj) -> Obj:
        sa = self.store.get("serviceaccounts", ns, name)
        if sa is None:
            raise ApiError(
                404,
                "NotFound",
                f'serviceaccounts "{name}" not found',
                {"name": name, "kind": "serviceaccounts"},
            )
        token = self._jwt(ns, name, sa["metadata"]["uid"])
        self.issued_tokens[token] = (ns, name, sa["metadata"]["uid"])
        seconds = ((body.get("spec") or {}).get("expirationSeconds")) or 3600
        expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
        return {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": None},
            "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": seconds},
            "status": {"token": token, "expirationTimestamp": expiry},
        }

    # --- defaulting and admission --------------------------------------------------

    def default(self, rt: ResourceType, obj: Obj, current: Obj | None) -> None:
        meta = obj.setdefault("metadata", {})
        spec = obj.get("spec")
        if rt.plural == "namespaces":
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name", "")
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        elif rt.plural == "secrets":
            obj.setdefault("type", "Opaque")
            if "stringData" in obj:
                data = obj.setdefault("data", {}) or {}
                for k, v in (obj.pop("stringData") or {}).items():
                    data[k] = b64(str(v))
                obj["data"] = data
            if current is not None and current.get("type") == SA_TOKEN_TYPE:
                for key in ("token", "ca.crt", "namespace"):
                    if key in (current.get("data") or {}) and key not in (obj.get("data") or {}):
                        obj.setdefault("data", {})[key] = current["data"][key]
        elif rt.plural == "services" and isinstance(spec, dict):
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
            if spec["type"] != "ExternalName":
                spec.setdefault("internalTrafficPolicy", "Cluster")
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
                old_ip = ((current or {}).get("spec") or {}).get("clusterIP")
                if not spec.get("clusterIP") and old_ip:
                    spec["clusterIP"] = old_ip
            obj.setdefault("status", {"loadBalancer": {}})
        elif rt.plural == "deployments" and isinstance(spec, dict):
            spec.setdefault("replicas", 1)
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
            spec.setdefault(
                "strategy",
                {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                },
            )
            self._default_pod_spec((spec.get("template") or {}).get("spec"))
        elif rt.plural == "jobs" and isinstance(spec, dict):
            spec.setdefault("backoffLimit", 6)
            spec.setdefault("completions", 1)
            spec.setdefault("parallelism", 1)
            tmpl = spec.get("template") or {}
            tmpl.setdefault("spec", {})
            self._default_pod_spec(tmpl.get("spec"))
        elif rt.plural == "pods" and isinstance(spec, dict):
            self._default_pod_spec(spec)
            obj.setdefault("status", {"phase": "Pending"})

    @staticmethod
    def _default_pod_spec(spec: Any) -> None:
        if not isinstance(spec, dict):
            return
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("securityContext", {})
        for c in spec.get("containers") or []:
            if isinstance(c, dict):
                c.setdefault(
                    "imagePullPolicy",
                    "Always" if str(c.get("image", "")).endswith(":latest") else "IfNotPresent",
                )
                c.setdefault("terminationMessagePath", "/dev/termination-log")
                c.setdefault("terminationMessagePolicy", "File")
                c.setdefault("resources", {})

    def admit(self, rt: ResourceType, obj: Obj, current: Obj | None) -> None:
        if rt.plural != "services":
            return
        spec = obj.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return
        name = obj["metadata"]["name"]
        old = ((current or {}).get("spec") or {}).get("clusterIP")
        ip = spec.get("clusterIP")
        if old and ip != old:
            raise invalid(
                rt,
                name,
                [
                    {
                        "reason": "FieldValueInvalid",
                        "field": "spec.clusterIPs[0]",
                        "message": f'Invalid value: []string{{"{ip}"}}: may not change once set',
                    }
                ],
            )
        if ip and ip != "None" and not old:
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                addr = None
            if addr is None or addr not in self.service_net:
                raise invalid(
                    rt,
                    name,
                    [
                        {
                            "reason": "FieldValueInvalid",
                            "field": "spec.clusterIPs",
                            "message": f'Invalid value: []string{{"{ip}"}}: failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {self.service_net}',  # noqa: E501
                        }
                    ],
                )
            if ip in self._used_cluster_ips():
                raise invalid(
                    rt,
                    name,
                    [
                        {
                            "reason": "FieldValueInvalid",
                            "field": "spec.clusterIPs",
                            "message": f'Invalid value: []string{{"{ip}"}}: failed to allocate IP {ip}: provided IP is already allocated',  # noqa: E501
                        }
                    ],
                )
        if not ip:
            ip = self._allocate_cluster_ip()
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]

    def _used_cluster_ips(self) -> set[str]:
        return {(s.get("spec") or {}).get("clusterIP") for s in self.store.list("services")} - {
            None,
            "None",
        }

    def _allocate_cluster_ip(self) -> str:
        used = self._used_cluster_ips()
        reserved = {str(self.service_net.network_address + 10)}  # kube-dns by convention
        for addr in self.service_net.hosts():
            text = str(addr)
            if (
                int(addr) - int(self.service_net.network_address) >= 11
                and text not in used
                and text not in reserved
            ):
                return text
        raise ApiError(500, "InternalError", "range is full")

    # --- controllers ---------------------------------------------------------------

    def reconcile(self) -> None:
        self._namespaces()
        self._token_secrets()
        self._deployments()
        self._jobs()
        self._pods()
        self._deployment_status()
        self._endpoints()

    def _namespaces(self) -> None:
        for ns in self.store.list("namespaces"):
            name = ns["metadata"]["name"]
            if self.store.get("serviceaccounts", name, "default") is None:
                self.put("ServiceAccount", {"metadata": {"name": "default", "namespace": name}})
            if self.store.get("configmaps", name, "kube-root-ca.crt") is None:
                self.put(
                    "ConfigMap",
                    {
                        "metadata": {"name": "kube-root-ca.crt", "namespace": name},
                        "data": {"ca.crt": self.ca_pem},
                    },
                )

    def _token_secrets(self) -> None:
        # Token controller ("Managing Service Accounts", manually create a long-lived API token).
        for s in self.store.list("secrets"):
            if s.get("type") != SA_TOKEN_TYPE:
                continue
            ann = s["metadata"].get("annotations") or {}
            ns = s["metadata"]["namespace"]
            sa = self.store.get(
                "serviceaccounts", ns, ann.get("kubernetes.io/service-account.name", "")
            )
            if sa is None or (s.get("data") or {}).get("token"):
                continue
            new = copy.deepcopy(s)
            new["metadata"].setdefault("annotations", {})["kubernetes.io/service-account.uid"] = sa[
                "metadata"
            ]["uid"]
            token = self._jwt(
                ns, sa["metadata"]["name"], sa["metadata"]["uid"], s["metadata"]["name"]
            )
            new["data"] = {
                **(s.get("data") or {}),
                "token": b64(token),
                "ca.crt": b64(self.ca_pem),
                "namespace": b64(ns),
            }
            self.store.put(type_of_kind("Secret"), new)

    @staticmethod
    def template_hash(template: Obj) -> str:
        return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]

    def _owned_pods(self, deploy: Obj) -> list[Obj]:
        uid = deploy["metadata"]["uid"]
        return [
            p
            for p in self.store.list("pods", deploy["metadata"]["namespace"])
            if any(o.get("uid") == uid for o in p["metadata"].get("ownerReferences") or [])
        ]

    def _deployments(self) -> None:
        """Rolling update, simplified: pods of the new template are created at once; the
        old pods are removed only when every new pod is Ready (so a broken rollout keeps
        the old pods serving, like maxUnavailable does)."""
        nodes = [n["metadata"]["name"] for n in self.store.list("nodes")] or [f"{self.name}-node-1"]
        for d in self.store.list("deployments"):
            ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
            spec = d["spec"]
            template = spec.get("template") or {}
            h = self.template_hash(template)
            pods = self._owned_pods(d)
            new = [
                p for p in pods if (p["metadata"].get("labels") or {}).get("pod-template-hash") == h
            ]
            old = [p for p in pods if p not in new]
            if old and not new and f"{ns}/{name}/{h}" not in self.rollout_started:
                self.rollout_started[f"{ns}/{name}/{h}"] = time.time()
            self.rollout_started.setdefault(f"{ns}/{name}/{h}", time.time())
            want = int(spec.get("replicas", 1))
            for p in new[want:]:
                self.delete(type_of_kind("Pod"), ns, p["metadata"]["name"])
            for i in range(len(new), want):
                pod_name = f"{name}-{h}-{self.generate_name('')}"
                labels = {
                    **((template.get("metadata") or {}).get("labels") or {}),
                    "pod-template-hash": h,
                }
                pod = {
                    "metadata": {
                        "name": pod_name,
                        "namespace": ns,
                        "labels": labels,
                        "annotations": (template.get("metadata") or {}).get("annotations") or {},
                        "ownerReferences": [
                            {
                                "apiVersion": "apps/v1",
                                "kind": "Deployment",
                                "name": name,
                                "uid": d["metadata"]["uid"],
                                "controller": True,
                                "blockOwnerDeletion": True,
                            }
                        ],
                    },
                    "spec": {
                        **copy.deepcopy(template.get("spec") or {}),
                        "nodeName": nodes[i % len(nodes)],
                    },
                }
                self.put("Pod", pod)
            new = [
                p
                for p in self._owned_pods(d)
                if (p["metadata"].get("labels") or {}).get("pod-template-hash") == h
            ]
            if old and len(new) >= want and all(self._pod_ready(p) for p in new):
                for p in old:
                    self.delete(type_of_kind("Pod"), ns, p["metadata"]["name"])

    def _jobs(self) -> None:
        # Jobs complete at once (no container is run).
        for j in self.store.list("jobs"):
            if (j.get("status") or {}).get("succeeded"):
                continue
            new = copy.deepcopy(j)
            ts = now()
            new["status"] = {
                "startTime": ts,
                "completionTime": ts,
                "succeeded": 1,
                "ready": 0,
                "terminating": 0,
                "conditions": [
                    {
                        "type": "SuccessCriteriaMet",
                        "status": "True",
                        "lastProbeTime": ts,
                        "lastTransitionTime": ts,
                    },
                    {
                        "type": "Complete",
                        "status": "True",
                        "lastProbeTime": ts,
                        "lastTransitionTime": ts,
                    },
                ],
            }
            self.store.put(type_of_kind("Job"), new)

    @staticmethod
    def _pod_ready(pod: Obj) -> bool:
        return any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (pod.get("status") or {}).get("conditions") or []
        )

    # --- pods and the DNS readiness model -------------------------------------------

    def _mounted_files(self, pod: Obj, container: Obj) -> tuple[dict[str, str], str]:
        """Files the container sees from ConfigMap volumes, and a mount error if any."""
        ns = pod["metadata"]["namespace"]
        volumes = {v.get("name"): v for v in (pod["spec"].get("volumes") or [])}
        files: dict[str, str] = {}
        for mount in container.get("volumeMounts") or []:
            vol = volumes.get(mount.get("name")) or {}
            src = vol.get("configMap")
            if not src:
                continue
            cm = self.store.get("configmaps", ns, src.get("name", ""))
            if cm is None:
                if src.get("optional"):
                    continue
                return (
                    {},
                    f'MountVolume.SetUp failed for volume "{mount.get("name")}" : configmap "{src.get("name")}" not found',  # noqa: E501
                )
            data = cm.get("data") or {}
            items = src.get("items")
            mapping = (
                {i["key"]: i.get("path", i["key"]) for i in items}
                if items
                else {k: k for k in data}
            )
            base = mount.get("mountPath", "").rstrip("/")
            sub = mount.get("subPath")
            for key, rel in mapping.items():
                if key not in data:
                    continue
                if sub:
                    if rel == sub:
                        files[base] = data[key]
                else:
                    files[f"{base}/{rel}"] = data[key]
        return files, ""

    def _dns_config(self, pod: Obj, container: Obj) -> tuple[Any, str] | None:
        """(config identity, error or '') for a DNS container, None for other containers."""
        image = container.get("image", "")
        plugins = self.images_exact.get(image) or self.images.get(repository(image))
        args = [*(container.get("command") or []), *(container.get("args") or [])]
        if plugins is not None:
            conf = "/etc/coredns/Corefile"
            for i, arg in enumerate(args):
                if arg in ("-conf", "--conf") and i + 1 < len(args):
                    conf = args[i + 1]
                elif arg.startswith(("-conf=", "--conf=")):
                    conf = arg.split("=", 1)[1]
            files, err = self._mounted_files(pod, container)
            if err:
                return ("mount", err), err
            snapshot = tuple(sorted(files.items()))
            try:
                corefile.check(conf, plugins, files.get, corefile.glob_in(files))
            except corefile.CorefileError as exc:
                return snapshot, str(exc)
            return snapshot, ""
        if "k8s-dns-kube-dns" in repository(image):
            return self._kube_dns_config(pod["metadata"]["namespace"])
        return None

    def _kube_dns_config(self, ns: str) -> tuple[Any, str]:
        # kube-dns ConfigMap (GKE "Setting up a custom DNS resolver"; kubernetes/dns
        # pkg/dns/config): stubDomains = {"domain": ["ip[:port]", ...]}, upstreamNameservers =
        # ["ip[:port]", ...] (at most 3). Malformed JSON fails the config sync.
        cm = self.store.get("configmaps", ns, "kube-dns")
        data = (cm or {}).get("data") or {}
        snapshot = tuple(sorted(data.items()))

        def ip_ok(text: Any) -> bool:
            if not isinstance(text, str):
                return False
            host = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
            try:
                ipaddress.ip_address(host)
            except ValueError:
                return False
            return True

        for key in ("stubDomains", "upstreamNameservers"):
            if key not in data:
                continue
            try:
                value = json.loads(data[key])
            except ValueError as exc:
                return snapshot, f"Invalid JSON in config map kube-dns key {key}: {exc}"
            if key == "stubDomains":
                if not isinstance(value, dict) or not all(
                    isinstance(v, list) and v and all(ip_ok(i) for i in v) for v in value.values()
                ):
                    return (
                        snapshot,
                        f"Invalid configuration: stubDomains {data[key]!r}: each domain needs a list of nameserver IPs",  # noqa: E501
                    )
            elif not isinstance(value, list) or len(value) > 3 or not all(ip_ok(i) for i in value):
                return (
                    snapshot,
                    f"Invalid configuration: upstreamNameservers {data[key]!r}: at most 3 nameserver IPs",  # noqa: E501
                )
        return snapshot, ""

    def _pods(self) -> None:
        t = time.time()
        for pod in self.store.list("pods"):
            ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
            status = copy.deepcopy(pod.get("status") or {})
            spec = pod["spec"]
            if not spec.get("nodeName"):
                nodes = self.store.list("nodes")
                spec = {
                    **spec,
                    "nodeName": nodes[0]["metadata"]["name"] if nodes else f"{self.name}-node-1",
                }
            if not status.get("podIP"):
                ip = str(next(self._pod_ips))
                status.update(
                    podIP=ip,
                    podIPs=[{"ip": ip}],
                    hostIP="192.168.0.2",
                    startTime=now(),
                    qosClass="BestEffort",
                )
            statuses = []
            all_ready = True
            for c in spec.get("containers") or []:
                ready, cstate = True, {"running": {"startedAt": status.get("startTime")}}
                last: Obj = {}
                restarts = 0
                dns = self._dns_config(pod, c)
                if dns is not None:
                    st = self._dns_step(f"{ns}/{name}", dns, t)
                    restarts = st.restarts
                    if not st.running:
                        ready = False
                        if dns[0] == ("mount", dns[1]):
                            cstate = {"waiting": {"reason": "ContainerCreating"}}
                        else:
                            cstate = {
                                "waiting": {
                                    "reason": "CrashLoopBackOff",
                                    "message": f"back-off 10s restarting failed container={c.get('name')} pod={name}_{ns}({pod['metadata']['uid']})",  # noqa: E501
                                }
                            }
                            last = {
                                "terminated": {
                                    "exitCode": 1,
                                    "reason": "Error",
                                    "message": st.error,
                                    "startedAt": status.get("startTime"),
                                    "finishedAt": status.get("startTime"),
                                }
                            }
                all_ready = all_ready and ready
                statuses.append(
                    {
                        "name": c.get("name"),
                        "image": c.get("image"),
                        "imageID": "",
                        "ready": ready,
                        "started": ready,
                        "restartCount": restarts,
                        "state": cstate,
                        "lastState": last,
                    }
                )
            cond = "True" if all_ready else "False"
            old_conds = {c["type"]: c for c in status.get("conditions") or []}

            def condition(kind: str, value: str, old_conds: dict[str, Obj] = old_conds) -> Obj:
                prev = old_conds.get(kind)
                when = prev["lastTransitionTime"] if prev and prev.get("status") == value else now()
                out: Obj = {
                    "type": kind,
                    "status": value,
                    "lastProbeTime": None,
                    "lastTransitionTime": when,
                }
                if value == "False":
                    out["reason"] = "ContainersNotReady"
                return out

            status.update(
                phase="Running",
                conditions=[
                    condition("PodScheduled", "True"),
                    condition("Initialized", "True"),
                    condition("ContainersReady", cond),
                    condition("Ready", cond),
                ],
                containerStatuses=statuses,
            )
            if status != pod.get("status") or spec is not pod["spec"]:
                new = copy.deepcopy(pod)
                new["status"], new["spec"] = status, spec
                self.store.put(type_of_kind("Pod"), new)

    def _dns_step(self, key: str, dns: tuple[Any, str], t: float) -> DnsState:
        """Advance one DNS pod's state. A running CoreDNS re-reads a changed Corefile after
        the reload window and, if the new one fails, keeps running the old one and logs
        the error (coredns.io/plugins/reload); a crashed one restarts with back-off and
        reads the current file."""
        config, error = dns
        st = self.dns.get(key)
        if st is None:
            st = DnsState(
                running=not error, loaded=config, pending=config, changed_at=t, error=error
            )
            st.log.append(f"[ERROR] {error}" if error else "CoreDNS-1.11.3\nlinux/amd64, go1.21.11")
            self.dns[key] = st
            return st
        if config != st.pending:
            st.pending, st.changed_at = config, t
        if st.pending not in (st.loaded, st.rejected) and t - st.changed_at >= self.reload_seconds:
            if st.running:
                if error:
                    st.log.append(f"[ERROR] Restart failed: {error}")
                    st.rejected = st.pending
                else:
                    st.log.append("[INFO] Reloading complete")
                    st.loaded = st.pending
            else:
                st.restarts += 1
                st.loaded, st.error, st.running = st.pending, error, not error
                st.log.append(
                    f"[ERROR] {error}" if error else "CoreDNS-1.11.3\nlinux/amd64, go1.21.11"
                )
        return st

    def pod_log(self, pod: Obj) -> Any:
        from werkzeug.wrappers import Response

        st = self.dns.get(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}")
        return Response("\n".join(st.log if st else []) + "\n", content_type="text/plain")

    # --- deployment status ----------------------------------------------------------

    def _deployment_status(self) -> None:
        t = time.time()
        for d in self.store.list("deployments"):
            spec = d["spec"]
            want = int(spec.get("replicas", 1))
            h = self.template_hash(spec.get("template") or {})
            pods = self._owned_pods(d)
            new = [
                p for p in pods if (p["metadata"].get("labels") or {}).get("pod-template-hash") == h
            ]
            ready = [p for p in pods if self._pod_ready(p)]
            new_ready = [p for p in new if self._pod_ready(p)]
            max_unavailable = (
                (spec.get("strategy") or {}).get("rollingUpdate", {}).get("maxUnavailable", "25%")
            )
            if isinstance(max_unavailable, str) and max_unavailable.endswith("%"):
                max_unavailable = want * int(max_unavailable[:-1]) // 100
            old = d.get("status") or {}
            old_conds = {c["type"]: c for c in old.get("conditions") or []}
            rs = f"{d['metadata']['name']}-{h}"

            def condition(
                kind: str,
                value: str,
                reason: str,
                message: str,
                old_conds: dict[str, Obj] = old_conds,
            ) -> Obj:
                prev = old_conds.get(kind)
                same = prev and prev.get("status") == value and prev.get("reason") == reason
                ts = now()
                return {
                    "type": kind,
                    "status": value,
                    "reason": reason,
                    "message": message,
                    "lastUpdateTime": prev["lastUpdateTime"] if same else ts,
                    "lastTransitionTime": prev["lastTransitionTime"]
                    if prev and prev.get("status") == value
                    else ts,
                }

            available_ok = len(ready) >= want - int(max_unavailable)
            complete = len(new_ready) == want and len(pods) == want
            started = self.rollout_started.get(
                f"{d['metadata']['namespace']}/{d['metadata']['name']}/{h}", t
            )
            if complete:
                progressing = condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{rs}" has successfully progressed.',
                )
            elif t - started > int(spec.get("progressDeadlineSeconds", 600)):
                progressing = condition(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs}" has timed out progressing.',
                )
            else:
                progressing = condition(
                    "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs}" is progressing.'
                )
            available = condition(
                "Available",
                "True" if available_ok else "False",
                "MinimumReplicasAvailable" if available_ok else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if available_ok
                else "Deployment does not have minimum availability.",
            )
            status: Obj = {
                "observedGeneration": d["metadata"].get("generation", 1),
                "replicas": len(pods),
                "updatedReplicas": len(new),
                "readyReplicas": len(ready),
                "availableReplicas": len(ready),
                "conditions": [available, progressing],
            }
            if want - len(ready) > 0:
                status["unavailableReplicas"] = want - len(ready)
            for key in ("readyReplicas", "availableReplicas"):
                if not status[key]:
                    del status[key]
            if status != old:
                new_obj = copy.deepcopy(d)
                new_obj["status"] = status
                self.store.put(type_of_kind("Deployment"), new_obj)

    # --- endpoints ------------------------------------------------------------------

    def _endpoints(self) -> None:
        for svc in self.store.list("services"):
            spec = svc.get("spec") or {}
            selector = spec.get("selector")
            if not selector:
                continue
            ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
            pods = [
                p
                for p in self.store.list("pods", ns)
                if selector_match(selector, p["metadata"].get("labels"))
                and (p.get("status") or {}).get("podIP")
            ]
            ports = [self._endpoint_port(p, pods) for p in spec.get("ports") or []]
            ready = [p for p in pods if self._pod_ready(p)]
            not_ready = [p for p in pods if not self._pod_ready(p)]

            def address(p: Obj, ns: str = ns) -> Obj:
                return {
                    "ip": p["status"]["podIP"],
                    "nodeName": p["spec"].get("nodeName"),
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": ns,
                        "name": p["metadata"]["name"],
                        "uid": p["metadata"]["uid"],
                    },
                }

            subset: Obj = {}
            if ready:
                subset["addresses"] = [address(p) for p in ready]
            if not_ready:
                subset["notReadyAddresses"] = [address(p) for p in not_ready]
            if subset and ports:
                subset["ports"] = ports
            labels = dict(svc["metadata"].get("labels") or {})
            if spec.get("clusterIP") == "None":
                labels["service.kubernetes.io/headless"] = ""
            endpoints: Obj = {"metadata": {"name": name, "namespace": ns, "labels": labels}}
            if subset:
                endpoints["subsets"] = [subset]
            current = self.store.get("endpoints", ns, name)
            if (
                current is None
                or current.get("subsets") != endpoints.get("subsets")
                or current["metadata"].get("labels") != labels
            ):
                if current is not None:
                    endpoints["metadata"] = {**current["metadata"], "labels": labels}
                self.store.put(type_of_kind("Endpoints"), endpoints)
            slice_name = f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:5]}"
            slice_obj: Obj = {
                "metadata": {
                    "name": slice_name,
                    "namespace": ns,
                    "labels": {
                        **labels,
                        "kubernetes.io/service-name": name,
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                    },
                    "ownerReferences": [
                        {
                            "apiVersion": "v1",
                            "kind": "Service",
                            "name": name,
                            "uid": svc["metadata"]["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "addressType": "IPv4",
                "endpoints": [
                    {
                        "addresses": [p["status"]["podIP"]],
                        "conditions": {
                            "ready": self._pod_ready(p),
                            "serving": self._pod_ready(p),
                            "terminating": False,
                        },
                        "nodeName": p["spec"].get("nodeName"),
                        "targetRef": {
                            "kind": "Pod",
                            "namespace": ns,
                            "name": p["metadata"]["name"],
                            "uid": p["metadata"]["uid"],
                        },
                    }
                    for p in pods
                ],
                "ports": ports,
            }
            current_slice = self.store.get("endpointslices", ns, slice_name)
            if current_slice is None or any(
                current_slice.get(k) != slice_obj[k] for k in ("endpoints", "ports")
            ):
                if current_slice is not None:
                    slice_obj["metadata"] = current_slice["metadata"]
                self.store.put(type_of_kind("EndpointSlice"), slice_obj)

    @staticmethod
    def _endpoint_port(port: Obj, pods: list[Obj]) -> Obj:
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str):
            for p in pods:
                for c in p["spec"].get("containers") or []:
                    for cp in c.get("ports") or []:
                        if cp.get("name") == target:
                            target = cp.get("containerPort")
        out: Obj = {
            "port": target if isinstance(target, int) else port.get("port"),
            "protocol": port.get("protocol", "TCP"),
        }
        if port.get("name"):
            out["name"] = port["name"]
        return out
