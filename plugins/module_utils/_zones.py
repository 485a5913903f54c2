# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DNS zone rules in one place: what a cluster's zone may be (the inventory's
``cluster_dns_zone``, the cluster_dns role's remotes, k8s_dns_config's zones) and when two
zones collide. Names are ``<service>.<namespace>.svc.<zone>`` (REFERENCE: kubernetai)."""

from __future__ import annotations

import re
from collections.abc import Sequence

LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
IN_CLUSTER = "cluster.local"
EXAMPLE = "aws-euwest1.local"


def normalize(value: str, keep_root: bool = False) -> str:
    """Lower case, no surrounding blanks, no trailing dot; with ``keep_root`` the root zone
    stays ``.`` (a Corefile server block for every name)."""
    name = value.strip().lower()
    return name if keep_root and name == "." else name.rstrip(".")


def syntax_problem(zone: str) -> str | None:
    """What makes a normalized zone no DNS name, as the rest of a sentence that names it;
    None when it is one."""
    labels = zone.split(".")
    if len(zone) > 253 or not all(LABEL_RE.match(label) for label in labels):
        return (
            "is not a valid DNS name (labels of 1-63 letters, digits and inner hyphens, "
            f"separated by dots, 253 characters at most, e.g. '{EXAMPLE}')"
        )
    return None


def nested(a: str, b: str) -> bool:
    """Whether two normalized zones are the same or one contains the other."""
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def problem(zone: str) -> str | None:
    """What is wrong with a normalized zone, as the rest of a sentence that names it
    (``"cluster_dns_zone 'x' " + problem``), with the fix; None when it is fine."""
    syntax = syntax_problem(zone)
    if syntax:
        return syntax
    labels = zone.split(".")
    if nested(zone, IN_CLUSTER):
        return (
            f"collides with the in-cluster zone {IN_CLUSTER} (it is, contains or is under it); "
            f"choose a zone of its own, e.g. '{EXAMPLE}'"
        )
    if labels[0] == "svc" and len(labels) > 1:
        return (
            f"starts with 'svc.': names are <service>.<namespace>.svc.<zone>, so use '{zone[4:]}'"
        )
    return None


def conflicts(zones: Sequence[str]) -> list[tuple[str, str]]:
    """Every pair of normalized zones (in the given order) that are the same or nested."""
    return [(a, b) for i, a in enumerate(zones) for b in zones[i + 1 :] if nested(a, b)]
