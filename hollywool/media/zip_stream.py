"""A zip archive written as a stream of chunks: the response starts at once and memory stays flat.

zipfile writes to an unseekable sink with data descriptors (sizes after each member), so nothing is
built in memory or on disk first. Media is stored, not deflated: PNG, WebP and MP4 are compressed already.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

_CHUNK = 1 << 20


class _Sink(io.RawIOBase):
    """Collects what zipfile writes until the generator hands it on; tell() but no seek()."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # noqa: ANN001 - any bytes-like object
        self._buf += data
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        out = bytes(self._buf)
        self._buf.clear()
        return out


def stream_zip(files: Iterable[tuple[str, Path, float]], extra: Iterable[tuple[str, bytes]] = ()) -> Iterator[bytes]:
    """Yield a zip of `files` ((name in the archive, path, mtime)) then `extra` ((name, bytes)).

    A file that vanished since the listing (deleted meanwhile) is left out.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, path, mtime in files:
            try:
                source = open(path, "rb")  # noqa: SIM115 - closed by the with below
            except FileNotFoundError:
                continue
            info = zipfile.ZipInfo(name, date_time=time.localtime(max(mtime, 315532800))[:6])
            with source, archive.open(info, "w", force_zip64=True) as member:
                while chunk := source.read(_CHUNK):
                    member.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
        for name, payload in extra:
            archive.writestr(zipfile.ZipInfo(name, date_time=time.localtime()[:6]), payload)
    yield sink.take()
