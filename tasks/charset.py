"""Bytes to text for fetched pages: byte-order mark, header, <meta>, then detection. Pure.

Municipal pages come in UTF-8 and in ISO-8859-1/Windows-1252, and the labels
are sometimes wrong. A label is trusted only if the body decodes under it, and
a Latin-1 label on a body that is valid UTF-8 with non-ASCII bytes is taken to
be a mislabel (real Latin-1 Swedish text is practically never valid UTF-8), so
å, ä and ö survive either way.

Decoding is per character, not per page: a page that is mostly UTF-8 stays
UTF-8 even with a few invalid bytes (a pasted fragment, a cut multi-byte
character), which are replaced where they stand. Only when most of its
non-ASCII bytes are not UTF-8 is the page read in a single-byte charset.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
_SINGLE_BYTE_LATIN = {"iso8859-1", "cp1252", "ascii", "iso8859-15"}
_HTML_TAG = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|title|meta|div|p|h[1-6]|article|main|section|table|ul)\b",
    re.IGNORECASE,
)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Leading bytes of formats that are never text, whatever the Content-Type says.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF-",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"OggS",
    b"\x00asm",
)


def _codec(label: str | None) -> str | None:
    """Python's name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return "cp1252" if name in ("iso8859-1", "ascii") else name  # as browsers do (WHATWG)


def declared_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def meta_charset(body: bytes) -> str | None:
    """The charset a page names in a <meta> tag or an XML declaration, within its first 4 kB."""
    head = body[:4096]
    found = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return found.group(1).decode("ascii", errors="ignore") if found else None


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


_ASCII = bytes(range(128))


def mostly_utf8(body: bytes) -> bool:
    """True when the body has non-ASCII bytes and most of them form valid UTF-8 sequences."""
    non_ascii = len(body.translate(None, _ASCII))
    if non_ascii == 0:
        return False
    valid = len(body.decode("utf-8", errors="ignore").encode("utf-8")) - (len(body) - non_ascii)
    return valid * 2 > non_ascii


def _is_utf8_with_non_ascii(body: bytes) -> bool:
    return mostly_utf8(body)


def sniff_charset(body: bytes, content_type: str | None = None) -> str:
    """The codec to decode a page with: BOM, then header, then <meta>, then detection."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    for label in (declared_charset(content_type), meta_charset(body)):
        codec = _codec(label)
        if codec == "utf-8" and mostly_utf8(body):
            return codec  # a few invalid bytes are replaced where they stand
        if codec is None or not _decodes(body, codec):
            continue
        if codec.startswith(("utf-16", "utf-32")) and b"\x00" not in body[:512]:
            continue  # a wide-character label on an 8-bit body is a mislabel
        if codec in _SINGLE_BYTE_LATIN and _is_utf8_with_non_ascii(body):
            return "utf-8"
        return codec
    return detect_charset(body)


def detect_charset(body: bytes) -> str:
    """No usable label: UTF-8 if the bytes are (mostly) UTF-8, else Windows-1252, else Latin-1."""
    if _decodes(body, "utf-8") or mostly_utf8(body):
        return "utf-8"
    if _decodes(body, "cp1252"):
        return "cp1252"
    return "latin-1"  # decodes any byte sequence


def decode_text(body: bytes, content_type: str | None = None) -> str:
    """The page as text, with the codec sniff_charset picks."""
    return body.decode(sniff_charset(body, content_type), errors="replace")


def looks_binary(body: bytes) -> bool:
    """True for bodies that are not text (images, archives, executables) whatever their label."""
    head = body[:2048]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if head.startswith(_BINARY_MAGIC):
        return True
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return bool(head) and controls / len(head) > 0.05


def looks_like_html(body: bytes) -> bool:
    """True for bodies that are text with at least one HTML element in their first 64 kB."""
    if looks_binary(body):
        return False
    head = body[:65536]
    for bom, codec in _BOMS:
        if head.startswith(bom) and codec.startswith("utf-16"):
            head = head.decode(codec, errors="ignore").encode("utf-8")
    return _HTML_TAG.search(head) is not None
