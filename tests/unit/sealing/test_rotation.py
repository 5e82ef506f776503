"""KEK rotation: re-wraps data keys only, survives being killed mid-run, and a KEK can be
retired only once nothing uses it."""
from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from gainportal.db import db_session
from gainportal.models import Answer, Attachment, DataKey, Operation, RequestMessage, RequestSubject
from gainportal.security.crypto import Keyring
from gainportal.services import keys
from tests.unit.sealing.builders import CLI, build, cli as _cli, cli_env as _env, people, read_download

def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kek_id, count(*) FROM data_key WHERE wrapped IS NOT NULL GROUP BY kek_id"))
            return dict(rows.all())
    finally:
        engine.dispose()


def _everything_reads(app, graphs):
    with app.app_context():
        s = db_session()
        for n, g in enumerate(graphs):
            assert s.get(Answer, g.answer_id).text == f"answer item {n}"
            assert s.get(Answer, g.draft_answer_id).text == f"draft item {n}"
            assert s.get(RequestMessage, g.message_id).body == f"message item {n}"
            assert s.get(RequestSubject, g.subject_id).details["name"] == f"subject item {n}"
            assert s.get(Operation, g.operation_id).summary == f"summary of item {n}"
            attachment = s.get(Attachment, g.attachment_id)
            assert attachment.filename == f"file {n}.txt"
            assert read_download(attachment) == f"content {n}\n".encode()


@pytest.fixture
def graphs(app, make):
    lro, partner = people(make)
    return [build(app, lro, partner, text=f"item {n}", file_name=f"file {n}.txt",
                  file_content=f"content {n}\n".encode()) for n in range(3)]


def test_interrupted_rotation_completes_on_rerun(app, settings, graphs):
    old = Keyring.load_file(settings.keyring_file).primary.id
    total = sum(_counts(settings.database_url).values())
    assert total >= 20 and _counts(settings.database_url) == {old: total}

    proc = subprocess.Popen([CLI, "keys", "rotate", "--batch-size", "1", "--pause-ms", "150"],
                            env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            moved = total - _counts(settings.database_url).get(old, 0)
            if moved >= 3:
                break
            assert proc.poll() is None, proc.stdout.read().decode()
            time.sleep(0.02)
    finally:
        proc.kill()  # SIGKILL: no clean-up, no chance to finish the batch
        proc.wait()
    counts = _counts(settings.database_url)
    new = Keyring.load_file(settings.keyring_file).primary.id
    assert new != old and set(counts) == {old, new}, counts
    assert 0 < counts[new] < total and counts[old] + counts[new] == total
    _everything_reads(app, graphs)  # half-rotated is a valid state: both KEKs are in the file

    refused = _cli(settings, "keys", "retire", old)
    assert refused.returncode != 0
    assert f"KEK {old} still wraps {counts[old]} data key(s)" in refused.stderr

    rerun = _cli(settings, "keys", "rotate")
    assert rerun.returncode == 0, rerun.stderr
    assert "Resuming" in rerun.stdout and f"under {new}" in rerun.stdout
    assert Keyring.load_file(settings.keyring_file).kek_ids == (old, new)  # no third KEK
    assert _counts(settings.database_url) == {new: total}
    _everything_reads(app, graphs)

    status = _cli(settings, "keys", "status")
    assert f"{new} (primary): {total} data key(s)" in status.stdout
    assert f"{old}: 0 data key(s)" in status.stdout

    primary = _cli(settings, "keys", "retire", new)
    assert primary.returncode != 0 and "is the primary" in primary.stderr
    retired = _cli(settings, "keys", "retire", old)
    assert retired.returncode == 0, retired.stderr
    assert Keyring.load_file(settings.keyring_file).kek_ids == (new,)
    _everything_reads(app, graphs)


def test_rotation_rewraps_keys_only_and_never_revives_a_shredded_key(app, settings, graphs):
    with app.app_context():
        s = db_session()
        before = s.scalar(select(Answer.text_sealed).where(Answer.id == graphs[0].answer_id))
        shredded = s.get(Answer, graphs[1].answer_id).data_key
        shredded.wrapped = None
        s.commit()
        result = keys.rotate(s, settings.keyring_file, batch_size=4)
        assert result.new_kek and not result.failed
        assert s.scalar(select(Answer.text_sealed).where(Answer.id == graphs[0].answer_id)) == before
        assert s.scalar(select(DataKey.wrapped).where(DataKey.id == shredded.id)) is None
        live = s.scalar(select(func.count(DataKey.id)).where(DataKey.wrapped.is_not(None)))
        assert result.rewrapped == live
        # A completed rotation followed by another adds a fresh KEK rather than resuming.
        again = keys.rotate(s, settings.keyring_file)
        assert again.new_kek and again.primary != result.primary and again.rewrapped == live
    with app.app_context():
        assert db_session().get(Answer, graphs[0].answer_id).text == "answer item 0"


def test_keys_init_refuses_to_overwrite(tmp_path, settings):
    path = tmp_path / "ring.json"
    made = _cli(settings, "keys", "init", "--path", str(path))
    assert made.returncode == 0 and (path.stat().st_mode & 0o777) == 0o600
    again = _cli(settings, "keys", "init", "--path", str(path))
    assert again.returncode != 0 and "refusing to overwrite" in again.stderr


def test_running_app_follows_the_keyring_file_and_survives_a_bad_edit(app, settings, graphs, caplog):
    from gainportal.security.sealing import keyring

    with app.app_context():
        assert db_session().get(Answer, graphs[0].answer_id).text == "answer item 0"
        before = keyring().kek_ids
        ring = Keyring.load_file(settings.keyring_file)
        ring.add_kek()
        ring.save(settings.keyring_file)
        assert keyring().kek_ids == ring.kek_ids != before  # picked up without a restart
        settings.keyring_file.write_text("{not json")
        assert keyring().kek_ids == ring.kek_ids  # kept, and said so
    assert "cannot be loaded" in caplog.text
