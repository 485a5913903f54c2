# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import binascii
import json
import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: remote_kubeconfig
short_description: Assemble a kubeconfig for reading a remote cluster with a ServiceAccount token
version_added: 0.1.0
description:
  - Returns the text of a kubeconfig with one cluster, one user (a bearer token) and one
    context, all named O(name). The kubernetai resolver mounts it to watch the remote API.
  - The server must be an C(https://) URL; the CA is PEM text or its base64 encoding (as in a
    ServiceAccount token Secret's C(ca.crt) data).
positional: server
options:
  _input:
    description: The remote API server URL, C(https://HOST[:PORT]).
    type: str
    required: true
  ca:
    description: CA certificate of the remote API server (PEM, or base64 of PEM).
    type: str
    required: true
  token:
    description: The ServiceAccount token (plain, or base64 as read from the Secret's data).
    type: str
    required: true
  name:
    description: Name of the cluster, user and context in the kubeconfig.
    type: str
    default: remote
  token_base64:
    description: Whether O(token) is base64-encoded Secret data.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Build the kubeconfig the resolver uses for the remote cluster
  ansible.builtin.set_fact:
    remote_kc: >-
      {{ 'https://203.0.113.40' | crosscluster.link.remote_kubeconfig(
           ca=secret.data['ca.crt'], token=secret.data.token, token_base64=true, name='gcp-euw1') }}
"""

RETURN = r"""
_value:
  description: The kubeconfig text (YAML that is also JSON).
  type: str
"""

_SERVER_RE = re.compile(r"^https://[A-Za-z0-9.\-\[\]:]+(:[0-9]{1,5})?(/[^\s]*)?$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _pem(ca: str) -> str:
    text = ca.strip()
    if not text.startswith("-----BEGIN"):
        try:
            text = base64.b64decode(text, validate=True).decode().strip()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AnsibleFilterError("remote_kubeconfig: ca is neither PEM nor base64 PEM") from exc
    if not text.startswith("-----BEGIN CERTIFICATE-----"):
        raise AnsibleFilterError("remote_kubeconfig: ca is not a PEM certificate")
    return text + "\n"


def remote_kubeconfig(
    server: str, ca: str, token: str, name: str = "remote", token_base64: bool = False
) -> str:
    """A kubeconfig text for ``server`` with a bearer ``token`` and CA ``ca``."""
    if not isinstance(server, str) or not _SERVER_RE.match(server):
        raise AnsibleFilterError(
            f"remote_kubeconfig: API endpoint {server!r} is not an https:// URL; "
            "set cluster_api_endpoint to the remote API server, e.g. https://203.0.113.40"
        )
    if not _NAME_RE.match(name or ""):
        raise AnsibleFilterError(f"remote_kubeconfig: name {name!r} is not a valid name")
    if not token:
        raise AnsibleFilterError(
            "remote_kubeconfig: token is empty (the token Secret is not filled yet?)"
        )
    if token_base64:
        try:
            token = base64.b64decode(token, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise AnsibleFilterError("remote_kubeconfig: token is not base64") from exc
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(_pem(ca).encode()).decode(),
                },
            }
        ],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


class FilterModule:
    def filters(self) -> dict[str, object]:
        return {"remote_kubeconfig": remote_kubeconfig}
