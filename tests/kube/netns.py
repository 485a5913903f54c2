"""Pod network namespaces and the plumbing between them and the host (CNI + kube-proxy).

A pod that runs a process gets a network namespace held by a pause process (as a
container runtime's sandbox does), with its pod IP on ``lo``. The node agent then
- forwards TCP from ``127.0.0.1:PORT`` inside the pod to ``127.0.0.1:PORT`` on the host for
  the API servers of the test run (the addresses the pod's kubeconfigs and in-cluster
  config name), and
- plays kube-proxy in its userspace mode: each Service ClusterIP is an address on the pod's
  ``lo`` whose ports forward to a ready endpoint pod, inside that pod's namespace.
Sockets are opened inside a namespace by a short-lived thread that has joined it
(setns(2) applies to the calling thread only); a socket keeps its namespace afterwards.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
T = TypeVar("T")


def in_netns(pid: int, make: Callable[[], T]) -> T:
    """Run ``make`` in a thread that joined the network namespace of ``pid``."""
    return in_netns_at(f"/proc/{pid}/ns/net", make)


def in_netns_at(path: str, make: Callable[[], T]) -> T:
    """Run ``make`` in a thread that joined the network namespace of ``path`` (a process's
    ``/proc/PID/ns/net``, or ``/run/netns/NAME`` of ip-netns(8))."""
    box: dict[str, object] = {}

    def run() -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                errno = ctypes.get_errno()
                raise OSError(errno, f"setns into the network namespace {path}")
            box["value"] = make()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc
        finally:
            os.close(fd)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


class Sandbox:
    """The pause process holding one pod's network namespace."""

    def __init__(self, pod_ip: str, directory: Path, setup: str = "") -> None:
        """``setup``: shell commands run inside the new namespaces (the pod's mounts)."""
        self.pod_ip = pod_ip
        ready = directory / "sandbox.ready"
        ready.unlink(missing_ok=True)
        script = (
            f"ip link set lo up && ip addr add {pod_ip}/32 dev lo && "
            f"{setup + ' && ' if setup else ''}echo ok > {ready} && exec sleep infinity"
        )
        self.process = subprocess.Popen(
            [
                "unshare",
                "--net",
                "--mount",
                "--propagation",
                "private",
                "--",
                "/bin/sh",
                "-c",
                script,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(directory / "sandbox.log").open("ab"),
        )
        deadline = time.monotonic() + 10
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise OSError(f"pod sandbox for {pod_ip} did not start (see {directory})")
            time.sleep(0.02)
        self.addresses: set[str] = set()
        self.listeners: dict[tuple[str, int, str], socket.socket] = {}
        self.lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self.process.pid

    def add_address(self, ip: str) -> None:
        if ip in self.addresses or ip == self.pod_ip:
            return
        subprocess.run(
            [
                "nsenter",
                f"--net=/proc/{self.pid}/ns/net",
                "ip",
                "addr",
                "add",
                f"{ip}/32",
                "dev",
                "lo",
            ],
            check=False,
            capture_output=True,
        )
        self.addresses.add(ip)

    def listen(self, ip: str, port: int, protocol: str) -> socket.socket | None:
        """A new listening socket inside the pod (None if it already has one there)."""
        key = (ip, port, protocol)
        with self.lock:
            if key in self.listeners:
                return None

            def make() -> socket.socket:
                kind = socket.SOCK_STREAM if protocol == "TCP" else socket.SOCK_DGRAM
                sock = socket.socket(socket.AF_INET, kind)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                # CoreDNS binds its ports with SO_REUSEPORT on every address; with the flag
                # on both sides the kernel lets this more specific ClusterIP socket coexist
                # (and prefers it for packets to the ClusterIP), as iptables rules would.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                sock.bind((ip, port))
                if protocol == "TCP":
                    sock.listen(64)
                return sock

            sock = in_netns(self.pid, make)
            self.listeners[key] = sock
            return sock

    def connect(self, port: int, protocol: str = "TCP", timeout: float = 5.0) -> socket.socket:
        """A socket inside the pod connected to its own ``127.0.0.1:port``."""

        def make() -> socket.socket:
            kind = socket.SOCK_STREAM if protocol == "TCP" else socket.SOCK_DGRAM
            sock = socket.socket(socket.AF_INET, kind)
            sock.settimeout(timeout)
            sock.connect(("127.0.0.1", port))
            return sock

        return in_netns(self.pid, make)

    def stop(self) -> None:
        with self.lock:
            for sock in self.listeners.values():
                with contextlib.suppress(OSError):
                    sock.close()
            self.listeners.clear()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()


def pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways between two connected TCP sockets until either side closes."""

    def copy(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    threading.Thread(target=copy, args=(a, b), daemon=True).start()
    threading.Thread(target=copy, args=(b, a), daemon=True).start()


def serve_tcp(listener: socket.socket, dial: Callable[[], socket.socket | None]) -> None:
    """Accept on ``listener``; join each connection to a fresh ``dial()`` (in a thread)."""

    def loop() -> None:
        while True:
            try:
                client, _unused = listener.accept()
            except OSError:
                return
            try:
                upstream = dial()
            except OSError:
                upstream = None
            if upstream is None:
                client.close()
                continue
            upstream.settimeout(None)
            pipe(client, upstream)

    threading.Thread(target=loop, daemon=True).start()


def serve_udp(
    listener: socket.socket,
    dial: Callable[[], socket.socket | None],
    stop: threading.Event | None = None,
) -> None:
    """Answer each datagram on ``listener`` with the reply of a fresh ``dial()`` socket,
    until the listener is closed or ``stop`` is set (checked twice a second)."""

    def answer(data: bytes, peer: tuple[str, int]) -> None:
        try:
            upstream = dial()
            if upstream is None:
                return
            with upstream:
                upstream.settimeout(5.0)
                upstream.send(data)
                listener.sendto(upstream.recv(65535), peer)
        except OSError:
            pass

    def loop() -> None:
        if stop is not None:
            listener.settimeout(0.5)
        while stop is None or not stop.is_set():
            try:
                data, peer = listener.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=answer, args=(data, peer), daemon=True).start()
        listener.close()

    threading.Thread(target=loop, daemon=True).start()


def serve_connect(
    listener: socket.socket, dial: Callable[[str, int], socket.socket | None]
) -> None:
    """An HTTP CONNECT proxy on ``listener``: each ``CONNECT host:port`` is joined to
    ``dial(host, port)`` (RFC 9110 section 9.3.6: 200 then raw bytes both ways), or answered
    502 when nothing can be dialled there."""

    def handle(client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 8192:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        method, _sp, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        host, _colon, port = rest.split(" ", 1)[0].rpartition(":")
        upstream = None
        if method == "CONNECT" and port.isdigit():
            with contextlib.suppress(OSError):
                upstream = dial(host.strip("[]"), int(port))
        if upstream is None:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        upstream.settimeout(None)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pipe(client, upstream)

    def loop() -> None:
        while True:
            try:
                client, _unused = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(client,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def host_connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5.0)
