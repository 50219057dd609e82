"""Remote execution for the stand-in, with the system OpenSSH client in the real provider's shape.

pulumi-command v1.2.1 (``remote/commandOutputs.go``, ``remote/connection.go``) does, per
create/update/delete: build an ``ssh.ClientConfig`` (a pinned ``hostKey`` is the only
key accepted AND the only host-key algorithm offered: ``HostKeyAlgorithms =
[key.Type()]``, so an RSA key is offered as SHA-1 ``ssh-rsa`` only; ``Timeout`` =
``perDialTimeout``), dial with retries (``dialWithRetry``: up to ``dialErrorLimit``
retries after the first try, -1 unlimited, delays 100 ms x1.5 up to 5 s; an unparsable
key fails at once), open ONE session on that client, set the environment, attach
``stdin``, run the command, and return stdout/stderr with one trailing newline removed;
a failure is ``"<exit error>: running <quoted command>:\\n<stdout and stderr as they
came>"``. A started session is never retried.

OpenSSH gets the same shape from a connection multiplexer: the dial is a master
connection (``ssh -M -N``), retried as the real dial is; the session is a client of that
master, run once. Key and pinned host key go to 0600 files in a 0700 temporary
directory removed afterwards; nothing secret is put on a command line (environment
values travel through ``SendEnv`` from the client's own environment).

Not modelled (refused with a clear error): ``password``, ``privateKeyPassword`` and
``proxy`` (the lab and the project use a key and direct connections).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import selectors
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIAL_DELAY_SECONDS = 0.1
DIAL_BACKOFF = 1.5
DIAL_MAX_DELAY_SECONDS = 5.0
MASTER_POLL_SECONDS = 0.02
UNLIMITED = -1

LineSink = Callable[[str], None]


class CommandError(Exception):
    """An operation failed; the message is the real provider's (never holds a secret input)."""


@dataclass(frozen=True)
class Connection:
    """The plain (revealed) connection of one operation, defaults already applied by Check."""

    host: str
    port: int = 22
    user: str = "root"
    private_key: str | None = None
    host_key: str | None = None
    agent_socket_path: str | None = None
    dial_error_limit: int = 10
    per_dial_timeout: int = 15

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @classmethod
    def from_inputs(cls, connection: Mapping[str, Any]) -> Connection:
        unsupported = sorted(set(connection) & {"password", "privateKeyPassword", "proxy"})
        if unsupported:
            raise CommandError(
                f"the pulumi-command stand-in supports key and agent authentication over a direct "
                f"connection only; not supported: {', '.join(unsupported)}"
            )
        return cls(
            host=str(connection["host"]),
            port=int(connection.get("port", 22)),
            user=str(connection.get("user", "root")),
            private_key=connection.get("privateKey"),
            host_key=connection.get("hostKey"),
            agent_socket_path=connection.get("agentSocketPath") or os.environ.get("SSH_AUTH_SOCK") or None,
            dial_error_limit=int(connection.get("dialErrorLimit", 10)),
            per_dial_timeout=int(connection.get("perDialTimeout", 15)),
        )


@dataclass(frozen=True)
class Execution:
    exit_code: int
    stdout: str
    stderr: str
    combined: str


