"""Reading a response body with bounded memory, whatever ``Content-Encoding`` claims.

httpx decodes gzip and deflate itself, but it inflates each received chunk in
one go: a few kilobytes of ``Content-Encoding: gzip, gzip`` can become a
gigabyte before any size check sees it. So the client reads the raw bytes and
decodes them here, every layer in steps of at most ``STEP`` bytes, counting the
decoded size as it goes; past the limit it stops. At no moment does more than
the limit plus a few steps of decoded data exist.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

#: The most one decoding step produces, per layer.
STEP = 64 * 1024
#: More stacked encodings than this is not a real server (``gzip, gzip`` is already odd).
MAX_LAYERS = 3
#: What the client offers in ``Accept-Encoding``: exactly what this module can undo.
ACCEPTED = "gzip, deflate"

_ALIASES = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}
_GZIP_MAGIC = b"\x1f\x8b"


class BodyTooLarge(Exception):
    """The body decodes to more than the limit."""


class BadEncoding(Exception):
    """The ``Content-Encoding`` is unknown, stacked too deep, or the data does not decode."""


class _Inflater:
    """One gzip or deflate layer, producing at most ``STEP`` bytes per step."""

    def __init__(self, kind: str, limit: int) -> None:
        self.kind = kind
        self.limit = limit
        """The most this layer may produce in all."""
        self.produced = 0
        self._obj: zlib._Decompress | None = None
        self._head = b""  # deflate: the first bytes, until the header kind is known
        self._done = False  # past the end of the data: the rest is ignored

    def _start(self, data: bytes) -> bytes | None:
        """Create the decompressor; returns the data to feed it, or None to wait for more."""
        if self.kind == "gzip":
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return data
        # "deflate" is zlib-wrapped by the RFC, but some servers send it raw.
        self._head += data
        if len(self._head) < 2:
            return None
        first, second = self._head[0], self._head[1]
        wrapped = first & 0x0F == 8 and ((first << 8) | second) % 31 == 0
        self._obj = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        data, self._head = self._head, b""
        return data

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._done or not data:
            return
        if self._obj is None:
            started = self._start(data)
            if started is None:
                return
            data = started
        decoder = self._obj
        assert decoder is not None  # set by _start above
        while True:
            try:
                out = decoder.decompress(data, STEP)
            except zlib.error:
                raise BadEncoding(f"the body is not valid {self.kind} data") from None
            if out:
                self.produced += len(out)
                if self.produced > self.limit:
                    raise BodyTooLarge
                yield out
            data = decoder.unconsumed_tail
            if decoder.eof:
                rest = decoder.unused_data
                if self.kind == "gzip" and rest.startswith(_GZIP_MAGIC):
                    # Concatenated gzip members are one valid gzip body.
                    self._obj = decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                    continue
                self._done = True  # trailing bytes after the end: ignored, as browsers do
                return
            # A full step may leave output pending inside zlib: ask again until it is short.
            if not data and len(out) < STEP:
                return

    def finish(self) -> None:
        """The body ended: fine unless not even a deflate header arrived.

        Every step above drained zlib, so nothing is left to flush; a truncated
        stream simply ends here, and the JSON parser reports the truncated text.
        """
        if self._obj is None and self._head:
            raise BadEncoding(f"the body is not valid {self.kind} data")


def _chain(layer: _Inflater, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from layer.feed(piece)


class BoundedDecoder:
    """Undo a response's ``Content-Encoding`` step by step, refusing more than ``limit`` bytes."""

    def __init__(self, encodings: list[str], limit: int) -> None:
        layers = [e.strip().lower() for e in encodings if e.strip()]
        layers = [e for e in layers if e != "identity"]
        unknown = [e for e in layers if e not in _ALIASES]
        if unknown:
            raise BadEncoding(f"unsupported Content-Encoding {unknown[0][:40]!r}")
        if len(layers) > MAX_LAYERS:
            raise BadEncoding(f"{len(layers)} stacked Content-Encodings")
        self.limit = limit
        # An intermediate layer's output is the next layer's compressed input, about the
        # size of the final body at most; twice the limit leaves room for odd servers.
        self._layers = [_Inflater(_ALIASES[e], 2 * limit) for e in reversed(layers)]
        # One growing buffer, handed to the JSON parser as it is: no joined copy.
        self._body = bytearray()
        self.raw_size = 0
        """Bytes received so far."""

    def feed(self, raw: bytes) -> None:
        """Decode one received chunk (raises BodyTooLarge or BadEncoding)."""
        self.raw_size += len(raw)
        if self.raw_size > 2 * self.limit:
            raise BodyTooLarge
        pieces: Iterable[bytes] = (raw,)
        for layer in self._layers:
            pieces = _chain(layer, pieces)
        for piece in pieces:
            if len(self._body) + len(piece) > self.limit:
                raise BodyTooLarge
            self._body += piece

    def finish(self) -> bytearray:
        """The whole decoded body."""
        for layer in self._layers:
            layer.finish()
        return self._body
