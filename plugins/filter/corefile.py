# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: corefile_zone
short_description: Add, replace or remove one managed server block in a CoreDNS Corefile
version_added: 0.1.0
author: crosscluster.link contributors
description:
  - Returns the Corefile text with a server block for O(zone) added or replaced (O(state=present))
    or removed (O(state=absent)). Every other byte of the text is left exactly as it was.
  - >-
    The block is framed by the comment lines C(# crosscluster.link managed: <zone>) and
    C(# crosscluster.link end: <zone>), so it is found again on the next run. Removing it gives back
    the original text byte for byte; applying the same block twice changes nothing.
  - The Corefile is parsed with the Caddyfile rules CoreDNS uses (comments, quoted strings,
    C({$ENV}) placeholders, snippets and C(import), several keys per block, C(dns://) prefixes
    and ports, nested blocks, tabs, CRLF line endings). The new block uses the file's line endings
    and indentation.
  - Fails, naming the zone, when a server block for O(zone) exists that this collection does not
    manage (keys compared without scheme, port, case or trailing dot), or when a C(kubernetes) or
    C(kubernetai) directive of another block serves O(zone) or a parent of it.
  - Fails, naming the line, on a malformed Corefile (unbalanced braces, unterminated quote).
options:
  _input:
    description: The Corefile text, for example the C(Corefile) key of the C(coredns) ConfigMap.
    type: str
    required: true
  zone:
    description:
      - The DNS zone of the block, for example C(aws-euwest1.local). Case and a trailing dot do
        not matter; a scheme or port is refused.
    type: str
    required: true
  body:
    description:
      - The directive lines of the block, one per item, without indentation. A nested block is
        given as separate lines, for example V(forward . 10.0.0.10 {), V(except foo.local), V(}).
      - Braces must balance and every line must tokenize. Empty items are skipped.
      - Required, with at least one directive, when O(state=present).
    type: list
    elements: str
  state:
    description: Whether the managed block for O(zone) should be in the Corefile.
    type: str
    choices: [present, absent]
    default: present
  port:
    description:
      - Port written in the block's key (C(<zone>:<port>)). V(null) writes the bare zone, which
        uses the port CoreDNS is started with.
    type: int
    default: 53
seealso:
  - name: CoreDNS configuration (Corefile)
    description: Server blocks, keys and directives.
    link: https://coredns.io/manual/configuration/
"""

EXAMPLES = r"""
- name: Forward a remote cluster's zone to the dedicated resolver
  ansible.builtin.set_fact:
    new_corefile: >-
      {{ coredns_cm.resources[0].data.Corefile
         | crosscluster.link.corefile_zone(zone='aws-euwest1.local',
                                           body=['errors', 'cache 30', 'forward . 10.96.0.53']) }}

- name: Remove it again (gives back the Corefile as it was before)
  ansible.builtin.set_fact:
    old_corefile: >-
      {{ new_corefile | crosscluster.link.corefile_zone(zone='aws-euwest1.local', state='absent') }}

- name: A block with a nested stanza, on a non-default port
  ansible.builtin.set_fact:
    resolver_corefile: >-
      {{ '' | crosscluster.link.corefile_zone(zone='gcp-euwest4.local', port=5353, body=[
           'errors',
           'kubernetai gcp-euwest4.local {',
           'kubeconfig /etc/kubeconfigs/gcp-euwest4/kubeconfig',
           'fallthrough',
           '}',
         ]) }}
"""

RETURN = r"""
_value:
  description: The new Corefile text.
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.module_utils._corefile import (
    CorefileError,
    corefile_zone,
)


def corefile_zone_filter(
    corefile_text: str,
    zone: str = "",
    body: list[str] | None = None,
    state: str = "present",
    port: int | None = 53,
) -> str:
    """Jinja wrapper: the same edit, errors as AnsibleFilterError with the same message."""
    if state == "present" and body is None:
        raise AnsibleFilterError(
            f"corefile_zone: body is required with state=present (zone {zone or '?'})"
        )
    try:
        return corefile_zone(corefile_text, zone, body, state, port)
    except CorefileError as exc:
        raise AnsibleFilterError(f"corefile_zone: {exc}") from exc


class FilterModule:
    """Corefile filters."""

    def filters(self) -> dict[str, object]:
        return {"corefile_zone": corefile_zone_filter}
