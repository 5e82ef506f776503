"""Content-free notifications: an outbox table, sent by SMTP when configured, otherwise
written to the log. Emails never carry intelligence, names or references."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import Integer, String, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gainportal.db import UTCDateTime, utcnow
from gainportal.models import Notification, User

log = logging.getLogger("gainportal.notifications")

MESSAGES = {
    "request_issued": ("You have a new request", "You have a new request. Sign in to view it."),
    "deadline_reminder": ("A request is due soon", "A request for your agency is due soon. Sign in to view it."),
    "request_overdue": ("A request is overdue", "A request for your agency is past its deadline. Sign in to view it."),
    "clarification": ("You have a new message", "You have a new message about a request. Sign in to view it."),
    "answer_received": ("Answers received", "A partner has answered a request. Sign in to view it."),
    "request_declined": ("A request was declined", "A partner has declined a request. Sign in to view it."),
    "request_withdrawn": ("A request was withdrawn", "A request to your agency was withdrawn. Sign in to view it."),
    "question_assigned": ("A question was assigned to you", "A question has been assigned to you. Sign in to view it."),
    "consent_requested": ("Your consent is needed", "An officer asks to share information your agency provided. Sign in to decide."),
    "gain_referral": ("A new GAIN referral", "A referral is waiting for your decision. Sign in to view it."),
    "gain_referral_decided": ("Your GAIN referral was decided", "A decision has been made on your referral. Sign in to view it."),
    "circulation_sent": ("You have a new check to do", "Your agency has been asked to check some records. Sign in to view it."),
    "circulation_answered": ("An agency has answered a check", "An agency has answered a check. Sign in to view it."),
    "circulation_hit": ("A follow-up request is ready to review", "A follow-up request is waiting for your review. Sign in to view it."),
    "circulation_reminder": ("A check is due soon", "A check for your agency is waiting for an answer. Sign in to view it."),
    "circulation_overdue": ("A check is overdue", "A check for your agency is past its deadline. Sign in to view it."),
    "retention_warning": ("Records due for deletion", "Some records you own reach their retention date soon. Sign in to review them."),
}


def queue(s: Session, user: User | int, kind: str, dedupe_key: str | None = None) -> int | None:
    """Queue a notification to a person (a User or their id): its id, or None when the person
    is inactive or a notification with this dedupe key exists already.

    One statement, whether or not the person is loaded: an insert from their account row
    while it is active, which skips a row whose key is taken rather than failing on it (a
    colleague's simultaneous change that queues the same notice must not undo this one)."""
    s.flush()  # the person may have been added in this transaction
    user_id = user if isinstance(user, int) else user.id
    subject, body = MESSAGES[kind]
    table = Notification.__table__
    source = select(
        User.id, literal(kind, String), literal(dedupe_key, String), literal(subject, String),
        literal(body, String), literal(utcnow(), UTCDateTime), literal(0, Integer),
    ).where(User.id == user_id, User.active.is_(True))
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).from_select(
        ["user_id", "kind", "dedupe_key", "subject", "body", "created_at", "attempts"], source)
    if dedupe_key:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return s.scalar(statement.returning(table.c.id))


def send_outbox(s: Session, limit: int = 200) -> int:
    settings = current_app.config["SETTINGS"]
    pending = s.scalars(select(Notification).where(Notification.sent_at.is_(None))
                        .order_by(Notification.id).limit(limit)).all()
    sent = 0
    for note in pending:
        note.attempts += 1
        try:
            if settings.smtp_host:
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = settings.mail_from, note.user.email, note.subject
                message.set_content(note.body)
                with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                    smtp.send_message(message)
            else:
                log.info("notification %s (%s) for user %s: %s", note.id, note.kind, note.user_id, note.subject)
            note.sent_at = utcnow()
            sent += 1
        except (OSError, smtplib.SMTPException):
            log.warning("notification %s not sent (attempt %s)", note.id, note.attempts)
    s.flush()
    return sent


def queue_deadline_reminders(s: Session, reminder_days: int = 2) -> int:
    """Reminders before a deadline and notices once overdue, each sent once per request."""
    from datetime import timedelta

    from gainportal.models import InformationRequest, RequestState, Role
    from gainportal.services.dates import today

    queued = 0
    open_states = (RequestState.ISSUED, RequestState.ACKNOWLEDGED)
    rows = s.scalars(select(InformationRequest).where(
        InformationRequest.state.in_(open_states),
        InformationRequest.deadline <= today() + timedelta(days=reminder_days))).all()
    for req in rows:
        overdue = req.deadline < today()
        kind = "request_overdue" if overdue else "deadline_reminder"
        spocs = s.scalars(select(User).where(User.agency_id == req.agency_id, User.role == Role.PARTNER_SPOC,
                                             User.active.is_(True))).all()
        recipients = list(spocs) + ([req.created_by] if overdue else [])
        for user in recipients:
            if queue(s, user, kind, dedupe_key=f"{kind}:{req.id}:{user.id}"):
                queued += 1
    return queued
