import pytest

from gainportal.security.crypto import (
    CryptoError,
    Keyring,
    SealBroken,
    UnknownKEK,
    WrappedKey,
    aad_for,
    new_data_key,
    open_sealed,
    rewrap_data_key,
    seal,
    unwrap_data_key,
    wrap_data_key,
)

SECRET = b"CANARY-7f3a9 plaintext that must not leak"


@pytest.fixture
def ring():
    return Keyring.generate()


@pytest.fixture
def key():
    return new_data_key()


def test_new_data_key_is_random_32_bytes():
    keys = {new_data_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(k) == 32 for k in keys)


# --- wrapping -------------------------------------------------------------


def test_wrap_unwrap_round_trip(ring, key):
    wrapped = wrap_data_key(ring, key)
    assert wrapped.kek_id == ring.primary.id
    assert key not in wrapped.blob
    assert unwrap_data_key(ring, wrapped) == key


def test_wrap_with_explicit_kek(ring, key):
    old = ring.primary
    ring.add_kek()
    wrapped = wrap_data_key(old, key)
    assert wrapped.kek_id == old.id
    assert unwrap_data_key(ring, wrapped) == key


def test_unwrap_with_wrong_kek_fails(ring, key):
    wrapped = wrap_data_key(ring, key)
    other = Keyring.generate()
    # Same id, different key material: must not yield a key.
    impostor = WrappedKey(other.primary.id, wrapped.blob)
    with pytest.raises(SealBroken):
        unwrap_data_key(other, impostor)


def test_unwrap_with_other_kek_of_same_ring_fails(ring, key):
    wrapped = wrap_data_key(ring, key)
    new = ring.add_kek()
    with pytest.raises(SealBroken):
        unwrap_data_key(ring, WrappedKey(new.id, wrapped.blob))


@pytest.mark.parametrize("index", [0, 1, 20, -1])
def test_unwrap_detects_flipped_byte(ring, key, index):
    wrapped = wrap_data_key(ring, key)
    blob = bytearray(wrapped.blob)
    blob[index] ^= 0x01
    with pytest.raises(SealBroken):
        unwrap_data_key(ring, WrappedKey(wrapped.kek_id, bytes(blob)))


@pytest.mark.parametrize("cut", [1, 8, 40])
def test_unwrap_detects_truncation(ring, key, cut):
    wrapped = wrap_data_key(ring, key)
    with pytest.raises(SealBroken):
        unwrap_data_key(ring, WrappedKey(wrapped.kek_id, wrapped.blob[:-cut]))


def test_rotation_old_wraps_still_open_after_add_kek(ring, key):
    old_wrap = wrap_data_key(ring, key)
    ring.add_kek()
    assert unwrap_data_key(ring, old_wrap) == key
    assert wrap_data_key(ring, key).kek_id == ring.primary.id != old_wrap.kek_id


def test_rewrap_moves_to_primary_and_survives_retiring_old_kek(ring, key):
    old_wrap = wrap_data_key(ring, key)
    old_id = ring.primary.id
    ring.add_kek()
    new_wrap = rewrap_data_key(ring, old_wrap)
    assert new_wrap.kek_id == ring.primary.id
    ring.remove_kek(old_id)
    assert unwrap_data_key(ring, new_wrap) == key
    with pytest.raises(UnknownKEK):
        unwrap_data_key(ring, old_wrap)


def test_rewrap_is_noop_when_already_primary(ring, key):
    wrapped = wrap_data_key(ring, key)
    assert rewrap_data_key(ring, wrapped) is wrapped


def test_unwrap_after_remove_kek_raises_unknown_kek(ring, key):
    wrapped = wrap_data_key(ring, key)
    ring.add_kek()
    ring.remove_kek(wrapped.kek_id)
    with pytest.raises(UnknownKEK) as err:
        unwrap_data_key(ring, wrapped)
    assert isinstance(err.value, CryptoError)


def test_wrap_rejects_wrong_length_key(ring):
    with pytest.raises(ValueError):
        wrap_data_key(ring, b"short")


# --- associated data ------------------------------------------------------


