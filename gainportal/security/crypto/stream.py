"""Chunked streaming AEAD for files (the STREAM construction, as in Tink and age).

Layout::

    header = version(1) | nonce_prefix(7)
    body   = chunk_0 | chunk_1 | ... | chunk_n      (each: ciphertext | tag(16))

Plaintext is cut into 64 KiB chunks; only the final chunk may be shorter (or
empty, for an empty file). Chunk i is AES-256-GCM with

    nonce = nonce_prefix | uint32_be(i) | (1 if final else 0)
    aad   = header | caller_aad

The counter stops reordering, the final flag stops truncation at a chunk
boundary and extension after the end, and the header in the AAD stops splicing
chunks from another file sealed under the same key.

The 7-byte prefix is random, so use a fresh data key per file: with one key
for many files, prefix collisions (nonce reuse) become likely after ~2**24 files.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .envelope import TAG_BYTES, _check_key
from .errors import CryptoError, SealBroken

CHUNK_BYTES = 64 * 1024
PREFIX_BYTES = 7
_STREAM_V1 = b"\x01"
HEADER_BYTES = len(_STREAM_V1) + PREFIX_BYTES
_SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES
_MAX_CHUNKS = 2**32  # the counter is 32 bits: 256 TiB per file


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= _MAX_CHUNKS:
        raise CryptoError("stream too long: chunk counter would wrap")
    return prefix + struct.pack(">IB", counter, last)


class StreamSealer:
    """Incremental encryptor: feed plaintext as it arrives, store what comes back.

    Lets an upload go from the request stream to a ciphertext file without
    plaintext ever reaching disk. Holds back up to one chunk, because a chunk can
    only be sealed once it is known whether more data follows.
    """

    def __init__(self, data_key: bytes, aad: bytes):
        _check_key(data_key, "data key")
        self._prefix = os.urandom(PREFIX_BYTES)
        self._header = _STREAM_V1 + self._prefix
        self._aad = self._header + aad
        self._aead = AESGCM(bytes(data_key))
        self._buf = bytearray(CHUNK_BYTES)
        self._fill = 0
        self._counter = 0
        self._started = False
        self._finished = False
        self.plaintext_size = 0
        self.ciphertext_size = 0

    def update(self, data: bytes) -> bytes:
        """Return the ciphertext that can be released so far (possibly b"")."""
        out: list[bytes] = []
        self._feed(data, out.append)
        return b"".join(out)

    def finalize(self) -> bytes:
        """Seal the held-back final chunk; the sealer cannot be used afterwards."""
        out: list[bytes] = []
        self._finish(out.append)
        return b"".join(out)

    def _emit_header(self, emit: Callable[[bytes], object]) -> None:
        if self._finished:
            raise CryptoError("StreamSealer already finalized")
        if not self._started:
            self._started = True
            self.ciphertext_size += HEADER_BYTES
            emit(self._header)

    def _seal_chunk(self, chunk, last: bool, emit: Callable[[bytes], object]) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), chunk, self._aad)
        self._counter += 1
        self.ciphertext_size += len(sealed)
        emit(sealed)

    def _feed(self, data, emit: Callable[[bytes], object]) -> None:
        self._emit_header(emit)
        view = memoryview(data).cast("B")
        size = len(view)
        self.plaintext_size += size
        pos = 0
        if self._fill:
            pos = min(CHUNK_BYTES - self._fill, size)
            self._buf[self._fill : self._fill + pos] = view[:pos]
            self._fill += pos
            if pos == size:
                return
            # The buffer is full and more data follows, so it is not the final chunk.
            self._seal_chunk(self._buf, False, emit)
            self._fill = 0
        # Seal straight from the caller's buffer while a later byte is known to exist.
        while size - pos > CHUNK_BYTES:
            self._seal_chunk(view[pos : pos + CHUNK_BYTES], False, emit)
            pos += CHUNK_BYTES
        rest = size - pos
        self._buf[:rest] = view[pos:]
        self._fill = rest

    def _finish(self, emit: Callable[[bytes], object]) -> None:
        self._emit_header(emit)
        self._seal_chunk(memoryview(self._buf)[: self._fill], True, emit)
        self._finished = True


def _read_full(source, buf: bytearray) -> int:
    """Fill ``buf`` from ``source``; fewer bytes than ``len(buf)`` means end of stream.

    Raw streams and sockets may return short reads before the end, so loop.
    """
    view = memoryview(buf)
    got = 0
    readinto = getattr(source, "readinto", None)
    while got < len(buf):
        if readinto is not None:
            n = readinto(view[got:])
        else:
            piece = source.read(len(buf) - got)
            n = len(piece) if piece else 0
            view[got : got + n] = piece
        if not n:
            break
        got += n
    return got


def encrypt_stream(
    data_key: bytes,
    source: BinaryIO | Iterable[bytes],
    write: Callable[[bytes], object],
    aad: bytes,
) -> tuple[int, int]:
    """Seal ``source`` (a binary file-like or an iterable of byte strings) into ``write``.

    Reads a chunk at a time, so memory stays at about two chunks whatever the
    size. Returns (plaintext_size, ciphertext_size).
    """
    sealer = StreamSealer(data_key, aad)
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = (source,)
    if hasattr(source, "read"):
        buf = bytearray(CHUNK_BYTES)
        view = memoryview(buf)
        while n := _read_full(source, buf):
            sealer._feed(view[:n], write)
            if n < CHUNK_BYTES:
                break
    else:
        for piece in source:
            sealer._feed(piece, write)
    sealer._finish(write)
    return sealer.plaintext_size, sealer.ciphertext_size


def decrypt_stream(data_key: bytes, source: BinaryIO, aad: bytes) -> Iterator[bytes]:
    """Yield plaintext chunks of a sealed stream, each only after it authenticated.

    Raises SealBroken on a wrong key or aad, tampering, reordering, truncation
    (including a missing final chunk) or data after the final chunk. Chunks
    already yielded were genuine, but the file as a whole is not until the
    iterator is exhausted: a consumer must discard (not act on or keep) streamed
    output if a later chunk raises.
    """
    _check_key(data_key, "data key")
    return _decrypt_chunks(AESGCM(bytes(data_key)), source, aad)


def _decrypt_chunks(aead: AESGCM, source: BinaryIO, aad: bytes) -> Iterator[bytes]:
    header = bytearray(HEADER_BYTES)
    if _read_full(source, header) < HEADER_BYTES:
        raise SealBroken("sealed stream is truncated: incomplete header")
    if header[:1] != _STREAM_V1:
        raise SealBroken("sealed stream has an unknown format version")
    prefix = bytes(header[1:])
    full_aad = bytes(header) + aad
    # Two buffers: whether a chunk is final is only known by reading past it.
    cur, nxt = bytearray(_SEALED_CHUNK_BYTES), bytearray(_SEALED_CHUNK_BYTES)
    n = _read_full(source, cur)
    counter = 0
    while True:
        m = _read_full(source, nxt) if n == _SEALED_CHUNK_BYTES else 0
        last = m == 0
        if n < TAG_BYTES:
            raise SealBroken(f"sealed stream is truncated at chunk {counter}")
        try:
            plain = aead.decrypt(_nonce(prefix, counter, last), memoryview(cur)[:n], full_aad)
        except InvalidTag:
            raise SealBroken(
                f"sealed stream chunk {counter} failed authentication (wrong key or context, "
                "tampered, reordered, truncated or extended)"
            ) from None
        yield plain
        if last:
            return
        cur, nxt, n = nxt, cur, m
        counter += 1
