"""The admin kubeconfig's expiry, read from its client certificate's DER: a site alerts
on the stack output ``kubeconfigExpires`` before kubeadm's one-year certificate ends."""

from __future__ import annotations

import base64

import pytest
import yaml

from components.certificates import CertificateError, not_after, pem_body
from components.kubeconfigs import KubeconfigError, client_certificate_expiry

# Public certificates only (their keys were thrown away), made with
#   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days N
# `openssl x509 -noout -enddate` printed: notAfter=Dec  4 04:43:31 2027 GMT (UTCTime)
ONE_YEAR = """-----BEGIN CERTIFICATE-----
MIIBzDCCAXOgAwIBAgIUMN0iqm7SA5CR8aI1knmBjFggHdwwCgYIKoZIzj0EAwIw
PDEfMB0GA1UECgwWa3ViZWFkbTpjbHVzdGVyLWFkbWluczEZMBcGA1UEAwwQa3Vi
ZXJuZXRlcy1hZG1pbjAeFw0yNjEyMDQwNDQzMzFaFw0yNzEyMDQwNDQzMzFaMDwx
HzAdBgNVBAoMFmt1YmVhZG06Y2x1c3Rlci1hZG1pbnMxGTAXBgNVBAMMEGt1YmVy
bmV0ZXMtYWRtaW4wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR2LOKxPTEnJWNb
WIL63KroA0sZr5RGi6eGV4I0bbt0ttyHr8FKrb91/Xc2kx96YHTMjPr8sTyOpVQp
5YTFRgJzo1MwUTAdBgNVHQ4EFgQUd7mkeXwGans6HSUfGYWPD61elncwHwYDVR0j
BBgwFoAUd7mkeXwGans6HSUfGYWPD61elncwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNHADBEAiBlEc9h0J2vgd1lJGXImSpRI6R7eA6f7AISAexEghQqMAIg
RJ48RtmZJ/3NI0syoLPmMrHJ22lisMri004h2DdvKd4=
-----END CERTIFICATE-----"""
# notAfter=Nov 10 04:43:31 2126 GMT: past 2049, DER writes a GeneralizedTime
CENTURY = """-----BEGIN CERTIFICATE-----
MIIBczCCARmgAwIBAgIUbfiYUr6ldWsyEZPvax/3R/66MMQwCgYIKoZIzj0EAwIw
DjEMMAoGA1UEAwwDZmFyMCAXDTI2MTIwNDA0NDMzMVoYDzIxMjYxMTEwMDQ0MzMx
WjAOMQwwCgYDVQQDDANmYXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASxukob
5NBtbCEQlFs9fhe4iM4FjGMRED70c+YUresmo3rh5Fci/28tyEFFAOX2ZMep/R8T
nSpopMnyzj0dFtD7o1MwUTAdBgNVHQ4EFgQU6fs1G0Rxlxy8NmszMFG9J+LJEUAw
HwYDVR0jBBgwFoAU6fs1G0Rxlxy8NmszMFG9J+LJEUAwDwYDVR0TAQH/BAUwAwEB
/zAKBggqhkjOPQQDAgNIADBFAiEA8IrYzcsdcKvz2GTw39UH3lTi6G9ncJ7s8m1i
dSC+GE8CIGlnGHjnJuMgKmHx317r1X1awYjAWy/qOpclCDzvNY+k
-----END CERTIFICATE-----"""


def kubeconfig(certificate: str) -> str:
    data = base64.b64encode(certificate.encode()).decode()
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Config",
                           "users": [{"name": "kubernetes-admin", "user": {"client-certificate-data": data}}]})


def test_the_expiry_is_the_one_openssl_prints() -> None:
    assert client_certificate_expiry(kubeconfig(ONE_YEAR)) == "2027-12-04T04:43:31Z"
    assert client_certificate_expiry(kubeconfig(CENTURY)) == "2126-11-10T04:43:31Z"


def test_a_utc_time_year_from_50_on_is_in_the_1900s() -> None:
    """RFC 5280: UTCTime YY >= 50 means 19YY (Python's %y would say 2050..2068)."""
    der = bytearray(pem_body(ONE_YEAR))
    at = der.find(b"271204044331Z")
    der[at:at + 2] = b"55"
    assert not_after(bytes(der)).year == 1955


@pytest.mark.parametrize("text", ["", "users: []", "users: [{user: {token: abc}}]", "::: not yaml"])
def test_a_kubeconfig_without_a_client_certificate_is_refused_without_quoting_it(text: str) -> None:
    with pytest.raises(KubeconfigError) as refused:
        client_certificate_expiry(text)
    assert "abc" not in str(refused.value)


def test_bytes_that_are_not_a_certificate_are_refused() -> None:
    body = pem_body(ONE_YEAR)
    for broken in (b"", b"\x02\x01\x00", body[:40], b"\x30\x84\xff\xff\xff\xff"):
        with pytest.raises(CertificateError):
            not_after(broken)