# --------------------------------------------------------------------------- pure helpers


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string (the real error quotes the command with it)."""
    out = ['"']
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def host_key_type(host_key: str) -> str:
    """The algorithm of an authorized_keys-format key, checked as ssh.ParseAuthorizedKey
    checks it (the blob's own type must match); raises CommandError like the real one."""
    fields = host_key.split()
    try:
        if len(fields) < 2:
            raise ValueError
        blob = base64.b64decode(fields[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        blob_type = blob[4 : 4 + length].decode()
        if blob_type != fields[0] or length + 4 > len(blob):
            raise ValueError
    except (ValueError, binascii.Error, struct.error, UnicodeDecodeError):
        raise CommandError("failed to parse host key: ssh: no key found") from None
    return blob_type


def dial_limit_reached(dials: int, limit: int) -> bool:
    """connection.go ``reachedDialingErrorLimit``: dials > limit, unless unlimited."""
    return limit > UNLIMITED and dials > limit


def dial_delays() -> Iterator[float]:
    """The pause before each retry (retry.Until defaults)."""
    delay = DIAL_DELAY_SECONDS
    while True:
        yield min(delay, DIAL_MAX_DELAY_SECONDS)
        delay *= DIAL_BACKOFF


_NO_HOST_KEY_TYPE = re.compile(r"no matching host key type found\. Their offer: (\S+)")


def dial_error(stderr: str, endpoint: str, offered: str | None) -> str:
    """What the real dial would have said, from what OpenSSH said (kept in parentheses)."""
    said = " ".join(line.strip() for line in stderr.strip().splitlines()[-2:]) or "ssh exited before the session"
    if "Connection refused" in stderr:
        go = f"dial tcp {endpoint}: connect: connection refused"
    elif "timed out" in stderr:
        go = f"dial tcp {endpoint}: i/o timeout"
    elif "No route to host" in stderr:
        go = f"dial tcp {endpoint}: connect: no route to host"
    elif "Network is unreachable" in stderr:
        go = f"dial tcp {endpoint}: connect: network is unreachable"
    elif match := _NO_HOST_KEY_TYPE.search(stderr):
        peer = " ".join(match.group(1).split(","))
        go = f"ssh: handshake failed: ssh: no common algorithm for host key; we offered: [{offered}], peer offered: [{peer}]"
    elif "Host key verification failed" in stderr or "HOST IDENTIFICATION HAS CHANGED" in stderr:
        go = "ssh: handshake failed: ssh: host key mismatch"
    elif "Permission denied" in stderr:
        go = "ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain"
    else:
        go = "ssh: handshake failed: EOF"
    return f"{go} (OpenSSH: {said})"


def exit_error(exit_code: int, command: str, combined: str) -> str:
    """commandOutputs.go: ``fmt.Errorf("%w: running %q:\\n%s", err, cmd, stdouterr)``."""
    return f"Process exited with status {exit_code}: running {go_quote(command)}:\n{combined}"


# --------------------------------------------------------------------------- OpenSSH


@dataclass
class _Files:
    directory: Path
    key: Path | None = None
    known_hosts: Path | None = None

    @property
    def control(self) -> Path:
        return self.directory / "m"


def _private_file(path: Path, content: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content if content.endswith("\n") else content + "\n")
    return path


@contextmanager
def _files(connection: Connection) -> Iterator[_Files]:
    directory = Path(tempfile.mkdtemp(prefix="som-cmd-"))
    os.chmod(directory, 0o700)
    try:
        files = _Files(directory)
        if connection.private_key is not None:
            files.key = _private_file(directory / "key", connection.private_key)
        if connection.host_key is not None:
            pinned = connection.host if connection.port == 22 else f"[{connection.host}]:{connection.port}"
            files.known_hosts = _private_file(directory / "known_hosts", f"{pinned} {connection.host_key.strip()}")
        yield files
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _check_private_key(key: Path) -> None:
    """ssh.ParsePrivateKey happens before the dial: a bad key fails once, unretried."""
    done = subprocess.run(["ssh-keygen", "-y", "-P", "", "-f", str(key)], capture_output=True, check=False)
    if done.returncode != 0:
        raise CommandError("ssh: no key found")


def _options(connection: Connection, files: _Files) -> list[str]:
    options = {
        "BatchMode": "yes",
        "ControlPath": str(files.control),
        "LogLevel": "ERROR",
        "CheckHostIP": "no",
        "UpdateHostKeys": "no",
        "GlobalKnownHostsFile": "/dev/null",
        "RequestTTY": "no",
        "IdentityAgent": connection.agent_socket_path or "none",
        "IdentitiesOnly": "yes" if connection.agent_socket_path is None else "no",
    }
    if connection.host_key is not None:
        options |= {
            "StrictHostKeyChecking": "yes",
            "UserKnownHostsFile": str(files.known_hosts),
            "HostKeyAlgorithms": host_key_type(connection.host_key),
        }
    else:  # the real provider ignores the host key when none is pinned
        options |= {"StrictHostKeyChecking": "no", "UserKnownHostsFile": "/dev/null"}
    if connection.per_dial_timeout > 0:
        options["ConnectTimeout"] = str(connection.per_dial_timeout)
    argv = ["-F", "/dev/null", "-p", str(connection.port), "-l", connection.user]
    if files.key is not None:
        argv += ["-i", str(files.key)]
    for name, value in options.items():
        argv += ["-o", f"{name}={value}"]
    return argv


@dataclass
class _Master:
    process: subprocess.Popen[bytes]
    files: _Files

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _dial_once(connection: Connection, files: _Files) -> tuple[_Master | None, str]:
    """One dial: a master connection, ready once its control socket exists."""
    argv = ["setpriv", "--pdeathsig", "TERM", "ssh", "-M", "-N", *_options(connection, files), "--", connection.host]
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while process.poll() is None:
        if files.control.exists():
            return _Master(process, files), ""
        time.sleep(MASTER_POLL_SECONDS)
    assert process.stderr is not None
    return None, process.stderr.read().decode(errors="replace")


def dial(connection: Connection, files: _Files, status: LineSink) -> _Master:
    """dialWithRetry: the first try, then retries until dialErrorLimit is reached."""
    if files.key is not None:
        _check_private_key(files.key)
    offered = host_key_type(connection.host_key) if connection.host_key is not None else None
    limit = connection.dial_error_limit
    delays = dial_delays()
    attempt = 0
    while True:
        master, stderr = _dial_once(connection, files)
        if master is not None:
            return master
        dials = attempt + 1
        if dial_limit_reached(dials, limit):
            raise CommandError(f"after {attempt} failed attempts: {dial_error(stderr, connection.endpoint, offered)}")
        status(f"Dial {dials}/{'inf' if limit == UNLIMITED else limit} failed: retrying")
        time.sleep(next(delays))
        attempt += 1


@dataclass
class _Streams:
    """stdout, stderr and both as they came, with complete lines handed to the loggers."""

    log_stdout: LineSink | None
    log_stderr: LineSink | None
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    combined: bytearray = field(default_factory=bytearray)
    _partial: dict[str, bytearray] = field(default_factory=lambda: {"stdout": bytearray(), "stderr": bytearray()})

    def feed(self, name: str, chunk: bytes) -> None:
        getattr(self, name).extend(chunk)
        self.combined.extend(chunk)
        sink = self.log_stdout if name == "stdout" else self.log_stderr
        if sink is None:
            return
        partial = self._partial[name]
        partial.extend(chunk)
        *lines, rest = partial.split(b"\n")
        for line in lines:
            sink(line.decode(errors="replace"))
        self._partial[name] = bytearray(rest)

    def flush(self) -> None:
        for name, rest in self._partial.items():
            sink = self.log_stdout if name == "stdout" else self.log_stderr
            if sink is not None and rest:
                sink(rest.decode(errors="replace"))


def _session(
    connection: Connection,
    files: _Files,
    command: str,
    stdin: str | None,
    environment: Mapping[str, str],
    streams: _Streams,
) -> int:
    """One session on the master's connection; its exit status."""
    env_options: list[str] = []
    for name in environment:
        env_options += ["-o", f"SendEnv={name}"]
    argv = ["ssh", "-o", "ControlMaster=no", *env_options, *_options(connection, files), "--", connection.host, command]
    child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment}
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env
    )
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    feeder = threading.Thread(target=_feed_stdin, args=(process.stdin, (stdin or "").encode()), daemon=True)
    feeder.start()
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "stdout")
    selector.register(process.stderr, selectors.EVENT_READ, "stderr")
    open_streams = 2
    while open_streams:
        for key, _ in selector.select():
            chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                selector.unregister(key.fileobj)
                open_streams -= 1
                continue
            streams.feed(key.data, chunk)
    selector.close()
    feeder.join()
    streams.flush()
    return process.wait()


def _feed_stdin(pipe: Any, data: bytes) -> None:
    try:
        if data:
            pipe.write(data)
    except BrokenPipeError:
        pass
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass


def run(
    connection: Connection,
    command: str,
    stdin: str | None,
    environment: Mapping[str, str],
    log_stdout: LineSink | None,
    log_stderr: LineSink | None,
    status: LineSink,
) -> Execution:
    """Dial (with retries), run the command once, return its output; CommandError if
    the dial or the command failed."""
    with _files(connection) as files:
        master = dial(connection, files, status)
        try:
            streams = _Streams(log_stdout, log_stderr)
            exit_code = _session(connection, files, command, stdin, environment, streams)
        finally:
            master.close()
    combined = streams.combined.decode(errors="replace")
    if exit_code != 0:
        raise CommandError(exit_error(exit_code, command, combined))
    return Execution(
        exit_code,
        streams.stdout.decode(errors="replace").removesuffix("\n"),
        streams.stderr.decode(errors="replace").removesuffix("\n"),
        combined,
    )
