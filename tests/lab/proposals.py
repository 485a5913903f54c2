"""IKE and ESP proposals in strongSwan's syntax from each cloud's algorithm names.

strongSwan (swanctl.conf ``proposals``/``esp_proposals``, "IKEv2 Cipher Suites" in its
documentation) takes one proposal as algorithms joined by ``-``; an AEAD cipher (AES-GCM)
cannot share a proposal with integrity algorithms, so each set is split into a classic and
an AEAD proposal, joined by ``,``.
"""

from __future__ import annotations

# IANA "Transform Type 4 - Key Exchange Method Transform IDs" -> strongSwan keyword.
DH_GROUPS = {
    2: "modp1024",
    5: "modp1536",
    14: "modp2048",
    15: "modp3072",
    16: "modp4096",
    17: "modp6144",
    18: "modp8192",
    19: "ecp256",
    20: "ecp384",
    21: "ecp521",
    22: "modp1024s160",
    23: "modp2048s224",
    24: "modp2048s256",
}


def _join(*groups: list[str]) -> str:
    return "-".join(item for group in groups for item in dict.fromkeys(group))


def ike(encryption: list[str], integrity: list[str], dh_groups: list[int]) -> str:
    """IKE proposals: ``encryption`` and ``integrity`` as strongSwan keywords (``aes256``,
    ``aes256gcm16``, ``sha256``), ``dh_groups`` as IANA numbers; the PRF follows the
    integrity algorithm (an AEAD proposal names it: ``prfsha256``)."""
    classic = [e for e in encryption if "gcm" not in e]
    aead = [e for e in encryption if "gcm" in e]
    dh = _groups(dh_groups)
    out = [_join(classic, integrity, dh)] if classic else []
    if aead:
        out.append(_join(aead, [f"prf{i}" for i in integrity], dh))
    return ",".join(out)


def esp(encryption: list[str], integrity: list[str], dh_groups: list[int]) -> str:
    """ESP proposals; the DH groups are for PFS on rekeying (the first CHILD_SA, set up in
    IKE_AUTH, has no key exchange of its own: RFC 7296 1.2)."""
    classic = [e for e in encryption if "gcm" not in e]
    aead = [e for e in encryption if "gcm" in e]
    dh = _groups(dh_groups)
    out = [_join(classic, integrity, dh)] if classic else []
    if aead:
        out.append(_join(aead, dh))
    return ",".join(out)


def _groups(numbers: list[int]) -> list[str]:
    return [DH_GROUPS[g] for g in numbers if g in DH_GROUPS]
