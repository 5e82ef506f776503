import io
import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gainportal.security.crypto import (
    CHUNK_BYTES,
    CryptoError,
    SealBroken,
    StreamSealer,
    aad_for,
    decrypt_stream,
    encrypt_stream,
    new_data_key,
)

HEADER = 8
TAG = 16
SEALED_CHUNK = CHUNK_BYTES + TAG
AAD = aad_for("upload", "content", 1, 0)


@pytest.fixture
def key():
    return new_data_key()


def sealed(key, data, aad=AAD):
    out = io.BytesIO()
    encrypt_stream(key, io.BytesIO(data), out.write, aad)
    return out.getvalue()


def opened(key, blob, aad=AAD):
    return b"".join(decrypt_stream(key, io.BytesIO(blob), aad))


def chunks_of(blob):
    """Split a sealed stream into (header, [sealed chunks])."""
    body = blob[HEADER:]
    return blob[:HEADER], [body[i : i + SEALED_CHUNK] for i in range(0, len(body), SEALED_CHUNK)]


def expected_size(n):
    return HEADER + n + TAG * max(1, -(-n // CHUNK_BYTES))


SIZES = [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 2 * CHUNK_BYTES, 5 * 1024 * 1024 + 7]


@pytest.mark.parametrize("n", SIZES)
def test_round_trip_and_sizes(key, n):
    data = os.urandom(n)
    out = io.BytesIO()
    sizes = encrypt_stream(key, io.BytesIO(data), out.write, AAD)
    blob = out.getvalue()
    assert sizes == (n, len(blob)) == (n, expected_size(n))
    assert opened(key, blob) == data


def test_format_matches_the_documented_nonce_construction(key):
    """Decrypt each chunk by hand: prefix | uint32 counter | final flag, aad = header | aad."""
    data = os.urandom(2 * CHUNK_BYTES + 10)
    header, chunks = chunks_of(sealed(key, data))
    assert header[0] == 1 and len(chunks) == 3
    aead = AESGCM(key)
    plain = b""
    for i, chunk in enumerate(chunks):
        nonce = header[1:] + struct.pack(">IB", i, i == len(chunks) - 1)
        plain += aead.decrypt(nonce, chunk, header + AAD)
    assert plain == data


def test_same_plaintext_seals_differently(key):
    data = b"same" * 100
    a, b = sealed(key, data), sealed(key, data)
    assert a[1:HEADER] != b[1:HEADER]  # fresh nonce prefix per file
    assert a != b


def test_plaintext_not_visible_in_ciphertext(key):
    canary = b"CANARY-5e1d " * 20000
    assert b"CANARY" not in sealed(key, canary)


# --- sources --------------------------------------------------------------


class ShortReads(io.RawIOBase):
    """A raw stream that returns at most 1000 bytes per read, like a socket."""

    def __init__(self, data):
        self._src = io.BytesIO(data)
        self.max_request = 0

    def readable(self):
        return True

    def readinto(self, buf):
        self.max_request = max(self.max_request, len(buf))
        n = min(len(buf), 1000)
        piece = self._src.read(n)
        buf[: len(piece)] = piece
        return len(piece)


class ReadOnly:
    """Only .read(), no .readinto() (some framework streams)."""

    def __init__(self, data):
        self._src = io.BytesIO(data)

    def read(self, n=-1):
        return self._src.read(n)


@pytest.mark.parametrize("n", [0, 1, CHUNK_BYTES, 3 * CHUNK_BYTES + 5])
def test_sources_short_reads_read_only_iterables_and_bytes_agree(key, n):
    data = os.urandom(n)
    pieces = [data[i : i + 777] for i in range(0, n, 777)]
    short = ShortReads(data)
    for source in (short, ReadOnly(data), iter(pieces), data, [data]):
        out = io.BytesIO()
        assert encrypt_stream(key, source, out.write, AAD)[0] == n
        assert opened(key, out.getvalue()) == data
    assert short.max_request <= CHUNK_BYTES  # never asks for more than a chunk


def test_decrypt_handles_short_reads(key):
    data = os.urandom(3 * CHUNK_BYTES + 17)
    assert b"".join(decrypt_stream(key, ShortReads(sealed(key, data)), AAD)) == data


def test_decrypt_is_lazy(key):
    data = os.urandom(20 * CHUNK_BYTES)
    src = io.BytesIO(sealed(key, data))
    it = decrypt_stream(key, src, AAD)
    assert src.tell() == 0  # nothing read until iterated
    assert next(it) == data[:CHUNK_BYTES]
    assert src.tell() <= HEADER + 2 * SEALED_CHUNK  # one chunk plus one look-ahead


# --- incremental sealer ---------------------------------------------------


@pytest.mark.parametrize("piece", [1, 1000, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 10 * CHUNK_BYTES])
def test_stream_sealer_any_piece_size(key, piece):
    data = os.urandom(4 * CHUNK_BYTES + 3)
    sealer = StreamSealer(key, AAD)
    blob = b"".join(sealer.update(data[i : i + piece]) for i in range(0, len(data), piece))
    blob += sealer.finalize()
    assert len(blob) == expected_size(len(data))
    assert (sealer.plaintext_size, sealer.ciphertext_size) == (len(data), len(blob))
    assert opened(key, blob) == data


def test_stream_sealer_releases_ciphertext_as_it_goes_and_holds_at_most_one_chunk(key):
    sealer = StreamSealer(key, AAD)
    assert len(sealer.update(b"a" * CHUNK_BYTES)) == HEADER  # might be the final chunk: held
    assert len(sealer.update(b"b")) == SEALED_CHUNK  # now known not to be final
    assert sealer.update(b"") == b""
    assert len(sealer.update(b"c" * (5 * CHUNK_BYTES))) == 5 * SEALED_CHUNK
    assert len(sealer.finalize()) == 1 + TAG


def test_stream_sealer_empty(key):
    sealer = StreamSealer(key, AAD)
    blob = sealer.finalize()
    assert len(blob) == HEADER + TAG
    assert opened(key, blob) == b""


def test_stream_sealer_cannot_be_used_after_finalize(key):
    sealer = StreamSealer(key, AAD)
    sealer.update(b"x")
    sealer.finalize()
    with pytest.raises(CryptoError):
        sealer.update(b"y")
    with pytest.raises(CryptoError):
        sealer.finalize()


def test_stream_sealer_accepts_bytearray_and_memoryview(key):
    sealer = StreamSealer(key, AAD)
    blob = sealer.update(bytearray(b"ab")) + sealer.update(memoryview(b"cd")) + sealer.finalize()
    assert opened(key, blob) == b"abcd"


# --- tampering ------------------------------------------------------------


@pytest.fixture
def three_chunks(key):
    data = os.urandom(2 * CHUNK_BYTES + 100)
    return data, sealed(key, data)


def _regions(blob):
    """One offset in every region: version, prefix, each chunk's body and tag."""
    offsets = {"version": 0, "prefix first": 1, "prefix last": HEADER - 1}
    _, chunks = chunks_of(blob)
    pos = HEADER
    for i, chunk in enumerate(chunks):
        body = len(chunk) - TAG
        offsets[f"chunk{i} body start"] = pos
        offsets[f"chunk{i} body end"] = pos + body - 1
        offsets[f"chunk{i} tag start"] = pos + body
        offsets[f"chunk{i} tag end"] = pos + len(chunk) - 1
        pos += len(chunk)
    return offsets


def test_flipped_byte_in_every_region_is_detected(key, three_chunks):
    _, blob = three_chunks
    undetected = []
    for region, offset in _regions(blob).items():
        tampered = bytearray(blob)
        tampered[offset] ^= 0x01
        try:
            opened(key, bytes(tampered))
        except SealBroken:
            continue
        undetected.append(region)
    assert undetected == []


def test_swapped_chunks_detected(key):
    data = os.urandom(3 * CHUNK_BYTES + 1)
    header, chunks = chunks_of(sealed(key, data))
    chunks[0], chunks[1] = chunks[1], chunks[0]
    with pytest.raises(SealBroken):
        opened(key, header + b"".join(chunks))


def test_truncated_at_chunk_boundary_detected(key, three_chunks):
    _, blob = three_chunks
    header, chunks = chunks_of(blob)
    for keep in (1, 2):
        with pytest.raises(SealBroken):
            opened(key, header + b"".join(chunks[:keep]))


def test_truncated_at_boundary_of_exact_multiple_detected(key):
    header, chunks = chunks_of(sealed(key, os.urandom(2 * CHUNK_BYTES)))
    assert len(chunks) == 2
    with pytest.raises(SealBroken):
        opened(key, header + chunks[0])


@pytest.mark.parametrize("cut", [1, TAG - 1, TAG, TAG + 1, 1000, SEALED_CHUNK - 1])
def test_truncated_mid_chunk_detected(key, three_chunks, cut):
    _, blob = three_chunks
    end_of_chunk1 = HEADER + 2 * SEALED_CHUNK
    with pytest.raises(SealBroken):
        opened(key, blob[: end_of_chunk1 - cut])


@pytest.mark.parametrize("cut", [1, TAG - 1, TAG, TAG + 1, 100 + TAG - 1])
def test_truncated_inside_final_chunk_detected(key, three_chunks, cut):
    _, blob = three_chunks  # final chunk holds 100 plaintext bytes
    with pytest.raises(SealBroken):
        opened(key, blob[:-cut])


@pytest.mark.parametrize("n", [0, 3, HEADER - 1])
def test_truncated_inside_header_detected(key, three_chunks, n):
    _, blob = three_chunks
    with pytest.raises(SealBroken, match="incomplete header"):
        opened(key, blob[:n])


@pytest.mark.parametrize("n", [HEADER, HEADER + 1, HEADER + TAG - 1])
def test_body_shorter_than_a_tag_detected(key, three_chunks, n):
    _, blob = three_chunks
    with pytest.raises(SealBroken, match="truncated at chunk 0"):
        opened(key, blob[:n])


def test_extra_chunk_appended_detected(key, three_chunks):
    _, blob = three_chunks
    header, chunks = chunks_of(blob)
    for extra in (chunks[-1], chunks[0], b"\x00", os.urandom(SEALED_CHUNK)):
        with pytest.raises(SealBroken):
            opened(key, blob + extra)


def test_extension_after_full_final_chunk_detected(key):
    blob = sealed(key, os.urandom(CHUNK_BYTES))  # final chunk is a full one
    other = sealed(key, os.urandom(2 * CHUNK_BYTES))
    _, other_chunks = chunks_of(other)
    with pytest.raises(SealBroken):
        opened(key, blob + other_chunks[1])


def test_chunks_from_another_file_with_the_same_key_detected(key):
    a_data, b_data = os.urandom(3 * CHUNK_BYTES), os.urandom(3 * CHUNK_BYTES)
    a_header, a_chunks = chunks_of(sealed(key, a_data))
    b_header, b_chunks = chunks_of(sealed(key, b_data))
    spliced = a_header + a_chunks[0] + b_chunks[1] + a_chunks[2]
    with pytest.raises(SealBroken):
        opened(key, spliced)
    with pytest.raises(SealBroken):
        opened(key, b_header + b"".join(a_chunks))  # other file's header (nonce prefix)


def test_wrong_key_detected(key, three_chunks):
    _, blob = three_chunks
    with pytest.raises(SealBroken):
        opened(new_data_key(), blob)


@pytest.mark.parametrize(
    "other_aad",
    [aad_for("upload", "content", 2, 0), aad_for("upload", "thumb", 1, 0), aad_for("upload", "content", 1, 1), b""],
)
def test_aad_of_another_row_column_or_version_detected(key, three_chunks, other_aad):
    _, blob = three_chunks
    with pytest.raises(SealBroken):
        opened(key, blob, other_aad)


def test_unknown_version_detected(key):
    blob = bytearray(sealed(key, b"x"))
    blob[0] = 2
    with pytest.raises(SealBroken, match="version"):
        opened(key, bytes(blob))


def test_only_authenticated_chunks_are_yielded(key, three_chunks):
    data, blob = three_chunks
    tampered = bytearray(blob)
    tampered[HEADER + SEALED_CHUNK + 5] ^= 0x01  # inside chunk 1
    it = decrypt_stream(key, io.BytesIO(bytes(tampered)), AAD)
    assert next(it) == data[:CHUNK_BYTES]  # chunk 0 is genuine
    with pytest.raises(SealBroken) as err:
        next(it)
    assert "chunk 1" in str(err.value)


def test_error_message_has_no_plaintext(key):
    blob = bytearray(sealed(key, b"CANARY-9c2 " * 10000))
    blob[-1] ^= 1
    with pytest.raises(SealBroken) as err:
        opened(key, bytes(blob))
    assert "CANARY" not in str(err.value)


def test_wrong_key_length_is_a_value_error():
    with pytest.raises(ValueError):
        StreamSealer(b"short", AAD)
    with pytest.raises(ValueError):
        decrypt_stream(b"short", io.BytesIO(b""), AAD)
