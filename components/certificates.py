"""When a certificate stops being valid, read from its DER bytes with no library.

Why: the admin kubeconfig (the stack output ``kubeconfig``) authenticates with a client
certificate kubeadm signs for one year, renewed by the monthly certificates check; its
expiry is a plain stack output (``kubeconfigExpires``, read by ``components.kubeconfigs``) so a
site can alert on it. Only the validity of an X.509 certificate is read (RFC 5280:
Certificate, TBSCertificate, Validity), which needs a DER walk of a few lines rather
than a crypto dependency.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

_SEQUENCE, _UTC_TIME, _GENERALIZED_TIME, _EXPLICIT_VERSION = 0x30, 0x17, 0x18, 0xA0


class CertificateError(ValueError):
    """Bytes that are not the certificate expected (the message never quotes them)."""


def _element(der: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of contents, end of contents) of the DER element at ``at``."""
    if at + 2 > len(der):
        raise CertificateError("the certificate ends inside an element")
    tag, length = der[at], der[at + 1]
    start = at + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or start + count > len(der):
            raise CertificateError("the certificate has an element of impossible length")
        length, start = int.from_bytes(der[start:start + count], "big"), start + count
    if start + length > len(der):
        raise CertificateError("the certificate ends inside an element")
    return tag, start, start + length


def _children(der: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    found, at = [], start
    while at < end:
        element = _element(der, at)
        found.append(element)
        at = element[2]
    return found


def _time(tag: int, text: str) -> datetime:
    """A DER time; UTCTime's two-digit year is 19YY from 50 on, else 20YY (RFC 5280 4.1.2.5.1)."""
    if tag == _UTC_TIME and len(text) == 13 and text[:2].isdigit():
        text = ("19" if int(text[:2]) >= 50 else "20") + text
    elif tag != _GENERALIZED_TIME:
        raise CertificateError("the certificate's validity is not a time")
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise CertificateError("the certificate's validity is not a time in DER's form") from None


def not_after(der: bytes) -> datetime:
    """The end of an X.509 certificate's validity (``notAfter``), in UTC."""
    tag, start, end = _element(der, 0)
    if tag != _SEQUENCE:
        raise CertificateError("not a DER certificate")
    tbs_tag, tbs_start, tbs_end = _element(der, start)
    if tbs_tag != _SEQUENCE:
        raise CertificateError("not a DER certificate")
    fields = _children(der, tbs_start, tbs_end)
    if fields and fields[0][0] == _EXPLICIT_VERSION:
        fields = fields[1:]
    if len(fields) < 4 or fields[3][0] != _SEQUENCE:  # serial, signature, issuer, validity
        raise CertificateError("the certificate has no validity")
    times = _children(der, fields[3][1], fields[3][2])
    if len(times) != 2:
        raise CertificateError("the certificate's validity is not two times")
    time_tag, time_start, time_end = times[1]
    return _time(time_tag, der[time_start:time_end].decode("ascii", errors="replace"))


def pem_body(pem: str) -> bytes:
    """The DER bytes of the first PEM certificate block."""
    lines = pem.strip().splitlines()
    try:
        first = lines.index("-----BEGIN CERTIFICATE-----")
        last = lines.index("-----END CERTIFICATE-----", first)
        return base64.b64decode("".join(lines[first + 1:last]), validate=True)
    except (ValueError, binascii.Error):
        raise CertificateError("no PEM certificate block") from None
