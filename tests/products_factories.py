"""Seeds an operation for the intelligence products: nominals with premises, vehicles, phones
and businesses, answered partner requests, confirmed cross-matches and interventions; plus
one nominal, one request and one answer above the viewer's clearance (TOP SECRET) that must
never appear in any product."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gainportal.db import db_session, utcnow
from gainportal.models import (
    AnswerOutcome, Classification, Heading, InformationRequest, Intervention, MatchCandidate, Nominal, NominalLink,
    NominalRole, Operation, PartnerResponse,
)
from gainportal.services import nominal_register, responses
from gainportal.services.dates import today
from gainportal.services.responses import AnswerInput

FIRST = ["Gary", "Darren", "Kelly", "Marcus", "Shannon", "Liam", "Jade", "Connor", "Paige", "Reece"]
LAST = ["Smith", "Nesbitt", "Darby", "Wood", "Jones", "White", "Clarke", "Hughes", "Patel", "Walsh"]
ROLES = [NominalRole.PRINCIPAL, NominalRole.SIGNIFICANT, NominalRole.SIGNIFICANT] + [NominalRole.PERIPHERAL] * 4 + [
    NominalRole.ASSOCIATE]
HIDDEN_NAME = "ZEPHYRINE"  # surname of the TOP SECRET nominal: must never be drawn
HIDDEN_ANSWER = "TOPSECRET-ANSWER"


def _details(i: int) -> dict:
    return {"forenames": FIRST[i % 10], "surname": LAST[(i // 10) % 10] + ("" if i < 10 else str(i)),
            "aliases": [f"Gaz{i}"] if i % 3 == 0 else [], "dob": f"19{80 + i % 20}-0{1 + i % 9}-1{i % 9}",
            "address": f"{1 + i % 4} Heron Walk", "postcode": f"LS{1 + i % 4} {1 + i % 4}AB",
            "vrms": [f"YX{10 + i % 12}KLM"], "phones": [f"07700 900{100 + i % 15}"],
            "businesses": [f"Heron Car Wash {i % 4}"] if i % 5 == 0 else []}


def seed(app, cycle, nominals: int = 6, requests: int = 2, questions: int = 2, hidden: bool = True) -> dict:
    """Returns ids of what was made; ``requests`` × ``questions`` answers are confirmed
    against the nominals in turn."""
    made = {"nominals": [], "requests": [], "answers": []}
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        for i in range(nominals):
            n = nominal_register.save(s, Nominal(reference=f"N-{op.id}-{i}"), _details(i), None)
            s.add(NominalLink(operation_id=op.id, nominal_id=n.id, role=ROLES[i % len(ROLES)]))
            made["nominals"].append(n.id)
        if hidden:
            n = nominal_register.save(s, Nominal(reference=f"N-{op.id}-TS", classification=Classification.TOP_SECRET),
                                      {"forenames": "Secret", "surname": HIDDEN_NAME, "postcode": "ZE1 0AA",
                                       "vrms": ["TS99HID"], "businesses": ["Hidden Holdings"]}, None)
            s.add(NominalLink(operation_id=op.id, nominal_id=n.id, role=NominalRole.PRINCIPAL))
            made["hidden_nominal"] = n.id
        for pillar in ("pursue", "prevent", "protect", "protect"):
            s.add(Intervention(operation_id=op.id, requirement_id=cycle.requirement_id, pillar=pillar,
                               owner_id=cycle.lro.id, recorded_by_id=cycle.lro.id,
                               due_date=today() + timedelta(days=14)))
        s.flush()
        for item in s.scalars(select(Intervention).where(Intervention.operation_id == op.id)):
            item.action = f"{item.pillar.capitalize()} action on Heron Walk"
        s.commit()
    qs = [(Heading.BEHAVIOUR, f"Question {k} about Heron Walk?") for k in range(questions)]
    for r in range(requests):
        made["requests"].append(cycle.draft(questions=qs, issue=True))
    if hidden:
        made["hidden_request"] = cycle.draft(questions=qs[:1], issue=True)
    made["overdue_request"] = cycle.draft(questions=qs[:1], issue=True)
    with app.app_context():
        s = db_session()
        for rid in made["requests"] + ([made["hidden_request"]] if hidden else []):
            req = s.get(InformationRequest, rid)
            text = HIDDEN_ANSWER if hidden and rid == made["hidden_request"] else "Seen at Heron Walk"
            outcomes = [AnswerOutcome.NO_TRACE if k % 4 == 3 else AnswerOutcome.ANSWERED for k in range(len(req.questions))]
            responses.save_draft(s, req, [AnswerInput(q.id, o, text) for q, o in zip(req.questions, outcomes)],
                                 cycle.spoc)
            responses.submit(s, req, cycle.spoc, f"p-{rid}")
        overdue = s.get(InformationRequest, made["overdue_request"])
        overdue.deadline = today() - timedelta(days=3)
        if hidden:
            hidden_req = s.get(InformationRequest, made["hidden_request"])
            hidden_req.classification = Classification.TOP_SECRET
            for resp in s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == hidden_req.id)):
                resp.classification = Classification.TOP_SECRET
        k = 0
        for rid in made["requests"] + ([made["hidden_request"]] if hidden else []):
            for resp in s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == rid)):
                for answer in resp.answers:
                    nominal_id = made["nominals"][k % len(made["nominals"])] if made["nominals"] else None
                    k += 1
                    if nominal_id is None:
                        continue
                    exists = s.scalar(select(MatchCandidate).where(MatchCandidate.answer_id == answer.id,
                                                                   MatchCandidate.nominal_id == nominal_id))
                    if exists is None:
                        exists = MatchCandidate(answer_id=answer.id, nominal_id=nominal_id,
                                                operation_id=cycle.operation_id, score=0.97, tier="high")
                        s.add(exists)
                    exists.status, exists.decided_by_id, exists.decided_at = "confirmed", cycle.lro.id, utcnow()
                    made["answers"].append(answer.id)
        s.commit()
    return made


# --- family links and OCG links ---------------------------------------------------------------
SECRET_RELATIVE = "QUILLFEATHER"  # surname of a relative on an operation the viewer is not indoctrinated for


def seed_links(app, cycle, made: dict) -> dict:
    """Family links among the seeded nominals (a grandparent not on the operation, parent,
    child, partner, sibling), an associate and a rival, a family link to the TOP SECRET
    nominal and to a relative who is only on an operation the LRO has not signed for, a
    TOP SECRET link between two visible nominals, and a rival OCG the LRO may see plus one
    the LRO may not."""
    from gainportal.models import NominalLink, NominalRole, Operation, User
    from gainportal.models.association import LinkSource, OperationLinkKind
    from gainportal.services import associations, indoctrination, operations

    ids = made["nominals"]
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        lro = s.get(User, cycle.lro.id)
        force = op.owning_agency
        rival = operations.create_operation(s, name="Operation Magpie", agency=force, lro=lro, tier=2, ocgm_band="1B",
                                            p_band=None, classification=Classification.OFFICIAL_SENSITIVE,
                                            summary="Rival supply", by=lro)
        unseen = operations.create_operation(s, name="Operation Bittern", agency=force, lro=lro, tier=2,
                                             ocgm_band="2A", p_band=None,
                                             classification=Classification.OFFICIAL_SENSITIVE, summary="Other",
                                             by=lro)
        indoctrination.sign(s, rival, lro, typed_name=lro.full_name, confirmed=True)  # not Bittern
        grandparent = nominal_register.save(s, Nominal(reference=f"G-{op.id}"), {
            "forenames": "Edna", "surname": "Smith", "address": "9 Heron Walk", "postcode": "LS1 1AB"}, None)
        s.add(NominalLink(operation_id=rival.id, nominal_id=grandparent.id, role=NominalRole.PERIPHERAL))
        secret_relative = nominal_register.save(s, Nominal(reference=f"Q-{op.id}"), {
            "forenames": "Hidden", "surname": SECRET_RELATIVE, "postcode": "QQ1 1QQ"}, None)
        s.add(NominalLink(operation_id=unseen.id, nominal_id=secret_relative.id, role=NominalRole.PRINCIPAL))
        s.flush()
        n = {i: s.get(Nominal, nid) for i, nid in enumerate(ids)}
        links = {}

        def link(key, a, b, kind, **kw):
            links[key] = associations.record_link(s, a, b, kind, by=lro, rationale=f"Rationale {key}",
                                                  source=LinkSource.POLICE_RECORD, **kw).id

        link("grandparent", grandparent, n[0], "parent")
        link("child", n[1], n[0], "child")          # n1 is the child of n0
        link("partner", n[0], n[2], "partner")
        link("sibling", n[1], n[3], "sibling")
        link("associate", n[0], n[4], "associate")
        link("rival", n[2], n[5], "rival")
        link("hidden", n[0], s.get(Nominal, made["hidden_nominal"]), "sibling")
        link("secret_relative", n[1], secret_relative, "cousin")
        link("top_secret_link", n[3], n[4], "business_partner", classification=Classification.TOP_SECRET)
        rival_link = associations.record_ocg_link(s, op, rival, OperationLinkKind.RIVAL, by=lro,
                                                  note="Feud over the Heron Walk market")
        unseen_link = associations.record_ocg_link(s, op, unseen, OperationLinkKind.LINKED, by=lro,
                                                   note="BITTERN-NOTE supplies them")
        s.commit()
        return {"links": links, "rival_op": rival.id, "unseen_op": unseen.id, "grandparent": grandparent.id,
                "secret_relative": secret_relative.id, "rival_link": rival_link.id, "unseen_link": unseen_link.id}
