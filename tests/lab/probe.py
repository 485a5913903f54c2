"""``python -m tests.lab.probe serve PORT | connect IP PORT``: a TCP echo of one line,
run inside a pod namespace. ``connect`` exits 0 when the echo came back."""

from __future__ import annotations

import socket
import sys
import threading


def serve(port: int) -> None:
    with socket.create_server(("0.0.0.0", port)) as server:
        while True:
            conn, _unused = server.accept()
            threading.Thread(target=_echo, args=(conn,), daemon=True).start()


def _echo(conn: socket.socket) -> None:
    with conn:
        conn.settimeout(10)
        data = conn.recv(1024)
        conn.sendall(data)


def connect(host: str, port: int) -> bool:
    token = f"xcl-lab {host}\n".encode()
    try:
        with socket.create_connection((host, port), timeout=5) as conn:
            conn.sendall(token)
            conn.settimeout(5)
            return conn.recv(1024) == token
    except OSError:
        return False


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) == 2:
        serve(int(argv[1]))
        return 0
    if argv[:1] == ["connect"] and len(argv) == 3:
        return 0 if connect(argv[1], int(argv[2])) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
