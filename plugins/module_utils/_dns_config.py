# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""Safe edits of a cluster's native DNS (CoreDNS Corefile, coredns-custom, kube-dns).

Every change keeps the content it replaces in a backup ConfigMap, is applied, then held
through the rollout and the CoreDNS reload window; if the DNS pods do not stay ready the
previous content is put back and the error carries the pods' own status message.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _zones
from ansible_collections.crosscluster.link.plugins.module_utils._corefile import (
    CorefileError,
    corefile_zone,
    managed_zones,
    zones_in,
)
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import (
    CONNECTION_ARGSPEC,
    COREDNS_FLAVOURS,
    CUSTOM_FLAVOURS,
    EKS_WARNING,
    K8sError,
    Kube,
    configmap_path,
    deployment_path,
    detect_flavour,
)
from ansible_collections.crosscluster.link.plugins.module_utils._k8s_rollout import (
    CRASH_REASONS,
    Health,
    health,
    pods_of,
)
from ansible_collections.crosscluster.link.plugins.module_utils._wait import poll

# The options both k8s_dns_config modules take: which cluster, and where its DNS is.
DNS_ARGSPEC: dict[str, dict[str, Any]] = {
    **CONNECTION_ARGSPEC,
    "namespace": {"type": "str", "default": "kube-system"},
    "flavour": {
        "type": "str",
        "default": "auto",
        "choices": ["auto", "kubeadm", "eks", "rke2", "k3s", "aks", "gke"],
    },
    "backup_name": {"type": "str", "default": "crosscluster-link-dns-backup"},
}
MANAGED_BY = {"app.kubernetes.io/managed-by": "crosscluster.link"}
CUSTOM_MARKER = "# managed by crosscluster.link: do not edit, removed on unlink\n"


@dataclass(frozen=True)
class Target:
    """Where a flavour keeps its DNS configuration."""

    configmap: str
    deployment: str


def target_of(flavour: str) -> Target:
    if flavour in COREDNS_FLAVOURS:
        return Target("coredns", "coredns")
    if flavour in CUSTOM_FLAVOURS:
        return Target("coredns-custom", "coredns")
    return Target("kube-dns", "kube-dns")


