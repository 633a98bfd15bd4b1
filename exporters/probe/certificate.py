"""The notAfter time of an X.509 certificate, read from its DER bytes.

The standard library only decodes a peer certificate it has verified (``getpeercert()`` returns
``{}`` otherwise), and probes of self-signed or skip-verify targets still need the expiry, so this
walks the few DER fields on the way (RFC 5280 section 4.1: Certificate, TBSCertificate, Validity)
instead of adding a dependency for it.
"""

from __future__ import annotations

from datetime import UTC, datetime

_SEQUENCE = 0x30
_EXPLICIT_VERSION = 0xA0
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18


def _element(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at offset."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(data[start : start + size], "big")
        start += size
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER element")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    children = []
    while start < end:
        child = _element(data, start)
        children.append(child)
        start = child[2]
    return children


def not_after(der: bytes) -> float:
    """Unix time at which the certificate expires; ValueError for anything that is not a certificate."""
    try:
        return _not_after(der)
    except (IndexError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read the certificate's expiry: {error}") from error


def _not_after(der: bytes) -> float:
    tag, start, end = _element(der, 0)
    if tag != _SEQUENCE:
        raise ValueError("not a DER certificate")
    tag, start, end = _children(der, start, end)[0]  # tbsCertificate
    fields = _children(der, start, end)
    if fields[0][0] == _EXPLICIT_VERSION:
        fields = fields[1:]
    # serialNumber, signature, issuer, validity
    _, start, end = fields[3]
    tag, start, end = _children(der, start, end)[1]  # notAfter
    text = der[start:end].decode("ascii")
    if tag == _UTC_TIME:
        # RFC 5280 4.1.2.5.1: YY >= 50 means 19YY, otherwise 20YY.
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != _GENERALIZED_TIME:
        raise ValueError("unexpected time encoding in certificate validity")
    moment = datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
    return moment.timestamp()
