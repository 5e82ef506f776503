import base64
import json
import os
import stat
import threading

import pytest

from gainportal.security.crypto import Keyring, KeyringError, UnknownKEK


def _write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


def _doc(**overrides):
    doc = {
        "version": 1,
        "keks": [
            {
                "id": "kek-20261122-ab12cd",
                "key": base64.b64encode(b"k" * 32).decode(),
                "created": "2026-11-22T10:00:00+00:00",
            }
        ],
        "blind_index_key": base64.b64encode(b"b" * 32).decode(),
    }
    doc.update(overrides)
    return json.dumps(doc)


def test_generate_has_one_primary_kek_and_blind_key():
    ring = Keyring.generate()
    assert len(ring.kek_ids) == 1
    assert ring.primary.id == ring.kek_ids[0]
    assert ring.primary.id.startswith("kek-")
    assert len(ring.primary.key) == 32
    assert len(ring.blind_index_key) == 32
    assert ring.primary.key != ring.blind_index_key


def test_save_then_load_round_trips(tmp_path):
    ring = Keyring.generate()
    ring.add_kek()
    path = tmp_path / "keyring.json"
    ring.save(path)
    loaded = Keyring.load_file(path)
    assert loaded.kek_ids == ring.kek_ids
    assert loaded.primary.key == ring.primary.key
    assert loaded.get(ring.kek_ids[0]).key == ring.get(ring.kek_ids[0]).key
    assert loaded.blind_index_key == ring.blind_index_key


def test_save_writes_mode_0600_even_with_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "keyring.json"
        Keyring.generate().save(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_save_replaces_existing_world_readable_file_with_0600(tmp_path):
    path = _write(tmp_path / "keyring.json", "old", mode=0o644)
    Keyring.generate().save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Keyring.load_file(path)  # whole new content, not appended
    assert os.listdir(tmp_path) == ["keyring.json"]  # no temp file left behind


def test_save_temp_file_is_never_group_or_world_readable(tmp_path, monkeypatch):
    """Check the temp file's mode as created (before any fchmod) and at the rename."""
    created, renamed = [], []
    real_fchmod, real_replace = os.fchmod, os.replace

    def spy_fchmod(fd, mode):
        created.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_fchmod(fd, mode)

    def spy_replace(src, dst):
        renamed.append(stat.S_IMODE(os.stat(src).st_mode))
        assert os.path.dirname(os.path.abspath(src)) == str(tmp_path)  # same dir: atomic rename
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fchmod", spy_fchmod)
    monkeypatch.setattr(os, "replace", spy_replace)
    old = os.umask(0)  # a permissive umask must not widen the file
    try:
        Keyring.generate().save(tmp_path / "keyring.json")
    finally:
        os.umask(old)
    assert created == [0o600]
    assert renamed == [0o600]


def test_save_is_atomic_for_concurrent_readers(tmp_path):
    path = tmp_path / "keyring.json"
    Keyring.generate().save(path)
    errors = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                Keyring.load_file(path)
            except KeyringError as exc:  # a half-written file would land here
                errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for _ in range(50):
            Keyring.generate().save(path)
    finally:
        stop.set()
        t.join()
    assert errors == []


def test_failed_save_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "keyring.json"
    ring = Keyring.generate()
    ring.save(path)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        Keyring.generate().save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["keyring.json"]
    assert Keyring.load_file(path).primary.key == ring.primary.key


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o610])
def test_load_refuses_group_or_world_accessible_file(tmp_path, mode):
    path = _write(tmp_path / "keyring.json", _doc(), mode=mode)
    with pytest.raises(KeyringError) as err:
        Keyring.load_file(path)
    assert f"chmod 600 {path}" in str(err.value)


def test_load_accepts_0400(tmp_path):
    path = _write(tmp_path / "keyring.json", _doc(), mode=0o400)
    assert Keyring.load_file(path).primary.id == "kek-20261122-ab12cd"


