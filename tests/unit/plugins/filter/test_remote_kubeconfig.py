"""The kubeconfig a kubernetai resolver uses to read a remote cluster."""

from __future__ import annotations

import base64
import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.crosscluster.link.plugins.filter.remote_kubeconfig import (
    FilterModule,
    remote_kubeconfig,
)

PEM = "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----"


@pytest.mark.parametrize("ca", [PEM, base64.b64encode(PEM.encode()).decode()])
def test_builds_a_token_kubeconfig(ca: str) -> None:
    token = base64.b64encode(b"secret-token").decode()
    text = remote_kubeconfig(
        "https://203.0.113.40:6443", ca=ca, token=token, name="gcp", token_base64=True
    )
    config = json.loads(text)
    assert config["current-context"] == "gcp"
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == "https://203.0.113.40:6443"
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == PEM + "\n"
    assert config["users"][0]["user"] == {"token": "secret-token"}
    assert config["contexts"][0]["context"] == {"cluster": "gcp", "user": "gcp"}


@pytest.mark.parametrize(
    ("server", "ca", "token", "message"),
    [
        ("http://203.0.113.40", PEM, "t", "not an https:// URL"),
        ("203.0.113.40", PEM, "t", "not an https:// URL"),
        ("https://203.0.113.40", "not a cert", "t", "neither PEM nor base64"),
        ("https://203.0.113.40", PEM, "", "token is empty"),
    ],
)
def test_rejects_bad_input(server: str, ca: str, token: str, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        remote_kubeconfig(server, ca=ca, token=token)


def test_registered() -> None:
    assert FilterModule().filters()["remote_kubeconfig"] is remote_kubeconfig
