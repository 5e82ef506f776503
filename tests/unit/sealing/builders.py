"""Builds a sealed GAIN graph (operation, request, question, submitted and draft responses,
answers, message, attachment) directly through the models and the upload service."""
from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from werkzeug.datastructures import FileStorage

from gainportal.db import db_session
from gainportal.models import (
    AgencyKind, Answer, AnswerOutcome, Attachment, Heading, InformationRequest, Operation, PartnerResponse,
    RequestMessage, RequestQuestion, RequestState, RequestSubject, ResponseState, Role,
)
from gainportal.security.sealing import blind
from gainportal.services import files
from tests.conftest import TEST_SECRET_KEY

_seq = itertools.count(1)
CLI = str(Path(sys.executable).with_name("gainportal"))


@dataclass
class Graph:
    operation_id: int
    request_id: int
    answer_id: int
    draft_answer_id: int
    message_id: int
    attachment_id: int
    subject_id: int
    lro_id: int
    partner_id: int


def people(make):
    lro = make.user(role=Role.LRO)
    partner = make.user(agency=make.agency(AgencyKind.COUNCIL), role=Role.PARTNER_SPOC)
    return lro, partner


def upload(name: str, content: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name, content_type="application/pdf")


def build(app, lro, partner, *, text: str = "seen at the premises", file_name: str = "notes.txt",
          file_content: bytes = b"a plain text file\n", retention_until: date | None = None) -> Graph:
    n = next(_seq)
    retention_until = retention_until or date.today() + timedelta(days=365)
    with app.app_context():
        s = db_session()
        op = Operation(reference=f"OP-T-{n}", name=f"Operation Test {n}", owning_agency_id=lro.agency_id,
                       lro_id=lro.id, retention_until=retention_until)
        op.summary = f"summary of {text}"
        s.add(op)
        s.flush()
        req = InformationRequest(reference=f"REQ-T-{n}", operation_id=op.id, agency_id=partner.agency_id,
                                 deadline=date.today() + timedelta(days=14), created_by_id=lro.id,
                                 state=RequestState.ISSUED, retention_until=retention_until)
        req.purpose = f"purpose of {text}"
        question = RequestQuestion(position=1, heading=Heading.CRIME)
        question.text = "Is the subject known to you?"
        req.questions.append(question)
        subject = RequestSubject(vrm_index=blind("vrm", "AB12CDE"))
        subject.details = {"name": f"subject {text}", "vrm": "AB12 CDE"}
        req.subjects.append(subject)
        message = RequestMessage(author_id=partner.id, from_partner=True)
        message.body = f"message {text}"
        req.messages.append(message)
        s.add(req)
        s.flush()
        submitted = PartnerResponse(request_id=req.id, agency_id=partner.agency_id, version=1,
                                    state=ResponseState.SUBMITTED, submitted_by_id=partner.id)
        answer = Answer(question=question, outcome=AnswerOutcome.ANSWERED, answered_by_id=partner.id)
        answer.text = f"answer {text}"
        submitted.answers.append(answer)
        draft = PartnerResponse(request_id=req.id, agency_id=partner.agency_id, version=2,
                                state=ResponseState.DRAFT)
        draft_answer = Answer(question=question, answered_by_id=partner.id)
        draft_answer.text = f"draft {text}"
        draft.answers.append(draft_answer)
        s.add_all([submitted, draft])
        s.flush()
        attachment = Attachment(response_id=submitted.id, question_id=question.id, uploaded_by_id=partner.id)
        files.store_upload(s, attachment, upload(file_name, file_content),
                           files.UploadLimits.from_settings(app.config["SETTINGS"]))
        s.commit()
        return Graph(op.id, req.id, answer.id, draft_answer.id, message.id, attachment.id, subject.id,
                     lro.id, partner.id)


def read_download(attachment: Attachment) -> bytes:
    chunks, _headers = files.open_download(attachment)
    return b"".join(chunks)


def cli_env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAINPORTAL_")}
    env.update(GAINPORTAL_ENV="test", GAINPORTAL_DATABASE_URL=settings.database_url,
               GAINPORTAL_INSTANCE_PATH=str(settings.instance_path), GAINPORTAL_SECRET_KEY=TEST_SECRET_KEY)
    return env


def cli(settings, *args):
    return subprocess.run([CLI, *args], env=cli_env(settings), capture_output=True, text=True, timeout=120)
