"""State and behaviour of the emulated Compute Engine v1 resources.

Each behaviour cites the Compute Engine v1 REST reference
(https://cloud.google.com/compute/docs/reference/rest/v1/<resource>) or the product page it
comes from. Resources live per project; a scope is ``global`` or ``regions/<region>``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from tests.emulators.gcp import schema

Resource = dict[str, Any]
Key = tuple[str, str, str]  # (project, scope, collection)

NAME_RE = r"(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)"
# labelFingerprint of an empty label set as the real API reports it.
EMPTY_FINGERPRINT = "42WmSpB8rSM="
# HA VPN interface addresses come from TEST-NET-3 (RFC 5737), never routable.
VPN_IP_POOL = ipaddress.ip_network("203.0.113.0/24")
LINK_LOCAL = ipaddress.ip_network("169.254.0.0/16")
# Routers: "Must be an RFC6996 private ASN, either 16-bit or 32-bit" (RouterBgp.asn).
PRIVATE_ASNS = (range(64512, 65535), range(4200000000, 4294967295))
# ExternalVpnGatewayInterface.id: allowed ids per redundancyType.
REDUNDANCY_IDS = {
    "SINGLE_IP_INTERNALLY_REDUNDANT": [0],
    "TWO_IPS_REDUNDANCY": [0, 1],
    "FOUR_IPS_REDUNDANCY": [0, 1, 2, 3],
}
KINDS = {
    "networks": "network",
    "subnetworks": "subnetwork",
    "vpnGateways": "vpnGateway",
    "externalVpnGateways": "externalVpnGateway",
    "routers": "router",
    "vpnTunnels": "vpnTunnel",
    "routes": "route",
    "firewalls": "firewall",
    "operations": "operation",
}
SCHEMAS = {
    "networks": "Network",
    "subnetworks": "Subnetwork",
    "vpnGateways": "VpnGateway",
    "externalVpnGateways": "ExternalVpnGateway",
    "routers": "Router",
    "vpnTunnels": "VpnTunnel",
    "routes": "Route",
    "firewalls": "Firewall",
}
GLOBAL = {"networks", "externalVpnGateways", "routes", "firewalls"}
# The proto resource names the real API uses in "is already being used by" messages.
PROTO_NAMES = {
    "networks": "network",
    "vpnGateways": "vpn_gateway",
    "externalVpnGateways": "external_vpn_gateway",
    "routers": "router",
    "vpnTunnels": "vpn_tunnel",
    "subnetworks": "subnetwork",
}


class ApiError(Exception):
    """An error in Google's JSON error shape (https://cloud.google.com/apis/design/errors)."""

    STATUS: ClassVar[dict[int, str]] = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ALREADY_EXISTS",
        412: "FAILED_PRECONDITION",
        429: "RESOURCE_EXHAUSTED",
        501: "NOT_IMPLEMENTED",
        503: "UNAVAILABLE",
    }

    def __init__(self, code: int, reason: str, message: str, domain: str = "global") -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.domain = code, reason, message, domain

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
                "status": self.STATUS.get(self.code, "UNKNOWN"),
            }
        }


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", message)


def not_found(rel: str) -> ApiError:
    return ApiError(404, "notFound", f"The resource '{rel}' was not found")


def now_rfc3339() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")


