"""The Kubernetes client wrapper: kubeconfig loading, retries, one exception type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.crosscluster.link.plugins.module_utils._k8s import (
    RETRY_POLICY,
    K8sError,
    Kube,
    load_client,
)


class Response:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    def read(self) -> bytes:
        return self.body


class FakeApi:
    """Stands in for kubernetes.client.ApiClient: answers from a script of responses."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str]] = []

    def param_serialize(self, method: str, resource_path: str, **_kw: Any) -> tuple:
        return method, "https://api" + resource_path, {}, None, None

    def call_api(self, method: str, url: str, **_kw: Any) -> Response:
        self.calls.append((method, url))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.mark.parametrize(
    ("answers", "expected", "calls"),
    [
        ([Response(200, b'{"a": 1}')], {"a": 1}, 1),
        ([Response(429, b"{}"), Response(503, b"{}"), Response(200, b"{}")], {}, 3),
        ([ConnectionError("reset"), Response(200, b'{"b": 2}')], {"b": 2}, 2),
        ([Response(404, b'{"message": "not found"}')], None, 1),
    ],
)
def test_request_retries_transient_errors(answers: list[Any], expected: Any, calls: int) -> None:
    api = FakeApi(answers)
    kube = Kube(api, sleep=lambda _s: None)
    assert kube.get("/api/v1/namespaces/x") == expected
    assert len(api.calls) == calls


def test_request_raises_the_api_message() -> None:
    kube = Kube(FakeApi([Response(409, b'{"message": "the object has been modified"}')]))
    with pytest.raises(K8sError, match="409 the object has been modified") as err:
        kube.replace("/api/v1/x", {})
    assert err.value.status == 409


def test_request_gives_up_after_attempts() -> None:
    kube = Kube(FakeApi([Response(500, b"{}")] * RETRY_POLICY.attempts), sleep=lambda _s: None)
    with pytest.raises(K8sError, match="500"):
        kube.get("/api/v1/x")


def test_text_returns_plain_logs() -> None:
    kube = Kube(FakeApi([Response(200, b"[INFO] Reloading complete\n")]))
    assert kube.text("/api/v1/namespaces/kube-system/pods/p/log") == "[INFO] Reloading complete\n"


def test_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(K8sError, match="does not exist: set the kubeconfig option"):
        load_client(str(tmp_path / "nope"), None)


def test_missing_context(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "ctx",
            }
        )
    )
    with pytest.raises(K8sError, match="context 'other' is not in kubeconfig"):
        load_client(str(path), "other")
    assert isinstance(load_client(str(path), "ctx"), Kube)
