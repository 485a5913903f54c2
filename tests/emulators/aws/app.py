"""The AWS emulator: moto's server app, in-process, behind a thin EC2 extension layer.

EC2 Query API requests whose Action moto lacks or answers too thinly for Site-to-Site VPN
(or answers wrongly: DescribeCustomerGateways filters, CreateTransitGatewayVpcAttachment
tags, the tags of each Region's view of a VPC peering connection or a Transit Gateway peering
attachment) are handled here on moto's own backend objects; the result is serialized with
moto's serializer against botocore's EC2 model, so element names are those of the EC2 API
reference. Every other request goes to moto untouched.
"""

from __future__ import annotations

import io
import ipaddress
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import ServiceException
from moto.core.parse import EC2QueryParser
from moto.core.serialize import EC2Serializer, SerializationContext, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.ec2.models import ec2_backends
from moto.ec2.models.vpc_peering_connections import VPCPeeringConnection
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.datastructures import MultiDict

from . import filters, peering, vpn
from .vpn import Ec2Error, invalid

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
EC2_API_VERSION = "2016-11-15"
_REGION_RE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
# The EC2 actions that only read: Describe*, Get*, List* and Search* (SearchTransitGatewayRoutes,
# "Searches for routes in the specified transit gateway route table").
_READ_PREFIXES = ("Describe", "Get", "List", "Search")
AWS_ADMIN = "/_emulator/aws/"

# "Eventual consistency in the Amazon EC2 API" (EC2 developer guide): "if you run a command to
# modify or describe the resource that you just created, its ID might not have propagated
# throughout the system, and you will get an error responding that the resource does not
# exist". The NotFound answer of each resource the extension hides while fresh, by id prefix
# (EC2 API reference, "Error codes": Invalid<Resource>ID.NotFound).
NOT_FOUND_BY_PREFIX = {
    "cgw-": ("InvalidCustomerGatewayID.NotFound", "customerGateway"),
    "vgw-": ("InvalidVpnGatewayID.NotFound", "vpnGateway"),
    "vpn-": ("InvalidVpnConnectionID.NotFound", "vpnConnection"),
}
# Request parameters that do not name a resource to look up: filter values match (or not),
# they are never "not found"; tag specifications of a create carry no id.
_NOT_NAMING_PREFIXES = ("Filter.", "TagSpecification")

# CreateCustomerGateway, BgpAsn: "7224 is reserved in all Regions"; 9059 in eu-west-1,
# 10124 in ap-northeast-1, 17943 in ap-southeast-1.
RESERVED_ASNS = {7224: None, 9059: "eu-west-1", 10124: "ap-northeast-1", 17943: "ap-southeast-1"}


def error_body(code: str, message: str) -> bytes:
    """EC2's error shape ("Error codes for the Amazon EC2 API", "Common client error codes")."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{uuid.uuid4()}</RequestID></Response>"
    ).encode()


def render_fault(kind: str, operation: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """Injected faults in EC2's shape: RequestLimitExceeded (400) for throttling, Unavailable
    (503, "The server is overloaded and can't handle the request") for server errors."""
    headers = [("Content-Type", "text/xml")]
    if kind == "throttle":
        return (
            "400 Bad Request",
            headers,
            error_body("RequestLimitExceeded", "Request limit exceeded."),
        )
    message = "The server is overloaded and can't handle the request."
    return "503 Service Unavailable", headers, error_body("Unavailable", message)


def request_params(environ: Environ, body: bytes) -> MultiDict[str, str]:
    pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    content_type = environ.get("CONTENT_TYPE", "")
    if body and ("x-www-form-urlencoded" in content_type or not content_type):
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return MultiDict(pairs)


def classify(environ: Environ, body: bytes) -> tuple[str, bool]:
    """Operation of a request: the Query API Action, else the JSON protocol's X-Amz-Target,
    else method and path. Mutating = not Describe*/Get*/List*/Search* (or not GET/HEAD)."""
    action = request_params(environ, body).get("Action")
    if not action:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        action = target.rsplit(".", 1)[-1] if target else ""
    if action:
        return action, not action.startswith(_READ_PREFIXES)
    method = environ.get("REQUEST_METHOD", "GET")
    return f"{method} {environ.get('PATH_INFO', '/')}", method not in ("GET", "HEAD")


@dataclass
class VpnRecord:
    """What the extension keeps about one VPN connection, next to moto's object."""

    region: str
    connection_id: str
    ready_at: float
    changed_at: float
    static_routes_only: bool
    tunnels: list[dict[str, Any]]
    routes: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    # When a ``modifying`` connection becomes available again, a ``deleting`` one deleted.
    modified_at: float = 0.0
    deleted_at: float = 0.0
    # Outside IP -> the VgwTelemetry fields a datapath observed (lab only, set through
    # ``PUT /_emulator/aws/observed``); they replace the derived ones while the connection is up.
    observed: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class PeeringWindow:
    """An open window of a VPC peering connection or a Transit Gateway peering attachment
    (moto's object ``resource``): it stays ``state`` until ``ends_at``, then becomes
    ``settled``, unless another call (a delete, moto's reject) changed its state first."""

    resource: Any
    state: str
    settled: str
    ends_at: float


@dataclass
class Lifecycle:
    """How long the slow VPN transitions take (seconds; 0 = at once), the seed of the
    Options.TunnelOptions shuffle (None = creation order), how long a new customer
    gateway, VPN gateway or VPN connection is not found by id (0 = found at once), and how
    long each transitional state of a VPC peering connection or Transit Gateway peering
    attachment lasts (0 = the next read sees the settled state), and how long a VPC peering
    request may stay unaccepted before it expires (``peering_expiry_seconds``: the 7 days of
    the VPC Peering Guide, peering.PCX_EXPIRY_SECONDS, unless set shorter; ``settle`` never
    ends it: expiry is the absence of an action, not a transition). ``--pending-seconds``,
    ``--deleting-seconds``, ``--modifying-seconds``, ``--shuffle-tunnel-options``,
    ``--notfound-seconds`` and ``--peering-seconds`` set them at start,
    ``PUT /_emulator/aws/lifecycle`` at run time."""

    pending_seconds: float = 0.0
    deleting_seconds: float = 0.0
    modifying_seconds: float = 0.0
    shuffle_seed: int | None = None
    notfound_seconds: float = 0.0
    peering_seconds: float = 0.0
    peering_expiry_seconds: float = peering.PCX_EXPIRY_SECONDS

    def __post_init__(self) -> None:
        seconds = (
            "pending_seconds",
            "deleting_seconds",
            "modifying_seconds",
            "notfound_seconds",
            "peering_seconds",
            "peering_expiry_seconds",
        )
        for name in seconds:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
        seed = self.shuffle_seed
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"shuffle_seed must be an integer or null, got {seed!r}")