def fingerprint(value: Any) -> str:
    if not value:
        return EMPTY_FINGERPRINT
    digest = hashlib.sha256(repr(sorted(value.items())).encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def split_rel(rel: str) -> tuple[str, str, str, str]:
    """``projects/p/regions/r/routers/x`` -> (p, regions/r, routers, x)."""
    parts = rel.split("/")
    if len(parts) == 5:
        return parts[1], parts[2], parts[3], parts[4]
    return parts[1], f"{parts[2]}/{parts[3]}", parts[4], parts[5]


def scope_of(collection: str, region: str) -> str:
    return "global" if collection in GLOBAL else f"regions/{region}"


def in_range(address: str | None, network: ipaddress.IPv4Network | None) -> bool:
    if not address or network is None:
        return False
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False


def interface_network(ip_range: str | None) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_interface(ip_range or "").network
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def format_uptime(seconds: int) -> str:
    """RouterStatusBgpPeerStatus.uptime: ``14 years, 51 weeks, 6 days, 23 hours, ...``."""
    units = (("years", 31536000), ("weeks", 604800), ("days", 86400), ("hours", 3600))
    parts = []
    for label, size in units:
        if seconds >= size:
            parts.append(f"{seconds // size} {label}")
            seconds %= size
    parts.append(f"{seconds // 60} minutes")
    parts.append(f"{seconds % 60} seconds")
    return ", ".join(parts)


@dataclass
class Operation:
    """An Operation resource (https://cloud.google.com/compute/docs/reference/rest/v1/
    regionOperations); ``apply`` runs when it reaches DONE, so the change becomes visible
    then, and an error it raises is reported in ``error.errors[]``."""

    resource: Resource
    apply: Callable[[], None]
    created: float
    duration: float
    done: bool = False
    # Self links of the networks a peering operation works on (local and peer network).
    touches: frozenset[str] = frozenset()

    def status(self, now: float) -> str:
        elapsed = now - self.created
        if self.done or elapsed >= self.duration:
            return "DONE"
        return "PENDING" if elapsed < self.duration / 4 else "RUNNING"


@dataclass
class Compute:
    """The whole emulated API: resources, pending operations, learned routes."""

    base: str
    operation_seconds: float = 0.0
    # Per kind of operation, "<collection>.<operationType>" (``vpnTunnels.insert``,
    # ``routers.patch``, ``networks.addPeering``) or "<collection>" -> seconds to DONE; the
    # others take ``operation_seconds``. Real operations differ by resource kind (Compute
    # Engine, "Handling API responses": an Operation is polled until DONE, each at its own
    # pace), so a benchmark can model each kind's wait (tests/perf, docs/benchmarks.md).
    operation_seconds_by_kind: dict[str, float] = field(default_factory=dict)
    store: dict[Key, dict[str, Resource]] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    # (router rel, peer name) -> learned prefixes; (router rel, peer name) -> up since
    learned: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    up_since: dict[tuple[str, str], float] = field(default_factory=dict)
    # What a datapath observed (lab only, ``PUT /_emulator/gcp/observed``): tunnel self link
    # -> {status, detailedStatus}; (router self link, peer name) -> {status, state,
    # numLearnedRoutes, learnedRoutes}. They replace the derived status of a tunnel or peer
    # whose configuration is complete (a derived ESTABLISHED / UP).
    observed_tunnels: dict[str, dict[str, Any]] = field(default_factory=dict)
    observed_peers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._ids = itertools.count(1)
        self._vpn_ips = itertools.islice(VPN_IP_POOL.hosts(), 9, None)

    # ----- identity and references -------------------------------------------------------

    def new_id(self) -> str:
        return str(4_000_000_000_000_000_000 + next(self._ids) * 7919)

    def url(self, rel: str) -> str:
        return self.base + rel

    def rel(self, value: str, project: str, collection: str, region: str = "") -> str:
        """A reference as the API accepts it -- full URL, ``projects/...``, ``global/...``,
        ``regions/...`` or a bare name -- as ``projects/p/<scope>/<collection>/<name>``."""
        text = re.sub(r"^[a-z]+://[^/]+", "", value).lstrip("/")
        text = re.sub(r"^compute/(v1|beta|alpha)/", "", text)
        if text.startswith("projects/"):
            return text
        if text.startswith(("global/", "regions/")):
            return f"projects/{project}/{text}"
        return f"projects/{project}/{scope_of(collection, region)}/{collection}/{text}"

    def deref(self, url: str | None) -> Resource | None:
        """The stored resource a stored reference (a full URL) points to, if any."""
        if not url:
            return None
        return self.get_rel(self.rel(url, "", ""))

    def get_rel(self, rel: str) -> Resource | None:
        parts = rel.split("/")
        if len(parts) not in (5, 6) or parts[0] != "projects":
            return None
        project, scope, collection, name = split_rel(rel)
        return self.store.get((project, scope, collection), {}).get(name)

    def existing(self, rel: str) -> Resource:
        """The stored resource at ``rel``; 404 when it is gone (e.g. deleted while an
        operation on it ran)."""
        current = self.get_rel(rel)
        if current is None:
            raise not_found(rel)
        return current

    def items(self, project: str, scope: str, collection: str) -> dict[str, Resource]:
        return self.store.setdefault((project, scope, collection), {})

    def all_of(self, project: str, collection: str) -> list[Resource]:
        return [
            res
            for (p, _unused, c), coll in self.store.items()
            if p == project and c == collection
            for res in coll.values()
        ]

    def ref(self, body: Resource, key: str, project: str, collection: str, region: str = "") -> str:
        """Resolve body[key] to an existing resource, store its URL back, return its rel.
        A missing one is the 400 the real API gives: "Invalid value for field
        'resource.network': '...'. The referenced network resource cannot be found."."""
        value = body[key]
        rel = self.rel(value, project, collection, region)
        if self.get_rel(rel) is None:
            raise invalid(
                f"Invalid value for field 'resource.{key}': '{value}'. The referenced "
                f"{PROTO_NAMES.get(collection, KINDS[collection])} resource cannot be found."
            )
        body[key] = self.url(rel)
        return rel

    # ----- operations ----------------------------------------------------------------------

    def tick(self) -> None:
        """Complete every operation whose time has come, in order."""
        now = time.monotonic()
        for op in self.operations:
            if op.done or op.status(now) != "DONE":
                continue
            op.done = True
            res = op.resource
            res["status"], res["progress"] = "DONE", 100
            res["startTime"] = res.get("startTime") or now_rfc3339()
            res["endTime"] = now_rfc3339()
            try:
                op.apply()
            except ApiError as exc:
                # Operation.error.errors[] carries codes like RESOURCE_IN_USE_BY_ANOTHER_RESOURCE.
                code = re.sub(r"(?<!^)([A-Z])", r"_\1", exc.reason).upper()
                res["error"] = {"errors": [{"code": code, "message": exc.message}]}
                res["httpErrorStatusCode"] = exc.code
                res["httpErrorMessage"] = ApiError.STATUS.get(exc.code, "ERROR").replace("_", " ")
            self.changed.notify_all()
        for op in self.operations:
            if not op.done and op.status(now) == "RUNNING":
                op.resource["status"] = "RUNNING"
                op.resource.setdefault("startTime", now_rfc3339())
            elif not op.done:
                op.resource["status"] = "PENDING"

    def operation(
        self,
        project: str,
        scope: str,
        kind: str,
        target: str,
        apply: Callable[[], None],
        target_id: str,
        touches: frozenset[str] = frozenset(),
    ) -> Resource:
        suffix = hashlib.sha1(self.new_id().encode()).hexdigest()[:8]
        name = f"operation-{int(time.time() * 1000)}-{suffix}"
        rel = f"projects/{project}/{scope}/operations/{name}"
        res: Resource = {
            "kind": "compute#operation",
            "id": self.new_id(),
            "name": name,
            "operationType": kind,
            "targetLink": self.url(target),
            "targetId": target_id,
            "status": "PENDING",
            "user": "emulator@example.com",
            "progress": 0,
            "insertTime": now_rfc3339(),
            "selfLink": self.url(rel),
        }
        if scope != "global":
            res["region"] = self.url(f"projects/{project}/{scope}")
        self.items(project, scope, "operations")[name] = res
        duration = self.duration_of(split_rel(target)[2], kind)
        self.operations.append(Operation(res, apply, time.monotonic(), duration, touches=touches))
        self.tick()
        return copy.deepcopy(res)

    def duration_of(self, collection: str, kind: str) -> float:
        """Seconds an operation of ``kind`` on a resource of ``collection`` takes to DONE."""
        by_kind = self.operation_seconds_by_kind
        for key in (f"{collection}.{kind}", collection):
            if key in by_kind:
                return by_kind[key]
        return self.operation_seconds

    def pending_insert(self, target: str) -> bool:
        url = self.url(target)
        return any(
            not op.done
            and op.resource["operationType"] == "insert"
            and op.resource["targetLink"] == url
            for op in self.operations
        )

    # ----- generic CRUD --------------------------------------------------------------------

    def insert(
        self, project: str, region: str, collection: str, body: Resource, method_id: str
    ) -> Resource:
        schema.validate(body, SCHEMAS[collection], method_id)
        name = body.get("name", "")
        if not re.fullmatch(NAME_RE, name):
            raise invalid(
                f"Invalid value for field 'resource.name': '{name}'. "
                f"Must be a match of regex '{NAME_RE}'"
            )
        scope = scope_of(collection, region)
        rel = f"projects/{project}/{scope}/{collection}/{name}"
        if self.get_rel(rel) is not None or self.pending_insert(rel):
            raise ApiError(409, "alreadyExists", f"The resource '{rel}' already exists")
        res = {k: v for k, v in body.items() if k not in ("id", "selfLink", "creationTimestamp")}
        res.pop("params", None)  # input only, "not persisted as part of resource payload"
        PREPARE[collection](self, project, region, res)
        res.update(
            kind=f"compute#{KINDS[collection]}",
            id=self.new_id(),
            creationTimestamp=now_rfc3339(),
            selfLink=self.url(rel),
        )
        if scope != "global":
            res["region"] = self.url(f"projects/{project}/{scope}")

        def apply() -> None:
            if self.get_rel(rel) is not None:
                raise ApiError(409, "alreadyExists", f"The resource '{rel}' already exists")
            self.recheck_refs(res, project, region)
            self.items(project, scope, collection)[name] = res

        return self.operation(project, scope, "insert", rel, apply, res["id"])

    def recheck_refs(self, res: Resource, project: str, region: str) -> None:
        """A reference that vanished while the operation waited fails the operation."""
        for key, collection in REF_FIELDS.items():
            if (
                res.get(key)
                and self.get_rel(self.rel(res[key], project, collection, region)) is None
            ):
                raise invalid(
                    f"Invalid value for field 'resource.{key}': '{res[key]}'. The referenced "
                    f"{PROTO_NAMES.get(collection, KINDS[collection])} resource cannot be found."
                )

    def get(self, project: str, region: str, collection: str, name: str) -> Resource:
        rel = f"projects/{project}/{scope_of(collection, region)}/{collection}/{name}"
        res = self.get_rel(rel)
        if res is None:
            raise not_found(rel)
        return res

    def delete(self, project: str, region: str, collection: str, name: str) -> Resource:
        res = self.get(project, region, collection, name)
        rel = self.rel(res["selfLink"], project, collection)
        self.check_not_used(rel)

        def apply() -> None:
            self.check_not_used(rel)
            self.items(*split_rel(rel)[:3]).pop(name, None)
            if collection == "networks":
                self.refresh_peerings()

        scope = scope_of(collection, region)
        return self.operation(project, scope, "delete", rel, apply, res["id"])

    def users(self, rel: str) -> list[str]:
        """Resources that reference ``rel`` and so block its deletion."""
        url = self.url(rel)
        project = split_rel(rel)[0]
        found = []
        for (p, _unused, c), coll in sorted(self.store.items()):
            if p != project or c == "operations":
                continue
            for res in coll.values():
                refs = [res.get(k) for k in REF_FIELDS]
                refs += [i.get("linkedVpnTunnel") for i in res.get("interfaces", [])]
                if url in refs:
                    found.append(self.rel(res["selfLink"], p, c))
        return found

    def check_not_used(self, rel: str) -> None:
        # e.g. "The network resource 'projects/p/global/networks/n' is already being used by
        # 'projects/p/global/firewalls/f'" (HTTP 400, reason resourceInUseByAnotherResource).
        self.check_no_peerings(rel)
        users = self.users(rel)
        if users:
            proto = PROTO_NAMES.get(split_rel(rel)[2], "resource")
            raise ApiError(
                400,
                "resourceInUseByAnotherResource",
                f"The {proto} resource '{rel}' is already being used by '{users[0]}'",
            )

    def change(
        self,
        project: str,
        region: str,
        collection: str,
        name: str,
        body: Resource,
        method_id: str,
        kind: str,
    ) -> Resource:
        """PATCH (JSON merge patch, RFC 7396) or PUT (full replace) of a resource.

        routers.patch / firewalls.patch: "This method supports PATCH semantics and uses the
        JSON merge patch format and processing rules" -- objects merge, lists (bgpPeers,
        interfaces) are replaced whole, null removes a field."""
        schema.validate(body, SCHEMAS[collection], method_id)
        current = self.get(project, region, collection, name)
        if body.get("name", name) != name:
            raise invalid(f"Invalid value for field 'resource.name': '{body['name']}'.")
        fixed = ("id", "selfLink", "creationTimestamp", "kind", "region", "name")
        body = {k: v for k, v in body.items() if k not in fixed}
        if kind == "patch":
            merged = merge_patch(copy.deepcopy(current), body)
        else:
            merged = {k: v for k, v in body.items() if k not in fixed}
            merged.update({k: current[k] for k in fixed if k in current})
            merged.update({k: v for k, v in current.items() if k.startswith("_")})
        merged.pop("params", None)
        UPDATE[collection](self, project, region, merged, current)
        rel = self.rel(current["selfLink"], project, collection)

        def apply() -> None:
            self.recheck_refs(merged, project, region)
            self.items(*split_rel(rel)[:3])[name] = merged

        scope = scope_of(collection, region)
        return self.operation(project, scope, kind, rel, apply, current["id"])

    def set_labels(
        self, project: str, region: str, collection: str, name: str, body: Resource
    ) -> Resource:
        request = "GlobalSetLabelsRequest" if collection in GLOBAL else "RegionSetLabelsRequest"
        schema.validate(body, request, f"compute.{collection}.setLabels")
        current = self.get(project, region, collection, name)
        if body.get("labelFingerprint") != current.get("labelFingerprint", EMPTY_FINGERPRINT):
            # setLabels: "labelFingerprint ... Make a get() request ... to get the latest
            # fingerprint"; a stale one is 412 conditionNotMet.
            raise ApiError(
                412,
                "conditionNotMet",
                "Labels fingerprint either invalid or resource labels have changed",
            )
        labels = body.get("labels") or {}
        rel = self.rel(current["selfLink"], project, collection)

        def apply() -> None:
            current["labels"] = labels
            current["labelFingerprint"] = fingerprint(labels)
            if not labels:
                current.pop("labels")

        scope = scope_of(collection, region)
        return self.operation(project, scope, "setLabels", rel, apply, current["id"])

    # ----- VPC Network Peering (networks.addPeering / removePeering / updatePeering) -------
    #
    # References: Compute Engine v1 REST reference, networks.addPeering, networks.removePeering,
    # networks.updatePeering, networks.listPeeringRoutes and the NetworkPeering /
    # ExchangedPeeringRoute schemas (the discovery document holds the same text); VPC docs
    # "About peering connections" and "Set up and manage VPC Network Peering"
    # (https://cloud.google.com/vpc/docs/about-peering-connections,
    # https://cloud.google.com/vpc/docs/using-vpc-peering).

    def change_peering(
        self, project: str, name: str, verb: str, body: Resource, method_id: str
    ) -> Resource:
        if verb == "addPeering":
            return self.add_peering(project, name, body, method_id)
        if verb == "removePeering":
            return self.remove_peering(project, name, body, method_id)
        return self.update_peering(project, name, body, method_id)

    def add_peering(self, project: str, name: str, body: Resource, method_id: str) -> Resource:
        network = self.get(project, "", "networks", name)
        rel = self.rel(network["selfLink"], project, "networks")
        peering = peering_request(body, method_id)
        # NetworkPeering.network: "It can be either full URL or partial URL. The peer network
        # may belong to a different project. If the partial URL does not contain project, it
        # is assumed that the peer network is in the same project as the current network."
        peer_rel = self.rel(peering["network"], project, "networks")
        if peer_rel == rel:
            # Not the real API's wording (not found in the reference): a network cannot be
            # its own peer.
            raise invalid(
                f"Invalid value for field 'resource.networkPeering.network': "
                f"'{peering['network']}'. A network cannot be peered with itself."
            )
        if self.get_rel(peer_rel) is None:
            raise not_found(peer_rel)
        peering["network"] = self.url(peer_rel)
        self.check_new_peering(network, peering)
        self.check_peering_idle(rel, peer_rel)

        def apply() -> None:
            current, peer = self.get_rel(rel), self.get_rel(peer_rel)
            if current is None:
                raise not_found(rel)
            if peer is None:
                raise not_found(peer_rel)
            self.check_new_peering(current, peering)
            self.check_overlap(current, peer)
            current.setdefault("peerings", []).append(peering)
            self.refresh_peerings()

        touches = frozenset({self.url(rel), self.url(peer_rel)})
        return self.operation(
            project, "global", "addPeering", rel, apply, network["id"], touches=touches
        )

    def remove_peering(self, project: str, name: str, body: Resource, method_id: str) -> Resource:
        schema.validate(body, "NetworksRemovePeeringRequest", method_id)
        network = self.get(project, "", "networks", name)
        rel = self.rel(network["selfLink"], project, "networks")
        peering_name = body.get("name")
        if not peering_name:
            raise ApiError(400, "required", "Required field 'resource.name' not specified")
        peering = find_peering(network, peering_name)
        peer_rel = self.rel(peering["network"], project, "networks")
        self.check_peering_idle(rel, peer_rel)

        def apply() -> None:
            current = self.existing(rel)
            find_peering(current, peering_name)
            current["peerings"] = [p for p in current["peerings"] if p["name"] != peering_name]
            if not current["peerings"]:
                del current["peerings"]  # the real API omits empty lists
            # The peer's configuration has no match any more: it becomes INACTIVE ("There is
            # no matching configuration on the peer").
            self.refresh_peerings()

        touches = frozenset({self.url(rel), self.url(peer_rel)})
        return self.operation(
            project, "global", "removePeering", rel, apply, network["id"], touches=touches
        )

    def update_peering(self, project: str, name: str, body: Resource, method_id: str) -> Resource:
        """networks.updatePeering: "Updates the specified network peering with the data
        included in the request. You can only modify the NetworkPeering.export_custom_routes
        field and the NetworkPeering.import_custom_routes field." The emulator also takes the
        other route-exchange settings clients send there (subnet routes with public IPs,
        stackType, updateStrategy); name, network and the output-only fields stay as they are."""
        schema.validate(body, "NetworksUpdatePeeringRequest", method_id)
        change = body.get("networkPeering") or {}
        if not change.get("name"):
            raise ApiError(
                400, "required", "Required field 'resource.network_peering.name' not specified"
            )
        network = self.get(project, "", "networks", name)
        rel = self.rel(network["selfLink"], project, "networks")
        peering = find_peering(network, change["name"])
        if change.get("network"):
            wanted = self.url(self.rel(change["network"], project, "networks"))
            if wanted != peering["network"]:
                # Not the real API's wording: the peer network of a peering cannot change.
                raise invalid(
                    f"Invalid value for field 'resource.networkPeering.network': "
                    f"'{change['network']}'. The peer network of peering '{change['name']}' "
                    "cannot change."
                )
        check_always_true(change, "networkPeering.")
        updates = {k: v for k, v in change.items() if k in PEERING_UPDATABLE}
        peer_rel = self.rel(peering["network"], project, "networks")
        self.check_peering_idle(rel, peer_rel)

        def apply() -> None:
            find_peering(self.existing(rel), change["name"]).update(updates)
            self.refresh_peerings()

        touches = frozenset({self.url(rel), self.url(peer_rel)})
        return self.operation(
            project, "global", "updatePeering", rel, apply, network["id"], touches=touches
        )

    def check_new_peering(self, network: Resource, peering: Resource) -> None:
        for existing in network.get("peerings", []):
            if existing["name"] == peering["name"]:
                # Not the real API's wording (not found in the reference): peering names are
                # unique on a network (NetworkPeering.name, networks.removePeering {name}).
                raise invalid(
                    f"Invalid value for field 'resource.networkPeering.name': "
                    f"'{peering['name']}'. The network already has a peering of this name."
                )
            if existing["network"] == peering["network"]:
                # The real API's message (a client matches "There is already a peering (.*)
                # with the same network. Select another network.": kyma-project/cloud-manager,
                # vpcpeering createRemoteVpcPeering). The reason is not attested; badRequest
                # as for the operation-in-progress error below.
                raise ApiError(
                    400,
                    "badRequest",
                    f"There is already a peering {existing['name']} with the same network. "
                    "Select another network.",
                )

    def check_peering_idle(self, *rels: str) -> None:
        """ "Google Cloud allows only one peering operation at a time across peered networks
        ... the operation fails with the following: Error: There is a peering operation in
        progress on the local or peer network. Try again later." (Set up and manage VPC
        Network Peering); the API answers it as HTTP 400 reason badRequest
        (hashicorp/terraform-provider-google#3026, #3034)."""
        urls = {self.url(r) for r in rels}
        if any(not op.done and op.touches & urls for op in self.operations):
            raise ApiError(
                400,
                "badRequest",
                "There is a peering operation in progress on the local or peer network. "
                "Try again later.",
            )

    def check_no_peerings(self, rel: str) -> None:
        """A network cannot be deleted while it has a peering: "google_compute_network cannot
        be deleted while a peering references it" (GoogleCloudPlatform/magic-modules#18476).
        The wording below is the emulator's in-use message, not the real API's (not found). A
        peering of *another* network that points here does not block: such a peering just
        stays INACTIVE ("There is no matching configuration on the peer, including the case
        when peer does not exist", NetworkPeering.state)."""
        if split_rel(rel)[2] != "networks":
            return
        res = self.get_rel(rel)
        for peering in (res or {}).get("peerings", []):
            peer = self.rel(peering["network"], "", "networks")
            raise ApiError(
                400,
                "resourceInUseByAnotherResource",
                f"The network resource '{rel}' is already being used by peering "
                f"'{peering['name']}' (peer network '{peer}'): remove the peering first.",
            )

    def subnet_ranges_of(self, network: Resource) -> list[tuple[IPNetwork, str, str]]:
        """(range, text, subnet rel) for every primary and secondary range of the network's
        subnets, in every region."""
        project = split_rel(self.rel(network["selfLink"], "", "networks"))[0]
        found = []
        for subnet in sorted(self.all_of(project, "subnetworks"), key=lambda s: s["selfLink"]):
            if subnet.get("network") != network["selfLink"]:
                continue
            subnet_rel = self.rel(subnet["selfLink"], project, "subnetworks")
            texts = [subnet["ipCidrRange"]]
            texts += [r["ipCidrRange"] for r in subnet.get("secondaryIpRanges", [])]
            for text in texts:
                found.append((ipaddress.ip_network(text, strict=False), text, subnet_rel))
        return found

    def check_overlap(self, local: Resource, peer: Resource) -> None:
        """ "Subnets IP ranges across peered VPC networks cannot overlap" (Terraform / Pulumi
        google_compute_network_peering); peered networks "always exchange IPv4 subnet routes"
        (About peering connections), secondary ranges included. The real API fails the
        operation: "Error waiting for Adding Network Peering: An IP range in the peer network
        (X.X.X.X/X) overlaps with an IP range in the local network (X.X.X.X/X) allocated by
        resource (projects/<project-id>/regions/<region>/subnetworks/<subnet-id>)." (Google
        Zeek Automation Terraform module, README "Troubleshooting")."""
        theirs = self.subnet_ranges_of(peer)
        for mine, mine_text, subnet_rel in self.subnet_ranges_of(local):
            for other, other_text, _unused in theirs:
                if mine.version == other.version and mine.overlaps(other):
                    raise invalid(
                        f"An IP range in the peer network ({other_text}) overlaps with an IP "
                        f"range in the local network ({mine_text}) allocated by resource "
                        f"({subnet_rel})."
                    )

    def refresh_peerings(self) -> None:
        """NetworkPeering.state: "The peering is ACTIVE when there's a matching configuration
        in the peer network" -- a peering there whose ``network`` is this network; INACTIVE
        otherwise, "including the case when peer does not exist". stateDetails as the API
        shows them: "[<time>]: Connected." / "[<time>]: Waiting for peer network to connect."
        (the console's status message in Google's "VPC Network Peering" lab); peerMtu is the
        peer network's MTU ("[Output Only] Maximum Transmission Unit in bytes of the peer
        network")."""
        for (_unused, _scope, collection), items in list(self.store.items()):
            if collection != "networks":
                continue
            for network in items.values():
                for peering in network.get("peerings", []):
                    peer = self.deref(peering["network"])
                    active = peer is not None and any(
                        p.get("network") == network["selfLink"] for p in peer.get("peerings", [])
                    )
                    if peer is not None:
                        peering["peerMtu"] = peer.get("mtu", 1460)
                    state = "ACTIVE" if active else "INACTIVE"
                    if peering.get("state") != state:
                        detail = "Connected." if active else "Waiting for peer network to connect."
                        peering["state"] = state
                        peering["stateDetails"] = f"[{now_rfc3339()}]: {detail}"

    def peering_routes(
        self, network: Resource, peering_name: str, direction: str, region: str
    ) -> list[Resource]:
        """networks.listPeeringRoutes: "Lists the peering routes exchanged over peering
        connection"; direction INCOMING "For routes exported from peer network", OUTGOING
        "For routes exported from local network"; region: "The response will include all
        subnet routes, static routes and dynamic routes in the region."

        Only an ACTIVE peering exchanges routes ("After the peering connection is established,
        the two VPC networks always exchange IPv4 subnet routes", About peering connections).
        Custom routes -- static routes of the ``routes`` collection and the prefixes Cloud
        Routers learned from their UP BGP peers (dynamic) -- are listed when the exporting
        side sets exportCustomRoutes; ``imported`` is true when the importing side sets
        importCustomRoutes (ExchangedPeeringRoute.imported: "The actual import happens if the
        field networkPeering.importCustomRoutes is true for this network, and
        networkPeering.exportCustomRoutes is true for the peer network")."""
        peering = find_peering(network, peering_name)
        peer = self.deref(peering["network"])
        if peering.get("state") != "ACTIVE" or peer is None:
            return []
        back = next(
            (p for p in peer.get("peerings", []) if p["network"] == network["selfLink"]), None
        )
        if back is None:
            return []
        if direction == "INCOMING":
            exporter, export_cfg, import_cfg = peer, back, peering
        else:
            exporter, export_cfg, import_cfg = network, peering, back
        routes: list[Resource] = [
            # Subnet routes carry no priority of their own; the emulator reports 0 (not
            # verified against the real API). nextHopRegion "only applies to dynamic routes".
            {"destRange": text, "type": "SUBNET_PEERING_ROUTE", "priority": 0, "imported": True}
            for _unused, text, _subnet in self.subnet_ranges_of(exporter)
        ]
        if export_cfg.get("exportCustomRoutes"):
            imported = bool(import_cfg.get("importCustomRoutes"))
            routes += self.static_peering_routes(exporter, imported)
            routes += self.dynamic_peering_routes(exporter, region, imported)
        return routes

    def static_peering_routes(self, network: Resource, imported: bool) -> list[Resource]:
        # Static routes with network tags or the default internet gateway as next hop are
        # not exchanged (VPC Network Peering, "Options for exchanging static routes"; from
        # the product documentation, not re-checked in the stored reference).
        project = split_rel(self.rel(network["selfLink"], "", "networks"))[0]
        return [
            {
                "destRange": route["destRange"],
                "type": "STATIC_PEERING_ROUTE",
                "priority": route.get("priority", 1000),  # Route.priority default 1000
                "imported": imported,
            }
            for route in sorted(self.all_of(project, "routes"), key=lambda r: r["name"])
            if route.get("network") == network["selfLink"]
            and not route.get("tags")
            and not route.get("nextHopGateway")
        ]

    def dynamic_peering_routes(
        self, network: Resource, region: str, imported: bool
    ) -> list[Resource]:
        """Prefixes the network's Cloud Routers learned from UP BGP peers. With
        routingConfig.routingMode REGIONAL only the routers of ``region`` count; GLOBAL makes
        every region's routes available ("Dynamic routes can be regional or global,
        depending on the VPC network's dynamic routing mode"). Priority: the peer's
        advertisedRoutePriority, as in getRouterStatus.bestRoutes."""
        project = split_rel(self.rel(network["selfLink"], "", "networks"))[0]
        mode = network.get("routingConfig", {}).get("routingMode", "REGIONAL")
        routes: list[Resource] = []
        for router in sorted(self.all_of(project, "routers"), key=lambda r: r["selfLink"]):
            router_region = router["region"].rsplit("/", 1)[-1]
            if router.get("network") != network["selfLink"]:
                continue
            if mode != "GLOBAL" and router_region != region:
                continue
            for bgp_peer in router.get("bgpPeers", []):
                if self.peer_status(router, bgp_peer)["status"] != "UP":
                    continue
                for prefix in self.learned_from((router["selfLink"], bgp_peer["name"])):
                    route = {
                        "destRange": prefix,
                        "type": "DYNAMIC_PEERING_ROUTE",
                        "nextHopRegion": router_region,
                        "priority": bgp_peer.get("advertisedRoutePriority", 100),
                        "imported": imported,
                    }
                    if route not in routes:
                        routes.append(route)
        return routes

    # ----- derived status ------------------------------------------------------------------

    def router_for_tunnel(self, tunnel: Resource) -> tuple[Resource | None, Resource | None]:
        """(router, its interface whose linkedVpnTunnel is ``tunnel``)."""
        router = self.deref(tunnel.get("router"))
        if router is None:
            return None, None
        for iface in router.get("interfaces", []):
            if iface.get("linkedVpnTunnel") == tunnel["selfLink"]:
                return router, iface
        return router, None

    def tunnel_status(self, tunnel: Resource, observed: bool = True) -> tuple[str, str]:
        """VpnTunnel.status / detailedStatus derived from the configuration, or (with
        ``observed``) what a datapath observed of a tunnel whose configuration is complete.

        HA VPN tunnels with dynamic routing need the HA gateway interface, the peer
        gateway interface, the Cloud Router, a router interface linked to the tunnel and
        a BGP peer on that interface ("Create an HA VPN gateway to a peer VPN gateway",
        "Configure BGP sessions"); until then the tunnel is not established. A tunnel to
        another HA VPN gateway (peerGcpGateway) also needs its counterpart there: both ends
        live in this emulator, so IKE is derived from the two (gcp_peer_problem)."""
        problem = self.local_tunnel_problem(tunnel)
        if problem is None and tunnel.get("peerGcpGateway"):
            problem = self.gcp_peer_problem(tunnel)
        if problem is not None:
            return problem
        seen = self.observed_tunnels.get(tunnel["selfLink"]) if observed else None
        if seen is not None:
            return seen["status"], seen["detailedStatus"]
        return "ESTABLISHED", "Tunnel is up and running."

    def local_tunnel_problem(self, tunnel: Resource) -> tuple[str, str] | None:
        """Why this end of a tunnel is not fully configured (status, detailedStatus), if so."""
        gateway = self.deref(tunnel.get("vpnGateway"))
        ids = [i.get("id") for i in (gateway or {}).get("vpnInterfaces", [])]
        if gateway is None or tunnel.get("vpnGatewayInterface", 0) not in ids:
            return (
                "WAITING_FOR_FULL_CONFIG",
                "Waiting for full config: HA VPN gateway interface missing.",
            )
        if tunnel.get("peerExternalGateway"):
            peer = self.deref(tunnel["peerExternalGateway"])
            peer_ids = [i.get("id") for i in (peer or {}).get("interfaces", [])]
            if peer is None or tunnel.get("peerExternalGatewayInterface", 0) not in peer_ids:
                return (
                    "WAITING_FOR_FULL_CONFIG",
                    "Waiting for full config: peer external VPN gateway interface missing.",
                )
        router, iface = self.router_for_tunnel(tunnel)
        if router is None:
            return "WAITING_FOR_FULL_CONFIG", "Waiting for full config: Cloud Router missing."
        if iface is None:
            return (
                "WAITING_FOR_FULL_CONFIG",
                f"Waiting for full config: no interface of router '{router['name']}' has "
                "linkedVpnTunnel set to this tunnel.",
            )
        peers = [p for p in router.get("bgpPeers", []) if p.get("interfaceName") == iface["name"]]
        if not peers:
            return (
                "FIRST_HANDSHAKE",
                f"Waiting for full config: no BGP peer on router interface '{iface['name']}'.",
            )
        return None

    def gcp_counterpart(self, tunnel: Resource) -> Resource | None:
        """The tunnel of the peer HA VPN gateway that pairs with ``tunnel``: on the peer
        gateway (its vpnGateway), back to this one (its peerGcpGateway), on the same interface
        number - VpnTunnel.peerGcpGateway: "the VPN tunnel will automatically use the same
        vpnGatewayInterface ID in the peer Google Cloud VPN gateway". Google Cloud "Create two
        fully configured HA VPN gateways that connect to each other" (creating-ha-vpn2) creates
        one such tunnel on each side per interface. Any project: the peer may be elsewhere."""
        interface = tunnel.get("vpnGatewayInterface", 0)
        candidates = [
            other
            for (_p, _s, collection), items in sorted(self.store.items())
            if collection == "vpnTunnels"
            for _name, other in sorted(items.items())
            if other.get("vpnGateway") == tunnel.get("peerGcpGateway")
            and other.get("peerGcpGateway") == tunnel.get("vpnGateway")
            and other.get("vpnGatewayInterface", 0) == interface
        ]
        return candidates[0] if candidates else None

    def gcp_peer_problem(self, tunnel: Resource) -> tuple[str, str] | None:
        """Why IKE between two HA VPN gateways does not come up (VpnTunnel.status values of
        the reference): no tunnel back from the peer gateway on the same interface - nothing
        answers (NO_INCOMING_PACKETS, "No incoming packets from peer"); another IKE version
        (NEGOTIATION_FAILURE, "Handshake failed"); another shared secret (AUTHORIZATION_ERROR,
        "Auth error (e.g. bad shared secret)"). The counterpart not fully configured yet:
        FIRST_HANDSHAKE, as this end would be ("Configure BGP sessions")."""
        if self.deref(tunnel.get("peerGcpGateway")) is None:
            return "WAITING_FOR_FULL_CONFIG", "Waiting for full config: peer gateway missing."
        other = self.gcp_counterpart(tunnel)
        interface = tunnel.get("vpnGatewayInterface", 0)
        if other is None:
            return (
                "NO_INCOMING_PACKETS",
                "No incoming packets from peer: no tunnel of the peer HA VPN gateway "
                f"interface {interface} points back at this gateway.",
            )
        if other.get("ikeVersion", 2) != tunnel.get("ikeVersion", 2):
            return "NEGOTIATION_FAILURE", "Handshake failed: the peer uses another IKE version."
        if other.get("_secret") != tunnel.get("_secret"):
            return "AUTHORIZATION_ERROR", "Auth error: the peer tunnel has another shared secret."
        problem = self.local_tunnel_problem(other)
        if problem is not None:
            return "FIRST_HANDSHAKE", f"Peer tunnel '{other['name']}': {problem[1]}"
        return None

    def gcp_session_matches(
        self, router: Resource, peer: Resource, local: str, tunnel: Resource
    ) -> bool:
        """Whether the counterpart of a peerGcpGateway tunnel has the mirror BGP peer: on the
        router interface linked to it, its address is this peer's peerIpAddress and its
        peerIpAddress this peer's address, and each side's peerAsn is the other router's ASN
        (Router bgpPeers reference: ipAddress, peerIpAddress, peerAsn; BGP opens only when
        the peer's AS and address are the configured ones)."""
        other = self.gcp_counterpart(tunnel)
        if other is None:
            return False
        their_router, their_iface = self.router_for_tunnel(other)
        if their_router is None or their_iface is None:
            return False
        our_asn = router.get("bgp", {}).get("asn")
        their_asn = their_router.get("bgp", {}).get("asn")
        default_ip = (their_iface.get("ipRange") or "").split("/")[0]
        for theirs in their_router.get("bgpPeers", []):
            if theirs.get("interfaceName") != their_iface["name"]:
                continue
            if (
                (theirs.get("ipAddress") or default_ip) == peer.get("peerIpAddress")
                and theirs.get("peerIpAddress") == local
                and _asn(theirs.get("peerAsn")) == _asn(our_asn)
                and _asn(peer.get("peerAsn")) == _asn(their_asn)
                and theirs.get("enable", "TRUE") == "TRUE"
            ):
                return True
        return False

    def peer_status(self, router: Resource, peer: Resource) -> Resource:
        """One RouterStatusBgpPeerStatus (routers.getRouterStatus)."""
        iface = next(
            (i for i in router.get("interfaces", []) if i["name"] == peer.get("interfaceName")),
            {},
        )
        net = interface_network(iface.get("ipRange"))
        local = peer.get("ipAddress") or (iface.get("ipRange") or "").split("/")[0]
        tunnel = self.deref(iface.get("linkedVpnTunnel"))
        tunnel_up = tunnel is not None and self.tunnel_status(tunnel)[0] == "ESTABLISHED"
        addresses_ok = (
            in_range(local, net)
            and in_range(peer.get("peerIpAddress"), net)
            and local != peer.get("peerIpAddress")
        )
        configured = (
            tunnel is not None
            and self.tunnel_status(tunnel, observed=False)[0] == "ESTABLISHED"
            and addresses_ok
            and peer.get("peerAsn") is not None
            and peer.get("enable", "TRUE") == "TRUE"
            and (
                not tunnel.get("peerGcpGateway")
                or self.gcp_session_matches(router, peer, local, tunnel)
            )
        )
        up = configured and tunnel_up
        key = (router["selfLink"], peer["name"])
        # BGP session states (Cloud Router "BGP session states"): Established when up;
        # Active while the transport is up but the session is misconfigured.
        state = "Established" if up else ("Active" if tunnel_up else "Idle")
        seen = self.observed_peers.get(key) if configured else None
        if seen is not None:
            up, state = seen["status"] == "UP", seen["state"]
        if up:
            self.up_since.setdefault(key, time.time())
        else:
            self.up_since.pop(key, None)
        status: Resource = {
            "name": peer["name"],
            "ipAddress": local,
            "peerIpAddress": peer.get("peerIpAddress", ""),
            "status": seen["status"] if seen else ("UP" if up else "DOWN"),
            "state": state,
            "enableIpv4": True,
            "md5AuthEnabled": False,
            "numLearnedRoutes": 0,
            "advertisedRoutes": self.advertised(router, peer, local) if up else [],
        }
        if tunnel is not None:
            status["linkedVpnTunnel"] = tunnel["selfLink"]
        if up:
            seconds = int(time.time() - self.up_since[key])
            status["uptime"] = format_uptime(seconds)
            status["uptimeSeconds"] = str(seconds)
            learned = len(self.learned_from(key))
            status["numLearnedRoutes"] = seen["numLearnedRoutes"] if seen else learned
        return status

    def learned_from(self, key: tuple[str, str]) -> list[str]:
        """What the peer ``key`` (router self link, peer name) learned: observed by a
        datapath, else what ``learned-routes`` set."""
        seen = self.observed_peers.get(key)
        if seen is not None:
            return list(seen["learnedRoutes"])
        return self.learned.get(key, [])

    def subnet_ranges(self, router: Resource) -> list[str]:
        """Ranges of the subnets in the router's region and network, primary and secondary
        (Cloud Router "Advertised routes": default advertisements are the subnet routes)."""
        ranges = []
        region = router["region"]
        for subnet in self.all_of(
            split_rel(self.rel(router["selfLink"], "", "routers"))[0], "subnetworks"
        ):
            if subnet.get("network") == router.get("network") and subnet["region"] == region:
                ranges.append(subnet["ipCidrRange"])
                ranges += [r["ipCidrRange"] for r in subnet.get("secondaryIpRanges", [])]
        return ranges

    def advertised(self, router: Resource, peer: Resource, local: str) -> list[Resource]:
        """Peer-level CUSTOM advertisement overrides the router's (RouterBgpPeer.advertiseMode)."""
        source = peer if peer.get("advertiseMode") == "CUSTOM" else router.get("bgp", {})
        if source.get("advertiseMode", "DEFAULT") == "CUSTOM":
            ranges = (
                self.subnet_ranges(router)
                if "ALL_SUBNETS" in source.get("advertisedGroups", [])
                else []
            )
            ranges += [r["range"] for r in source.get("advertisedIpRanges", [])]
        else:
            ranges = self.subnet_ranges(router)
        return [
            {
                "kind": "compute#route",
                "destRange": r,
                "nextHopIp": local,
                "priority": peer.get("advertisedRoutePriority", 100),
                "routeType": "BGP",
            }
            for r in dict.fromkeys(ranges)
        ]

    def router_status(self, router: Resource) -> Resource:
        peers = [self.peer_status(router, p) for p in router.get("bgpPeers", [])]
        best = []
        for peer, status in zip(router.get("bgpPeers", []), peers, strict=True):
            if status["status"] != "UP":
                continue
            for prefix in self.learned_from((router["selfLink"], peer["name"])):
                best.append(
                    {
                        "kind": "compute#route",
                        "destRange": prefix,
                        "network": router["network"],
                        "nextHopIp": status["peerIpAddress"],
                        "nextHopVpnTunnel": status.get("linkedVpnTunnel", ""),
                        "priority": peer.get("advertisedRoutePriority", 100),
                        "routeType": "BGP",
                        "asPaths": [
                            {"pathSegmentType": "AS_SEQUENCE", "asLists": [peer["peerAsn"]]}
                        ],
                    }
                )
        return {
            "kind": "compute#routerStatusResponse",
            "result": {
                "network": router["network"],
                "bestRoutes": best,
                "bestRoutesForRouter": copy.deepcopy(best),
                "bgpPeerStatus": peers,
            },
        }

    def gateway_status(self, gateway: Resource) -> Resource:
        """vpnGateways.getStatus: tunnels grouped by peer gateway, with the HA redundancy
        requirement ("Cloud VPN topologies", 99.99% SLA): every HA interface used, and for
        FOUR_IPS_REDUNDANCY peer interfaces 0,1 on one HA interface and 2,3 on the other."""
        project = split_rel(self.rel(gateway["selfLink"], "", "vpnGateways"))[0]
        groups: dict[str, list[Resource]] = {}
        for tunnel in self.all_of(project, "vpnTunnels"):
            if tunnel.get("vpnGateway") == gateway["selfLink"]:
                peer = tunnel.get("peerExternalGateway") or tunnel.get("peerGcpGateway", "")
                groups.setdefault(peer, []).append(tunnel)
        connections = []
        for peer_url, tunnels in sorted(groups.items()):
            pairs = {(t.get("vpnGatewayInterface", 0), peer_interface(t)) for t in tunnels}
            met = {i for i, _unused in pairs} >= {0, 1}
            peer = self.deref(peer_url) or {}
            if peer.get("redundancyType") == "FOUR_IPS_REDUNDANCY":
                by_local = {i: {p for j, p in pairs if j == i} for i in (0, 1)}
                met = {frozenset(v) for v in by_local.values()} >= {
                    frozenset({0, 1}),
                    frozenset({2, 3}),
                }
            elif peer.get("redundancyType") == "TWO_IPS_REDUNDANCY":
                met = met and {p for _unused, p in pairs} >= {0, 1}
            state: Resource = {
                "state": "CONNECTION_REDUNDANCY_MET" if met else "CONNECTION_REDUNDANCY_NOT_MET"
            }
            if not met:
                state["unsatisfiedReason"] = "INCOMPLETE_TUNNELS_COVERAGE"
            key = (
                "peerExternalGateway" if tunnels[0].get("peerExternalGateway") else "peerGcpGateway"
            )
            connections.append(
                {
                    key: peer_url,
                    "tunnels": [
                        {
                            "tunnelUrl": t["selfLink"],
                            "localGatewayInterface": t.get("vpnGatewayInterface", 0),
                            "peerGatewayInterface": peer_interface(t),
                        }
                        for t in sorted(tunnels, key=lambda t: t["name"])
                    ],
                    "state": state,
                }
            )
        return {"result": {"vpnConnections": connections}}

    def render(self, res: Resource) -> Resource:
        """A stored resource as the API returns it (private ``_`` keys dropped)."""
        out = {k: copy.deepcopy(v) for k, v in res.items() if not k.startswith("_")}
        if res.get("kind") == "compute#vpnTunnel":
            out["status"], out["detailedStatus"] = self.tunnel_status(res)
        if res.get("kind") == "compute#network":
            project = split_rel(self.rel(res["selfLink"], "", "networks"))[0]
            subnets = [
                s["selfLink"]
                for s in self.all_of(project, "subnetworks")
                if s.get("network") == res["selfLink"]
            ]
            if subnets:
                out["subnetworks"] = sorted(subnets)
        return out


def peer_interface(tunnel: Resource) -> int:
    """The peer gateway interface of a tunnel: for a peerGcpGateway tunnel the same number as
    its own (VpnTunnel.peerGcpGateway), else peerExternalGatewayInterface."""
    if tunnel.get("peerGcpGateway"):
        return int(tunnel.get("vpnGatewayInterface", 0))
    return int(tunnel.get("peerExternalGatewayInterface", 0))


def _asn(value: Any) -> int | None:
    """An ASN as the API may hold it (number or string), or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key), value)
    return target


# ----- VPC Network Peering request bodies --------------------------------------------------

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Fields networks.updatePeering changes (NetworksUpdatePeeringRequest.networkPeering).
PEERING_UPDATABLE = (
    "exportCustomRoutes",
    "importCustomRoutes",
    "exportSubnetRoutesWithPublicIp",
    "importSubnetRoutesWithPublicIp",
    "stackType",
    "updateStrategy",
)


def find_peering(network: Resource, name: str) -> Resource:
    for peering in network.get("peerings", []):
        if peering["name"] == name:
            return peering
    # The real API's message for a peering the network lacks ("Error 400: There is no peering
    # (servicenetworking-googleapis-com) for the network.", hashicorp/terraform-provider-google
    # #9105, from networks.removePeering); reason not attested, badRequest as for the other
    # peering errors.
    raise ApiError(400, "badRequest", f"There is no peering ({name}) for the network.")


def check_always_true(peering: Resource, prefix: str) -> None:
    """exchangeSubnetRoutes / autoCreateRoutes: "Currently this field should always be true
    since Google Compute Engine will automatically create and manage subnetwork routes between
    two networks when peering state is ACTIVE" (NetworkPeering). The wording of the error is
    the emulator's."""
    for key in ("exchangeSubnetRoutes", "autoCreateRoutes"):
        if peering.get(key) is False:
            raise invalid(
                f"Invalid value for field 'resource.{prefix}{key}': 'false'. Subnet routes are "
                "always exchanged: the field must be true."
            )


def peering_request(body: Resource, method_id: str) -> Resource:
    """The NetworkPeering a NetworksAddPeeringRequest asks for, output-only fields set later.

    Two forms: ``networkPeering`` {name, network, exchangeSubnetRoutes, ...} -- "In order to
    specify route policies for peering using import and export custom routes, you must specify
    all peering related parameters (name, peer network, exchange_subnet_routes) in the
    network_peering field" -- and the legacy top-level name / peerNetwork / autoCreateRoutes
    ("will be deprecated soon"). The discovery document marks the top-level name required,
    yet gcloud and Terraform send only networkPeering, so its name stands in for it."""
    given = body.get("networkPeering")
    check = dict(body)
    if isinstance(given, dict) and not body.get("name") and given.get("name"):
        check["name"] = given["name"]
    schema.validate(check, "NetworksAddPeeringRequest", method_id)
    form = dict(given or {})
    for top, key in (("name", "name"), ("peerNetwork", "network")):
        if body.get(top) is None:
            continue
        if form.get(key) is not None and form[key] != body[top]:
            # Not the real API's wording: the two forms must agree when both are given.
            raise invalid(
                f"Invalid value for field 'resource.{top}': '{body[top]}'. It differs from "
                f"'resource.networkPeering.{key}': '{form[key]}'."
            )
        form[key] = body[top]
    prefix = "networkPeering." if given is not None else ""
    if not form.get("network"):
        field_name = "network_peering.network" if given is not None else "peer_network"
        raise ApiError(400, "required", f"Required field 'resource.{field_name}' not specified")
    # NetworkPeering.name: "1-63 characters long and match regular expression
    # `[a-z]([-a-z0-9]*[a-z0-9])?`".
    if not re.fullmatch(NAME_RE, form["name"]):
        raise invalid(
            f"Invalid value for field 'resource.{prefix}name': '{form['name']}'. "
            f"Must be a match of regex '{NAME_RE}'"
        )
    check_always_true(form, prefix)
    if body.get("autoCreateRoutes") is False:
        check_always_true({"autoCreateRoutes": False}, "")
    peering: Resource = {
        "name": form["name"],
        "network": form["network"],
        "autoCreateRoutes": True,
        "exchangeSubnetRoutes": True,
        # NetworkPeering: exportCustomRoutes / importCustomRoutes "The default value is
        # false"; exportSubnetRoutesWithPublicIp "The default value is true",
        # importSubnetRoutesWithPublicIp "The default value is false"; stackType "The default
        # value is IPV4_ONLY".
        "exportCustomRoutes": form.get("exportCustomRoutes", False),
        "importCustomRoutes": form.get("importCustomRoutes", False),
        "exportSubnetRoutesWithPublicIp": form.get("exportSubnetRoutesWithPublicIp", True),
        "importSubnetRoutesWithPublicIp": form.get("importSubnetRoutesWithPublicIp", False),
        "stackType": form.get("stackType", "IPV4_ONLY"),
    }
    if form.get("updateStrategy"):
        peering["updateStrategy"] = form["updateStrategy"]
    return peering


# ----- per-collection preparation (validation, defaults, output-only fields) ---------------

REF_FIELDS = {
    "network": "networks",
    "vpnGateway": "vpnGateways",
    "peerExternalGateway": "externalVpnGateways",
    "peerGcpGateway": "vpnGateways",
    "router": "routers",
    "nextHopVpnTunnel": "vpnTunnels",
}


def _cidr(value: Any, field_name: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value)
    except (TypeError, ValueError):
        raise invalid(
            f"Invalid value for field '{field_name}': '{value}'. Must be a CIDR address range "
            "that is contained in the RFC1918 or RFC6598 or RFC 5737 space."
        ) from None


def _required(res: Resource, key: str) -> None:
    if res.get(key) in (None, "", []):
        raise ApiError(
            400, "required", f"Required field 'resource.{schema.snake(key)}' not specified"
        )


def prepare_network(c: Compute, project: str, region: str, res: Resource) -> None:
    # networks: routingConfig.routingMode defaults to REGIONAL; mtu to 1460.
    res.setdefault("routingConfig", {"routingMode": "REGIONAL"})
    res.setdefault("mtu", 1460)
    res.setdefault("autoCreateSubnetworks", False)
    res.pop("subnetworks", None)  # output only, derived in render()
    # Network.peerings: "[Output Only] A list of network peerings for the resource."; they
    # come from networks.addPeering only.
    res.pop("peerings", None)


def prepare_subnetwork(c: Compute, project: str, region: str, res: Resource) -> None:
    # subnetworks.insert: network and ipCidrRange are required.
    _required(res, "network")
    _required(res, "ipCidrRange")
    c.ref(res, "network", project, "networks")
    primary = _cidr(res["ipCidrRange"], "resource.ipCidrRange")
    res["gatewayAddress"] = str(next(primary.hosts()))
    names = set()
    for index, second in enumerate(res.get("secondaryIpRanges", [])):
        _required(second, "rangeName")
        _cidr(second.get("ipCidrRange"), f"resource.secondaryIpRanges[{index}].ipCidrRange")
        if second["rangeName"] in names:
            raise invalid(
                f"Invalid value for field 'resource.secondaryIpRanges[{index}].rangeName'"
            )
        names.add(second["rangeName"])
    res.setdefault("stackType", "IPV4_ONLY")
    res.setdefault("privateIpGoogleAccess", False)
    res["fingerprint"] = fingerprint({"r": res["ipCidrRange"]})


def prepare_vpn_gateway(c: Compute, project: str, region: str, res: Resource) -> None:
    c.ref(res, "network", project, "networks")
    # VpnGateway.stackType: "If not specified, IPV4_ONLY is used"; two interfaces, each with
    # its own external address (Cloud VPN overview, "HA VPN").
    res.setdefault("stackType", "IPV4_ONLY")
    res["vpnInterfaces"] = [{"id": i, "ipAddress": str(next(c._vpn_ips))} for i in (0, 1)]
    res["labelFingerprint"] = fingerprint(res.get("labels"))


def prepare_external_gateway(c: Compute, project: str, region: str, res: Resource) -> None:
    _required(res, "redundancyType")
    ids = REDUNDANCY_IDS[res["redundancyType"]]
    got = sorted(i.get("id", 0) for i in res.get("interfaces", []))
    if got != ids:
        raise invalid(
            f"Invalid value for field 'resource.interfaces': redundancyType "
            f"{res['redundancyType']} needs {len(ids)} interface(s) with ids "
            f"{', '.join(map(str, ids))}, got {got}."
        )
    for index, iface in enumerate(res["interfaces"]):
        try:
            ipaddress.IPv4Address(iface.get("ipAddress", ""))
        except ValueError:
            raise invalid(
                f"Invalid value for field 'resource.interfaces[{index}].ipAddress': "
                f"'{iface.get('ipAddress', '')}'. Must be a valid IPv4 address."
            ) from None
        iface.setdefault("id", 0)
    res["labelFingerprint"] = fingerprint(res.get("labels"))


def prepare_router(c: Compute, project: str, region: str, res: Resource) -> None:
    c.ref(res, "network", project, "networks")
    check_router(c, project, region, res)


def update_router(c: Compute, project: str, region: str, res: Resource, old: Resource) -> None:
    c.ref(res, "network", project, "networks")
    if res.get("network") != old.get("network"):
        raise invalid(
            "Invalid value for field 'resource.network': the network of a router cannot change."
        )
    old_asn = old.get("bgp", {}).get("asn")
    if old_asn is not None and res.get("bgp", {}).get("asn", old_asn) != old_asn:
        # RouterBgp.asn: "The value will be fixed for this router resource."
        raise invalid(
            "Invalid value for field 'resource.bgp.asn': the ASN of a router cannot change."
        )
    check_router(c, project, region, res)


def check_router(c: Compute, project: str, region: str, res: Resource) -> None:
    bgp = res.get("bgp")
    if bgp is not None:
        asn = int(bgp.get("asn", 0))
        if not any(asn in r for r in PRIVATE_ASNS):
            raise invalid(
                f"Invalid value for field 'resource.bgp.asn': '{asn}'. Must be a private ASN "
                "(RFC 6996): 64512-65534 or 4200000000-4294967294."
            )
        bgp.setdefault("advertiseMode", "DEFAULT")
        bgp.setdefault("keepaliveInterval", 20)
        if bgp["advertiseMode"] != "CUSTOM" and (
            bgp.get("advertisedGroups") or bgp.get("advertisedIpRanges")
        ):
            raise invalid(
                "Invalid value for field 'resource.bgp.advertisedGroups': custom advertisements "
                "can only be set when advertiseMode is CUSTOM."
            )
        for index, item in enumerate(bgp.get("advertisedIpRanges", [])):
            _cidr(item.get("range"), f"resource.bgp.advertisedIpRanges[{index}].range")
    names = set()
    for index, iface in enumerate(res.get("interfaces", [])):
        if iface["name"] in names:
            raise invalid(
                f"Invalid value for field 'resource.interfaces[{index}].name': duplicate."
            )
        names.add(iface["name"])
        if iface.get("ipRange"):
            net = interface_network(iface["ipRange"])
            # RouterInterface.ipRange: IPv4 "must be in the RFC3927 link-local IP address space".
            if net is None or not net.subnet_of(LINK_LOCAL):
                raise invalid(
                    f"Invalid value for field 'resource.interfaces[{index}].ipRange': "
                    f"'{iface['ipRange']}'. Must be a link-local range in 169.254.0.0/16."
                )
        if iface.get("linkedVpnTunnel"):
            c.ref(iface, "linkedVpnTunnel", project, "vpnTunnels", region)
    peer_names = set()
    for index, peer in enumerate(res.get("bgpPeers", [])):
        _required(peer, "name")
        if peer["name"] in peer_names:
            raise invalid(f"Invalid value for field 'resource.bgpPeers[{index}].name': duplicate.")
        peer_names.add(peer["name"])
        if peer.get("interfaceName") not in names:
            raise invalid(
                f"Invalid value for field 'resource.bgpPeers[{index}].interfaceName': "
                f"'{peer.get('interfaceName', '')}'. No interface with this name on the router."
            )
        peer.setdefault("enable", "TRUE")
        peer.setdefault("advertiseMode", "DEFAULT")
        peer.setdefault("managementType", "MANAGED_BY_USER")
    for iface in res.get("interfaces", []):
        iface.setdefault("managementType", "MANAGED_BY_USER")


def prepare_tunnel(c: Compute, project: str, region: str, res: Resource) -> None:
    if res.get("targetVpnGateway") or res.get("peerIp"):
        raise invalid(
            "Classic VPN tunnels (targetVpnGateway, peerIp) are not emulated: use vpnGateway."
        )
    _required(res, "vpnGateway")
    _required(res, "sharedSecret")
    gateway = c.get_rel(c.ref(res, "vpnGateway", project, "vpnGateways", region))
    interface = res.setdefault("vpnGatewayInterface", 0)
    if interface not in [i["id"] for i in (gateway or {}).get("vpnInterfaces", [])]:
        raise invalid(
            f"Invalid value for field 'resource.vpnGatewayInterface': '{interface}'. "
            "Possible values are 0 and 1."
        )
    if res.get("peerExternalGateway") and res.get("peerGcpGateway"):
        # VpnTunnel.peerExternalGateway: "This field is exclusive with the field peerGcpGateway."
        raise invalid(
            "Invalid value for field 'resource.peerGcpGateway': peerGcpGateway and "
            "peerExternalGateway are exclusive."
        )
    if res.get("peerExternalGateway"):
        peer = c.get_rel(c.ref(res, "peerExternalGateway", project, "externalVpnGateways"))
        peer_if = res.setdefault("peerExternalGatewayInterface", 0)
        addresses = {i["id"]: i["ipAddress"] for i in (peer or {}).get("interfaces", [])}
        if peer_if not in addresses:
            raise invalid(
                f"Invalid value for field 'resource.peerExternalGatewayInterface': '{peer_if}'. "
                f"The external VPN gateway has interfaces {sorted(addresses)}."
            )
        res["peerIp"] = addresses[peer_if]
    elif res.get("peerGcpGateway"):
        # VpnTunnel.peerGcpGateway: "the field is exclusive with the field
        # peerExternalGateway. If provided, the VPN tunnel will automatically use the same
        # vpnGatewayInterface ID in the peer Google Cloud VPN gateway" - an HA VPN gateway of
        # any project or region (gcloud --peer-gcp-gateway-region), never the tunnel's own.
        if res.get("peerExternalGatewayInterface") is not None:
            raise invalid(
                "Invalid value for field 'resource.peerExternalGatewayInterface': "
                f"'{res['peerExternalGatewayInterface']}'. It applies to a peer external VPN "
                "gateway only; a tunnel to a peer HA VPN gateway uses the same interface."
            )
        peer_rel = c.ref(res, "peerGcpGateway", project, "vpnGateways", region)
        if c.url(peer_rel) == res["vpnGateway"]:
            raise invalid(
                f"Invalid value for field 'resource.peerGcpGateway': '{res['peerGcpGateway']}'. "
                "A tunnel cannot connect an HA VPN gateway to itself."
            )
    else:
        raise ApiError(
            400, "required", "Required field 'resource.peer_external_gateway' not specified"
        )
    if res.get("router"):
        c.ref(res, "router", project, "routers", region)
    res.setdefault("ikeVersion", 2)
    # sharedSecret is write-only: GET shows a mask and sharedSecretHash (VpnTunnel resource;
    # `gcloud compute vpn-tunnels describe` output in the Cloud VPN docs).
    secret = res["sharedSecret"]
    res["_secret"] = secret
    res["sharedSecret"] = "*************"
    digest = hashlib.sha256(b"crosscluster-emulator:" + secret.encode()).digest()
    res["sharedSecretHash"] = base64.urlsafe_b64encode(digest[:21]).decode()
    res["labelFingerprint"] = fingerprint(res.get("labels"))


def prepare_route(c: Compute, project: str, region: str, res: Resource) -> None:
    c.ref(res, "network", project, "networks")
    _cidr(res["destRange"], "resource.destRange")
    hops = [k for k in res if k.startswith("nextHop")]
    if len(hops) != 1:
        raise invalid("Exactly one of the nextHop* fields must be set (routes.insert).")
    if res.get("nextHopVpnTunnel"):
        c.ref(res, "nextHopVpnTunnel", project, "vpnTunnels", region)
    res["routeType"] = "STATIC"


def prepare_firewall(c: Compute, project: str, region: str, res: Resource) -> None:
    # Firewall.network: "If not specified when creating a firewall rule, the default
    # network is used: global/networks/default".
    res.setdefault("network", "global/networks/default")
    c.ref(res, "network", project, "networks")
    if res.get("allowed") and res.get("denied"):
        raise invalid("Invalid value for field 'resource': set allowed or denied, not both.")
    res.setdefault("direction", "INGRESS")
    res.setdefault("priority", 1000)
    res.setdefault("disabled", False)
    if res["direction"] == "INGRESS" and not (res.get("sourceRanges") or res.get("sourceTags")):
        res["sourceRanges"] = ["0.0.0.0/0"]
    # Firewall.sourceRanges: IPv4 or IPv6 ranges, not both in one rule (VPC firewall rules,
    # "Source for ingress rules"; the API answers 400 invalid).
    versions: set[int] = set()
    for index, cidr in enumerate(res.get("sourceRanges", [])):
        versions.add(_cidr(cidr, f"resource.sourceRanges[{index}]").version)
        if len(versions) > 1:
            raise invalid(
                f"Invalid value for field 'resource.sourceRanges[{index}]': '{cidr}'. "
                "IPv4 and IPv6 source ranges cannot be mixed in one firewall rule."
            )


def update_firewall(c: Compute, project: str, region: str, res: Resource, old: Resource) -> None:
    prepare_firewall(c, project, region, res)


PREPARE: dict[str, Callable[[Compute, str, str, Resource], None]] = {
    "networks": prepare_network,
    "subnetworks": prepare_subnetwork,
    "vpnGateways": prepare_vpn_gateway,
    "externalVpnGateways": prepare_external_gateway,
    "routers": prepare_router,
    "vpnTunnels": prepare_tunnel,
    "routes": prepare_route,
    "firewalls": prepare_firewall,
}
UPDATE: dict[str, Callable[[Compute, str, str, Resource, Resource], None]] = {
    "routers": update_router,
    "firewalls": update_firewall,
}
