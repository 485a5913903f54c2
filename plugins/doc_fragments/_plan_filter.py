# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The options the filters that read the link plan share (private to this collection)."""

    # The plan as the filter's input: plan | crosscluster.link.<filter>(cluster, ...).
    DOCUMENTATION = r"""
options:
  _input:
    description: The link plan (M(crosscluster.link.link_plan)).
    type: dict
    required: true
"""

    # hostvars as the filter's input: hostvars | crosscluster.link.<filter>(...).
    HOSTVARS = r"""
options:
  _input:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
"""

    # The plan as an argument, after another input: hostvars or a side's status.
    PLAN = r"""
options:
  plan:
    description: The plan (M(crosscluster.link.link_plan)'s C(plan)).
    type: dict
    required: true
"""

    # One link of the plan as the filter's input: link | crosscluster.link.<filter>(...).
    LINK = r"""
options:
  _input:
    description: One link of the plan (M(crosscluster.link.link_plan)'s C(plan.links)).
    type: dict
    required: true
"""

    # The AWS cluster and its VPN connections, of the filters over the AWS side of its VPN links.
    AWS_CONNECTIONS = r"""
options:
  cluster:
    description: The AWS cluster.
    type: string
    required: true
  connections:
    description: The C(vpn_connections) result of M(crosscluster.link.aws_vpn_connection), by name.
    type: dict
    required: true
"""

    # The GCP cluster of the filters that list its VPN tunnels.
    GCP_TUNNELS = r"""
options:
  cluster:
    description: The GCP cluster whose tunnels are wanted.
    type: string
    required: true
"""
