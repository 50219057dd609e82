"""One DNS question, asked with nothing but the node's python3 (the lab's pods hold no
resolver tools): the A records a server gives for a name, over UDP."""

from __future__ import annotations

import json
import subprocess

from ..lab import Lab
from .pods import in_pod

# argv[1]: server, argv[2]: name; prints a JSON list of the answer's A records
QUERY = r"""
import json, socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
question = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0" + struct.pack(">HH", 1, 1)
packet = struct.pack(">HHHHHH", 0x5157, 0x0100, 1, 0, 0, 0) + question
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(packet, (server, 53))
reply = s.recv(4096)
answers = struct.unpack(">H", reply[6:8])[0]
at = 12 + len(question)
found = []
for _ in range(answers):
    while reply[at] not in (0,) and reply[at] < 0xC0:
        at += reply[at] + 1
    at += 2 if reply[at] >= 0xC0 else 1
    kind, _, _, length = struct.unpack(">HHIH", reply[at:at + 10])
    at += 10
    if kind == 1:
        found.append(socket.inet_ntoa(reply[at:at + length]))
    at += length
print(json.dumps({"rcode": reply[3] & 0xF, "a": found}))
"""


def resolve_in_pod(lab: Lab, node: str, namespace: str, pod: str, server: str, name: str) -> dict[str, object]:
    """{"rcode": int, "a": [addresses]} as ``server`` answered from inside the pod."""
    done: subprocess.CompletedProcess[str] = in_pod(lab, node, namespace, pod,
                                                    ["/usr/bin/python3", "-I", "-c", QUERY, server, name])
    if done.returncode != 0:
        raise RuntimeError(f"DNS query for {name} at {server} from {namespace}/{pod} failed: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout)
