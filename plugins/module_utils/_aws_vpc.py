# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to this collection: not a public API.

"""A VPC's associated CIDR blocks, and the ranges of a cluster that lie outside them.

A VGW advertises to its BGP peers only the VPC's CIDR blocks (primary and associated
secondary ones); a TGW advertises what its VPC attachment propagates, the same blocks. With
the AWS VPC CNI pods take VPC addresses (custom networking: subnets of a secondary CIDR
block), so a node or pod range outside the blocks is never advertised to the other cloud,
whose traffic then has no way back. Read-only.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Union

from ansible_collections.crosscluster.link.plugins.module_utils._aws import AwsError, call

if TYPE_CHECKING:  # annotations only: module_utils also run on older target Pythons
    Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]  # noqa: UP007

# The options whose ranges must lie inside the VPC, in the order they are reported.
CIDR_OPTIONS = ("node_cidrs", "pod_cidrs")
# Amazon VPC User Guide, "VPC CIDR blocks": an IPv4 block is /16 to /28.
LARGEST_IPV4_BLOCK = 16


def validate(params: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for option in CIDR_OPTIONS:
        for cidr in params.get(option) or []:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                errors.append(
                    f"{option} has {cidr!r}, which is not a network CIDR: use the network "
                    "address, e.g. 10.32.0.0/16"
                )
    return errors


def associated_blocks(vpc: dict[str, Any]) -> list[str]:
    """The VPC's IPv4 and IPv6 CIDR blocks in state ``associated`` (DescribeVpcs,
    CidrBlockAssociationSet / Ipv6CidrBlockAssociationSet; a block being associated,
    disassociated or failed is not routed)."""
    blocks = [
        a["CidrBlock"]
        for a in vpc.get("CidrBlockAssociationSet") or []
        if (a.get("CidrBlockState") or {}).get("State") == "associated"
    ]
    blocks += [
        a["Ipv6CidrBlock"]
        for a in vpc.get("Ipv6CidrBlockAssociationSet") or []
        if (a.get("Ipv6CidrBlockState") or {}).get("State") == "associated"
    ]
    return blocks


def uncovered(cidr: str, blocks: list[str]) -> list[Network]:
    """The parts of ``cidr`` that no block covers (empty: it lies inside them)."""
    parts: list[Network] = [ipaddress.ip_network(cidr)]
    for block in (ipaddress.ip_network(b) for b in blocks):
        remaining: list[Network] = []
        for part in parts:
            if part.version != block.version or not part.overlaps(block):
                remaining.append(part)
            elif not part.subnet_of(block):
                remaining.extend(part.address_exclude(block))
        parts = remaining
    return list(ipaddress.collapse_addresses(parts))


def _remedy(vpc_id: str, parts: list[Network]) -> str:
    if parts[0].version == 6:
        return (
            f"associate an IPv6 CIDR block containing {', '.join(map(str, parts))} with the VPC "
            f"(aws ec2 associate-vpc-cidr-block --vpc-id {vpc_id} --ipv6-cidr-block BLOCK "
            "--ipv6-pool POOL)"
        )
    blocks = [
        block
        for part in parts
        for block in (
            part.subnets(new_prefix=LARGEST_IPV4_BLOCK)
            if part.prefixlen < LARGEST_IPV4_BLOCK
            else [part]
        )
    ]
    command = f"aws ec2 associate-vpc-cidr-block --vpc-id {vpc_id} --cidr-block {blocks[0]}"
    if len(blocks) == 1:
        return f"associate {blocks[0]} with the VPC as a secondary CIDR block ({command})"
    return (
        f"associate the {len(blocks)} /{LARGEST_IPV4_BLOCK} blocks {blocks[0]} ... {blocks[-1]} "
        f"with the VPC as secondary CIDR blocks ({command}, and so on; a VPC CIDR block is /16 "
        "to /28 and a VPC takes 5 IPv4 blocks unless its quota is raised)"
    )


def problems(vpc_id: str, blocks: list[str], cidrs: dict[str, list[str]]) -> list[str]:
    """One message per range of ``cidrs`` (option -> ranges) not inside ``blocks``, naming the
    option, the range and the fix."""
    have = ", ".join(blocks) or "none"
    messages = []
    for option, ranges in cidrs.items():
        for cidr in ranges:
            parts = uncovered(cidr, blocks)
            if not parts:
                continue
            whole = [str(p) for p in parts] == [str(ipaddress.ip_network(cidr))]
            which = "" if whole else f" (not covered: {', '.join(map(str, parts))})"
            messages.append(
                f"{option}: {cidr} is not inside the CIDR blocks associated with VPC {vpc_id} "
                f"({have}){which}: {_remedy(vpc_id, parts)}, or choose {option} inside them"
            )
    return messages


WHY = (
    "A VGW or TGW advertises only the VPC's CIDR blocks to the other cloud, so traffic to "
    "these ranges would have no route back; with the VPC CNI, pods take addresses from "
    "subnets of a secondary block (custom networking). In a link inventory the ranges are "
    "cluster_node_cidrs and cluster_pod_cidrs. Nothing was changed."
)


def check(client: Any, params: dict[str, Any], check_mode: bool = False) -> dict[str, Any]:
    """Read the VPC and fail (AwsError CidrNotInVpc) when a node or pod range of ``params``
    lies outside its associated CIDR blocks; read-only, so check mode runs it too."""
    vpc_id = params["vpc_id"]
    vpcs = call(client, "describe_vpcs", VpcIds=[vpc_id]).get("Vpcs") or []
    if not vpcs:
        raise AwsError("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
    blocks = associated_blocks(vpcs[0])
    found = problems(vpc_id, blocks, {o: params.get(o) or [] for o in CIDR_OPTIONS})
    if found:
        raise AwsError("CidrNotInVpc", "; ".join(found) + ". " + WHY)
    return {"changed": False, "vpc_id": vpc_id, "cidr_blocks": blocks}
