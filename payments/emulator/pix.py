"""Pix "copia e cola" (EMV BR Code) payloads and a small QR-looking PNG, stdlib only."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from decimal import Decimal


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def emv_payload(*, location: str, amount: Decimal, merchant: str, city: str) -> str:
    """A dynamic-QR BR Code: merchant account info points at ``location`` (no scheme)."""
    account = _tlv("00", "br.gov.bcb.pix") + _tlv("25", location[:77])
    body = (
        _tlv("00", "01")
        + _tlv("01", "12")
        + _tlv("26", account)
        + _tlv("52", "0000")
        + _tlv("53", "986")
        + _tlv("54", f"{amount:.2f}")
        + _tlv("58", "BR")
        + _tlv("59", merchant[:25])
        + _tlv("60", city[:15])
        + _tlv("62", _tlv("05", "***"))
        + "6304"
    )
    return body + f"{crc16_ccitt(body.encode()):04X}"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def qr_like_png(payload: str, modules: int = 25, scale: int = 4) -> bytes:
    """A black-and-white PNG whose module pattern derives from the payload's hash.

    It is not a scannable QR code; it only has to be a valid PNG of plausible looks.
    """
    seed = hashlib.sha256(payload.encode()).digest()
    bits = "".join(f"{byte:08b}" for byte in seed * ((modules * modules) // 256 + 1))
    size = modules * scale
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type None
        for x in range(size):
            dark = bits[(y // scale) * modules + (x // scale)] == "1"
            row.append(0 if dark else 255)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def encoded_png(payload: str) -> str:
    return base64.b64encode(qr_like_png(payload)).decode("ascii")
