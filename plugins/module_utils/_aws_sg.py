# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""Security-group ingress rules owned by this collection, marked by their description."""

from __future__ import annotations

import ipaddress
from typing import Any, NamedTuple

from ansible_collections.crosscluster.link.plugins.module_utils._aws import call, call_all

MARKER_PREFIX = "crosscluster.link:"
PROTOCOLS = {"all": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp"}


class Rule(NamedTuple):
    """One ingress rule: protocol, port range and source CIDR (what AWS keeps unique)."""

    protocol: str
    from_port: int | None
    to_port: int | None
    cidr: str

    def label(self) -> str:
        ports = "" if self.from_port is None else f":{self.from_port}-{self.to_port}"
        return f"{self.protocol}{ports} from {self.cidr}"


def marker(name: str) -> str:
    return f"{MARKER_PREFIX}{name}"


def validate(params: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for cidr in params.get("cidrs") or []:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            errors.append(
                f"cidrs has {cidr!r}, which is not a network CIDR: use the network address, "
                "e.g. 10.20.0.0/16"
            )
    protocol = params.get("protocol", "all")
    from_port, to_port = params.get("from_port"), params.get("to_port")
    if protocol == "all" and (from_port is not None or to_port is not None):
        errors.append("from_port/to_port apply to tcp, udp and icmp only: omit them for all")
    if protocol in ("tcp", "udp"):
        for option, value in (("from_port", from_port), ("to_port", to_port)):
            if value is not None and not 0 <= value <= 65535:
                errors.append(f"{option}={value} is out of range: use 0 to 65535")
        if from_port is not None and to_port is not None and from_port > to_port:
            errors.append(f"from_port={from_port} is above to_port={to_port}: swap them")
    if protocol == "icmp":
        for option, value in (("from_port", from_port), ("to_port", to_port)):
            if value is not None and not -1 <= value <= 255:
                errors.append(f"{option}={value} is out of range for icmp: use -1 to 255")
    if not params.get("name"):
        errors.append("name is required: it marks the rules as owned (description marker)")
    return errors


def wanted_rules(params: dict[str, Any]) -> set[Rule]:
    protocol = PROTOCOLS[params.get("protocol") or "all"]
    if protocol == "-1":
        from_port = to_port = None
    elif protocol == "icmp":
        from_port = -1 if params.get("from_port") is None else params["from_port"]
        to_port = -1 if params.get("to_port") is None else params["to_port"]
    else:
        from_port = 0 if params.get("from_port") is None else params["from_port"]
        to_port = 65535 if params.get("to_port") is None else params["to_port"]
    return {
        Rule(protocol, from_port, to_port, str(ipaddress.ip_network(c)))
        for c in params.get("cidrs") or []
    }


def _rule(entry: dict[str, Any]) -> Rule | None:
    cidr = entry.get("CidrIpv4") or entry.get("CidrIpv6")
    if not cidr:
        return None
    protocol = str(entry.get("IpProtocol", "-1"))
    from_port = entry.get("FromPort")
    to_port = entry.get("ToPort")
    if protocol == "-1":
        from_port = to_port = None
    return Rule(protocol, from_port, to_port, str(ipaddress.ip_network(cidr, strict=False)))


def current_rules(client: Any, group_id: str) -> tuple[dict[Rule, str], dict[Rule, str]]:
    """(owned rules -> description, foreign rules -> description) of a group's ingress."""
    entries = call_all(
        client,
        "describe_security_group_rules",
        "SecurityGroupRules",
        Filters=[{"Name": "group-id", "Values": [group_id]}],
    )
    owned: dict[Rule, str] = {}
    foreign: dict[Rule, str] = {}
    for entry in entries:
        if entry.get("IsEgress"):
            continue
        rule = _rule(entry)
        if rule is None:
            continue
        description = entry.get("Description") or ""
        target = owned if description.startswith(MARKER_PREFIX) else foreign
        target[rule] = description
    return owned, foreign


def plan_group(
    owned: dict[Rule, str],
    foreign: dict[Rule, str],
    wanted: set[Rule],
    mark: str,
    present: bool,
    purge: bool,
) -> tuple[set[Rule], set[Rule], set[Rule]]:
    """(to add, to remove, covered by a foreign rule) for one group.

    Only rules carrying ``mark`` are removed. A wanted rule that a rule without our marker
    already allows (AWS keeps protocol+ports+CIDR unique) is left alone and reported.
    """
    ours = {rule for rule, description in owned.items() if description == mark}
    others = set(owned) - ours  # owned by another name of this collection
    if not present:
        return set(), ours & wanted if wanted else ours, set()
    covered = wanted & (set(foreign) | others)
    add = wanted - ours - covered
    remove = ours - wanted if purge else set()
    return add, remove, covered


def _permission(rule: Rule, description: str | None) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": rule.protocol}
    if rule.from_port is not None:
        permission["FromPort"] = rule.from_port
        permission["ToPort"] = rule.to_port
    key, cidr_key = (
        ("Ipv6Ranges", "CidrIpv6")
        if ipaddress.ip_network(rule.cidr).version == 6
        else ("IpRanges", "CidrIp")
    )
    entry: dict[str, Any] = {cidr_key: rule.cidr}
    if description is not None:
        entry["Description"] = description
    permission[key] = [entry]
    return permission


def ensure(client: Any, params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    mark = marker(params["name"])
    present = params["state"] == "present"
    wanted = wanted_rules(params)
    purge = params.get("purge_rules", True)
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    groups: list[dict[str, Any]] = []
    changed = False
    for group_id in params["group_ids"]:
        owned, foreign = current_rules(client, group_id)
        add, remove, covered = plan_group(owned, foreign, wanted, mark, present, purge)
        ours = {rule for rule, description in owned.items() if description == mark}
        before[group_id] = sorted(r.label() for r in ours)
        after[group_id] = sorted(r.label() for r in (ours - remove) | add)
        groups.append(
            {
                "group_id": group_id,
                "rules": after[group_id],
                "added": sorted(r.label() for r in add),
                "removed": sorted(r.label() for r in remove),
                "covered_by_other_rules": sorted(r.label() for r in covered),
            }
        )
        if add or remove:
            changed = True
        if check_mode:
            continue
        if add:
            call(
                client,
                "authorize_security_group_ingress",
                GroupId=group_id,
                IpPermissions=[_permission(r, mark) for r in sorted(add, key=Rule.label)],
            )
        if remove:
            call(
                client,
                "revoke_security_group_ingress",
                GroupId=group_id,
                IpPermissions=[_permission(r, None) for r in sorted(remove, key=Rule.label)],
            )
    return {"changed": changed, "security_groups": groups, "before": before, "after": after}
