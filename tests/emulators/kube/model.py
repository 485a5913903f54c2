"""Resource table, object store, patch semantics and schema validation."""

from __future__ import annotations

import copy
import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources as importlib_resources
from typing import Any

import jsonschema
import referencing

Obj = dict[str, Any]

KUBE_VERSION = "v1.31.4"
SCHEMA_DIR = "kubernetes-json-schema/v1.31.0-local"
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def has_generation(self) -> bool:
        return self.plural in ("deployments", "jobs")


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "namespaces", "Namespace", False, ("ns",), ("status",)),
    ResourceType("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    ResourceType("", "v1", "secrets", "Secret", True),
    ResourceType("", "v1", "services", "Service", True, ("svc",), ("status",)),
    ResourceType("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    ResourceType("", "v1", "pods", "Pod", True, ("po",), ("status", "log")),
    ResourceType("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), ("token",)),
    ResourceType("", "v1", "nodes", "Node", False, ("no",), ("status",)),
    ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    ResourceType("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("status", "scale")),
    ResourceType("batch", "v1", "jobs", "Job", True, (), ("status",)),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    ResourceType(
        "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False
    ),
    ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
)

GROUPS: dict[str, list[ResourceType]] = {}
for _rt in RESOURCES:
    GROUPS.setdefault(_rt.group, []).append(_rt)


def find_type(group: str, version: str, plural: str) -> ResourceType | None:
    for rt in RESOURCES:
        if (rt.group, rt.version, rt.plural) == (group, version, plural):
            return rt
    return None


def type_of_kind(kind: str) -> ResourceType:
    return next(rt for rt in RESOURCES if rt.kind == kind)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An API error answered as a ``Status`` object."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Obj | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or []

    def status(self) -> Obj:
        out: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            out["details"] = self.details
        return out


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{rt.plural}{"." + rt.group if rt.group else ""} "{name}" not found',
        {"name": name, "group": rt.group, "kind": rt.plural},
    )


def invalid(rt: ResourceType, name: str, causes: list[Obj]) -> ApiError:
    # "<Kind>.<group> "<name>" is invalid: <field>: <message>, ..." (apimachinery
    # errors.NewInvalid; StatusReasonInvalid, HTTP 422).
    qualified = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    text = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
    if len(causes) > 1:
        text = "[" + text + "]"
    return ApiError(
        422,
        "Invalid",
        f'{qualified} "{name}" is invalid: {text}',
        {"name": name, "group": rt.group, "kind": rt.kind, "causes": causes},
    )


# --- validation ----------------------------------------------------------------------


@cache
def _schema_file(name: str) -> Any:
    ref = importlib_resources.files("kubernetes_validate").joinpath(f"{SCHEMA_DIR}/{name}")
    return json.loads(ref.read_text())


@cache
def _validator(kind: str, api_version: str) -> jsonschema.protocols.Validator:
    short = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = _schema_file(f"{kind.lower()}-{short}.json")
    registry: referencing.Registry = referencing.Registry()
    registry = referencing.Resource.from_contents(schema) @ registry
    registry = referencing.Resource.from_contents(_schema_file("_definitions.json")) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate(rt: ResourceType, obj: Obj) -> None:
    """Schema (kubernetes-validate, v1.31) plus the name/label rules of apimachinery."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    causes: list[Obj] = []
    if not name:
        causes.append(
            {
                "reason": "FieldValueRequired",
                "message": "Required value: name or generateName is required",
                "field": "metadata.name",
            }
        )
    else:
        # Namespaces, Services and Pods-as-hostnames need DNS-1123 labels; most others subdomains.
        label_only = rt.plural in ("namespaces", "services")
        pattern = _DNS1123_LABEL if label_only else _DNS1123_SUBDOMAIN
        if rt.plural not in ("clusterroles", "clusterrolebindings", "roles", "rolebindings") and (
            not pattern.match(name) or len(name) > (63 if label_only else 253)
        ):
            what = "RFC 1123 label" if label_only else "RFC 1123 subdomain"
            causes.append(
                {
                    "reason": "FieldValueInvalid",
                    "message": f'Invalid value: "{name}": a lowercase {what} must consist of lower case '  # noqa: E501
                    "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",  # noqa: E501
                    "field": "metadata.name",
                }
            )
    for value in (meta.get("labels") or {}).values():
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(
                {
                    "reason": "FieldValueInvalid",
                    "message": f'Invalid value: "{value}": a valid label must be an empty string or consist '  # noqa: E501
                    "of alphanumeric characters, '-', '_' or '.'",
                    "field": "metadata.labels",
                }
            )
    for error in sorted(
        _validator(rt.kind, rt.api_version).iter_errors(obj), key=lambda e: list(e.path)
    ):
        path = _field(error.absolute_path) or "<root>"
        if error.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", error.message)
            field = (
                f"{path}.{missing[0]}"
                if missing and path != "<root>"
                else (missing[0] if missing else path)
            )
            causes.append(
                {"reason": "FieldValueRequired", "message": "Required value", "field": field}
            )
        else:
            causes.append(
                {
                    "reason": "FieldValueInvalid",
                    "message": f"Invalid value: {json.dumps(error.instance)[:80]}: {error.message[:200]}",  # noqa: E501
                    "field": path,
                }
            )
    if causes:
        raise invalid(rt, name, causes)


# --- patches -------------------------------------------------------------------------

# Strategic merge patch keys (k8s.io/api types, "patchMergeKey" struct tags).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "env": "name",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "conditions": "type",
    "ownerReferences": "uid",
    "topologySpreadConstraints": "topologyKey",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _merge_key(key: str, items: list[Any]) -> str | None:
    if key == "ports":
        sample = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in sample else "port"
    return MERGE_KEYS.get(key)


def strategic_merge(target: Any, patch: Any) -> Any:
    """Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch): merge keys for
    the lists above, ``$patch: delete|replace``, directives ``$setElementOrder``/``$retainKeys``
    accepted and ignored, ``null`` deletes a key, other lists are replaced."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in copy.deepcopy(patch).items() if k != "$patch"}
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            real = key.split("/", 1)[1]
            out[real] = [v for v in out.get(real) or [] if v not in value]
            continue
        if value is None:
            out.pop(key, None)
        elif (
            isinstance(value, list)
            and _merge_key(key, value + (out.get(key) or []))
            and isinstance(out.get(key), list)
        ):
            out[key] = _merge_list(out[key], value, _merge_key(key, value + out[key]) or "name")
        elif isinstance(value, dict):
            out[key] = strategic_merge(out.get(key), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_list(current: list[Any], patch: list[Any], mkey: str) -> list[Any]:
    out = copy.deepcopy(current)
    for item in patch:
        if not isinstance(item, dict):
            out.append(copy.deepcopy(item))
            continue
        if item.get("$patch") == "replace":
            return [i for i in patch if isinstance(i, dict) and i.get("$patch") != "replace"]
        idx = next(
            (n for n, c in enumerate(out) if isinstance(c, dict) and c.get(mkey) == item.get(mkey)),
            None,
        )
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
        elif idx is None:
            out.append({k: v for k, v in copy.deepcopy(item).items() if not k.startswith("$")})
        else:
            out[idx] = strategic_merge(out[idx], item)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def json_patch(doc: Any, ops: list[Obj]) -> Any:
    """RFC 6902 JSON patch."""
    doc = copy.deepcopy(doc)
    for op in ops:
        kind = op.get("op")
        parts = _pointer(op.get("path", ""))
        try:
            if kind in ("add", "replace", "remove", "move", "copy"):
                if kind in ("move", "copy"):
                    src = _pointer(op["from"])
                    value = copy.deepcopy(_walk(doc, src))
                    if kind == "move":
                        parent = _walk(doc, src[:-1])
                        parent.pop(int(src[-1]) if isinstance(parent, list) else src[-1])
                    kind = "add"
                else:
                    value = copy.deepcopy(op.get("value"))
                if not parts:
                    doc = value
                    continue
                parent = _walk(doc, parts[:-1])
                last = parts[-1]
                if isinstance(parent, list):
                    idx = len(parent) if last == "-" else int(last)
                    if kind == "add":
                        parent.insert(idx, value)
                    elif kind == "replace":
                        parent[idx] = value
                    else:
                        parent.pop(idx)
                else:
                    if kind in ("replace", "remove") and last not in parent:
                        raise KeyError(last)
                    if kind == "remove":
                        del parent[last]
                    else:
                        parent[last] = value
            elif kind == "test":
                if _walk(doc, parts) != op.get("value"):
                    raise ApiError(
                        422,
                        "Invalid",
                        f"the server rejected our request due to an error in our request: testing value {op.get('path')} failed",  # noqa: E501
                    )
            else:
                raise ValueError(f"Unexpected kind: {kind}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(
                422,
                "Invalid",
                f'the server rejected our request due to an error in our request: {op.get("op")} operation does not apply: doc is missing path: "{op.get("path")}": {exc}',  # noqa: E501
            ) from exc
    return doc


# --- store ---------------------------------------------------------------------------


class Store:
    """All objects of one cluster, keyed by (plural, namespace, name)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self._rv = 1000

    def next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def get(self, plural: str, namespace: str, name: str) -> Obj | None:
        return self.objects.get((plural, namespace, name))

    def list(self, plural: str, namespace: str | None = None) -> list[Obj]:
        return [
            o
            for (p, ns, _unused), o in sorted(self.objects.items())
            if p == plural and (namespace is None or ns == namespace)
        ]

    def put(self, rt: ResourceType, obj: Obj) -> Obj:
        """Store ``obj`` (already validated), stamping server-owned metadata."""
        meta = obj.setdefault("metadata", {})
        ns = meta.get("namespace", "") if rt.namespaced else ""
        key = (rt.plural, ns, meta["name"])
        old = self.objects.get(key)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if old is None:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now())
            if rt.has_generation:
                meta["generation"] = 1
        else:
            meta["uid"] = old["metadata"]["uid"]
            meta["creationTimestamp"] = old["metadata"]["creationTimestamp"]
            if rt.has_generation:
                gen = old["metadata"].get("generation", 1)
                if obj.get("spec") != old.get("spec"):
                    gen += 1
                meta["generation"] = gen
            if obj == old:
                return old
        meta["resourceVersion"] = self.next_rv()
        self.objects[key] = obj
        return obj

    def delete(self, plural: str, namespace: str, name: str) -> Obj | None:
        return self.objects.pop((plural, namespace, name), None)


# --- selectors -----------------------------------------------------------------------


def _parse_selector(text: str) -> list[tuple[str, str, list[str]]]:
    """labelSelector grammar: k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k."""
    reqs: list[tuple[str, str, list[str]]] = []
    parts: list[str] = []
    depth = 0
    buf = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    for raw in (p.strip() for p in parts):
        if not raw:
            continue
        m = re.match(r"^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$", raw)
        if m:
            reqs.append((m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",")]))
        elif "!=" in raw:
            k, v = raw.split("!=", 1)
            reqs.append((k.strip(), "!=", [v.strip()]))
        elif "=" in raw:
            k, v = raw.replace("==", "=").split("=", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif raw.startswith("!"):
            reqs.append((raw[1:].strip(), "!", []))
        else:
            reqs.append((raw, "exists", []))
    return reqs


def _matches(values: dict[str, Any], reqs: list[tuple[str, str, list[str]]]) -> bool:
    for key, op, vals in reqs:
        present = key in values
        value = None if values.get(key) is None else str(values.get(key))
        ok = {
            "=": present and value == vals[0],
            "!=": not present or value != vals[0],
            "in": present and value in vals,
            "notin": not present or value not in vals,
            "exists": present,
            "!": not present,
        }[op]
        if not ok:
            return False
    return True


def label_match(obj: Obj, selector: str) -> bool:
    return _matches(obj.get("metadata", {}).get("labels") or {}, _parse_selector(selector))


def _field_value(obj: Obj, path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return cur


# Field selectors the API server supports per kind (metadata.name/namespace for all).
FIELD_SELECTORS = {
    "pods": {
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    },
    "secrets": {"type"},
    "events": set(),
    "namespaces": {"status.phase"},
    "nodes": {"spec.unschedulable"},
    "jobs": {"status.successful"},
}


def field_match(rt: ResourceType, obj: Obj, selector: str) -> bool:
    reqs = _parse_selector(selector)
    allowed = {"metadata.name", "metadata.namespace"} | FIELD_SELECTORS.get(rt.plural, set())
    values: dict[str, Any] = {}
    for key, op, _unused in reqs:
        if key not in allowed or op not in ("=", "!="):
            raise ApiError(
                400,
                "BadRequest",
                f'Unable to find "{rt.group}/{rt.version}, Resource={rt.plural}" that match label selector "", field selector "{selector}": field label not supported: {key}',  # noqa: E501
            )
        values[key] = _field_value(obj, key)
        if values[key] is None and key == "metadata.namespace":
            values[key] = ""
    return _matches({k: v for k, v in values.items() if v is not None}, reqs)


def selector_match(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    return bool(selector) and all((labels or {}).get(k) == v for k, v in (selector or {}).items())


def match_label_selector(sel: Obj | None, labels: dict[str, str] | None) -> bool:
    """metav1.LabelSelector (matchLabels + matchExpressions)."""
    if not sel:
        return False
    labels = labels or {}
    if any(labels.get(k) != v for k, v in (sel.get("matchLabels") or {}).items()):
        return False
    for expr in sel.get("matchExpressions") or []:
        key, op, vals = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in vals:
            return False
        if op == "NotIn" and labels.get(key) in vals:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