class AwsEmulator:
    """WSGI app: the EC2 VPN extension in front of moto's DomainDispatcherApplication."""

    def __init__(
        self,
        *,
        region: str,
        pending_seconds: float = 0.0,
        deleting_seconds: float = 0.0,
        modifying_seconds: float = 0.0,
        shuffle_seed: int | None = None,
        notfound_seconds: float = 0.0,
        peering_seconds: float = 0.0,
        seed: int | None = None,
    ):
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.region = region
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.lifecycle = Lifecycle()
        self.shuffle_rng: random.Random | None = None
        self.set_lifecycle(
            {
                "pending_seconds": pending_seconds,
                "deleting_seconds": deleting_seconds,
                "modifying_seconds": modifying_seconds,
                "shuffle_seed": shuffle_seed,
                "notfound_seconds": notfound_seconds,
                "peering_seconds": peering_seconds,
            }
        )
        self.records: dict[str, VpnRecord] = {}
        # Peering id -> its open window (peering_seconds > 0 only).
        self.peering_windows: dict[str, PeeringWindow] = {}
        # VPC peering request id -> (moto's connection, when it expires unless accepted).
        self.pcx_expiry: dict[str, tuple[Any, float]] = {}
        # Id -> when it becomes visible, for the ids created with a NotFound window.
        self.visible_at: dict[str, float] = {}
        self.model = get_service_model("ec2")
        self.handlers: dict[str, Callable[[Any, str, dict[str, Any], Environ, bytes], bytes]] = {
            "CreateVpnConnection": self.create_vpn_connection,
            "DeleteVpnConnection": self.delete_vpn_connection,
            "DeleteCustomerGateway": self.delete_customer_gateway,
            "DeleteVpnGateway": self.delete_vpn_gateway,
            "ModifyVpnTunnelOptions": self.modify_vpn_tunnel_options,
            "ModifyVpnConnectionOptions": self.modify_vpn_connection_options,
            "CreateVpnConnectionRoute": self.create_vpn_connection_route,
            "DeleteVpnConnectionRoute": self.delete_vpn_connection_route,
            "EnableVgwRoutePropagation": self.enable_vgw_route_propagation,
            "DisableVgwRoutePropagation": self.disable_vgw_route_propagation,
            "CreateCustomerGateway": self.create_customer_gateway,
            "CreateVpnGateway": self.create_vpn_gateway,
            "DescribeCustomerGateways": self.describe_customer_gateways,
            "CreateTransitGatewayVpcAttachment": self.create_transit_gateway_vpc_attachment,
            "CreateTransitGatewayRoute": self.create_transit_gateway_route,
            "DeleteTransitGatewayRoute": self.delete_transit_gateway_route,
            "SearchTransitGatewayRoutes": self.search_transit_gateway_routes,
            "CreateVpcPeeringConnection": self.create_vpc_peering_connection,
            "DescribeVpcPeeringConnections": self.describe_vpc_peering_connections,
            "AcceptVpcPeeringConnection": self.accept_vpc_peering_connection,
            "DeleteVpcPeeringConnection": self.delete_vpc_peering_connection,
            "CreateTransitGatewayPeeringAttachment": (
                self.create_transit_gateway_peering_attachment
            ),
            "DescribeTransitGatewayPeeringAttachments": (
                self.describe_transit_gateway_peering_attachments
            ),
            "AcceptTransitGatewayPeeringAttachment": self.accept_transit_gateway_peering_attachment,
            "DeleteTransitGatewayPeeringAttachment": (
                self.delete_transit_gateway_peering_attachment
            ),
            "DescribeTransitGatewayAttachments": self.describe_transit_gateway_attachments,
            "DescribeRouteTables": self.describe_route_tables,
        }

    # -- WSGI -------------------------------------------------------------------------------
    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = request_params(environ, body)
        action = params.get("Action")
        if not action or params.get("Version") != EC2_API_VERSION:
            return self.moto(environ, start_response)
        with self.lock:
            region = self._region(environ)
            backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
            self._refresh(backend, region)
            handler = self.handlers.get(action)
            hidden = self._not_yet_visible(params)
            if handler is None and hidden is None:
                return list(self.moto(environ, start_response))
            try:
                if hidden is not None:
                    raise hidden
                parsed = EC2QueryParser(self.model.operation_model(action)).parse(
                    {"values": params, "method": "POST", "headers": {}, "body": body}
                )
                if parsed.get("DryRun"):
                    raise Ec2Error(
                        "DryRunOperation",
                        "Request would have succeeded, but DryRun flag is set.",
                        412,
                    )
                payload = handler(backend, region, parsed, environ, body)
                self._refresh(backend, region)
                status = "200 OK"
            except Ec2Error as exc:
                status, payload = f"{exc.status} Error", error_body(exc.code, exc.message)
            except ServiceException as exc:  # moto's own NotFound errors from its getters
                status, payload = "400 Bad Request", error_body(exc.code, exc.message)
        start_response(
            status, [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))]
        )
        return [payload]

    def set_lifecycle(self, changes: dict[str, Any]) -> Lifecycle:
        """Change some of the Lifecycle fields (unknown names are refused); a new
        ``shuffle_seed`` restarts the shuffle sequence."""
        unknown = set(changes) - set(Lifecycle.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown lifecycle field(s) {sorted(unknown)}")
        with self.lock:
            updated = Lifecycle(**{**self.lifecycle.__dict__, **changes})
            self.lifecycle = updated
            if "shuffle_seed" in changes:
                seed = updated.shuffle_seed
                self.shuffle_rng = None if seed is None else random.Random(seed)
        return updated

    def admin(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        """``GET|PUT /_emulator/aws/lifecycle`` (JSON Lifecycle fields),
        ``GET|PUT|DELETE /_emulator/aws/observed`` (observed telemetry) and
        ``POST /_emulator/aws/settle`` (end every open window now); not logged."""
        name = environ.get("PATH_INFO", "")[len(AWS_ADMIN) :]
        method = environ.get("REQUEST_METHOD", "GET")
        status, payload = "200 OK", {}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
            with self.lock:
                if name == "lifecycle":
                    if method in ("PUT", "POST"):
                        if not isinstance(body, dict):
                            raise ValueError("the body must be a JSON object of lifecycle fields")
                        self.set_lifecycle(body)
                    payload = dict(self.lifecycle.__dict__)
                elif name == "settle" and method in ("PUT", "POST"):
                    payload = self.settle()
                elif name == "observed":
                    if method in ("PUT", "POST"):
                        self.observe(body)
                    elif method == "DELETE":
                        self.forget_observations()
                    payload = {"tunnels": self.observations()}
                else:
                    status, payload = "404 Not Found", {"error": f"no admin endpoint {name!r}"}
        except ValueError as exc:
            status, payload = "400 Bad Request", {"error": str(exc)}
        data = json.dumps(payload).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    def settle(self) -> dict[str, int]:
        """End every open lifecycle window now, as if its seconds had passed: pending and
        modifying connections become available, deleting ones deleted, new ids visible,
        peerings take their next state. A test sets a window longer than any check and
        settles when it is done, so no check races the clock on a loaded machine. Returns how
        many windows it ended."""
        now = time.time()
        ended = {
            "pending": 0,
            "modifying": 0,
            "deleting": 0,
            "notfound": len(self.visible_at),
            "peering": len(self.peering_windows),
        }
        self.visible_at.clear()
        for window in self.peering_windows.values():
            window.ends_at = min(window.ends_at, now)
        self._advance_peerings(now)
        for record in self.records.values():
            backend = ec2_backends[DEFAULT_ACCOUNT_ID][record.region]
            state = getattr(backend.vpn_connections.get(record.connection_id), "state", None)
            if state in ended:
                ended[state] += 1
            record.ready_at = min(record.ready_at, now)
            record.modified_at = min(record.modified_at, now)
            record.deleted_at = min(record.deleted_at, now)
        for region in {record.region for record in self.records.values()}:
            self._refresh(ec2_backends[DEFAULT_ACCOUNT_ID][region], region)
        return ended

    def _created(self, resource_id: str) -> None:
        """Start the NotFound window of a new resource (none when notfound_seconds is 0; a
        later change of the window leaves the ids created before alone)."""
        if self.lifecycle.notfound_seconds > 0:
            self.visible_at[resource_id] = time.time() + self.lifecycle.notfound_seconds

    def _not_yet_visible(self, params: MultiDict[str, str]) -> Ec2Error | None:
        """Invalid<Resource>ID.NotFound when the request names (outside its filters) an id
        still in its NotFound window: eventual consistency (NOT_FOUND_BY_PREFIX)."""
        now = time.time()
        for resource_id in [i for i, at in self.visible_at.items() if at <= now]:
            del self.visible_at[resource_id]
        for key, value in params.items(multi=True):
            if value in self.visible_at and not key.startswith(_NOT_NAMING_PREFIXES):
                code, noun = NOT_FOUND_BY_PREFIX[value[: value.index("-") + 1]]
                return Ec2Error(code, f"The {noun} ID '{value}' does not exist")
        return None

    def _region(self, environ: Environ) -> str:
        match = _REGION_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        return match.group(1) if match else self.region

    def _render(self, action: str, result: dict[str, Any]) -> bytes:
        serializer = EC2Serializer(
            operation_model=self.model.operation_model(action),
            context=SerializationContext(request_id=str(uuid.uuid4())),
            value_picker=XFormedAttributePicker(),
        )
        return str(serializer.serialize(result)["body"]).encode()

    def _delegate(self, environ: Environ, body: bytes) -> tuple[int, bytes]:
        """Run the request through moto and return (status, body)."""
        seen: dict[str, str] = {}

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            seen["status"] = status

        environ["wsgi.input"] = io.BytesIO(body)
        payload = b"".join(self.moto(environ, _start))
        return int(seen.get("status", "500").split()[0]), payload

    # -- state kept on moto's objects ---------------------------------------------------------
    def _refresh(self, backend: Any, region: str) -> None:
        """Advance pending connections and peerings, and write the extension's view onto
        moto's objects, so moto's own Describe* answers carry it."""
        now = time.time()
        self._advance_peerings(now)
        # DescribeCustomerGateways filter bgp-asn compares strings: moto keeps an int.
        for gateway in backend.customer_gateways.values():
            if gateway.bgp_asn is not None and not isinstance(gateway.bgp_asn, str):
                gateway.bgp_asn = str(gateway.bgp_asn)
        for record in self.records.values():
            if record.region != region:
                continue
            connection = backend.vpn_connections.get(record.connection_id)
            if connection is None:
                continue
            if connection.state == "pending" and now >= record.ready_at:
                connection.state = "available"
                record.changed_at = record.ready_at
            # ModifyVpnTunnelOptions (API_ModifyVpnTunnelOptions): the connection reports
            # "modifying" until the change is applied, then "available" again (a state the
            # VpnState enum omits but AWS reports; Terraform's aws provider waits on it).
            if connection.state == "modifying" and now >= record.modified_at:
                connection.state = "available" if now >= record.ready_at else "pending"
                record.changed_at = record.modified_at
            # DeleteVpnConnection (API_DeleteVpnConnection; VpnConnection State: pending |
            # available | deleting | deleted): "deleting" for a while, then "deleted".
            if connection.state == "deleting" and now >= record.deleted_at:
                self._finish_delete(backend, connection)
                record.changed_at = record.deleted_at
            self._apply(backend, connection, record)

    def _apply(self, backend: Any, connection: Any, record: VpnRecord) -> None:
        # VpnConnection type: options (VpnConnectionOptions), routes (VpnStaticRoute),
        # vgwTelemetry (VgwTelemetry), customerGatewayConfiguration.
        connection.Options = {
            "EnableAcceleration": False,
            "StaticRoutesOnly": record.static_routes_only,
            "LocalIpv4NetworkCidr": "0.0.0.0/0",
            "RemoteIpv4NetworkCidr": "0.0.0.0/0",
            "OutsideIpAddressType": "PublicIpv4",
            "TunnelInsideIpVersion": "ipv4",
            **record.options,
            "TunnelOptions": self._reported_order(record.tunnels),
        }
        connection.Routes = record.routes
        connection.VgwTelemetry = [self._telemetry(connection, record, t) for t in record.tunnels]
        customer = backend.customer_gateways[connection.customer_gateway_id]
        if connection.transit_gateway_id:
            gateway_field = ("transit_gateway_id", connection.transit_gateway_id)
            tgw = backend.transit_gateways[connection.transit_gateway_id]
            amazon_asn = tgw.options.get("AmazonSideAsn", 64512)
        else:
            gateway_field = ("vpn_gateway_id", connection.vpn_gateway_id or "")
            vgw = backend.vpn_gateways.get(connection.vpn_gateway_id)
            amazon_asn = (vgw.amazon_side_asn if vgw else None) or 64512
        connection.CustomerGatewayConfiguration = vpn.customer_gateway_configuration(
            connection_id=connection.id,
            connection_type=connection.type,
            customer_gateway_id=customer.id,
            gateway_field=gateway_field,
            customer_ip=customer.ip_address,
            customer_asn=customer.bgp_asn,
            amazon_asn=amazon_asn,
            static_routes_only=record.static_routes_only,
            tunnels=record.tunnels,
        )

    @staticmethod
    def _telemetry(connection: Any, record: VpnRecord, tunnel: dict[str, Any]) -> dict[str, Any]:
        """VgwTelemetry of one tunnel (API_VgwTelemetry: Status UP | DOWN, StatusMessage,
        AcceptedRouteCount, LastStatusChange). Derived from the connection's state, unless a
        datapath observed the tunnel (``observed``, lab only) while the connection is up."""
        up = connection.state in ("available", "modifying")
        derived = {
            "OutsideIpAddress": tunnel["OutsideIpAddress"],
            "Status": "UP" if up else "DOWN",
            "StatusMessage": "" if up or connection.state != "pending" else "IPSEC IS DOWN",
            "LastStatusChange": datetime.fromtimestamp(record.changed_at, UTC),
            "AcceptedRouteCount": len(record.routes) if up else 0,
        }
        seen = record.observed.get(tunnel["OutsideIpAddress"]) if up else None
        if seen is None:
            return derived
        return derived | {
            **{k: seen[k] for k in ("Status", "StatusMessage", "AcceptedRouteCount")},
            "LastStatusChange": datetime.fromtimestamp(seen["changed_at"], UTC),
        }

    def observe(self, body: Any) -> list[dict[str, Any]]:
        """``PUT /_emulator/aws/observed``: ``{"tunnels": [{VpnConnectionId,
        OutsideIpAddress, Status, StatusMessage, AcceptedRouteCount}]}``, what a datapath (the
        lab's strongSwan and FRR) reports of each tunnel; replaces the earlier observation of
        those tunnels. LastStatusChange moves only when the Status changes ("updated when
        changes in IKE (Phase 1), IPSec (Phase 2), or BGP status are detected",
        API_VgwTelemetry)."""
        if not isinstance(body, dict) or not isinstance(body.get("tunnels"), list):
            raise ValueError('the body must be {"tunnels": [...]}')
        checked = [self._observation(entry) for entry in body["tunnels"]]  # all or nothing
        now = time.time()
        for record, outside, seen in checked:
            before = record.observed.get(outside)
            same = before is not None and before["Status"] == seen["Status"]
            record.observed[outside] = seen | {"changed_at": before["changed_at"] if same else now}
        return self.observations()

    def _observation(self, entry: Any) -> tuple[VpnRecord, str, dict[str, Any]]:
        if not isinstance(entry, dict):
            raise ValueError(f"each observation must be an object, got {entry!r}")
        record = self.records.get(str(entry.get("VpnConnectionId")))
        if record is None:
            raise ValueError(f"no VPN connection {entry.get('VpnConnectionId')!r}")
        outside = entry.get("OutsideIpAddress")
        if outside not in [t["OutsideIpAddress"] for t in record.tunnels]:
            raise ValueError(f"{record.connection_id} has no tunnel with outside IP {outside!r}")
        status, message = entry.get("Status"), entry.get("StatusMessage", "")
        count = entry.get("AcceptedRouteCount", 0)
        if status not in ("UP", "DOWN"):  # API_VgwTelemetry, status: UP | DOWN
            raise ValueError(f"Status must be UP or DOWN, got {status!r}")
        if not isinstance(message, str):
            raise ValueError(f"StatusMessage must be a string, got {message!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"AcceptedRouteCount must be an integer >= 0, got {count!r}")
        seen = {"Status": status, "StatusMessage": message, "AcceptedRouteCount": count}
        return record, str(outside), seen

    def observations(self) -> list[dict[str, Any]]:
        return [
            {"VpnConnectionId": r.connection_id, "OutsideIpAddress": ip}
            | {k: v for k, v in seen.items() if k != "changed_at"}
            for r in self.records.values()
            for ip, seen in sorted(r.observed.items())
        ]

    def forget_observations(self) -> None:
        """``DELETE /_emulator/aws/observed``: back to the derived telemetry."""
        for record in self.records.values():
            record.observed.clear()

    def _reported_order(self, tunnels: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Options.TunnelOptions in creation order, or shuffled (seeded) with shuffle_seed:
        API_VpnConnectionOptions documents no order for TunnelOptions, so clients must pair
        tunnels by inside CIDR or outside IP, never by position."""
        if self.shuffle_rng is None:
            return tunnels
        shuffled = list(tunnels)
        self.shuffle_rng.shuffle(shuffled)
        return shuffled

    @staticmethod
    def _finish_delete(backend: Any, connection: Any) -> None:
        """What moto's DeleteVpnConnection does: state deleted, its TGW attachment deleted."""
        backend.delete_vpn_connection(connection.id)
        if connection.transit_gateway_id:
            for attachment in backend.describe_transit_gateway_attachments():
                if attachment.resource_id == connection.id:
                    attachment.state = "deleted"

    @staticmethod
    def _in_use(backend: Any, attribute: str, gateway_id: str) -> bool:
        """A VPN connection that is not yet deleted uses the gateway."""
        return any(
            getattr(c, attribute) == gateway_id and c.state != "deleted"
            for c in backend.vpn_connections.values()
        )

    def _taken_inside_cidrs(self, backend: Any, gateway_id: str, skip: str = "") -> set[str]:
        taken: set[str] = set()
        for record in self.records.values():
            connection = backend.vpn_connections.get(record.connection_id)
            if connection is None or connection.state == "deleted":
                continue
            if gateway_id not in (connection.vpn_gateway_id, connection.transit_gateway_id):
                continue
            taken |= {
                t["TunnelInsideCidr"] for t in record.tunnels if t["OutsideIpAddress"] != skip
            }
        return taken

    def _record(self, backend: Any, connection_id: str) -> tuple[Any, VpnRecord]:
        connection = backend.vpn_connections.get(connection_id)
        record = self.records.get(connection_id)
        if connection is None or record is None:
            raise Ec2Error(
                "InvalidVpnConnectionID.NotFound",
                f"The vpnConnection ID '{connection_id}' does not exist",
            )
        return connection, record

    # -- handlers -----------------------------------------------------------------------------
    def create_vpn_connection(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """CreateVpnConnection with Options (VpnConnectionOptionsSpecification): tunnel options
        are validated, defaulted like AWS and kept; moto creates the connection itself."""
        options = params.get("Options") or {}
        specs = options.get("TunnelOptions") or []
        if len(specs) > 2:
            raise invalid("A VPN connection has two tunnels: give at most 2 TunnelOptions.")
        gateway_id = params.get("VpnGatewayId") or params.get("TransitGatewayId") or ""
        if params.get("VpnGatewayId"):
            backend.get_vpn_gateway(params["VpnGatewayId"])  # InvalidVpnGatewayID.NotFound
        taken = self._taken_inside_cidrs(backend, gateway_id)
        outside = vpn.outside_ips(len(self.records))
        tunnels = []
        for index in range(2):
            spec = specs[index] if index < len(specs) else {}
            tunnel = vpn.default_tunnel(outside[index])
            if spec.get("TunnelInsideCidr"):
                cidr = vpn.validate_inside_cidr(spec["TunnelInsideCidr"], taken)
            else:
                cidr = vpn.random_inside_cidr(self.rng, taken)
            taken.add(cidr)
            tunnel["TunnelInsideCidr"] = cidr
            tunnel["PreSharedKey"] = vpn.random_psk(self.rng)
            tunnels.append(vpn.merge_tunnel_options(spec, tunnel))
        status, payload = self._delegate(environ, body)
        if status != 200:
            raise _MotoAnswer(status, payload)
        match = re.search(rb"<vpnConnectionId>([^<]+)</vpnConnectionId>", payload)
        assert match, payload
        connection = backend.vpn_connections[match.group(1).decode()]
        now = time.time()
        ready_at = now + self.lifecycle.pending_seconds
        if self.lifecycle.pending_seconds > 0:
            # VpnConnection state: pending | available | deleting | deleted.
            connection.state = "pending"
        self.records[connection.id] = VpnRecord(
            region=region,
            connection_id=connection.id,
            ready_at=ready_at,
            changed_at=now,
            static_routes_only=bool(options.get("StaticRoutesOnly", False)),
            tunnels=tunnels,
            options={
                k: options[k]
                for k in ("LocalIpv4NetworkCidr", "RemoteIpv4NetworkCidr")
                if options.get(k)
            },
        )
        self._apply(backend, connection, self.records[connection.id])
        self._created(connection.id)
        return self._render("CreateVpnConnection", {"VpnConnection": connection})

    def delete_vpn_connection(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DeleteVpnConnection: with deleting_seconds the connection is "deleting" that long,
        then "deleted" (AWS takes minutes; API_DeleteCustomerGateway: "You must delete the VPN
        connection before you can delete the customer gateway", so its gateways stay in use
        until then). Deleting a deleting or deleted connection changes nothing."""
        connection_id = params["VpnConnectionId"]
        connection = backend.vpn_connections.get(connection_id)
        if connection is None:
            raise Ec2Error(
                "InvalidVpnConnectionID.NotFound",
                f"The vpnConnection ID '{connection_id}' does not exist",
            )
        record = self.records.get(connection_id)
        if connection.state not in ("deleting", "deleted"):
            now = time.time()
            if record is not None and self.lifecycle.deleting_seconds > 0:
                connection.state = "deleting"
                record.deleted_at = now + self.lifecycle.deleting_seconds
                record.changed_at = now
            else:
                self._finish_delete(backend, connection)
                if record is not None:
                    record.changed_at = now
        return self._render("DeleteVpnConnection", {})

    def delete_customer_gateway(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DeleteCustomerGateway (API_DeleteCustomerGateway): "You must delete the VPN
        connection before you can delete the customer gateway"; until the connection is
        deleted AWS answers IncorrectState "The customer gateway is in use." (moto deletes it)."""
        gateway_id = params["CustomerGatewayId"]
        backend.get_customer_gateway(gateway_id)  # InvalidCustomerGatewayID.NotFound
        if self._in_use(backend, "customer_gateway_id", gateway_id):
            raise Ec2Error("IncorrectState", "The customer gateway is in use.")
        backend.delete_customer_gateway(gateway_id)
        return self._render("DeleteCustomerGateway", {})

    def delete_vpn_gateway(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DeleteVpnGateway (API_DeleteVpnGateway): a VGW that a VPN connection not yet
        deleted terminates on answers IncorrectState "The VPN gateway is in use." (moto
        deletes it). The VPC attachment rule ("You must first detach") is left to moto."""
        gateway_id = params["VpnGatewayId"]
        backend.get_vpn_gateway(gateway_id)  # InvalidVpnGatewayID.NotFound
        if self._in_use(backend, "vpn_gateway_id", gateway_id):
            raise Ec2Error("IncorrectState", "The VPN gateway is in use.")
        backend.delete_vpn_gateway(gateway_id)
        return self._render("DeleteVpnGateway", {})

    def modify_vpn_tunnel_options(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """ModifyVpnTunnelOptions: the tunnel is chosen by VpnTunnelOutsideIpAddress; options
        are validated like CreateVpnConnection's and the ones not given are kept. With
        modifying_seconds the connection is "modifying" that long, and "you can only modify one
        tunnel at a time" (API_ModifyVpnTunnelOptions): another modification meanwhile answers
        IncorrectState, as does one of a deleting or deleted connection."""
        connection, record = self._record(backend, params["VpnConnectionId"])
        if connection.state in ("modifying", "deleting", "deleted"):
            raise Ec2Error(
                "IncorrectState",
                f"The VPN connection '{connection.id}' is in the {connection.state} state: "
                "modify its tunnels when it is available.",
            )
        outside = params.get("VpnTunnelOutsideIpAddress", "")
        matches = [t for t in record.tunnels if t["OutsideIpAddress"] == outside]
        if not matches:
            raise invalid(
                f"The VPN tunnel outside IP address {outside!r} does not belong to {connection.id}."
            )
        spec = params.get("TunnelOptions") or {}
        current = matches[0]
        if spec.get("TunnelInsideCidr"):
            gateway_id = connection.vpn_gateway_id or connection.transit_gateway_id or ""
            taken = self._taken_inside_cidrs(backend, gateway_id, skip=outside)
            current = {
                **current,
                "TunnelInsideCidr": vpn.validate_inside_cidr(spec["TunnelInsideCidr"], taken),
            }
        updated = vpn.merge_tunnel_options(spec, current)
        record.tunnels = [updated if t is matches[0] else t for t in record.tunnels]
        record.changed_at = time.time()
        if self.lifecycle.modifying_seconds > 0:
            connection.state = "modifying"
            record.modified_at = record.changed_at + self.lifecycle.modifying_seconds
        self._apply(backend, connection, record)
        return self._render("ModifyVpnTunnelOptions", {"VpnConnection": connection})

    def modify_vpn_connection_options(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """ModifyVpnConnectionOptions: local/remote IPv4 network CIDRs of the connection."""
        connection, record = self._record(backend, params["VpnConnectionId"])
        for key in ("LocalIpv4NetworkCidr", "RemoteIpv4NetworkCidr"):
            if params.get(key):
                record.options[key] = _cidr(params[key])
        self._apply(backend, connection, record)
        return self._render("ModifyVpnConnectionOptions", {"VpnConnection": connection})

    def create_vpn_connection_route(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """CreateVpnConnectionRoute: a static route (VpnStaticRoute, source Static)."""
        _unused, record = self._record(backend, params["VpnConnectionId"])
        cidr = _cidr(params["DestinationCidrBlock"])
        if not any(r["DestinationCidrBlock"] == cidr for r in record.routes):
            record.routes.append(
                {"DestinationCidrBlock": cidr, "Source": "Static", "State": "available"}
            )
        return self._render("CreateVpnConnectionRoute", {})

    def delete_vpn_connection_route(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        _unused, record = self._record(backend, params["VpnConnectionId"])
        cidr = _cidr(params["DestinationCidrBlock"])
        kept = [r for r in record.routes if r["DestinationCidrBlock"] != cidr]
        if len(kept) == len(record.routes):
            raise Ec2Error(
                "InvalidRoute.NotFound",
                f"no route with destination-cidr-block {cidr} in {params['VpnConnectionId']}",
            )
        record.routes = kept
        return self._render("DeleteVpnConnectionRoute", {})

    def _propagation(self, backend: Any, params: dict[str, Any]) -> tuple[Any, str]:
        table = backend.get_route_table(params["RouteTableId"])  # InvalidRouteTableID.NotFound
        gateway = backend.get_vpn_gateway(params["GatewayId"])  # InvalidVpnGatewayID.NotFound
        return table, gateway.id

    def enable_vgw_route_propagation(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """EnableVgwRoutePropagation: the VGW must be attached to the table's VPC; the table
        then lists it in propagatingVgwSet (RouteTable type, PropagatingVgw)."""
        table, gateway_id = self._propagation(backend, params)
        attachment = backend.get_vpn_gateway(gateway_id).attachments.get(table.vpc_id)
        if attachment is None or attachment.state != "attached":
            raise Ec2Error(
                "Gateway.NotAttached",
                f"resource {gateway_id} is not attached to network {table.vpc_id}",
            )
        current = list(getattr(table, "PropagatingVgws", []))
        if {"GatewayId": gateway_id} not in current:
            current.append({"GatewayId": gateway_id})
        table.PropagatingVgws = current
        return self._render("EnableVgwRoutePropagation", {})

    def disable_vgw_route_propagation(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        table, gateway_id = self._propagation(backend, params)
        current = list(getattr(table, "PropagatingVgws", []))
        table.PropagatingVgws = [p for p in current if p["GatewayId"] != gateway_id]
        return self._render("DisableVgwRoutePropagation", {})

    def create_customer_gateway(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """CreateCustomerGateway: reserved ASNs are refused, BgpAsnExtended is honoured, and
        "if you send a request with the same parameters as an existing customer gateway, the
        existing customer gateway's ID is returned" (CreateCustomerGateway, Description).
        DeviceName is kept and returned (CustomerGateway.DeviceName; moto drops it) and is one
        of those parameters: "To create more than one customer gateway with the same VPN type,
        IP address, and BGP ASN, specify a unique device name for each customer gateway"."""
        asn = params.get("BgpAsn") or params.get("BgpAsnExtended") or 65000
        if params.get("BgpAsn") and params.get("BgpAsnExtended"):
            raise invalid("Specify BgpAsn or BgpAsnExtended, not both.")
        if params.get("BgpAsnExtended") and not 2147483648 <= asn <= 4294967295:
            raise invalid("BgpAsnExtended must be between 2147483648 and 4294967295.")
        if params.get("BgpAsn") and not 1 <= asn <= 2147483647:
            raise invalid("BgpAsn must be between 1 and 2147483647.")
        if asn in RESERVED_ASNS and RESERVED_ASNS[asn] in (None, region):
            raise invalid(f"The ASN {asn} is reserved and cannot be used in {region}.")
        ip = params.get("IpAddress") or params.get("PublicIp")
        gateway_type = params.get("Type", "ipsec.1")
        device = params.get("DeviceName")
        for gateway in backend.customer_gateways.values():
            if (
                gateway.state,
                gateway.ip_address,
                gateway.type,
                gateway.bgp_asn,
                getattr(gateway, "device_name", None),
            ) == ("available", ip, gateway_type, str(asn), device):
                return self._render("CreateCustomerGateway", {"CustomerGateway": gateway})
        status, payload = self._delegate(environ, body)
        if status != 200:
            raise _MotoAnswer(status, payload)
        match = re.search(rb"<customerGatewayId>([^<]+)</customerGatewayId>", payload)
        assert match, payload
        gateway = backend.customer_gateways[match.group(1).decode()]
        gateway.bgp_asn = str(asn)
        gateway.device_name = device
        self._created(gateway.id)  # a new gateway only: an identical create returned above
        return self._render("CreateCustomerGateway", {"CustomerGateway": gateway})

    def create_vpn_gateway(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """CreateVpnGateway, done by moto; only the new id's NotFound window is added."""
        status, payload = self._delegate(environ, body)
        if status != 200:
            raise _MotoAnswer(status, payload)
        match = re.search(rb"<vpnGatewayId>([^<]+)</vpnGatewayId>", payload)
        assert match, payload
        self._created(match.group(1).decode())
        return payload

    def describe_customer_gateways(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DescribeCustomerGateways with every documented filter: moto ignores state,
        tag:<key> and tag-key (a deleted gateway matched state=available)."""
        gateways = list(backend.customer_gateways.values())
        if params.get("CustomerGatewayIds"):
            # Unknown IDs are left out, as moto does (AWS answers
            # InvalidCustomerGatewayID.NotFound; not modelled).
            wanted = set(params["CustomerGatewayIds"])
            gateways = [g for g in gateways if g.id in wanted]
        found = filters.apply(gateways, params.get("Filters") or [], filters.CUSTOMER_GATEWAYS)
        return self._render("DescribeCustomerGateways", {"CustomerGateways": found})

    def create_transit_gateway_vpc_attachment(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """CreateTransitGatewayVpcAttachment, TagSpecifications: "The tags to apply to the VPC
        attachment" (resource type transit-gateway-attachment). moto reads them under
        transit-gateway-route-table, so tags sent the documented way were dropped."""
        tags: dict[str, str] = {}
        for spec in params.get("TagSpecifications") or []:
            if spec.get("ResourceType") != "transit-gateway-attachment":
                raise invalid(
                    f"'{spec.get('ResourceType')}' is not a valid taggable resource type "
                    "for this operation."
                )
            tags.update({tag["Key"]: tag.get("Value", "") for tag in spec.get("Tags") or []})
        status, payload = self._delegate(environ, body)
        if status != 200:
            raise _MotoAnswer(status, payload)
        match = re.search(rb"<transitGatewayAttachmentId>([^<]+)</", payload)
        assert match, payload
        attachment = backend.transit_gateway_attachments[match.group(1).decode()]
        if tags:
            backend.create_tags([attachment.id], tags)
        return self._render(
            "CreateTransitGatewayVpcAttachment", {"TransitGatewayVpcAttachment": attachment}
        )

    # -- Transit Gateway routes ---------------------------------------------------------------
    # moto keeps a route's target as one dict under a key the serializer does not know, so every
    # answer lost TransitGatewayAttachments; it overwrote an existing route and answered 500 for
    # a missing one. The routes stay on moto's route table objects.
    @staticmethod
    def _tgw_table(backend: Any, table_id: str) -> Any:
        table = backend.transit_gateways_route_tables.get(table_id)
        if table is None or table.state == "deleted":
            raise Ec2Error(
                "InvalidRouteTableID.NotFound",
                f"The transitGatewayRouteTable ID '{table_id}' does not exist",
            )
        return table

    @staticmethod
    def _tgw_route(backend: Any, route: dict[str, Any]) -> dict[str, Any]:
        """A route as TransitGatewayRoute (EC2 API reference): DestinationCidrBlock,
        TransitGatewayAttachments (ResourceId, ResourceType, TransitGatewayAttachmentId), Type,
        State: a static route to an attachment that is gone is a blackhole
        (peering.tgw_route_state)."""
        target = route.get("transitGatewayAttachments")
        state = route.get("state") or "active"
        if target and state == "active":
            attachment = backend.transit_gateway_attachments.get(
                target["transitGatewayAttachmentId"]
            )
            state = peering.tgw_route_state(getattr(attachment, "state", None))
        attachments = (
            [
                {
                    "ResourceId": target["resourceId"],
                    "ResourceType": target["resourceType"],
                    "TransitGatewayAttachmentId": target["transitGatewayAttachmentId"],
                }
            ]
            if target
            else []
        )
        return {
            "DestinationCidrBlock": route["destinationCidrBlock"],
            "TransitGatewayAttachments": attachments,
            "Type": route.get("type") or "static",
            "State": state,
        }

    def create_transit_gateway_route(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """CreateTransitGatewayRoute: the attachment must exist
        (InvalidTransitGatewayAttachmentID.NotFound) unless Blackhole; a route for the same
        destination in the table answers RouteAlreadyExists ("Error codes for the Amazon EC2
        API"; moto replaced it silently)."""
        table = self._tgw_table(backend, params["TransitGatewayRouteTableId"])
        cidr = _cidr(params["DestinationCidrBlock"])
        attachment = params.get("TransitGatewayAttachmentId")
        if not params.get("Blackhole") and (
            not attachment or attachment not in backend.transit_gateway_attachments
        ):
            raise Ec2Error(
                "InvalidTransitGatewayAttachmentID.NotFound",
                f"The transitGatewayAttachment ID '{attachment}' does not exist",
            )
        if cidr in table.routes:
            raise Ec2Error(
                "RouteAlreadyExists",
                f"Route {cidr} already exists in Transit Gateway Route Table {table.id}",
            )
        route = backend.create_transit_gateway_route(
            transit_gateway_route_table_id=table.id,
            destination_cidr_block=cidr,
            transit_gateway_attachment_id=attachment,
            blackhole=bool(params.get("Blackhole")),
        )
        return self._render("CreateTransitGatewayRoute", {"Route": self._tgw_route(backend, route)})

    def delete_transit_gateway_route(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DeleteTransitGatewayRoute: a destination the table has no route for answers
        InvalidRoute.NotFound ("Error codes for the Amazon EC2 API"; moto answered 500);
        the answer is the deleted route, State deleted."""
        table = self._tgw_table(backend, params["TransitGatewayRouteTableId"])
        cidr = _cidr(params["DestinationCidrBlock"])
        if cidr not in table.routes:
            raise Ec2Error(
                "InvalidRoute.NotFound",
                f"No route with destination-cidr-block {cidr} in Transit Gateway Route Table "
                f"{table.id}",
            )
        route = backend.delete_transit_gateway_route(
            transit_gateway_route_table_id=table.id, destination_cidr_block=cidr
        )
        return self._render("DeleteTransitGatewayRoute", {"Route": self._tgw_route(backend, route)})

    def search_transit_gateway_routes(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """SearchTransitGatewayRoutes with the routes' targets and the filters the reference
        documents that the collection uses: attachment.transit-gateway-attachment-id,
        attachment.resource-id, attachment.resource-type, route-search.exact-match, state,
        type (ANDed, values ORed); another filter is refused with InvalidParameterValue
        (moto ignored attachment.*)."""
        table = self._tgw_table(backend, params["TransitGatewayRouteTableId"])
        routes = [self._tgw_route(backend, r) for r in table.routes.values()]
        fields: dict[str, Callable[[dict[str, Any]], list[str]]] = {
            "attachment.transit-gateway-attachment-id": lambda r: [
                a["TransitGatewayAttachmentId"] for a in r["TransitGatewayAttachments"]
            ],
            "attachment.resource-id": lambda r: [
                a["ResourceId"] for a in r["TransitGatewayAttachments"]
            ],
            "attachment.resource-type": lambda r: [
                a["ResourceType"] for a in r["TransitGatewayAttachments"]
            ],
            "route-search.exact-match": lambda r: [r["DestinationCidrBlock"]],
            "state": lambda r: [r["State"]],
            "type": lambda r: [r["Type"]],
        }
        for spec in params.get("Filters") or []:
            name, values = spec.get("Name"), set(spec.get("Values") or [])
            if name not in fields:
                raise invalid(f"The filter '{name}' is invalid")
            routes = [r for r in routes if values & set(fields[name](r))]
        routes.sort(key=lambda r: r["DestinationCidrBlock"])
        limit = params.get("MaxResults")
        more = bool(limit) and len(routes) > int(limit)
        routes = routes[: int(limit)] if limit else routes
        return self._render(
            "SearchTransitGatewayRoutes", {"Routes": routes, "AdditionalRoutesAvailable": more}
        )

    # -- peering lifecycles ---------------------------------------------------------------------
    # moto makes VPC peering connections and TGW peering attachments jump to their settled
    # state; each call here puts the resource in the transitional state the references document
    # (peering.py) for peering_seconds, then in the settled one. With peering_seconds 0 the
    # window is over before the call answers: answers and reads are as before (moto's).
    @staticmethod
    def _peering_state(resource: Any) -> str:
        if isinstance(resource, VPCPeeringConnection):
            return str(resource._status.code)
        return str(resource.state)

    @staticmethod
    def _set_peering_state(resource: Any, state: str, message: str | None = None) -> None:
        """A VPC peering connection's Status (Code, Message: moto's messages for the states it
        knows), or a TGW peering attachment's State and Status (Code = the state)."""
        if isinstance(resource, VPCPeeringConnection):
            status = resource._status
            known = {
                "initiating-request": status.initiating,
                "pending-acceptance": status.pending,
                "active": status.accept,
            }
            if message is None and state in known:
                known[state]()
            elif message is None and state == "deleted":
                status.deleted(deleter_id=resource.ec2_backend.account_id)
            else:
                status.code, status.message = state, message or peering.MESSAGES[state]
            return
        resource.state = state
        resource._peering_status.code = state
        resource._peering_status.message = message or peering.MESSAGES[state]

    def _peering_step(self, resource: Any, state: str, settled: str) -> None:
        """``resource`` is ``state`` for peering_seconds, then ``settled`` (at once with 0).
        A new step replaces the resource's open window."""
        self.peering_windows.pop(resource.id, None)
        seconds = self.lifecycle.peering_seconds
        if seconds > 0:
            self._set_peering_state(resource, state)
            self.peering_windows[resource.id] = PeeringWindow(
                resource, state, settled, time.time() + seconds
            )
        else:
            self._set_peering_state(resource, settled)

    def _advance_peerings(self, now: float) -> None:
        for resource_id, window in list(self.peering_windows.items()):
            if window.ends_at <= now:
                del self.peering_windows[resource_id]
                if self._peering_state(window.resource) == window.state:
                    self._set_peering_state(window.resource, window.settled)
        # "If no action is taken on the request, it expires after 7 days" (peering.py): a
        # request still pending-acceptance at its ExpirationTime is expired; an accepted,
        # rejected or deleted one no longer expires.
        for pcx_id, (pcx, expires_at) in list(self.pcx_expiry.items()):
            state = self._peering_state(pcx)
            if state not in peering.PCX_UNACCEPTED:
                del self.pcx_expiry[pcx_id]
            elif state == peering.PCX_EXPIRABLE and expires_at <= now:
                del self.pcx_expiry[pcx_id]
                self._set_peering_state(pcx, peering.PCX_EXPIRED)

    # -- VPC peering connections: one view per Region -----------------------------------------
    # VPC Peering Guide, "VPC peering basics", VPC peering limitations: "Any tags that you
    # create for your VPC peering connection are only applied in the account or region in which
    # you create them." An inter-Region connection has a view in the requester's Region (with
    # the TagSpecifications of CreateVpcPeeringConnection) and one in the accepter's, each with
    # its own tags. moto already stores CreateTags / DeleteTags (and TagSpecifications) in the
    # backend of the Region the request is sent to, but answered every Region with the
    # requester Region's tags: these answers carry the tags of the Region asked.
    def _pcx_view(self, backend: Any, pcx: Any) -> dict[str, Any]:
        """A VpcPeeringConnection as seen from ``backend``'s Region (EC2 API reference,
        VpcPeeringConnection: AccepterVpcInfo, ExpirationTime, RequesterVpcInfo, Status, Tags,
        VpcPeeringConnectionId); ExpirationTime ("The time that an unaccepted VPC peering
        connection will expire") while the request is unaccepted."""
        tags = backend.tags.get(pcx.id) or {}
        view = {
            "VpcPeeringConnectionId": pcx.id,
            "RequesterVpcInfo": pcx.requester_vpc_info,
            "AccepterVpcInfo": pcx.accepter_vpc_info,
            "Status": pcx.status,
            "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
        }
        if pcx.id in self.pcx_expiry and self._peering_state(pcx) in peering.PCX_UNACCEPTED:
            view["ExpirationTime"] = datetime.fromtimestamp(self.pcx_expiry[pcx.id][1], UTC)
        return view

    def describe_vpc_peering_connections(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DescribeVpcPeeringConnections with this Region's tags. As moto: unknown ids are left
        out (EC2 answers InvalidVpcPeeringConnectionID.NotFound) and Filters are ignored (the
        module filters again itself)."""
        wanted = set(params.get("VpcPeeringConnectionIds") or [])
        found = [
            self._pcx_view(backend, pcx)
            for pcx in backend.describe_vpc_peering_connections()
            if not wanted or pcx.id in wanted
        ]
        return self._render("DescribeVpcPeeringConnections", {"VpcPeeringConnections": found})

    def create_vpc_peering_connection(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """CreateVpcPeeringConnection, done by moto, whose answer says initiating-request as
        EC2's does; then the request's lifecycle (VPC Peering Guide, "VPC peering connection
        lifecycle": initiating-request, then pending-acceptance or failed):
        initiating-request for peering_seconds, then pending-acceptance (moto: at once). VPCs
        with overlapping IPv4 CIDR blocks fail it at once ("Create a VPC peering connection":
        "If they overlap, the status of the VPC peering connection immediately goes to
        failed"), the message naming the blocks; moto never failed it. AcceptVpcPeeringConnection
        then refuses it as moto refuses any state but pending-acceptance."""
        status, payload = self._delegate(environ, body)
        if status != 200:
            raise _MotoAnswer(status, payload)
        match = re.search(rb"<vpcPeeringConnectionId>([^<]+)</vpcPeeringConnectionId>", payload)
        assert match, payload
        pcx = backend.vpc_pcxs[match.group(1).decode()]
        pairs = peering.overlaps(
            peering.ipv4_blocks(pcx.vpc.cidr_block_association_set),
            peering.ipv4_blocks(pcx.peer_vpc.cidr_block_association_set),
        )
        if pairs:
            message = peering.failed_message(pairs, pcx.vpc.id, pcx.peer_vpc.id)
            self._set_peering_state(pcx, peering.PCX_FAILED, message)
        else:
            self._peering_step(pcx, *peering.PCX_CREATED)
            expires_at = time.time() + self.lifecycle.peering_expiry_seconds
            self.pcx_expiry[pcx.id] = (pcx, expires_at)
        return payload

    def accept_vpc_peering_connection(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """AcceptVpcPeeringConnection, done by moto (refused in the requester's Region of an
        inter-Region request, or when not pending-acceptance: InvalidStateTransition); then
        provisioning for peering_seconds, then active (VPC Peering Guide, "VPC peering
        connection lifecycle": an accepted request is provisioning, then active;
        VpcPeeringConnectionStateReason.Code lists provisioning; moto: active at once). The
        answer carries the accepter Region's tags, which are not the requester's."""
        pcx = backend.accept_vpc_peering_connection(params["VpcPeeringConnectionId"])
        self._peering_step(pcx, *peering.PCX_ACCEPTED)
        return self._render(
            "AcceptVpcPeeringConnection", {"VpcPeeringConnection": self._pcx_view(backend, pcx)}
        )

    def delete_vpc_peering_connection(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DeleteVpcPeeringConnection (VPC Peering Guide, "Delete a VPC peering connection":
        "When you delete a peering connection, the status is set to Deleting and then
        Deleted"): deleting for peering_seconds, then deleted, still listed (moto: deleted at
        once). Deleting a deleting or deleted connection changes nothing. A failed, rejected or
        expired one is refused with InvalidStateTransition (peering.PCX_UNDELETABLE: "You
        cannot delete a VPC peering connection that's in the failed or rejected state"; moto
        deleted it)."""
        pcx = backend.get_vpc_peering_connection(params["VpcPeeringConnectionId"])
        if self._peering_state(pcx) in peering.PCX_UNDELETABLE:
            raise Ec2Error(
                "InvalidStateTransition",
                f"VpcPeeringConnectionID {pcx.id} is not in the correct state for the request.",
            )
        if self._peering_state(pcx) not in peering.PCX_DELETED:
            self._peering_step(pcx, *peering.PCX_DELETED)
        return self._render("DeleteVpcPeeringConnection", {"Return": True})

    def describe_route_tables(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DescribeRouteTables, done by moto (its RouteTableIds and Filters), each route to a
        VPC peering connection with the State that connection gives it: blackhole unless the
        connection is active (peering.pcx_route_state; Route.State: "The blackhole state
        indicates that the route's target isn't available"; moto answered active)."""
        wanted = {
            spec.get("Name") or "": list(spec.get("Values") or [])
            for spec in params.get("Filters") or []
        }
        found = backend.describe_route_tables(params.get("RouteTableIds") or None, wanted or None)
        return self._render(
            "DescribeRouteTables", {"RouteTables": [RouteStates(table) for table in found]}
        )

    # -- Transit Gateway peering attachments: one view per Region -----------------------------
    # EC2 tags are Regional: the VPC Peering Guide says it of VPC peering connections ("Any tags
    # that you create for your VPC peering connection are only applied in the account or region
    # in which you create them", VPC peering limitations), and a Transit Gateway peering
    # attachment is the same kind of resource, one id with a view in the requester's Region and
    # one in the accepter's ("Accept the peering attachment request from the Region that the
    # accepter transit gateway is located in", Transit Gateway guide, "Accept or reject a
    # peering attachment request"); no AWS document says its tags cross Regions. moto keeps one
    # attachment object in both Regions' backends and stores CreateTags / DeleteTags (and the
    # TagSpecifications of the request) in the backend of the Region they are sent to, but
    # answered every Region with the requester Region's tags: these answers carry the tags of
    # the Region asked.
    def describe_transit_gateway_peering_attachments(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DescribeTransitGatewayPeeringAttachments with this Region's tags. Filter.N (EC2 API
        reference): local-owner-id, remote-owner-id, state, transit-gateway-attachment-id,
        transit-gateway-id (either end: the reference does not say which), tag:<key>, tag-key,
        the tags being this Region's. As moto: unknown ids are left out (EC2 answers
        InvalidTransitGatewayAttachmentID.NotFound)."""
        wanted = set(params.get("TransitGatewayAttachmentIds") or [])
        seen = [
            RegionalTags(attachment, backend)
            for attachment in backend.describe_transit_gateway_peering_attachments()
            if not wanted or attachment.id in wanted
        ]
        found = filters.apply(seen, params.get("Filters") or [], filters.TGW_PEERING_ATTACHMENTS)
        return self._render(
            "DescribeTransitGatewayPeeringAttachments",
            {"TransitGatewayPeeringAttachments": found},
        )

    @staticmethod
    def _tgw_peering(backend: Any, attachment_id: str) -> Any:
        attachment = backend.transit_gateway_attachments.get(attachment_id)
        if attachment is None or getattr(attachment, "resource_type", None) != "peering":
            raise Ec2Error(
                "InvalidTransitGatewayAttachmentID.NotFound",
                f"Transit Gateway Attachment {attachment_id} was deleted or does not exist.",
            )
        return attachment

    def create_transit_gateway_peering_attachment(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """CreateTransitGatewayPeeringAttachment, done by moto (TagSpecifications kept in this
        Region's backend); then initiatingRequest for peering_seconds, then pendingAcceptance
        (TransitGatewayPeeringAttachment.State: initiatingRequest | pendingAcceptance | ...;
        Transit Gateway guide, "Accept or reject a peering attachment request": "automatically
        created in a pendingAcceptance state and remains in this state indefinitely until it's
        either accepted or rejected"; moto: pendingAcceptance at once)."""
        status, payload = self._delegate(environ, body)
        if status != 200:
            raise _MotoAnswer(status, payload)
        match = re.search(rb"<transitGatewayAttachmentId>([^<]+)</", payload)
        assert match, payload
        attachment = self._tgw_peering(backend, match.group(1).decode())
        self._peering_step(attachment, *peering.TGW_CREATED)
        return self._render(
            "CreateTransitGatewayPeeringAttachment",
            {"TransitGatewayPeeringAttachment": RegionalTags(attachment, backend)},
        )

    def accept_transit_gateway_peering_attachment(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """AcceptTransitGatewayPeeringAttachment: "The peering attachment must be in the
        pendingAcceptance state", else IncorrectState ("Error codes for the Amazon EC2 API":
        "The resource is in an incorrect state for the request"; moto accepted any state).
        Then done by moto (refused in the requester's Region of an inter-Region request):
        pending for peering_seconds, then available (moto: available at once). The answer
        carries the accepter Region's tags."""
        attachment_id = params["TransitGatewayAttachmentId"]
        attachment = self._tgw_peering(backend, attachment_id)
        if attachment.state != peering.TGW_ACCEPTABLE:
            raise Ec2Error(
                "IncorrectState",
                f"Transit Gateway Attachment {attachment_id} is in state {attachment.state}: "
                f"the peering attachment must be in the {peering.TGW_ACCEPTABLE} state.",
            )
        attachment = backend.accept_transit_gateway_peering_attachment(attachment_id)
        self._peering_step(attachment, *peering.TGW_ACCEPTED)
        return self._render(
            "AcceptTransitGatewayPeeringAttachment",
            {"TransitGatewayPeeringAttachment": RegionalTags(attachment, backend)},
        )

    def delete_transit_gateway_peering_attachment(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DeleteTransitGatewayPeeringAttachment: deleting for peering_seconds, then deleted,
        still listed (TransitGatewayPeeringAttachment.State: ... | deleting | deleted; moto:
        deleted at once). Deleting a deleting or deleted attachment changes nothing. An unknown
        id answers InvalidTransitGatewayAttachmentID.NotFound (moto: 500)."""
        attachment = self._tgw_peering(backend, params["TransitGatewayAttachmentId"])
        if attachment.state not in peering.TGW_DELETED:
            self._peering_step(attachment, *peering.TGW_DELETED)
        return self._render(
            "DeleteTransitGatewayPeeringAttachment",
            {"TransitGatewayPeeringAttachment": RegionalTags(attachment, backend)},
        )

    def describe_transit_gateway_attachments(
        self, backend: Any, region: str, params: dict[str, Any], environ: Environ, body: bytes
    ) -> bytes:
        """DescribeTransitGatewayAttachments, done by moto (its filters: resource-id,
        resource-type, transit-gateway-id), each attachment with this Region's tags (the same
        as before for every attachment but an inter-Region peering one seen from the accepter's
        Region)."""
        moto_filters: dict[str, list[str]] = {}
        tag_filters = []
        for spec in params.get("Filters") or []:
            name = spec.get("Name") or ""
            if name.startswith("tag:") or name == "tag-key":
                tag_filters.append(spec)
            else:
                moto_filters[name] = list(spec.get("Values") or [])
        found = backend.describe_transit_gateway_attachments(
            transit_gateways_attachment_ids=params.get("TransitGatewayAttachmentIds") or None,
            filters=moto_filters or None,
        )
        seen = [RegionalTags(attachment, backend) for attachment in found]
        return self._render(
            "DescribeTransitGatewayAttachments",
            {"TransitGatewayAttachments": filters.apply(seen, tag_filters, {})},
        )


class RegionalTags:
    """A moto Transit Gateway attachment as seen from ``backend``'s Region: every attribute is
    the attachment's, the tags are those that Region's backend holds for its id."""

    def __init__(self, attachment: Any, backend: Any) -> None:
        self._attachment, self._backend = attachment, backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._attachment, name)

    def _tags(self) -> dict[str, str]:
        return dict(self._backend.tags.get(self._attachment.id) or {})

    def get_tags(self) -> list[dict[str, str]]:
        """As moto's TaggedEC2Resource.get_tags (what filters.tags_of reads)."""
        return [{"key": key, "value": value} for key, value in self._tags().items()]

    @property
    def tag_list(self) -> list[dict[str, str]]:
        """What the serializer renders as Tags (it looks for the shape's name, TagList, first;
        then Tags, tags, tag_set)."""
        return [{"Key": key, "Value": value} for key, value in self._tags().items()]

    TagList = Tags = tags = tag_set = tag_list


class RouteStates:
    """A moto route table as DescribeRouteTables shows it: every attribute is the table's; a
    route to a VPC peering connection has the State of peering.pcx_route_state."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    @property
    def routes(self) -> list[Any]:
        return [
            _RouteState(route, peering.pcx_route_state(str(route.vpc_pcx._status.code)))
            if route.vpc_pcx is not None
            else route
            for route in self._table.routes
        ]


class _RouteState:
    """A moto route with another State."""

    def __init__(self, route: Any, state: str) -> None:
        self._route, self.state = route, state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._route, name)


class Front:
    """Outermost WSGI layer: ``/_emulator/aws/*`` hooks, everything else instrumented."""

    def __init__(self, app: AwsEmulator, instrumented: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.instrumented = instrumented

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(AWS_ADMIN):
            return self.app.admin(environ, start_response)
        return self.instrumented(environ, start_response)


class _MotoAnswer(Ec2Error):
    """moto refused a delegated request: pass its answer through."""

    def __init__(self, status: int, payload: bytes) -> None:
        code = re.search(rb"<Code>([^<]+)</Code>", payload)
        message = re.search(rb"<Message>([^<]*)</Message>", payload)
        super().__init__(
            code.group(1).decode() if code else "InternalError",
            message.group(1).decode() if message else payload.decode(errors="replace"),
            status,
        )


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        raise invalid(f"Value ({value}) for parameter cidrBlock is invalid.") from None