@dataclass
class Zone:
    zone: str
    forward: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The server block body: the given lines, or a forward to the resolver."""
        if self.body:
            return list(self.body)
        return ["errors", "cache 30", "forward . " + " ".join(self.forward)]


@dataclass
class Params:
    namespace: str = "kube-system"
    flavour: str = "auto"
    zones: list[Zone] = field(default_factory=list)
    image: str | None = None
    secret_mounts: list[dict[str, str]] = field(default_factory=list)
    state: str = "present"
    rollout_timeout: int = 300
    reload_window: int = 90
    backup_name: str = "crosscluster-link-dns-backup"


def norm_zone(zone: str) -> str:
    """A zone as a Corefile key names it: the root ``.`` kept."""
    return _zones.normalize(zone, keep_root=True)


def check_params(params: Params) -> None:
    """Reject bad input before any API call, naming the option and the fix."""
    seen: set[str] = set()
    for z in params.zones:
        zone = norm_zone(z.zone)
        wrong = _zones.problem(zone)
        if wrong:
            raise ValueError(f"zones: {z.zone!r} {wrong}")
        if zone in seen:
            raise ValueError(f"zones: {z.zone!r} is listed twice")
        seen.add(zone)
        if bool(z.forward) == bool(z.body):
            raise ValueError(f"zones: {z.zone!r} needs exactly one of forward (IPs) or body")
    if params.flavour == "gke" and any(z.body for z in params.zones):
        raise ValueError("zones: kube-dns (flavour gke) can only forward: give forward, not body")
    if params.flavour == "gke" and params.image:
        raise ValueError("image: kube-dns (flavour gke) cannot load kubernetai; use forward mode")
    if params.secret_mounts and not params.image:
        raise ValueError("secret_mounts: only used with image (patch mode); set image too")


# --- reading ----------------------------------------------------------------------------


@dataclass
class Backup:
    exists: bool = False
    configmap_existed: bool = True
    original: dict[str, str] | None = None
    pod: dict[str, Any] | None = None
    zones: list[str] = field(default_factory=list)
    applied: str = ""
    raw: dict[str, str] | None = None


def read_backup(kube: Kube, params: Params) -> Backup:
    cm = kube.get(configmap_path(params.namespace, params.backup_name))
    if cm is None:
        return Backup()
    data = cm.get("data") or {}
    original = json.loads(data.get("original.json", "null"))
    return Backup(
        exists=True,
        configmap_existed=original is not None,
        original=original,
        pod=json.loads(data.get("pod.json", "null")),
        zones=json.loads(data.get("zones.json", "[]")),
        applied=data.get("applied", ""),
        raw=data,
    )


def data_hash(data: dict[str, str] | None) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def container_of(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next((c for c in containers if c.get("name") == "coredns"), containers[0])


def pod_fields(deployment: dict[str, Any]) -> dict[str, Any]:
    container = container_of(deployment)
    return {
        "image": container.get("image"),
        "volumeMounts": container.get("volumeMounts"),
        "volumes": deployment["spec"]["template"]["spec"].get("volumes"),
    }


def with_pod_fields(deployment: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(deployment)
    spec = out["spec"]["template"]["spec"]
    container = container_of(out)
    container["image"] = fields["image"]
    for obj, key in ((container, "volumeMounts"), (spec, "volumes")):
        if fields[key] is None:
            obj.pop(key, None)
        else:
            obj[key] = fields[key]
    return out


def patched_fields(
    original: dict[str, Any], image: str, mounts: list[dict[str, str]]
) -> dict[str, Any]:
    """The original pod fields with the kubernetai image and the kubeconfig Secrets."""
    ours = {m["name"] for m in mounts}
    volumes = [v for v in original["volumes"] or [] if v.get("name") not in ours]
    volume_mounts = [v for v in original["volumeMounts"] or [] if v.get("name") not in ours]
    for m in mounts:
        volumes.append({"name": m["name"], "secret": {"secretName": m["secret"]}})
        volume_mounts.append({"name": m["name"], "mountPath": m["mount_path"], "readOnly": True})
    return {"image": image, "volumes": volumes, "volumeMounts": volume_mounts}


# --- planning ---------------------------------------------------------------------------


def server_block(zone: Zone) -> str:
    body = "".join(f"    {line}\n" for line in zone.lines())
    return f"{CUSTOM_MARKER}{norm_zone(zone.zone)}:53 {{\n{body}}}\n"


def _coredns_data(current: dict[str, str], zones: list[Zone], namespace: str) -> dict[str, str]:
    text = current.get("Corefile", "")
    wanted = {norm_zone(z.zone) for z in zones}
    try:
        for zone in managed_zones(text):
            if norm_zone(zone) not in wanted:
                text = corefile_zone(text, zone=zone, state="absent")
        for z in zones:
            text = corefile_zone(text, zone=norm_zone(z.zone), body=z.lines(), state="present")
    except CorefileError as exc:
        raise K8sError(f"ConfigMap {namespace}/coredns, key Corefile: {exc}") from exc
    return {**current, "Corefile": text}


def _custom_data(
    kube: Kube, current: dict[str, str], zones: list[Zone], managed: list[str], namespace: str
) -> dict[str, str]:
    """k3s/AKS: one ``<zone>.server`` key per zone in coredns-custom; the Corefile untouched."""
    ours = {f"{z}.server" for z in managed}
    data = {k: v for k, v in current.items() if k not in ours or not v.startswith(CUSTOM_MARKER)}
    main = ((kube.get(configmap_path(namespace, "coredns")) or {}).get("data") or {}).get(
        "Corefile", ""
    )
    taken: dict[str, str] = {}
    for source, text in [("ConfigMap coredns, key Corefile", main)] + [
        (f"ConfigMap coredns-custom, key {k}", v) for k, v in data.items() if k.endswith(".server")
    ]:
        try:
            for zone in zones_in(text):
                taken[norm_zone(zone)] = source
        except CorefileError as exc:
            raise K8sError(f"{namespace}/{source}: {exc}") from exc
    for z in zones:
        zone = norm_zone(z.zone)
        if zone in taken:
            raise K8sError(
                f"zone {zone} is already served by {namespace}/{taken[zone]}, which "
                "crosscluster.link does not manage: remove that block or choose another zone"
            )
        data[f"{zone}.server"] = server_block(z)
    return data


def _stub_data(
    current: dict[str, str], zones: list[Zone], managed: list[str], namespace: str
) -> dict[str, str]:
    """GKE kube-dns: merge into stubDomains, keeping every other entry and key."""
    raw = current.get("stubDomains")
    try:
        stubs = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise K8sError(f"ConfigMap {namespace}/kube-dns: stubDomains is not JSON: {exc}") from exc
    if not isinstance(stubs, dict):
        raise K8sError(f"ConfigMap {namespace}/kube-dns: stubDomains is not a JSON object")
    new = {k: v for k, v in stubs.items() if norm_zone(k) not in managed}
    for z in zones:
        zone = norm_zone(z.zone)
        if any(norm_zone(k) == zone for k in new):
            raise K8sError(
                f"zone {zone} is already in {namespace}/kube-dns stubDomains and "
                "crosscluster.link does not manage it: remove it or choose another zone"
            )
        new[zone] = list(z.forward)
    data = dict(current)
    if new == stubs:
        return data
    if new:
        data["stubDomains"] = json.dumps(new, indent=2, sort_keys=True)
    else:
        data.pop("stubDomains", None)
    return data


def desired_data(
    kube: Kube,
    flavour: str,
    current: dict[str, str] | None,
    zones: list[Zone],
    backup: Backup,
    namespace: str,
) -> dict[str, str] | None:
    """The ConfigMap data with exactly ``zones`` managed (None: the ConfigMap should not exist)."""
    if not zones and backup.exists and data_hash(current) == backup.applied:
        # Nothing changed since we wrote it: give back the original byte for byte.
        return backup.original
    base = dict(current or {})
    if flavour in COREDNS_FLAVOURS:
        data = _coredns_data(base, zones, namespace)
    elif flavour in CUSTOM_FLAVOURS:
        data = _custom_data(kube, base, zones, backup.zones, namespace)
    else:
        data = _stub_data(base, zones, backup.zones, namespace)
    if not zones and backup.exists and data == (backup.original or {}):
        return backup.original
    if current is None and not zones:
        return None
    return data


@dataclass
class Plan:
    flavour: str
    target: Target
    warnings: list[str]
    configmap: dict[str, Any] | None
    current: dict[str, str] | None
    desired: dict[str, str] | None
    deployment: dict[str, Any] | None
    current_pod: dict[str, Any] | None
    desired_pod: dict[str, Any] | None
    backup: Backup
    desired_backup: dict[str, str] | None

    @property
    def data_changed(self) -> bool:
        return self.current != self.desired

    @property
    def pod_changed(self) -> bool:
        return self.current_pod != self.desired_pod

    @property
    def backup_changed(self) -> bool:
        return (self.backup.raw if self.backup.exists else None) != self.desired_backup

    @property
    def changed(self) -> bool:
        return self.data_changed or self.pod_changed or self.backup_changed


def resolve_flavour(kube: Kube, params: Params) -> tuple[str, list[str]]:
    if params.flavour != "auto":
        return params.flavour, [EKS_WARNING] if params.flavour == "eks" else []
    return detect_flavour(kube, params.namespace)


def plan(kube: Kube, params: Params) -> Plan:
    flavour, warnings = resolve_flavour(kube, params)
    if flavour == "gke" and (params.image or any(z.body for z in params.zones)):
        raise K8sError("kube-dns (flavour gke) cannot load kubernetai: use forward mode")
    target = target_of(flavour)
    cm = kube.get(configmap_path(params.namespace, target.configmap))
    current = (cm.get("data") or {}) if cm is not None else None
    if cm is None and flavour not in CUSTOM_FLAVOURS and params.state == "present":
        raise K8sError(f"ConfigMap {params.namespace}/{target.configmap} does not exist")
    backup = read_backup(kube, params)
    zones = params.zones if params.state == "present" else []
    desired = desired_data(kube, flavour, current, zones, backup, params.namespace)

    deployment = kube.get(deployment_path(params.namespace, target.deployment))
    if deployment is None:
        raise K8sError(f"Deployment {params.namespace}/{target.deployment} does not exist")
    current_pod = pod_fields(deployment)
    original_pod = backup.pod or current_pod
    if params.state == "present" and params.image:
        desired_pod = patched_fields(original_pod, params.image, params.secret_mounts)
    else:
        desired_pod = original_pod

    desired_backup: dict[str, str] | None = None
    if params.state == "present" and (zones or params.image):
        desired_backup = {
            "configmap": target.configmap,
            "flavour": flavour,
            "original.json": json.dumps(backup.original if backup.exists else current),
            "zones.json": json.dumps(sorted(norm_zone(z.zone) for z in zones)),
            "applied": data_hash(desired),
        }
        pod = backup.pod if backup.exists else (current_pod if params.image else None)
        if pod is not None or params.image:
            desired_backup["pod.json"] = json.dumps(pod or current_pod)
    return Plan(
        flavour,
        target,
        warnings,
        cm,
        current,
        desired,
        deployment,
        current_pod,
        desired_pod,
        backup,
        desired_backup,
    )


def render(data: dict[str, str] | None) -> str:
    """ConfigMap data as text for --diff: the Corefile itself, or each key under a header."""
    if data is None:
        return ""
    if set(data) == {"Corefile"}:
        return data["Corefile"]
    return "".join(f"### {key}\n{data[key]}\n" for key in sorted(data))


def diff_of(p: Plan, namespace: str) -> dict[str, Any]:
    before, after = render(p.current), render(p.desired)
    if p.pod_changed:
        before += f"### Deployment {p.target.deployment}\n{json.dumps(p.current_pod, indent=2)}\n"
        after += f"### Deployment {p.target.deployment}\n{json.dumps(p.desired_pod, indent=2)}\n"
    return {
        "before": before,
        "after": after,
        "before_header": f"{namespace}/{p.target.configmap} (before)",
        "after_header": f"{namespace}/{p.target.configmap} (after)",
    }


# --- applying ---------------------------------------------------------------------------


def write_configmap(kube: Kube, namespace: str, name: str, data: dict[str, str] | None) -> None:
    """Make ConfigMap ``name`` hold exactly ``data`` (None deletes it)."""
    path = configmap_path(namespace, name)
    live = kube.get(path)
    if data is None:
        if live is not None:
            kube.delete(path)
        return
    if live is None:
        obj = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace},
            "data": data,
        }
        if name == "kube-dns":
            # GKE creates it on demand with this label (REFERENCE "Cluster DNS flavours").
            obj["metadata"]["labels"] = {"addonmanager.kubernetes.io/mode": "EnsureExists"}
        kube.create(configmap_path(namespace), obj)
        return
    if data:
        live["data"] = data
    else:  # the API server omits an empty map: so does the original
        live.pop("data", None)
    kube.replace(path, live)


def write_backup(kube: Kube, params: Params, data: dict[str, str] | None) -> None:
    path = configmap_path(params.namespace, params.backup_name)
    live = kube.get(path)
    if data is None:
        if live is not None:
            kube.delete(path)
        return
    obj = live or {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": params.backup_name, "namespace": params.namespace},
    }
    obj.setdefault("metadata", {}).setdefault("labels", {}).update(MANAGED_BY)
    obj["data"] = data
    if live is None:
        kube.create(configmap_path(params.namespace), obj)
    else:
        kube.replace(path, obj)


def write_pod(kube: Kube, namespace: str, name: str, fields: dict[str, Any]) -> None:
    path = deployment_path(namespace, name)
    live = kube.get(path)
    if live is None:
        raise K8sError(f"Deployment {namespace}/{name} disappeared")
    kube.replace(path, with_pod_fields(live, fields))


RELOAD_ERRORS = ("Restart failed", "Error during parsing")
# What CoreDNS's reload plugin logs once it runs a configuration, at start and after each
# reload (plugin/reload/reload.go): "[INFO] plugin/reload: Running configuration SHA512 = ..."
RELOADED = "plugin/reload: Running configuration SHA512"
LOG_INTERVAL = 5.0  # seconds between two reads of the DNS pods' logs while holding


def pod_logs(kube: Kube, namespace: str, name: str) -> dict[str, str]:
    """The log of every container of every DNS pod, keyed ``pod/container`` (the API server
    needs the container named when a pod has several: kube-dns has three)."""
    dep = kube.get(deployment_path(namespace, name)) or {}
    out: dict[str, str] = {}
    for pod in pods_of(kube, namespace, dep) if dep else []:
        pod_name = pod["metadata"]["name"]
        for container in (pod.get("spec") or {}).get("containers") or []:
            path = (
                f"/api/v1/namespaces/{namespace}/pods/{pod_name}/log?container={container['name']}"
            )
            try:
                out[f"{pod_name}/{container['name']}"] = kube.text(path)
            except K8sError as exc:
                if exc.status != 400:  # 400: the container is waiting to start, no log yet
                    raise
    return out


def _since(before: dict[str, str], pod: str, text: str) -> str:
    return text[len(before[pod]) :] if text.startswith(before.get(pod, "\0")) else text


def reloaded(before: dict[str, str], after: dict[str, str]) -> bool:
    """Whether every CoreDNS container that runs the reload plugin (it logged RELOADED) has
    tried a new configuration since ``before``: logged RELOADED again, or a failed reload.
    False when none does (kube-dns, a Corefile without ``reload``): then only the whole
    reload window tells."""
    watched = {pod: text for pod, text in after.items() if RELOADED in text}
    return bool(watched) and all(
        any(mark in _since(before, pod, text) for mark in (RELOADED, *RELOAD_ERRORS))
        for pod, text in watched.items()
    )


def reload_errors(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Errors CoreDNS logged since ``before``: a failed reload keeps the old Corefile running
    and only logs (coredns.io/plugins/reload), so readiness alone does not show it."""
    errors: list[str] = []
    for pod, text in sorted(after.items()):
        new = _since(before, pod, text)
        errors += [
            f"pod {pod}: {line.strip()}"
            for line in new.splitlines()
            if any(e in line for e in RELOAD_ERRORS)
        ]
    return errors


