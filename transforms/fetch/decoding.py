"""Content-Encoding decoding under a byte cap: gzip (multi-member), zlib or raw deflate, brotli, chained.

Every layer produces bounded output per input chunk, so a compression bomb is stopped once `max_bytes` decoded
bytes exist, not after it exploded in memory.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from transforms.fetch.errors import FetchError

try:  # brotli is a project dependency; without it we simply do not advertise "br".
    import brotli
except ImportError:  # pragma: no cover - exercised only in stripped-down installs
    brotli = None

GZIP_MAGIC = b"\x1f\x8b"
# A Content-Encoding chain longer than this is not something a feed server legitimately sends.
MAX_ENCODING_LAYERS = 2
# What a request may advertise: "br" only when brotli is importable.
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"


class _Decoder(Protocol):
    def decode(self, data: bytes, limit: int) -> bytes:
        """Decode `data`; returns at most about `limit` bytes (more than `limit - 1` means "too large")."""
        ...

    def flush(self, limit: int) -> bytes: ...


class _Identity:
    def decode(self, data: bytes, limit: int) -> bytes:
        return data

    def flush(self, limit: int) -> bytes:
        return b""


class _Inflate:
    """gzip / zlib / raw deflate with bounded output per call (zlib's max_length)."""

    def __init__(self, wbits: int, raw_fallback: bool = False, multi_member: bool = False):
        self._wbits = wbits
        self._obj = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback
        self._multi_member = multi_member
        self._started = False

    def decode(self, data: bytes, limit: int) -> bytes:
        if not data:
            return b""
        try:
            out = self._obj.decompress(data, limit)
        except zlib.error:
            # "deflate" is ambiguous in practice: servers send zlib-wrapped or raw streams; try raw once.
            if self._raw_fallback and not self._started:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._raw_fallback = False
                return self.decode(data, limit)
            raise
        self._started = True
        # A gzip file may be several members back to back (gzip(1) concatenation); trailing bytes that do not
        # start another member (padding, junk) are ignored, as gzip(1) does.
        while (
            self._multi_member
            and self._obj.eof
            and self._obj.unused_data.startswith(GZIP_MAGIC)
            and len(out) < limit
        ):
            rest = self._obj.unused_data
            self._obj = zlib.decompressobj(self._wbits)
            out += self._obj.decompress(rest, limit - len(out))
        return out

    def flush(self, limit: int) -> bytes:
        return self._obj.decompress(self._obj.unconsumed_tail, limit) if self._obj.unconsumed_tail else b""


class _Brotli:
    def __init__(self) -> None:
        if brotli is None:  # pragma: no cover - brotli is installed with the project
            raise FetchError("decode_error", "brotli-encoded body but the brotli module is missing")
        self._obj = brotli.Decompressor()

    def decode(self, data: bytes, limit: int) -> bytes:
        if not data:
            return b""
        return bytes(self._obj.process(data, output_buffer_limit=limit))

    def flush(self, limit: int) -> bytes:
        return b""


def _decoder_for(token: str) -> _Decoder:
    token = token.strip().lower()
    if token in {"", "identity"}:
        return _Identity()
    if token in {"gzip", "x-gzip"}:
        return _Inflate(zlib.MAX_WBITS | 32, multi_member=True)  # 32: accept a gzip or zlib header
    if token == "deflate":
        return _Inflate(zlib.MAX_WBITS, raw_fallback=True)
    if token == "br":
        return _Brotli()
    raise FetchError("decode_error", f"unsupported Content-Encoding {token!r}")


class BodyDecoder:
    """Applies a Content-Encoding chain (last applied is undone first) under a byte cap on every layer."""

    def __init__(self, content_encoding: str, max_bytes: int):
        tokens = [t for t in content_encoding.split(",") if t.strip() and t.strip().lower() != "identity"]
        if len(tokens) > MAX_ENCODING_LAYERS:
            raise FetchError("decode_error", f"too many Content-Encoding layers: {content_encoding!r}")
        self._layers = [_decoder_for(t) for t in reversed(tokens)]
        self._max = max_bytes
        self._parts: list[bytes] = []
        self.size = 0

    def _run(self, data: bytes, final: bool) -> None:
        for layer in self._layers:
            # limit = max + 1: producing one byte more than allowed is how a layer signals "too large".
            try:
                out = layer.decode(data, self._max + 1)
                if final:
                    out += layer.flush(self._max + 1)
            except FetchError:
                raise
            except (zlib.error, OSError, ValueError) as exc:
                raise FetchError("decode_error", f"cannot decode body: {exc}") from exc
            except Exception as exc:  # brotli.error is not an OSError subclass
                if brotli is not None and isinstance(exc, brotli.error):
                    raise FetchError("decode_error", f"cannot decode brotli body: {exc}") from exc
                raise
            if len(out) > self._max:
                raise FetchError("too_large", f"decoded body exceeds max_bytes={self._max}")
            data = out
        self.size += len(data)
        if self.size > self._max:
            raise FetchError("too_large", f"decoded body exceeds max_bytes={self._max}")
        if data:
            self._parts.append(data)

    def feed(self, chunk: bytes) -> None:
        self._run(chunk, final=False)

    def finish(self) -> bytes:
        self._run(b"", final=True)
        return b"".join(self._parts)
