"""Pinned SSH host keys, parsed as the SSH client that checks them parses them.

pulumi-command compares each host's key with the pinned one through
golang.org/x/crypto/ssh (ssh.ParseAuthorizedKey, then the key type's own parser), so a
key that only has the right shape but whose bytes are no key of its type would fail every
connection with a message about the host, not the setting. This module checks the line
the way that parser does, and a little further where a key can be told apart from
noise: an Ed25519 key must decode to a curve point, an ECDSA key must lie on its curve,
an RSA key needs the exponent rules x/crypto/ssh enforces and a modulus Go still accepts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

SSH_HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)

# Short Weierstrass curves y^2 = x^3 - 3x + b (mod p) of FIPS 186-4 / SEC 2.
_NIST_CURVES = {
    "nistp256": (
        2**256 - 2**224 + 2**192 + 2**96 - 1,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    ),
    "nistp384": (
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
    ),
    "nistp521": (
        2**521 - 1,
        0x051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00,
    ),
}
_ED25519_P = 2**255 - 19
_ED25519_D = (-121665 * pow(121666, -1, _ED25519_P)) % _ED25519_P
RSA_MIN_BITS = 1024  # Go's crypto/rsa refuses shorter keys (GODEBUG rsa1024min, Go 1.24 on)


def host_key_problem(line: str) -> str | None:
    """Why ``line`` is not a usable authorized_keys-format public host key, or None."""
    fields = line.split()
    if len(fields) < 2:
        return "expected '<type> <base64 key>' as printed by ssh-keyscan (without the host name)"
    kind, blob = fields[0], fields[1]
    if kind not in SSH_HOST_KEY_TYPES:
        return f"key type {kind[:40]!r} is not one of {', '.join(SSH_HOST_KEY_TYPES)}"
    try:
        parts = _ssh_strings(base64.b64decode(blob, validate=True))
        embedded = parts[0].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError, ValueError, IndexError):
        return "the key data is not valid base64 of an SSH public key"
    if embedded != kind:
        return f"the key data is a {embedded[:40]!r} key but the line says {kind!r}"
    return _material_problem(kind, parts[1:])


def fingerprint(line: str) -> str:
    """``SHA256:<base64>`` of a (valid) host key line, as ``ssh-keygen -l`` prints it."""
    digest = hashlib.sha256(base64.b64decode(line.split()[1])).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _ssh_strings(raw: bytes) -> list[bytes]:
    """The length-prefixed strings (RFC 4251) a public key blob consists of, all of it."""
    parts, offset = [], 0
    while offset < len(raw):
        (length,) = struct.unpack(">I", raw[offset : offset + 4])
        offset += 4
        if offset + length > len(raw):
            raise ValueError("string runs past the end of the key")
        parts.append(raw[offset : offset + length])
        offset += length
    return parts


def _material_problem(kind: str, parts: list[bytes]) -> str | None:
    """What is wrong with the key material after the type (no trailing data allowed)."""
    if kind == "ssh-ed25519":
        if len(parts) != 1 or len(parts[0]) != 32:
            return "the key data is not a well-formed ssh-ed25519 key (truncated, or with extra data)"
        return None if _ed25519_point(parts[0]) else "the ssh-ed25519 key data is not a point of the curve (not a real key)"
    if kind.startswith("ecdsa-sha2-"):
        curve = kind.removeprefix("ecdsa-sha2-")
        if len(parts) != 2 or parts[0] != curve.encode():
            return f"the key data is not a well-formed {kind} key (truncated, or with extra data)"
        return None if _on_nist_curve(curve, parts[1]) else f"the {kind} key data is not a point of the curve (not a real key)"
    if len(parts) != 2 or not all(parts):
        return "the key data is not a well-formed ssh-rsa key (truncated, or with extra data)"
    return _rsa_problem(parts[0], parts[1])


def _ed25519_point(encoded: bytes) -> bool:
    """RFC 8032 5.1.3: the y coordinate and sign of x decode to a point on the curve."""
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    sign = encoded[31] >> 7
    if y >= _ED25519_P:
        return False
    u, v = (y * y - 1) % _ED25519_P, (_ED25519_D * y * y + 1) % _ED25519_P
    x = (u * pow(v, 3, _ED25519_P) * pow(u * pow(v, 7, _ED25519_P), (_ED25519_P - 5) // 8, _ED25519_P)) % _ED25519_P
    if (v * x * x - u) % _ED25519_P != 0:
        x = (x * pow(2, (_ED25519_P - 1) // 4, _ED25519_P)) % _ED25519_P
        if (v * x * x - u) % _ED25519_P != 0:
            return False
    return not (x == 0 and sign == 1)


def _on_nist_curve(curve: str, point: bytes) -> bool:
    """An uncompressed point (0x04 || X || Y), as x/crypto/ssh accepts, on ``curve``."""
    p, b = _NIST_CURVES[curve]
    size = (p.bit_length() + 7) // 8
    if len(point) != 1 + 2 * size or point[0] != 4:
        return False
    x, y = int.from_bytes(point[1 : 1 + size], "big"), int.from_bytes(point[1 + size :], "big")
    if x >= p or y >= p:
        return False
    return (y * y - (x * x * x - 3 * x + b)) % p == 0


def _rsa_problem(exponent: bytes, modulus: bytes) -> str | None:
    """x/crypto/ssh parseRSA: a positive exponent of at most 24 bits, odd and at least 3;
    and a modulus Go's crypto/rsa still verifies with."""
    if exponent[0] & 0x80 or modulus[0] & 0x80:
        return "the ssh-rsa key data holds a negative number (not a real key)"
    e, n = int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")
    if e.bit_length() > 24 or e < 3 or e % 2 == 0:
        return "the ssh-rsa key's exponent is not one an SSH client accepts (odd, at least 3, at most 24 bits)"
    if n.bit_length() < RSA_MIN_BITS:
        return f"the ssh-rsa key has {n.bit_length()} bits; Go's SSH client refuses RSA keys under {RSA_MIN_BITS} bits"
    return None