def wait_healthy(
    kube: Kube,
    namespace: str,
    name: str,
    timeout: float,
    hold: float,
    logs_before: dict[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    interval: float = 1.0,
) -> Health:
    """Wait for the rollout, stay ready until every DNS pod has reloaded the change (read
    from its log, every LOG_INTERVAL seconds) or for ``hold`` seconds (the reload window),
    and find no reload error in the DNS pods' logs.

    CoreDNS's ``reload`` plugin picks up a changed Corefile by itself a while after the
    ConfigMap changes (coredns.io/plugins/reload: every 30 s +- 15 s, after the kubelet has
    synced the volume): a pod that is ready now can fail later.
    """
    start = clock()
    hold_until = start + hold
    next_logs = start + LOG_INTERVAL
    reload_seen = False

    def step() -> Health:
        nonlocal next_logs, reload_seen
        last = health(kube, namespace, name)
        now = clock()
        if last.ready and logs_before is not None and now < hold_until and now >= next_logs:
            next_logs = now + LOG_INTERVAL
            reload_seen = reloaded(logs_before, pod_logs(kube, namespace, name))
        return last

    def done(last: Health) -> bool:
        return last.crashing or (last.ready and (reload_seen or clock() >= hold_until))

    last = poll(step, done, max(timeout, hold), interval, sleep, clock)
    if not done(last):
        return last
    if not last.ready or logs_before is None:
        return last
    errors = reload_errors(logs_before, pod_logs(kube, namespace, name))
    if errors:
        return Health(False, True, "; ".join(dict.fromkeys(errors)))
    return last


def _write(kube: Kube, ns: str, p: Plan, data: Any, pod: Any) -> None:
    """The ConfigMap first, then the pod template: pods the rollout creates then start on
    the new configuration, so a Corefile their CoreDNS rejects makes them crash-loop, which
    the rollout check sees at once. Running pods only try the new file at their next reload
    (coredns.io/plugins/reload) and keep serving the old one if it fails: no outage either way.
    """
    if p.data_changed:
        write_configmap(kube, ns, p.target.configmap, data)
    if p.pod_changed and pod:
        write_pod(kube, ns, p.target.deployment, pod)


def apply(kube: Kube, params: Params, p: Plan, wait: Callable[..., Health] = wait_healthy) -> None:
    """Apply the plan; on DNS failure restore the previous content and raise."""
    ns = params.namespace
    logs = pod_logs(kube, ns, p.target.deployment) if p.data_changed else None
    if p.desired_backup is not None and p.backup_changed:
        write_backup(kube, params, p.desired_backup)
    try:
        _write(kube, ns, p, p.desired, p.desired_pod)
        result = wait(kube, ns, p.target.deployment, params.rollout_timeout, _hold(params, p), logs)
    except K8sError as exc:
        result = Health(False, False, str(exc))
    if not result.ready:
        rollback(kube, params, p, result, wait)
    if p.desired_backup is None and p.backup.exists:
        write_backup(kube, params, None)


def _hold(params: Params, p: Plan) -> float:
    return float(params.reload_window) if p.data_changed else 0.0


def restart_crashing(kube: Kube, namespace: str, name: str) -> None:
    """Delete the DNS pods that crash-loop, so their ReplicaSet starts them afresh on the
    restored configuration: otherwise each waits out the kubelet's growing crash back-off
    (10 s doubling to 5 min) before it even reads the restored Corefile."""
    dep = kube.get(deployment_path(namespace, name)) or {}
    for pod in pods_of(kube, namespace, dep) if dep else []:
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        waiting = [((cs.get("state") or {}).get("waiting") or {}).get("reason") for cs in statuses]
        if any(reason in CRASH_REASONS for reason in waiting):
            kube.delete(f"/api/v1/namespaces/{namespace}/pods/{pod['metadata']['name']}")


def rollback(
    kube: Kube, params: Params, p: Plan, failure: Health, wait: Callable[..., Health]
) -> None:
    ns = params.namespace
    _write(kube, ns, p, p.current, p.current_pod)
    restart_crashing(kube, ns, p.target.deployment)
    # No reload-error scan here: a pod that logged "Restart failed" for the broken file kept
    # serving its last good configuration, which is the one just restored.
    after = wait(kube, ns, p.target.deployment, params.rollout_timeout, _hold(params, p), None)
    write_backup(kube, params, p.backup.raw if p.backup.exists else None)
    state = "DNS is ready again" if after.ready else f"DNS is still not ready: {after.reason}"
    raise K8sError(
        f"cluster DNS ({ns}/{p.target.deployment}) did not stay ready after the change: "
        f"{failure.reason}. The previous configuration was restored and {state}."
    )


def run(kube: Kube, params: Params, check_mode: bool) -> tuple[bool, dict[str, Any]]:
    p = plan(kube, params)
    result: dict[str, Any] = {
        "flavour": p.flavour,
        "configmap": p.target.configmap,
        "deployment": p.target.deployment,
        "zones": sorted(norm_zone(z.zone) for z in params.zones)
        if params.state == "present"
        else [],
        "warnings": p.warnings,
        "diff": diff_of(p, params.namespace),
    }
    if p.changed and not check_mode:
        apply(kube, params, p)
    return p.changed, result


def info(
    kube: Kube,
    namespace: str,
    flavour: str = "auto",
    backup_name: str = "crosscluster-link-dns-backup",
) -> dict[str, Any]:
    """What the native DNS serves now: flavour, zones, zones managed here, readiness."""
    params = Params(namespace=namespace, flavour=flavour, backup_name=backup_name)
    found, warnings = resolve_flavour(kube, params)
    target = target_of(found)
    data = ((kube.get(configmap_path(namespace, target.configmap)) or {}).get("data")) or {}
    backup = read_backup(kube, params)
    zones: list[str] = []
    managed: list[str] = []
    if found in COREDNS_FLAVOURS:
        zones = [norm_zone(z) for z in zones_in(data.get("Corefile", ""))]
        managed = [norm_zone(z) for z in managed_zones(data.get("Corefile", ""))]
    elif found in CUSTOM_FLAVOURS:
        main = ((kube.get(configmap_path(namespace, "coredns")) or {}).get("data") or {}).get(
            "Corefile", ""
        )
        texts = [main] + [v for k, v in sorted(data.items()) if k.endswith(".server")]
        zones = [norm_zone(z) for text in texts for z in zones_in(text)]
        managed = [z for z in backup.zones if data.get(f"{z}.server", "").startswith(CUSTOM_MARKER)]
    else:
        stubs = json.loads(data.get("stubDomains") or "{}")
        zones = [norm_zone(k) for k in stubs]
        managed = [z for z in backup.zones if z in zones]
    state = health(kube, namespace, target.deployment)
    return {
        "flavour": found,
        "configmap": target.configmap,
        "deployment": target.deployment,
        "zones": sorted(set(zones)),
        "managed_zones": sorted(set(managed)),
        "backup": backup.exists,
        "ready": state.ready,
        "status": state.reason,
        "warnings": warnings,
    }