def test_aad_is_unambiguous():
    variants = {
        aad_for("ab", "c", 1, 0),
        aad_for("a", "bc", 1, 0),
        aad_for("a", "b", 11, 0),
        aad_for("a", "b", 1, 10),
        aad_for("a", "b", 1, 1),
        aad_for("a", "b1", 1, 0),
    }
    assert len(variants) == 6


def test_aad_is_deterministic_and_accepts_string_ids():
    assert aad_for("response", "answer", 7, 1) == aad_for("response", "answer", 7, 1)
    uuid = "0b6c1c1e-8a51-4b5e-9a83-b3e8c2e5b0f1"
    assert aad_for("file", "content", uuid, 0) != aad_for("file", "content", uuid[:-1], 0)


@pytest.mark.parametrize(
    "args",
    [("", "c", 1, 0), ("t", "", 1, 0), ("t", "c", "", 0), ("t", "c", 1, -1), ("t", "c", True, 0), ("t", "c", 1.5, 0)],
)
def test_aad_rejects_bad_fields(args):
    with pytest.raises(ValueError):
        aad_for(*args)


# --- seal / open ----------------------------------------------------------


@pytest.mark.parametrize("plaintext", [b"", b"x", SECRET, bytes(range(256)) * 1000])
def test_seal_round_trip(key, plaintext):
    aad = aad_for("response", "answer", 42, 1)
    blob = seal(key, plaintext, aad)
    assert blob[0] == 1
    assert len(blob) == 1 + 12 + len(plaintext) + 16
    assert open_sealed(key, blob, aad) == plaintext


def test_seal_hides_plaintext_and_is_randomised(key):
    aad = aad_for("response", "answer", 42, 1)
    a, b = seal(key, SECRET, aad), seal(key, SECRET, aad)
    assert a != b
    assert b"CANARY" not in a


def test_open_with_wrong_key_fails(key):
    aad = aad_for("response", "answer", 42, 1)
    blob = seal(key, SECRET, aad)
    with pytest.raises(SealBroken):
        open_sealed(new_data_key(), blob, aad)


@pytest.mark.parametrize(
    "other",
    [
        aad_for("response", "answer", 43, 1),  # another row
        aad_for("response", "notes", 42, 1),  # another column
        aad_for("request", "answer", 42, 1),  # another table
        aad_for("response", "answer", 42, 2),  # another version
        b"",
    ],
)
def test_open_with_aad_of_another_place_fails(key, other):
    blob = seal(key, SECRET, aad_for("response", "answer", 42, 1))
    with pytest.raises(SealBroken):
        open_sealed(key, blob, other)


def test_every_flipped_byte_is_detected(key):
    aad = aad_for("t", "c", 1, 0)
    blob = seal(key, b"some secret answer", aad)
    for i in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[i] ^= bit
            with pytest.raises(SealBroken):
                open_sealed(key, bytes(tampered), aad)


def test_every_truncation_is_detected(key):
    aad = aad_for("t", "c", 1, 0)
    blob = seal(key, b"some secret answer", aad)
    for n in range(len(blob)):
        with pytest.raises(SealBroken):
            open_sealed(key, blob[:n], aad)


def test_appended_bytes_are_detected(key):
    aad = aad_for("t", "c", 1, 0)
    with pytest.raises(SealBroken):
        open_sealed(key, seal(key, b"x", aad) + b"\x00", aad)


def test_failure_message_has_no_plaintext(key):
    aad = aad_for("t", "c", 1, 0)
    blob = seal(key, SECRET, aad)
    with pytest.raises(SealBroken) as err:
        open_sealed(new_data_key(), blob, aad)
    assert "CANARY" not in str(err.value) and "CANARY" not in repr(err.value)
    assert err.value.__cause__ is None  # no chained library exception carrying details


def test_seal_broken_is_a_crypto_error():
    assert issubclass(SealBroken, CryptoError)


def test_full_envelope_round_trip_through_keyring_file(tmp_path, key):
    ring = Keyring.generate()
    ring.save(tmp_path / "k.json")
    aad = aad_for("response", "answer", 1, 0)
    wrapped, blob = wrap_data_key(ring, key), seal(key, SECRET, aad)
    reloaded = Keyring.load_file(tmp_path / "k.json")
    assert open_sealed(unwrap_data_key(reloaded, wrapped), blob, aad) == SECRET
