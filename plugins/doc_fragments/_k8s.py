# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """How the k8s_* modules reach a cluster (module_utils/_k8s.CONNECTION_ARGSPEC)."""

    DOCUMENTATION = r"""
requirements:
  - kubernetes >= 24.2.0
options:
  kubeconfig:
    description:
      - Path to the kubeconfig of the cluster.
      - Falls back to E(KUBECONFIG), then C(~/.kube/config).
    type: path
  context:
    description:
      - Context in O(kubeconfig); its current context when omitted.
      - A context the kubeconfig does not have is an error naming the ones it has.
    type: str
"""
