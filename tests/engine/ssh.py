"""Remote execution for the engine stand-in: the OpenSSH client, as pulumi-command uses SSH.

pulumi-command dials with Go's x/crypto/ssh: the pinned host key (``hostKey``) is the only
key accepted, each create/update/delete is a new session, the command line runs in the
user's shell with ``stdin`` attached, and dial failures are retried up to
``dialErrorLimit`` times with ``perDialTimeout`` seconds each. This executor reproduces
those rules with ``ssh -o StrictHostKeyChecking=yes`` against a known_hosts file holding
only the pinned key, inside the lab's fabric namespace (lab addresses are never routed
in the machine's root namespace).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from tests.engine.engine import Execution

SSH_FAILURE = 255


class SshExecutor:
    def __init__(
        self,
        wrap: Callable[[list[str]], list[str]] = lambda argv: argv,
        max_dial_attempts: int | None = None,
        retry_pause: float = 0.5,
    ):
        """``wrap`` puts argv into the lab's namespace; ``max_dial_attempts`` caps the
        connection's own dialErrorLimit, to keep tests of dead hosts short."""
        self.wrap = wrap
        self.max_dial_attempts = max_dial_attempts
        self.retry_pause = retry_pause
        self.sessions: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._dir = Path(tempfile.mkdtemp(prefix="som-engine-ssh-"))
        os.chmod(self._dir, 0o700)

    def close(self) -> None:
        for path in self._dir.iterdir():
            path.unlink()
        self._dir.rmdir()

    def _file(self, name: str, content: str) -> Path:
        path = self._dir / name
        with self._lock:
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(content if content.endswith("\n") else content + "\n")
        return path

    def argv(self, connection: Mapping[str, Any], command: str) -> list[str]:
        host = connection["host"]
        port = int(connection.get("port") or 22)
        key = self._file(f"key-{abs(hash(connection['privateKey']))}", connection["privateKey"])
        pinned = f"[{host}]:{port}" if port != 22 else host
        known_hosts = self._file(f"known-{host}-{port}-{abs(hash(connection['hostKey']))}", f"{pinned} {connection['hostKey']}")
        timeout = int(connection.get("perDialTimeout") or 15)
        return self.wrap(
            [
                "ssh", "-F", "/dev/null", "-i", str(key), "-p", str(port),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", f"ConnectTimeout={timeout}",
                "-o", "LogLevel=ERROR",
                f"{connection.get('user') or 'root'}@{host}", command,
            ]
        )

    def run(self, connection: Mapping[str, Any], command: str, stdin: str | None) -> Execution:
        limit = int(connection.get("dialErrorLimit") or 10)
        if self.max_dial_attempts is not None:
            limit = min(limit, self.max_dial_attempts)
        argv = self.argv(connection, command)
        attempt = 0
        while True:
            attempt += 1
            with self._lock:
                self.sessions[connection["host"]] += 1
            done = subprocess.run(argv, input=(stdin or "").encode(), capture_output=True, check=False)
            execution = Execution(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))
            if not _dial_failed(execution) or attempt >= limit:
                return execution
            time.sleep(self.retry_pause)


def _dial_failed(execution: Execution) -> bool:
    """ssh's own failure (exit 255 before the remote command ran), not the command's."""
    return execution.exit_code == SSH_FAILURE and not execution.stdout and _looks_like_ssh(execution.stderr)


_SSH_ERRORS: Sequence[str] = (
    "Connection refused",
    "Connection timed out",
    "No route to host",
    "Connection closed",
    "Connection reset",
    "Host key verification failed",
    "kex_exchange_identification",
    "Permission denied",
)


def _looks_like_ssh(stderr: str) -> bool:
    return any(marker in stderr for marker in _SSH_ERRORS)
