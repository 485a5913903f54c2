"""``python -m tests.lab.probe serve PORT | connect IP PORT | resolve NAME NAMESERVER PORT``:
a TCP echo of one line, run inside a pod namespace. ``connect`` exits 0 when the echo came
back. ``resolve`` asks NAMESERVER (UDP 53) for the A records of NAME, connects to PORT of each
address and prints ``{"addresses": [...], "connected": [...]}`` (or ``{"error": ...}``) as JSON;
it exits 0 when there was an answer and every address echoed."""

from __future__ import annotations

import json
import socket
import sys
import threading

import dns.exception
import dns.message
import dns.query
import dns.rdatatype


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


def resolve(name: str, nameserver: str, port: int) -> dict[str, list[str] | str]:
    try:
        answer = dns.query.udp(dns.message.make_query(name, "A"), nameserver, timeout=3)
    except (OSError, dns.exception.DNSException) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    addresses = sorted(
        str(record)
        for rrset in answer.answer
        if rrset.rdtype == dns.rdatatype.A
        for record in rrset
    )
    return {"addresses": addresses, "connected": [a for a in addresses if connect(a, port)]}


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) == 2:
        serve(int(argv[1]))
        return 0
    if argv[:1] == ["connect"] and len(argv) == 3:
        return 0 if connect(argv[1], int(argv[2])) else 1
    if argv[:1] == ["resolve"] and len(argv) == 4:
        result = resolve(argv[1], argv[2], int(argv[3]))
        print(json.dumps(result))
        addresses = result.get("addresses")
        return 0 if addresses and result["connected"] == addresses else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
