# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.
"""VPC Network Peering: one peering of a network (networks.addPeering, updatePeering,
removePeering; the network's ``peerings[]``).

A peering is not a resource of its own: it lives in its network's ``peerings`` list, has no
description or labels (NetworkPeering reference), and is changed through the network's custom
methods, each returning an Operation. Its name is therefore its only ownership mark: the
functions here touch the named peering and nothing else. Transport and operations are in
:mod:`_gcp`."""

from __future__ import annotations

from typing import Any

from ansible_collections.crosscluster.link.plugins.module_utils import _gcp, _retry
from ansible_collections.crosscluster.link.plugins.module_utils._gcp import (
    Api,
    GcpError,
    Outcome,
    check_name,
    network_link,
    relative_link,
)

# What updatePeering can change on an existing peering, with the value the API means when a
# field is not returned (networks.updatePeering: "You can only modify the
# NetworkPeering.export_custom_routes field and the NetworkPeering.import_custom_routes
# field"; gcloud compute networks peerings update also sends --stack-type. NetworkPeering:
# export/import_custom_routes "The default value is false"; stackType IPV4_ONLY by default).
UPDATABLE = {"exportCustomRoutes": False, "importCustomRoutes": False, "stackType": "IPV4_ONLY"}

# "Google Cloud allows only one peering operation at a time across peered networks ... Error:
# There is a peering operation in progress on the local or peer network. Try again later."
# (Set up and manage VPC Network Peering), HTTP 400 badRequest. Both ends of a link add their
# peering at the same time, and a network's other links too: the call is tried again, with
# the collection's one retry, for about as long as a few peering operations take.
BUSY = "peering operation in progress"
BUSY_POLICY = _retry.Policy(attempts=10, base_delay=2.0, max_delay=30.0)


def busy(exc: Exception) -> bool:
    return isinstance(exc, GcpError) and exc.status == 400 and BUSY in exc.message


def _peering_call(api: Api, verb: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    method = "PATCH" if verb == "updatePeering" else "POST"
    return _retry.call(
        lambda: _gcp.mutate(api, method, f"{path}/{verb}", body, wait=api.wait),
        busy,
        BUSY_POLICY,
        sleep=lambda seconds: _gcp._sleep(seconds),  # pylint: disable=protected-access,unnecessary-lambda
    )


def peer_network_link(api: Api, p: dict[str, Any]) -> str:
    """``projects/<peer_project>/global/networks/<name>`` of the peer, from a name (in
    ``peer_project``, default the module's project) or a URL."""
    peer = p["peer_network"]
    if "/" in peer:
        return relative_link(peer)
    check_name("peer_network", peer)
    return f"projects/{p.get('peer_project') or api.project}/global/networks/{peer}"


def _network_path(api: Api, network: str) -> str:
    """The network's path relative to the project endpoint (it must be in ``project``)."""
    link = network_link(api, network)
    own = f"projects/{api.project}/"
    if not link.startswith(own):
        raise ValueError(
            f"network {network} is not in project {api.project}: a peering is added to a "
            "network of the project the module works in; set project to the network's project"
        )
    return link[len(own) :]


def network_peering(api: Api, p: dict[str, Any], check_mode: bool) -> Outcome:
    """Add, update or remove the peering ``name`` of ``network`` so it matches the options."""
    check_name("name", p["name"])
    if not p.get("network"):
        raise ValueError("network is required: the VPC network that holds the peering")
    path = _network_path(api, p["network"])
    desired: dict[str, Any] = {}
    if p["state"] == "present":
        if not p.get("peer_network"):
            raise ValueError("peer_network is required with state present")
        desired = {
            "name": p["name"],
            "network": peer_network_link(api, p),
            # NetworkPeering.exchangeSubnetRoutes: "Currently this field should always be
            # true" (subnet routes, secondary ranges included: the pods and services of GKE).
            "exchangeSubnetRoutes": True,
            "exportCustomRoutes": p["export_custom_routes"],
            "importCustomRoutes": p["import_custom_routes"],
            "stackType": p["stack_type"],
        }
        if _gcp.same_value(desired["network"], api.link(path)):
            raise ValueError(f"peer_network {p['peer_network']} is the network itself")
    network = _gcp.get(api, path)
    if network is None:
        raise ValueError(f"network {p['network']} does not exist in project {api.project}")
    peerings = network.get("peerings") or []
    current = next((x for x in peerings if x.get("name") == p["name"]), None)

    def read() -> dict[str, Any] | None:
        fresh = _gcp.get(api, path) or {}
        return next((x for x in fresh.get("peerings") or [] if x.get("name") == p["name"]), None)

    def applied(verb: str, body: dict[str, Any], planned: dict[str, Any] | None) -> Outcome:
        op = _peering_call(api, verb, path, body)
        return _gcp.changed(api, op, current, planned, lambda: read() or planned)

    if p["state"] == "absent":
        if current is None:
            return Outcome(False, None, None)
        if check_mode:
            return Outcome(True, current, None)
        return applied("removePeering", {"name": p["name"]}, None)

    if current is None:
        # A network peers with another network once (VPC Network Peering, "Specifications":
        # only one peering connection can exist between two networks).
        other = next(
            (x for x in peerings if _gcp.same_value(desired["network"], x.get("network") or "")),
            None,
        )
        if other is not None:
            raise ValueError(
                f"network {p['network']} already peers with {desired['network']} through "
                f"peering {other.get('name')}, which this task does not manage: two networks "
                "peer once; use that peering's name or remove it first"
            )
        if check_mode:
            return Outcome(True, None, desired)
        return applied("addPeering", {"networkPeering": desired}, desired)

    if not _gcp.same_value(desired["network"], current.get("network") or ""):
        raise ValueError(
            f"peering {p['name']} of network {p['network']} goes to {current.get('network')}, "
            f"not {desired['network']}; the peer network cannot be changed in place: remove "
            "the peering (state: absent) and add it again"
        )
    fields = [f for f, unset in UPDATABLE.items() if desired[f] != current.get(f, unset)]
    if not fields:
        return Outcome(False, current, current)
    planned = {**current, **{f: desired[f] for f in fields}}
    if check_mode:
        return Outcome(True, current, planned)
    update = {"name": p["name"], **{f: desired[f] for f in fields}}
    return applied("updatePeering", {"networkPeering": update}, planned)
