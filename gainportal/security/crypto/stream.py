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

import io
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
_COUNTER_AND_FLAG = struct.Struct(">IB")


class _FileCipher:
    """Per-file nonce and AAD construction, shared by sealing and opening."""

    __slots__ = ("header", "_prefix", "_aad", "_aead")

    def __init__(self, data_key: bytes, header: bytes, aad: bytes):
        self.header = header
        self._prefix = header[len(_STREAM_V1) :]
        self._aad = header + aad
        self._aead = AESGCM(bytes(data_key))

    @classmethod
    def new(cls, data_key: bytes, aad: bytes) -> _FileCipher:
        _check_key(data_key, "data key")
        return cls(data_key, _STREAM_V1 + os.urandom(PREFIX_BYTES), aad)

    def _nonce(self, counter: int, last: bool) -> bytes:
        if counter >= _MAX_CHUNKS:
            raise CryptoError("stream too long: chunk counter would wrap")
        return self._prefix + _COUNTER_AND_FLAG.pack(counter, last)

    def seal(self, counter: int, chunk, last: bool) -> bytes:
        return self._aead.encrypt(self._nonce(counter, last), chunk, self._aad)

    def open(self, counter: int, sealed, last: bool) -> bytes:
        try:
            return self._aead.decrypt(self._nonce(counter, last), sealed, self._aad)
        except InvalidTag:
            raise SealBroken(
                f"sealed stream chunk {counter} failed authentication (wrong key or context, "
                "tampered, reordered, truncated or extended)"
            ) from None


class StreamSealer:
    """Incremental (push) encryptor: feed plaintext as it arrives, store what comes back.

    Lets an upload go from the request stream to a ciphertext file without
    plaintext ever reaching disk. Holds back up to one chunk, because a chunk can
    only be sealed once it is known whether more data follows.
    """

    def __init__(self, data_key: bytes, aad: bytes):
        self._cipher = _FileCipher.new(data_key, aad)
        self._buf = bytearray(CHUNK_BYTES)
        self._fill = 0
        self._counter = 0
        self._unsent_header = self._cipher.header
        self._finished = False
        self.plaintext_size = 0
        self.ciphertext_size = 0

    def update(self, data) -> bytes:
        """Return the ciphertext that can be released so far (possibly b"")."""
        self._check_open()
        header = self._take_header()
        out = [header] if header else []
        view = memoryview(data).cast("B")
        size = len(view)
        self.plaintext_size += size
        pos = 0
        if self._fill:
            pos = min(CHUNK_BYTES - self._fill, size)
            self._buf[self._fill : self._fill + pos] = view[:pos]
            self._fill += pos
            if pos == size:
                return b"".join(out)
            # The buffer is full and more data follows, so it is not the final chunk.
            out.append(self._seal(self._buf, False))
            self._fill = 0
        # Seal straight from the caller's buffer while a later byte is known to exist.
        while size - pos > CHUNK_BYTES:
            out.append(self._seal(view[pos : pos + CHUNK_BYTES], False))
            pos += CHUNK_BYTES
        rest = size - pos
        self._buf[:rest] = view[pos:]
        self._fill = rest
        return b"".join(out)

    def finalize(self) -> bytes:
        """Seal the held-back final chunk; the sealer cannot be used afterwards."""
        self._check_open()
        out = self._take_header() + self._seal(memoryview(self._buf)[: self._fill], True)
        self._finished = True
        return out

    def _check_open(self) -> None:
        if self._finished:
            raise CryptoError("StreamSealer already finalized")

    def _take_header(self) -> bytes:
        """The header on the first call, b"" afterwards."""
        header, self._unsent_header = self._unsent_header, b""
        self.ciphertext_size += len(header)
        return header

    def _seal(self, chunk, last: bool) -> bytes:
        sealed = self._cipher.seal(self._counter, chunk, last)
        self._counter += 1
        self.ciphertext_size += len(sealed)
        return sealed


class _IterableReader:
    """File-like view of an iterable of byte strings (copies each piece once)."""

    def __init__(self, pieces: Iterable[bytes]):
        self._pieces = iter(pieces)
        self._pending = memoryview(b"")

    def readinto(self, buf) -> int:
        while not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._pending = memoryview(piece).cast("B")
        n = min(len(buf), len(self._pending))
        buf[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _full_reader(source) -> Callable[[bytearray], int]:
    """Return read_full(buf) -> bytes read; fewer than len(buf) means end of stream.

    Raw streams and sockets may return short reads before the end, so loop;
    the common case (one call fills the buffer) stays a single call.
    """
    readinto = getattr(source, "readinto", None)
    if readinto is None:

        def readinto(view) -> int:
            piece = source.read(len(view)) or b""
            view[: len(piece)] = piece
            return len(piece)

    def read_full(buf: bytearray) -> int:
        got = readinto(buf) or 0
        if got == 0 or got == len(buf):
            return got
        view = memoryview(buf)
        while got < len(buf):
            n = readinto(view[got:])
            if not n:
                break
            got += n
        return got

    return read_full


def _blocks_with_last_flag(read_full, size: int) -> Iterator[tuple[memoryview, bool]]:
    """Yield (block, is_last) for ``size``-byte blocks read by ``read_full``.

    Whether a block is the last is only known by reading the next one, so two
    buffers alternate. Each yielded view is reused: valid only until the next
    iteration. Reading straight into these buffers saves a copy per chunk.
    """
    cur, nxt = bytearray(size), bytearray(size)
    n = read_full(cur)
    while True:
        m = read_full(nxt) if n == size else 0
        yield memoryview(cur)[:n], m == 0
        if m == 0:
            return
        cur, nxt, n = nxt, cur, m


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
    cipher = _FileCipher.new(data_key, aad)
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(source)
    elif not hasattr(source, "read"):
        source = _IterableReader(source)
    write(cipher.header)
    plaintext_size, ciphertext_size = 0, HEADER_BYTES
    blocks = _blocks_with_last_flag(_full_reader(source), CHUNK_BYTES)
    for counter, (block, last) in enumerate(blocks):
        sealed = cipher.seal(counter, block, last)
        write(sealed)
        plaintext_size += len(block)
        ciphertext_size += len(sealed)
    return plaintext_size, ciphertext_size


def decrypt_stream(data_key: bytes, source: BinaryIO, aad: bytes) -> Iterator[bytes]:
    """Yield plaintext chunks of a sealed stream, each only after it authenticated.

    Raises SealBroken on a wrong key or aad, tampering, reordering, truncation
    (including a missing final chunk) or data after the final chunk. Chunks
    already yielded were genuine, but the file as a whole is not until the
    iterator is exhausted: a consumer must discard (not act on or keep) streamed
    output if a later chunk raises.
    """
    _check_key(data_key, "data key")
    return _decrypt_chunks(data_key, source, aad)


def _decrypt_chunks(data_key: bytes, source: BinaryIO, aad: bytes) -> Iterator[bytes]:
    read_full = _full_reader(source)
    header = bytearray(HEADER_BYTES)
    if read_full(header) < HEADER_BYTES:
        raise SealBroken("sealed stream is truncated: incomplete header")
    if header[:1] != _STREAM_V1:
        raise SealBroken("sealed stream has an unknown format version")
    cipher = _FileCipher(data_key, bytes(header), aad)
    for counter, (block, last) in enumerate(_blocks_with_last_flag(read_full, _SEALED_CHUNK_BYTES)):
        if len(block) < TAG_BYTES:
            raise SealBroken(f"sealed stream is truncated at chunk {counter}")
        yield cipher.open(counter, block, last)
