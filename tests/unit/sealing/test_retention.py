"""Retention: expired items are crypto-shredded (unrecoverable even with every KEK), proven by
a content-free audit record; unexpired items are untouched; warnings and extensions."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from gainportal.db import db_session
from gainportal.models import (
    Answer, Attachment, AuditEvent, DataKey, DecisionLogEntry, InformationRequest, Nominal, NominalLink,
    NominalRole, Notification, Operation, Pillar, RequestMessage, RequestSubject, Requirement,
)
from gainportal.security.crypto import SealBroken, WrappedKey, aad_for, open_sealed, unwrap_data_key
from gainportal.security.sealing import SealedContentUnavailable, keyring
from gainportal.services import files, retention
from gainportal.services.retention import RetentionError
from tests.unit.sealing.builders import build, cli as _cli, people, read_download

SECRET = "retention-secret-91c2"
TODAY = date.today()
PAST, SOON, LATER = TODAY - timedelta(days=1), TODAY + timedelta(days=10), TODAY + timedelta(days=365)


@pytest.fixture
def owners(make):
    return people(make)


def _set_dates(app, g, *, operation=None, request=None):
    with app.app_context():
        s = db_session()
        if operation:
            s.execute(update(Operation).where(Operation.id == g.operation_id).values(retention_until=operation))
        if request:
            s.get(InformationRequest, g.request_id).retention_until = request
        s.commit()


def _shred_audits(app, object_type=None):
    with app.app_context():
        query = select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.detail).where(
            AuditEvent.action == "retention_shredded")
        if object_type:
            query = query.where(AuditEvent.object_type == object_type)
        return [(t, i, json.loads(d)) for t, i, d in db_session().execute(query.order_by(AuditEvent.seq))]


def test_expired_request_is_unrecoverable_even_with_the_kek(app, owners):
    lro, partner = owners
    gone = build(app, lro, partner, text=SECRET, file_content=b"file " + SECRET.encode())
    kept = build(app, lro, partner, text="still needed")
    _set_dates(app, gone, request=PAST)
    with app.app_context():
        s = db_session()
        answer = s.get(Answer, gone.answer_id)
        stolen_blob, answer_uid = answer.text_sealed, answer.uid  # what a backup would still hold
        stolen_file = files.sealed_path(s.get(Attachment, gone.attachment_id)).read_bytes()
        file_path = files.sealed_path(s.get(Attachment, gone.attachment_id))

        result = retention.run(s, warn_days=1)
        assert [(t, i) for t, i, _ in result.shredded] == [("information_request", gone.request_id)]

    with app.app_context():
        s = db_session()
        answer, draft = s.get(Answer, gone.answer_id), s.get(Answer, gone.draft_answer_id)
        message, subject = s.get(RequestMessage, gone.message_id), s.get(RequestSubject, gone.subject_id)
        attachment = s.get(Attachment, gone.attachment_id)
        for row in (answer, draft, message, subject, attachment, s.get(InformationRequest, gone.request_id)):
            assert row.data_key.wrapped is None and row.data_key.shredded_at is not None
        assert (answer.text_sealed, draft.text_sealed, message.body_sealed, subject.details_sealed,
                attachment.filename_sealed) == (None, None, None, None, None)
        assert subject.vrm_index is None and answer.text is None
        assert not file_path.exists()
        with pytest.raises(SealedContentUnavailable, match="shredded"):
            files.open_download(attachment)
        # With the keyring in hand, no data key left in the database opens the stolen copies.
        for kek_id, blob in s.execute(select(DataKey.kek_id, DataKey.wrapped).where(DataKey.wrapped.is_not(None))):
            key = unwrap_data_key(keyring(), WrappedKey(kek_id, blob))
            with pytest.raises(SealBroken):
                open_sealed(key, stolen_blob, aad_for("answer", "text", answer_uid, 1))
        assert SECRET.encode() not in stolen_file
        # The unexpired graph and the operation are untouched.
        assert s.get(Answer, kept.answer_id).text == "answer still needed"
        assert read_download(s.get(Attachment, kept.attachment_id)) == b"a plain text file\n"
        assert s.get(Operation, gone.operation_id).summary == f"summary of {SECRET}"

    [(object_type, object_id, detail)] = _shred_audits(app)
    assert (object_type, object_id) == ("information_request", str(gone.request_id))
    assert detail["data_keys_shredded"] == 7  # request, question, subject, message, 2 answers, attachment
    assert detail["files_deleted"] == 1 and detail["rows_by_table"]["answer"] == 2
    assert SECRET not in json.dumps(detail)

    with app.app_context():  # a second run finds nothing more to do
        assert retention.run(db_session()).shredded == []
    assert len(_shred_audits(app)) == 1


def test_expired_operation_takes_everything_under_it(app, owners):
    lro, partner = owners
    g = build(app, lro, partner, text=SECRET)
    with app.app_context():
        s = db_session()
        requirement = Requirement(operation_id=g.operation_id, number=1, pillar=Pillar.PURSUE,
                                  review_date=LATER, created_by_id=lro.id)
        requirement.gap = f"gap {SECRET}"
        nominal = Nominal(reference="N-1")
        nominal.details = {"surname": "SMITH"}
        s.add_all([requirement, nominal])
        s.flush()
        s.add(NominalLink(operation_id=g.operation_id, nominal_id=nominal.id, role=NominalRole.PRINCIPAL))
        retention.extend_retention(s, s.get(Operation, g.operation_id), LATER + timedelta(days=1),
                                   f"reason {SECRET}", s.get(type(lro), lro.id))
        s.commit()
        requirement_id, nominal_id = requirement.id, nominal.id
    _set_dates(app, g, operation=PAST)
    with app.app_context():
        retention.run(db_session())
    with app.app_context():
        s = db_session()
        assert s.get(Operation, g.operation_id).summary_sealed is None
        assert s.get(Requirement, requirement_id).gap_sealed is None
        assert s.scalar(select(DecisionLogEntry.rationale_sealed)) is None
        assert s.get(Answer, g.answer_id).text_sealed is None
        assert s.scalar(select(func.count(NominalLink.id))) == 0
        assert s.get(Nominal, nominal_id).details == {"surname": "SMITH"}  # shared register keeps its own
    audits = _shred_audits(app)
    assert [(t, i) for t, i, _ in audits] == [("operation", str(g.operation_id))]  # request not done twice
    detail = audits[0][2]
    assert detail["rows_by_table"]["requirement"] == 1 and detail["nominal_links_deleted"] == 1
    assert detail["files_deleted"] == 1 and detail["data_keys_shredded"] == 10


def test_an_item_that_never_sealed_anything_is_processed_once(app, owners):
    lro, _partner = owners
    with app.app_context():
        s = db_session()
        s.add(Operation(reference="OP-EMPTY", name="Empty", owning_agency_id=lro.agency_id, retention_until=PAST))
        s.commit()
        assert len(retention.run(s).shredded) == 1
        assert retention.run(s).shredded == []


def test_extension_needs_a_reason_and_is_audited_without_it(app, owners):
    lro, partner = owners
    g = build(app, lro, partner)
    with app.app_context():
        s = db_session()
        req, by = s.get(InformationRequest, g.request_id), s.get(type(lro), lro.id)
        for reason in ("", "   ", None):
            with pytest.raises(RetentionError, match="^Enter a reason for keeping this item longer$"):
                retention.extend_retention(s, req, LATER + timedelta(days=1), reason, by)
        with pytest.raises(RetentionError, match="must be later than the current one"):
            retention.extend_retention(s, req, LATER - timedelta(days=1), "needed", by)
        with pytest.raises(RetentionError, match="extend the operation first"):
            retention.extend_retention(s, req, LATER + timedelta(days=30), "needed", by)
        assert s.scalar(select(func.count(DecisionLogEntry.id))) == 0
        op = s.get(Operation, g.operation_id)
        retention.extend_retention(s, op, LATER + timedelta(days=60), f"trial pending {SECRET}", by)
        entry = retention.extend_retention(s, req, LATER + timedelta(days=30), f"linked case {SECRET}", by)
        s.commit()
        assert req.retention_until == LATER + timedelta(days=30)
        assert entry.rationale == f"linked case {SECRET}" and entry.rationale_sealed is not None
        entry_id = entry.id
        events = s.execute(select(AuditEvent.object_type, AuditEvent.detail, AuditEvent.actor_user_id)
                           .where(AuditEvent.action == "retention_extended").order_by(AuditEvent.seq)).all()
    assert [e.object_type for e in events] == ["operation", "information_request"]
    detail = json.loads(events[1].detail)
    assert detail == {"from": LATER.isoformat(), "to": (LATER + timedelta(days=30)).isoformat(),
                      "decision_log_entry_id": entry_id}
    assert all(SECRET not in e.detail for e in events) and events[1].actor_user_id == lro.id


def test_warnings_go_to_the_owner_once_and_say_nothing_of_the_content(app, owners):
    lro, partner = owners
    due = build(app, lro, partner, text=SECRET)
    build(app, lro, partner, text="not yet")  # a year away: no warning
    _set_dates(app, due, operation=SOON + timedelta(days=5), request=SOON)
    with app.app_context():
        s = db_session()
        assert retention.retention_warnings(s, days=30) == 2  # the operation and the request
        assert retention.retention_warnings(s, days=30) == 0
        s.commit()
        notes = s.scalars(select(Notification).order_by(Notification.id)).all()
        assert {n.user_id for n in notes} == {lro.id} and {n.kind for n in notes} == {"retention_warning"}
        op, req = s.get(Operation, due.operation_id), s.get(InformationRequest, due.request_id)
        for note in notes:
            text = note.subject + note.body
            assert SECRET not in text and op.name not in text and op.reference not in text
            assert req.reference not in text and "retention date" in note.body
        # Extended into the window again: warned again for the new date.
        retention.extend_retention(s, op, SOON + timedelta(days=20), "trial", s.get(type(lro), lro.id))
        assert retention.retention_warnings(s, days=30) == 1


def test_default_retention_date(app):
    with app.app_context():
        days = app.config["SETTINGS"].retention_default_days
        assert retention.default_retention_date() == retention.today() + timedelta(days=days)


def test_retention_run_command(app, settings, owners):
    lro, partner = owners
    g = build(app, lro, partner)
    _set_dates(app, g, request=PAST)
    future = _cli(settings, "retention", "run", "--date", (TODAY + timedelta(days=400)).isoformat())
    assert future.returncode != 0 and "cannot be in the future" in future.stderr
    done = _cli(settings, "retention", "run")
    assert done.returncode == 0, done.stderr
    assert f"Shredded information_request {g.request_id}: 7 data key(s)" in done.stdout
    assert "1 item(s) shredded" in done.stdout
    with app.app_context():
        assert db_session().get(Answer, g.answer_id).text_sealed is None
