"""Loading one request's parts for the pages that show them (the police request page and the
partner's), with just the joins those pages use.

The models eager-load a lot by default: a question drags in its assignee's whole account
and agency, an answer its question (and that question's assignee) and the person who
answered, a response its request with the operation and both agencies again. The pages
already hold the request and read names they need from one place, so here those joins are
left out; anything else still loads lazily if some later code asks for it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from gainportal.models import Agency, Answer, InformationRequest, PartnerResponse, RequestMessage, RequestQuestion, User

# On a response the request is the one on the page (already in the session); it has no
# sealed columns of its own, so no data key to join either.
RESPONSE_ONLY = (lazyload(PartnerResponse.request), lazyload(PartnerResponse.data_key))


def _unloaded(obj, name: str) -> bool:
    return name in inspect(obj).unloaded


def questions_of(s: Session, req: InformationRequest) -> list[RequestQuestion]:
    """``req.questions`` (in position order), loaded without each assignee's account if
    nothing has loaded them yet; the page reads assignees' names separately if at all."""
    if _unloaded(req, "questions"):
        rows = list(s.scalars(select(RequestQuestion).where(RequestQuestion.request_id == req.id)
                              .order_by(RequestQuestion.position).options(lazyload(RequestQuestion.assigned_to))))
        set_committed_value(req, "questions", rows)
    return list(req.questions)


def with_answers(s: Session, responses: Iterable[PartnerResponse | None]) -> None:
    """Load ``answers`` of all these responses in one statement (those not loaded yet),
    without each answer's question or author: an answer's question is one of the request's
    questions, found by ``question_id``."""
    todo = {r.id: r for r in responses if r is not None and _unloaded(r, "answers")}
    if not todo:
        return
    found: dict[int, list[Answer]] = defaultdict(list)
    for answer in s.scalars(select(Answer).where(Answer.response_id.in_(list(todo))).order_by(Answer.id)
                            .options(lazyload(Answer.question), lazyload(Answer.answered_by))):
        found[answer.response_id].append(answer)
    for response_id, response in todo.items():
        set_committed_value(response, "answers", found[response_id])


def messages_of(s: Session, req: InformationRequest) -> list[RequestMessage]:
    """The request's messages, oldest first, with each author's name and agency and nothing
    else of their account."""
    return list(s.scalars(select(RequestMessage).where(RequestMessage.request_id == req.id)
                          .order_by(RequestMessage.id)
                          .options(joinedload(RequestMessage.author).load_only(User.full_name, User.agency_id)
                                   .joinedload(User.agency).load_only(Agency.name))))
