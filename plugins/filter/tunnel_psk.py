# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: tunnel_psk
short_description: Derive a tunnel pre-shared key from the vaulted link secret
version_added: 0.1.0
author: crosscluster.link contributors (@crosscluster)
description:
  - Returns HMAC-SHA256(O(_input), O(tunnel_id)) encoded as 40 characters of C([A-Za-z0-9._]),
    starting with a letter, which satisfies the AWS Site-to-Site VPN rules for pre-shared keys
    (8-64 characters of letters, digits, V(.) and V(_), not starting with V(0)) and GCP's.
  - Deterministic, so repeated runs configure the same key on both ends without a state store.
  - Derive keys where they are used (the task that configures a tunnel); never store them
    in the plan.
options:
  _input:
    description:
      - The link secret, at least 16 characters.
      - Keep it in a vaulted variable such as C(link_psk_secret).
    type: string
    required: true
  tunnel_id:
    description: The tunnel id from the link plan, for example V(aws-euw1--gcp-euw1-t0).
    type: string
    required: true
"""

EXAMPLES = r"""
- name: Show the key length of the first tunnel (never print the key itself)
  ansible.builtin.debug:
    msg: "{{ link_psk_secret | crosscluster.link.tunnel_psk('aws-euw1--gcp-euw1-t0') | length }}"
"""

RETURN = r"""
_value:
  description: The pre-shared key, 40 characters of C([A-Za-z0-9._]) starting with a letter.
  type: string
"""

import base64
import hashlib
import hmac

from ansible.errors import AnsibleFilterError

MIN_SECRET_LENGTH = 16
PSK_LENGTH = 40
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def tunnel_psk(secret: str, tunnel_id: str) -> str:
    """HMAC-SHA256(secret, tunnel_id) in AWS's PSK charset: a letter, then base64 with '._'."""
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
        raise AnsibleFilterError(
            f"tunnel_psk: the secret (link_psk_secret) must be a string of at least "
            f"{MIN_SECRET_LENGTH} characters; generate one with e.g. "
            f"'openssl rand -base64 32 | ansible-vault encrypt_string --name link_psk_secret'"
        )
    if not isinstance(tunnel_id, str) or not tunnel_id:
        raise AnsibleFilterError("tunnel_psk: tunnel_id must be a non-empty string")
    digest = hmac.new(secret.encode(), tunnel_id.encode(), hashlib.sha256).digest()
    tail = base64.b64encode(digest[1:], altchars=b"._").decode().rstrip("=")
    return _LETTERS[digest[0] % len(_LETTERS)] + tail[: PSK_LENGTH - 1]


class FilterModule:
    def filters(self):
        return {"tunnel_psk": tunnel_psk}
