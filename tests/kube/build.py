"""Build the upstream components the tests run, once per machine.

``python -m tests.kube.build`` builds, from the pinned Go modules in ``tests/kube/components``
(etcd, kube-apiserver, kube-controller-manager) and ``tests/kube/coredns`` (stock CoreDNS),
each binary into a cache outside the checkout, keyed by component, version and the module's
go.sum: ``$XDG_CACHE_HOME/crosscluster-link/bin/<name>-<version>-<hash>/<name>``. A warm
cache builds nothing. Go's own module and build caches stay where ``go env`` puts them
(also outside the checkout). The go command and its module proxy are required: without
them this fails at once, naming what is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    module_dir: Path
    package: str
    minutes: int  # about how long a cold build took on 2 cores (modules downloaded, Go cache empty)

    def key(self) -> str:
        digest = hashlib.sha256((self.module_dir / "go.sum").read_bytes()).hexdigest()[:12]
        return f"{self.name}-{self.version}-{digest}"


KUBERNETES_VERSION = "v1.37.2"
ETCD_VERSION = "v3.7.0"
COREDNS_VERSION = "v1.15.0"
COMPONENTS = (
    Component("etcd", ETCD_VERSION, HERE / "components", "go.etcd.io/etcd/server/v3", 1),
    Component(
        "kube-apiserver",
        KUBERNETES_VERSION,
        HERE / "components",
        "k8s.io/kubernetes/cmd/kube-apiserver",
        6,
    ),
    Component(
        "kube-controller-manager",
        KUBERNETES_VERSION,
        HERE / "components",
        "k8s.io/kubernetes/cmd/kube-controller-manager",
        3,
    ),
    Component("coredns", COREDNS_VERSION, HERE / "coredns", "github.com/coredns/coredns", 3),
)


class BuildError(Exception):
    """A component could not be built (the message says what is missing or failed)."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crosscluster-link" / "bin"


def binary(name: str) -> Path:
    """The cached binary of component ``name`` (built or not)."""
    component = next(c for c in COMPONENTS if c.name == name)
    return cache_root() / component.key() / component.name


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "the Go toolchain is missing: `go` is not on PATH. The tests build kube-apiserver, "
            "kube-controller-manager, etcd and CoreDNS from pinned Go modules (Go >= 1.26)."
        )
    proxy = subprocess.run([go, "env", "GOPROXY"], capture_output=True, text=True, check=False)
    if proxy.returncode != 0 or proxy.stdout.strip() in ("", "off"):
        raise BuildError(
            f"the Go module proxy is not configured (go env GOPROXY = {proxy.stdout.strip()!r}): "
            "set GOPROXY (default https://proxy.golang.org,direct) so the pinned modules can be "
            "downloaded"
        )
    return go


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One build at a time per machine (parallel test gates share the cache)."""
    cache_root().mkdir(parents=True, exist_ok=True)
    with (cache_root() / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build(go: str, component: Component, out: Path) -> None:
    print(
        f"building {component.name} {component.version} (first run only, about "
        f"{component.minutes} min on 2 cores) ...",
        flush=True,
    )
    started = time.monotonic()
    tmp = out.parent.with_name(out.parent.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly"}
    command = [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(tmp / component.name)]
    result = subprocess.run(
        [*command, component.package],
        cwd=component.module_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildError(
            f"go build {component.package} ({component.version}) failed in "
            f"{component.module_dir}:\n{result.stderr[-4000:]}"
        )
    shutil.rmtree(out.parent, ignore_errors=True)
    tmp.rename(out.parent)
    print(f"built {component.name} in {time.monotonic() - started:.0f} s", flush=True)


def ensure(names: tuple[str, ...] | None = None) -> dict[str, Path]:
    """Build what the cache lacks and return ``{name: binary path}``."""
    wanted = [c for c in COMPONENTS if names is None or c.name in names]
    paths = {c.name: binary(c.name) for c in wanted}
    missing = [c for c in wanted if not paths[c.name].is_file()]
    if missing:
        go = _go()
        with _locked():
            for component in missing:
                if not paths[component.name].is_file():
                    _build(go, component, paths[component.name])
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.kube.build")
    parser.add_argument("names", nargs="*", help="components (default: all)")
    args = parser.parse_args(argv)
    try:
        paths = ensure(tuple(args.names) or None)
    except BuildError as exc:
        print(f"tests.kube.build: {exc}", file=sys.stderr)
        return 1
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
