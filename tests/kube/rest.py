"""A small JSON client for the Kubernetes API (the control plane's own clients in tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests
import urllib3

Obj = dict[str, Any]


class ApiError(Exception):
    def __init__(self, code: int, body: str) -> None:
        super().__init__(f"{code}: {body[:500]}")
        self.code = code


class Client:
    """Talks to ``server`` with a client certificate or a bearer token, verifying ``ca``."""

    def __init__(
        self,
        server: str,
        ca: str,
        cert: tuple[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would replace `verify`
        self.session.verify = ca
        if cert:
            self.session.cert = cert
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, self.server + path, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response.status_code, response.text)
        return response

    def get(self, path: str) -> Obj | None:
        try:
            result: Obj = self._call("GET", path).json()
        except ApiError as exc:
            if exc.code == 404:
                return None
            raise
        return result

    def items(self, path: str) -> list[Obj]:
        found = self.get(path)
        return list((found or {}).get("items") or [])

    def create(self, path: str, body: Obj) -> Obj:
        result: Obj = self._call("POST", path, json=body).json()
        return result

    def apply(self, path: str, body: Obj) -> Obj:
        """Create, or leave an existing object as it is (seeding)."""
        try:
            return self.create(path, body)
        except ApiError as exc:
            if exc.code != 409:
                raise
            return self.get(f"{path}/{body['metadata']['name']}") or {}

    def patch_status(self, path: str, status: Obj) -> None:
        self._call(
            "PATCH",
            path + "/status",
            data=json.dumps({"status": status}),
            headers={"Content-Type": "application/merge-patch+json"},
        )

    def delete(self, path: str, body: Obj | None = None) -> None:
        try:
            self._call("DELETE", path, json=body)
        except ApiError as exc:
            if exc.code != 404:
                raise

    def text(self, path: str) -> str:
        return self._call("GET", path).text

    def watch(self, path: str, resource_version: str) -> Iterator[Obj]:
        """Events of a watch from ``resource_version`` until the server closes it."""
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}watch=true&allowWatchBookmarks=true&resourceVersion={resource_version}"
        try:
            with self.session.get(self.server + url, stream=True, timeout=(10, 330)) as response:
                if response.status_code >= 400:
                    raise ApiError(response.status_code, response.text)
                for line in response.iter_lines():
                    if line:
                        yield json.loads(line)
        except (requests.ConnectionError, urllib3.exceptions.ProtocolError):
            return