def test_load_missing_file_says_how_to_create(tmp_path):
    with pytest.raises(KeyringError, match=r"gainportal keys init --path"):
        Keyring.load_file(tmp_path / "nope.json")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("{not json", "not valid JSON"),
        (_doc(version=2), '"version": 1'),
        (_doc(keks=[]), "non-empty list"),
        (_doc(blind_index_key=base64.b64encode(b"x" * 16).decode()), "32 bytes, got 16"),
        (_doc(blind_index_key="***"), "not valid base64"),
        (
            _doc(keks=[{"id": "a", "key": base64.b64encode(b"k" * 31).decode(), "created": "2026-01-01"}]),
            "32 bytes, got 31",
        ),
        (_doc(keks=[{"id": "a", "key": base64.b64encode(b"k" * 32).decode(), "created": "yesterday"}]), "ISO 8601"),
        (_doc(keks=[{"key": base64.b64encode(b"k" * 32).decode(), "created": "2026-01-01"}]), '"id"'),
    ],
)
def test_load_rejects_malformed_keyring_with_clear_message(tmp_path, text, fragment):
    path = _write(tmp_path / "keyring.json", text)
    with pytest.raises(KeyringError) as err:
        Keyring.load_file(path)
    assert fragment in str(err.value)
    assert "gainportal keys init --path" in str(err.value) or "KEK" in str(err.value)


def test_duplicate_kek_ids_rejected(tmp_path):
    kek = json.loads(_doc())["keks"][0]
    path = _write(tmp_path / "keyring.json", _doc(keks=[kek, kek]))
    with pytest.raises(KeyringError, match="duplicate"):
        Keyring.load_file(path)


def test_error_messages_do_not_leak_key_material(tmp_path):
    secret = base64.b64encode(b"S" * 31).decode()
    path = _write(tmp_path / "keyring.json", _doc(blind_index_key=secret))
    with pytest.raises(KeyringError) as err:
        Keyring.load_file(path)
    assert secret not in str(err.value)


def test_env_value_round_trip():
    ring = Keyring.generate()
    loaded = Keyring.from_env_value(ring.to_env_value())
    assert loaded.kek_ids == ring.kek_ids
    assert loaded.primary.key == ring.primary.key
    assert loaded.blind_index_key == ring.blind_index_key


def test_env_value_tolerates_line_wrapping():
    value = Keyring.generate().to_env_value()
    wrapped = "\n".join(value[i : i + 76] for i in range(0, len(value), 76))
    assert Keyring.from_env_value(wrapped).kek_ids


@pytest.mark.parametrize("value", ["not base64!!", base64.b64encode(b"{oops").decode()])
def test_env_value_rejects_garbage(value):
    with pytest.raises(KeyringError, match="gainportal keys init --path"):
        Keyring.from_env_value(value)


def test_newest_kek_is_primary_regardless_of_file_order(tmp_path):
    key = base64.b64encode(b"k" * 32).decode()
    keks = [
        {"id": "new", "key": key, "created": "2026-11-22T10:00:00+00:00"},
        {"id": "old", "key": key, "created": "2025-01-01T10:00:00+00:00"},
    ]
    path = _write(tmp_path / "keyring.json", _doc(keks=keks))
    ring = Keyring.load_file(path)
    assert ring.primary.id == "new"
    assert ring.kek_ids == ("old", "new")


def test_add_kek_becomes_primary_and_keeps_old():
    ring = Keyring.generate()
    old = ring.primary
    new = ring.add_kek()
    assert ring.primary == new
    assert new.id != old.id and new.key != old.key
    assert ring.kek_ids == (old.id, new.id)
    assert ring.get(old.id) == old


def test_add_kek_stays_primary_across_save_and_load(tmp_path):
    ring = Keyring.generate()
    for _ in range(3):
        ring.add_kek()
    path = tmp_path / "k.json"
    ring.save(path)
    assert Keyring.load_file(path).primary.id == ring.primary.id


def test_get_unknown_raises_unknown_kek():
    with pytest.raises(UnknownKEK) as err:
        Keyring.generate().get("kek-missing")
    assert err.value.kek_id == "kek-missing"
    assert "kek-missing" in str(err.value)
    assert isinstance(err.value, KeyringError)


def test_remove_kek():
    ring = Keyring.generate()
    old = ring.primary.id
    ring.add_kek()
    ring.remove_kek(old)
    assert old not in ring.kek_ids
    with pytest.raises(UnknownKEK):
        ring.get(old)
    with pytest.raises(UnknownKEK):
        ring.remove_kek(old)


def test_remove_primary_refused():
    ring = Keyring.generate()
    ring.add_kek()
    with pytest.raises(KeyringError, match="primary"):
        ring.remove_kek(ring.primary.id)


def test_repr_hides_keys():
    ring = Keyring.generate()
    text = repr(ring) + repr(ring.primary)
    for secret in (ring.primary.key, ring.blind_index_key):
        assert base64.b64encode(secret).decode() not in text
        assert repr(secret) not in text
