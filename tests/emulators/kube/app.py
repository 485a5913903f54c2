"""The WSGI application: discovery, CRUD, patch, dry run, authentication and RBAC.

Behaviour follows the Kubernetes API reference ("API Concepts": resource URIs, dry-run,
resourceVersion / optimistic concurrency, patch types; "Using RBAC Authorization").
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs

import yaml
from werkzeug.wrappers import Request, Response

from .controllers import Cluster
from .model import (
    GROUPS,
    KUBE_VERSION,
    RESOURCES,
    VERBS,
    ApiError,
    Obj,
    ResourceType,
    field_match,
    find_type,
    json_patch,
    label_match,
    merge_patch,
    not_found,
    now,
    strategic_merge,
    validate,
)

MUTATING = {"create", "update", "patch", "delete", "deletecollection"}


def parse_path(path: str) -> tuple[ResourceType | None, str, str, str] | None:
    """(type, namespace, name, subresource) of a resource URL, or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    ns = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        ns, rest = rest[1], rest[2:]
    rt = find_type(group, version, rest[0])
    if rt is None:
        return (None, ns, "", rest[0])
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    return rt, ns, name, sub


def verb_of(method: str, name: str, query: dict[str, list[str]]) -> str:
    if method == "GET":
        if query.get("watch", ["false"])[0] in ("true", "1"):
            return "watch"
        return "get" if name else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(
        method, "delete" if name else "deletecollection"
    )


def classify(environ: dict[str, Any], _body: bytes) -> tuple[str, bool]:
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    parsed = parse_path(path)
    if parsed is None:
        return f"get:{path.strip('/') or 'root'}", False
    rt, _unused, name, sub = parsed
    verb = verb_of(environ.get("REQUEST_METHOD", "GET"), name, query)
    resource = rt.plural if rt else sub
    if rt and sub:
        resource += "/" + sub
    dry = query.get("dryRun", [""])[0] == "All"
    return f"{verb}:{resource}", verb in MUTATING and not dry


def render_fault(kind: str, operation: str) -> tuple[str, list[tuple[str, str]], bytes]:
    if kind == "throttle":
        err = ApiError(
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
            {"retryAfterSeconds": 1},
        )
        status, headers = "429 Too Many Requests", [("Retry-After", "1")]
    else:
        err = ApiError(
            503,
            "ServiceUnavailable",
            f"injected fault on {operation}: the server is currently unable to handle the request",
        )
        status, headers = "503 Service Unavailable", []
    return (
        status,
        [("Content-Type", "application/json"), *headers],
        json.dumps(err.status()).encode(),
    )


