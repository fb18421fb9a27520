"""Network access: the course's PostgreSQL on 127.0.0.1:5432, public DNS, the cloud metadata
service, DNS resolution and PostgreSQL's unix sockets."""

from __future__ import annotations

from tests.redteam.attacks import FUNCTIONS, LEAK, Attack, Cell, leak_checked

NET = """
import socket

for host, port in [("127.0.0.1", 5432), ("localhost", 5432), ("::1", 5432), ("8.8.8.8", 53),
                   ("1.1.1.1", 443), ("169.254.169.254", 80), ("10.0.0.1", 22)]:
    try:
        with socket.create_connection((host, port), timeout=1):
            _leak(f"connected to {host}:{port}")
    except OSError:
        pass
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(1)
        udp.sendto(b"\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01",
                   ("8.8.8.8", 53))
        udp.recvfrom(512)
        _leak("UDP DNS answer from 8.8.8.8")
except OSError:
    pass
try:
    socket.getaddrinfo("example.com", 80)
    _leak("resolved example.com")
except OSError:
    pass
for path in ["/var/run/postgresql/.s.PGSQL.5432", "/run/postgresql/.s.PGSQL.5432", "/tmp/.s.PGSQL.5432"]:
    try:
        with socket.socket(socket.AF_UNIX) as unix:
            unix.settimeout(1)
            unix.connect(path)
            _leak("connected to " + path)
    except OSError:
        pass
# Interfaces other than loopback mean a network.
for line in open("/proc/net/dev").read().splitlines()[2:]:
    name = line.split(":")[0].strip()
    if name != "lo":
        _leak("network interface " + name)
"""

ATTACK = Attack(
    name="network_access",
    summary="connects to 127.0.0.1/localhost/::1:5432 (PostgreSQL), 8.8.8.8:53, 1.1.1.1:443, the "
    "metadata service, sends a UDP DNS query, resolves a name, connects to PostgreSQL's unix sockets",
    answers={function: leak_checked(function) for function in FUNCTIONS},
    cells=(Cell(LEAK, after="start"), Cell(NET)),
)
