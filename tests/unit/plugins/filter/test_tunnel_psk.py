"""tunnel_psk filter: HMAC-SHA256 in AWS's pre-shared key charset (REFERENCE: AWS PSK rules)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.tunnel_psk import (
    FilterModule,
    tunnel_psk,
)
from hypothesis import given, settings
from hypothesis import strategies as st

# AWS Site-to-Site VPN: 8-64 characters of letters, digits, '.' and '_'; not starting with 0.
AWS_PSK = re.compile(r"^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$")
SECRET = "s3cret-for-unit-tests-only!"


def test_known_value_is_the_hmac() -> None:
    digest = hmac.new(SECRET.encode(), b"a--b-t0", hashlib.sha256).digest()
    tail = base64.b64encode(digest[1:], altchars=b"._").decode()
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    assert tunnel_psk(SECRET, "a--b-t0") == letters[digest[0] % 52] + tail[:39]


@settings(max_examples=300)
@given(st.text(min_size=16, max_size=80), st.text(min_size=1, max_size=80))
def test_charset_length_and_determinism(secret: str, tunnel_id: str) -> None:
    psk = tunnel_psk(secret, tunnel_id)
    assert AWS_PSK.match(psk), psk
    assert not psk.startswith("0")
    assert 32 <= len(psk) <= 40
    assert tunnel_psk(secret, tunnel_id) == psk


@settings(max_examples=100)
@given(st.text(min_size=16, max_size=40), st.lists(st.text(min_size=1), min_size=2, unique=True))
def test_distinct_tunnels_get_distinct_keys(secret: str, tunnel_ids: list[str]) -> None:
    keys = {tunnel_psk(secret, tid) for tid in tunnel_ids}
    assert len(keys) == len(tunnel_ids)


def test_key_depends_on_the_secret() -> None:
    assert tunnel_psk(SECRET, "a--b-t0") != tunnel_psk(SECRET + "x", "a--b-t0")


@pytest.mark.parametrize("secret", ["", "short", "x" * 15, None, 12345678901234567890])
def test_rejects_empty_short_or_non_string_secret(secret) -> None:
    with pytest.raises(AnsibleFilterError, match="at least 16 characters"):
        tunnel_psk(secret, "a--b-t0")


@pytest.mark.parametrize("tunnel_id", ["", None, 3])
def test_rejects_bad_tunnel_id(tunnel_id) -> None:
    with pytest.raises(AnsibleFilterError, match="tunnel_id must be a non-empty string"):
        tunnel_psk(SECRET, tunnel_id)


def test_registered_as_filter() -> None:
    assert FilterModule().filters()["tunnel_psk"] is tunnel_psk
