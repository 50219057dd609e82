"""Every program started on the machine, with its arguments, while a watch is open.

Why: a secret in a process's arguments is readable by any local user through
``/proc/<pid>/cmdline`` and kept by exec auditing. The lab's nodes are processes of
this machine, so the kernel's process-event connector (netlink, ``NETLINK_CONNECTOR``,
the multicast group of ``cn_proc``) reports every ``execve`` on every node; the watch
reads the new program's arguments at once. A program that exits before it is read is
missed (counted in ``missed``), so a test pairs the watch with a positive control.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
from dataclasses import dataclass, field

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
PROC_EVENT_EXEC = 0x00000002
NLMSG_DONE = 3
NLMSG_HEADER = struct.Struct("=IHHII")  # len, type, flags, seq, pid
CN_MSG = struct.Struct("=IIIIHH")  # idx, val, seq, ack, len, flags
PROC_EVENT = struct.Struct("=IIQ")  # what, cpu, timestamp_ns
EXEC_EVENT = struct.Struct("=ii")  # process_pid, process_tgid


def _control(operation: int) -> bytes:
    payload = struct.pack("=I", operation)
    message = CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0) + payload
    return NLMSG_HEADER.pack(NLMSG_HEADER.size + len(message), NLMSG_DONE, 0, 0, os.getpid()) + message


def exec_pids(datagram: bytes) -> list[int]:
    """The pids of the exec events in one netlink datagram (other events skipped)."""
    pids, offset = [], 0
    while offset + NLMSG_HEADER.size <= len(datagram):
        length = NLMSG_HEADER.unpack_from(datagram, offset)[0]
        if length < NLMSG_HEADER.size:
            break
        event_at = offset + NLMSG_HEADER.size + CN_MSG.size
        if event_at + PROC_EVENT.size + EXEC_EVENT.size <= offset + length:
            what = PROC_EVENT.unpack_from(datagram, event_at)[0]
            if what == PROC_EVENT_EXEC:
                pids.append(EXEC_EVENT.unpack_from(datagram, event_at + PROC_EVENT.size)[0])
        offset += (length + 3) & ~3
    return pids


@dataclass
class ExecWatch:
    """``with ExecWatch() as watch:`` ... ``watch.argvs``: each started program's argv."""

    argvs: list[list[str]] = field(default_factory=list)
    missed: int = 0
    _sock: socket.socket | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> ExecWatch:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.bind((os.getpid(), CN_IDX_PROC))
        sock.send(_control(PROC_CN_MCAST_LISTEN))
        self._sock = sock
        self._thread = threading.Thread(target=self._read, name="exec-watch", daemon=True)
        self._thread.start()
        return self

    def _read(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.2)
            if not ready:
                continue
            try:
                datagram = self._sock.recv(65536)
            except OSError:  # ENOBUFS: events were dropped; those programs count as missed
                self.missed += 1
                continue
            for pid in exec_pids(datagram):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        raw = handle.read()
                except OSError:
                    self.missed += 1
                    continue
                self.argvs.append([part.decode(errors="replace") for part in raw.split(b"\0") if part])

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            try:
                self._sock.send(_control(PROC_CN_MCAST_IGNORE))
            finally:
                self._sock.close()

    def carrying(self, secrets: dict[str, str]) -> dict[str, list[str]]:
        """For each named secret found in some argument: the argvs (secret cut out) that held it."""
        found: dict[str, list[str]] = {}
        for name, value in secrets.items():
            for argv in self.argvs:
                line = " ".join(argv)
                if value and value in line:
                    found.setdefault(name, []).append(line.replace(value, f"<{name}>")[:300])
        return found
