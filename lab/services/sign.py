"""The lab's apt signing key and the repository's signatures (gpg --batch).

Why a key per lab: apt only trusts a repository whose Release is signed by a key the
node was given (``signed-by=``), so the lab plays the site that owns its mirror: a key
made when the lab's services come up, kept in the lab's state dir (gpg keeps secret
keys 0600 in a 0700 home), its public half published as ``Release.key`` in
pkgs.k8s.io's armoured form. gpg starts an agent for the home; it is stopped after
every use, so nothing of gpg outlives a call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..proc import run

KEY_EXPIRY = "30d"


def _gpg(home: Path, *args: str) -> str:
    return run(["gpg", "--batch", "--quiet", "--homedir", str(home), "--pinentry-mode", "loopback",
                "--passphrase", "", *args]).stdout


@contextmanager
def agent(home: Path) -> Iterator[None]:
    """Run gpg commands, then stop the agent they started for this home."""
    try:
        yield
    finally:
        run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)


def create_key(home: Path, lab_id: str) -> str:
    """A signing-only ed25519 key in a new home; returns its fingerprint."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    with agent(home):
        _gpg(home, "--quick-gen-key", f"spark-on-metal lab {lab_id} apt <apt@lab.internal>",
             "ed25519", "sign", KEY_EXPIRY)
        listing = _gpg(home, "--with-colons", "--list-secret-keys")
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def sign_release(home: Path, release: Path) -> Sequence[Path]:
    """InRelease (clear-signed), Release.gpg (detached) and Release.key beside release."""
    directory = release.parent
    inline, detached, public = directory / "InRelease", directory / "Release.gpg", directory / "Release.key"
    for stale in (inline, detached):
        stale.unlink(missing_ok=True)
    with agent(home):
        _gpg(home, "--digest-algo", "SHA512", "--clearsign", "--output", str(inline), str(release))
        _gpg(home, "--digest-algo", "SHA512", "--armor", "--detach-sign", "--output", str(detached), str(release))
        public.write_text(_gpg(home, "--armor", "--export"))
    return (inline, detached, public)
