"""What a file's bytes say before it is read as text: gzip, a binary format, its encoding.

Private helpers of :func:`hotspot_sim.io.read_csv_text`, which turns what they
find into messages naming the file.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from .errors import DataError


# Known binary formats someone might export or rename to .csv by mistake.
_BINARY_SIGNATURES: dict[bytes, str] = {
    b"PK\x03\x04": "a zip archive or Excel .xlsx workbook",
    b"\xd0\xcf\x11\xe0": "an Excel .xls workbook",
    b"PAR1": "a parquet file",
    b"%PDF": "a PDF document",
    b"SQLite format 3": "an SQLite database",
}
# Control bytes text files never hold; a CSV with any NUL, or many of the others, is binary.
_NON_TEXT = re.compile(rb"[\x00-\x06\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def read_bytes(path: Path, what: str) -> bytes:
    """A file's bytes, gunzipped when it is gzip-compressed (``.csv.gz``)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the {what} file ({exc.strerror or exc})") from None
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: the {what} file is a damaged gzip file ({exc}); "
                            "download or compress it again") from None
    return raw


def binary_problem(raw: bytes) -> str | None:
    """Why `raw` is not text (naming the format or the first odd byte), or None."""
    for signature, kind in _BINARY_SIGNATURES.items():
        if raw.startswith(signature):
            return f"it is {kind}"
    head = raw[:65536]
    n_odd = len(_NON_TEXT.findall(head))
    if b"\x00" in head or n_odd > 0.01 * len(head):
        pos = _NON_TEXT.search(head).start()
        line = head.count(b"\n", 0, pos) + 1
        return f"line {line} holds byte 0x{head[pos]:02X}, which text never holds"
    return None


def holds_utf8_sequences(raw: bytes) -> bool:
    """Whether `raw` holds any valid multi-byte UTF-8 sequence (a sign of mixed encodings)."""
    return _UTF8_MULTIBYTE.search(raw) is not None