class KubeApp:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self.handle(request)
        except ApiError as err:
            response = Response(
                json.dumps(err.status()), status=err.code, content_type="application/json"
            )
            for key, value in err.headers:
                response.headers[key] = value
        return response(environ, start_response)

    # --- entry ---------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        user, groups = self.authenticate(request)
        path = request.path.rstrip("/") or "/"
        if (
            request.method == "GET"
            and path in ("/version", "/api", "/apis", "/healthz", "/livez", "/readyz")
        ) or (
            path.startswith(("/apis/", "/api/"))
            and self._discovery(path) is not None
            and request.method == "GET"
        ):
            return self.json(
                self._discovery(path) if path not in ("/healthz", "/livez", "/readyz") else "ok"
            )
        if path.startswith("/openapi/"):
            # No OpenAPI documents are served; kube-apiserver answers 404 for unknown paths
            # and clients fall back to discovery.
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        parsed = parse_path(path)
        if parsed is None or parsed[0] is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        rt, ns, name, sub = parsed
        assert rt is not None
        query = {k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}
        verb = verb_of(request.method, name, parse_qs(request.query_string.decode()))
        if rt.namespaced is False:
            ns = ""
        self.authorize(user, groups, verb, rt, ns, name, sub)
        with self.cluster.store.lock:
            self.cluster.reconcile()
            result = self.dispatch(request, verb, rt, ns, name, sub, query)
            if verb in MUTATING and query.get("dryRun") != "All":
                self.cluster.reconcile()
        if isinstance(result, Response):
            return result
        code = 201 if verb == "create" else 200
        return self.json(result, code)

    @staticmethod
    def json(payload: Any, code: int = 200) -> Response:
        if isinstance(payload, str):
            return Response(payload, status=code, content_type="text/plain")
        return Response(json.dumps(payload), status=code, content_type="application/json")

    # --- discovery -----------------------------------------------------------------

    def _discovery(self, path: str) -> Any:
        if path == "/version":
            return {
                "major": "1",
                "minor": KUBE_VERSION.split(".")[1],
                "gitVersion": KUBE_VERSION,
                "gitCommit": "0" * 40,
                "gitTreeState": "clean",
                "buildDate": "2024-12-10T00:00:00Z",
                "goVersion": "go1.22.10",
                "compiler": "gc",
                "platform": "linux/amd64",
            }
        if path == "/api":
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}
                ],
            }
        if path == "/apis":
            return {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [self._group(g) for g in GROUPS if g],
            }
        parts = [p for p in path.split("/") if p]
        if parts == ["api", "v1"]:
            return self._resource_list("", "v1")
        if parts[0] == "apis" and len(parts) == 2 and parts[1] in GROUPS and parts[1]:
            return {"kind": "APIGroup", "apiVersion": "v1", **self._group(parts[1])}
        if (
            parts[0] == "apis"
            and len(parts) == 3
            and parts[1] in GROUPS
            and parts[1]
            and parts[2] == "v1"
        ):
            return self._resource_list(parts[1], "v1")
        return None

    @staticmethod
    def _group(group: str) -> Obj:
        gv = {"groupVersion": f"{group}/v1", "version": "v1"}
        return {"name": group, "versions": [gv], "preferredVersion": gv}

    @staticmethod
    def _resource_list(group: str, version: str) -> Obj:
        resources: list[Obj] = []
        for rt in GROUPS[group]:
            resources.append(
                {
                    "name": rt.plural,
                    "singularName": rt.singular,
                    "namespaced": rt.namespaced,
                    "kind": rt.kind,
                    "verbs": VERBS,
                    "shortNames": list(rt.short_names),
                }
            )
            for sub in rt.subresources:
                sub_kind = {"scale": "Scale", "token": "TokenRequest", "log": "Pod"}.get(
                    sub, rt.kind
                )
                verbs = (
                    ["get"]
                    if sub == "log"
                    else (["create"] if sub == "token" else ["get", "patch", "update"])
                )
                resources.append(
                    {
                        "name": f"{rt.plural}/{sub}",
                        "singularName": "",
                        "namespaced": rt.namespaced,
                        "kind": sub_kind,
                        "verbs": verbs,
                    }
                )
        gv = f"{group}/{version}" if group else version
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": resources,
        }

    # --- authentication / authorization --------------------------------------------

    def authenticate(self, request: Request) -> tuple[str, list[str]]:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if token:
            with self.cluster.store.lock:
                identity = self.cluster.identify(token)
            if identity is not None:
                return identity
        raise ApiError(401, "Unauthorized", "Unauthorized")

    def authorize(
        self,
        user: str,
        groups: list[str],
        verb: str,
        rt: ResourceType,
        ns: str,
        name: str,
        sub: str,
    ) -> None:
        resource = f"{rt.plural}/{sub}" if sub else rt.plural
        with self.cluster.store.lock:
            if self.cluster.allowed(user, groups, verb, rt.group, resource, ns, name):
                return
        who = f"{rt.plural}{'.' + rt.group if rt.group else ''}"
        subject = f'{who} "{name}"' if name else who
        scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
        # Message shape of the RBAC authorizer's Forbidden (apiserver/pkg/endpoints/handlers/responsewriters).  # noqa: E501
        raise ApiError(
            403,
            "Forbidden",
            f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{rt.group}" {scope}',  # noqa: E501
            {"name": name, "group": rt.group, "kind": rt.plural}
            if name
            else {"group": rt.group, "kind": rt.plural},
        )

    # --- CRUD ----------------------------------------------------------------------

    def dispatch(
        self,
        request: Request,
        verb: str,
        rt: ResourceType,
        ns: str,
        name: str,
        sub: str,
        query: dict[str, str],
    ) -> Any:
        store = self.cluster.store
        dry = query.get("dryRun") == "All"
        if (
            rt.namespaced
            and ns
            and rt.plural != "namespaces"
            and verb in ("create",)
            and store.get("namespaces", "", ns) is None
        ):
            raise ApiError(
                404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"}
            )
        if verb == "list":
            return self.list(rt, ns or None, query)
        if verb == "watch":
            raise ApiError(405, "MethodNotAllowed", "watch is not supported by this emulator")
        if verb == "deletecollection":
            items = list(self.list(rt, ns or None, query)["items"])
            if not dry:
                for obj in items:
                    self.cluster.delete(
                        rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
                    )
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
        if verb == "create":
            if sub == "token" and rt.plural == "serviceaccounts":
                return self.cluster.token_request(ns, name, self.body(request))
            body = self.body(request)
            return self.create(rt, ns, body, dry)
        current = store.get(rt.plural, ns, name)
        if current is None:
            raise not_found(rt, name)
        if verb == "get":
            if sub == "log":
                return self.cluster.pod_log(current)
            if sub == "scale":
                return self._scale(current)
            return current
        if verb == "delete":
            if not dry:
                self.cluster.delete(rt, ns, name)
            if rt.plural == "pods":
                # Graceful deletion answers the Pod with deletionTimestamp set (API Concepts).
                gone = copy.deepcopy(current)
                gone["metadata"].update(deletionTimestamp=now(), deletionGracePeriodSeconds=30)
                return gone
            return {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {
                    "name": name,
                    "group": rt.group,
                    "kind": rt.plural,
                    "uid": current["metadata"]["uid"],
                },
            }
        new = self.body(request) if verb == "update" else self.patched(request, rt, current)
        if sub == "status":
            merged = copy.deepcopy(current)
            merged["status"] = new.get("status")
            new = merged
        elif sub == "scale":
            merged = copy.deepcopy(current)
            merged["spec"]["replicas"] = (new.get("spec") or {}).get(
                "replicas", current["spec"].get("replicas")
            )
            new = merged
        elif "status" in current and rt.plural not in ("namespaces",):
            new["status"] = copy.deepcopy(current["status"])
        return self.update(rt, ns, name, current, new, dry, verb)

    @staticmethod
    def _scale(obj: Obj) -> Obj:
        meta = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            },
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0)},
        }

    @staticmethod
    def body(request: Request) -> Obj:
        data = request.get_data()
        try:
            if "yaml" in (request.content_type or ""):
                parsed = yaml.safe_load(data)
            else:
                parsed = json.loads(data or b"null")
        except (ValueError, yaml.YAMLError) as exc:
            raise ApiError(
                400, "BadRequest", f"the body of the request was in an unknown format: {exc}"
            ) from exc
        if parsed is None or not isinstance(parsed, (dict, list)):
            raise ApiError(400, "BadRequest", "the body of the request was in an unknown format")
        return parsed  # type: ignore[return-value]

    def list(self, rt: ResourceType, ns: str | None, query: dict[str, str]) -> Obj:
        items = self.cluster.store.list(rt.plural, ns)
        if query.get("labelSelector"):
            items = [o for o in items if label_match(o, query["labelSelector"])]
        if query.get("fieldSelector"):
            items = [o for o in items if field_match(rt, o, query["fieldSelector"])]
        limit = int(query.get("limit") or 0)
        meta: Obj = {"resourceVersion": self.cluster.store.resource_version}
        start = int(query.get("continue") or 0)
        items = items[start:]
        if limit and len(items) > limit:
            items = items[:limit]
            meta["continue"] = str(start + limit)
            meta["remainingItemCount"] = len(self.cluster.store.list(rt.plural, ns)) - start - limit
        return {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": meta,
            "items": items,
        }

    def create(self, rt: ResourceType, ns: str, body: Obj, dry: bool) -> Obj:
        if body.get("kind") and body.get("kind") != rt.kind:
            raise ApiError(
                400,
                "BadRequest",
                f"the API version in the data ({body.get('apiVersion')}) does not match the expected API version ({rt.api_version})",  # noqa: E501
            )
        body = copy.deepcopy(body)
        body["apiVersion"], body["kind"] = rt.api_version, rt.kind
        meta = body.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self.cluster.generate_name(meta["generateName"])
        if rt.namespaced:
            if meta.get("namespace") and ns and meta["namespace"] != ns:
                raise ApiError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request",  # noqa: E501
                )
            meta["namespace"] = ns or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        for key in ("resourceVersion", "uid", "creationTimestamp", "generation"):
            meta.pop(key, None)
        if (
            self.cluster.store.get(rt.plural, meta.get("namespace", ""), meta.get("name", ""))
            is not None
        ):
            name = meta["name"]
            raise ApiError(
                409,
                "AlreadyExists",
                f'{rt.plural}{"." + rt.group if rt.group else ""} "{name}" already exists',
                {"name": name, "group": rt.group, "kind": rt.plural},
            )
        self.cluster.default(rt, body, None)
        validate(rt, body)
        self.cluster.admit(rt, body, None)
        if dry:
            body["metadata"].update(
                uid="00000000-0000-0000-0000-000000000000", creationTimestamp=now()
            )
            if rt.has_generation:
                body["metadata"]["generation"] = 1
            return body
        return self.cluster.store.put(rt, body)

    def patched(self, request: Request, rt: ResourceType, current: Obj) -> Obj:
        ctype = (request.content_type or "").split(";")[0].strip()
        body = self.body(request)
        if ctype == "application/json-patch+json":
            if not isinstance(body, list):
                raise ApiError(400, "BadRequest", "json patch must be a list of operations")
            return json_patch(current, body)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "patch body must be an object")
        if ctype == "application/merge-patch+json":
            return merge_patch(current, body)
        if ctype == "application/strategic-merge-patch+json":
            return strategic_merge(current, body)
        if ctype == "application/apply-patch+yaml":
            # Server-side apply, minimally: the applied configuration is merged strategically
            # (no managedFields ownership tracking or conflict detection).
            return strategic_merge(current, body)
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",  # noqa: E501
        )

    def update(
        self, rt: ResourceType, ns: str, name: str, current: Obj, new: Obj, dry: bool, verb: str
    ) -> Obj:
        meta = new.setdefault("metadata", {})
        rv = meta.get("resourceVersion")
        if verb == "update" and not rv and rt.plural not in ("configmaps", "secrets"):
            pass  # unconditional update is allowed for most types
        if rv and rv != current["metadata"]["resourceVersion"]:
            # Optimistic concurrency: "API Concepts", resource versions / conflicts.
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {rt.plural}{"." + rt.group if rt.group else ""} "{name}": the object has been modified; please apply your changes to the latest version and try again',  # noqa: E501
                {"name": name, "group": rt.group, "kind": rt.plural},
            )
        if meta.get("name") and meta["name"] != name:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})",  # noqa: E501
            )
        meta["name"] = name
        if rt.namespaced:
            meta["namespace"] = ns
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        for key in ("uid", "creationTimestamp"):
            meta[key] = current["metadata"][key]
        meta["resourceVersion"] = current["metadata"]["resourceVersion"]
        if rt.has_generation:
            meta["generation"] = current["metadata"].get("generation", 1)
        self.cluster.default(rt, new, current)
        validate(rt, new)
        self.cluster.admit(rt, new, current)
        if dry:
            if rt.has_generation and new.get("spec") != current.get("spec"):
                meta["generation"] = current["metadata"].get("generation", 1) + 1
            return new
        return self.cluster.store.put(rt, new)


def all_resource_types() -> tuple[ResourceType, ...]:
    return RESOURCES
