"""Demo data for the intelligence products: Operation Kestrel as a family-based OCG like the
guidance's SMITH OCG example (father, partner, brother, son at risk, a tenant and childhood
associates), a rival OCG with a feud, a linked OCG, and partner answers confirmed against the
family so the chart, family tree and OCG on a page have something to show."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gainportal.db import utcnow
from gainportal.models import (
    AnswerOutcome, Classification, CollectionMethod, Heading, LawfulBasis, MatchCandidate, Nominal, NominalRole,
    PartnerResponse, Requirement,
)
from gainportal.models.association import LinkSource, OperationLinkKind
from gainportal.services import (
    answer_matching, associations, indoctrination, nominal_register, operations, requests, requirements, responses,
)
from gainportal.services.dates import today
from gainportal.services.requests import QuestionInput, RequestDraft
from gainportal.services.responses import AnswerInput

# reference, forenames, surname, aliases, dob, address, postcode, vrms, phones, businesses, role
FAMILY = [
    ("NOM-000106", "John", "SMITH", [], "1958-06-19", "1 High Street, Leeds", "LS6 1HS", ["YC08 PLW"], [],
     ["Smith Lettings"], NominalRole.PERIPHERAL),
    ("NOM-000107", "Julie", "JONES", ["Jules"], "1976-09-08", "5 White Terrace, Leeds", "LS12 4WT", [],
     ["+447700900654"], [], NominalRole.PERIPHERAL),
    ("NOM-000108", "Lee", "SMITH", ["Smudge"], "1988-01-27", "6 Kirkstall Hill, Leeds", "LS5 3AA", ["YX19 KLM"],
     ["+447700900987"], [], NominalRole.SIGNIFICANT),
    ("NOM-000109", "Mason", "SMITH", [], "2009-05-02", "5 White Terrace, Leeds", "LS12 4WT", [], [], [],
     NominalRole.ASSOCIATE),
    ("NOM-000110", "Andrew", "WHITE", ["Chalky"], "1983-03-15", "1 Main Road, Leeds", "LS5 1MR", [], [], [],
     NominalRole.PERIPHERAL),
    ("NOM-000111", "Craig", "WOOD", [], "1984-10-30", "6 Second Terrace, Leeds", "LS4 2ST", ["FD67 ZPA"],
     ["+447700900222"], ["Kirkstall Hand Car Wash"], NominalRole.SIGNIFICANT),
]
RIVALS = [
    ("NOM-000201", "Shane", "DARBY", [], "1982-08-11", "7 Third Street, Leeds", "LS13 2TS", ["BT66 XRD"], [], [],
     NominalRole.PRINCIPAL),
]


def _nominal(s, op, row, lro) -> Nominal:
    ref, fore, sur, aliases, dob, address, postcode, vrms, phones, businesses, role = row
    nominal = Nominal(reference=ref, classification=op.classification)
    nominal_register.save(s, nominal, {"forenames": fore, "surname": sur, "aliases": aliases, "dob": dob,
                                       "address": address, "postcode": postcode, "vrms": vrms, "phones": phones,
                                       "businesses": businesses}, lro)
    operations.link_nominal(s, op, nominal, role, lro)
    return nominal


def seed_products(s, ops: dict, agencies: dict, users: dict) -> None:
    lro = users["lro@wyp.example.police.uk"]
    kestrel, wagtail = ops["OP-WYP-0417"], ops["OP-WYP-0588"]
    by_ref = {n.reference: n for n in s.scalars(select(Nominal).where(Nominal.reference.in_(
        ["NOM-000101", "NOM-000102", "NOM-000103", "NOM-000105"])))}
    gary, darren, kayleigh, terry = (by_ref[r] for r in ("NOM-000101", "NOM-000102", "NOM-000103", "NOM-000105"))
    # Gary's business, as the OCG on a page's money-laundering section expects.
    gary.details = {**gary.details, "businesses": ["Kirkstall Hand Car Wash", "Acacia Lettings"]}
    fam = {row[0]: _nominal(s, kestrel, row, lro) for row in FAMILY}
    john, julie, lee, mason, andrew, craig = (fam[r] for r in sorted(fam))

    jackdaw = operations.create_operation(
        s, reference="OP-WYP-0610", name="Operation Jackdaw", agency=agencies["WYP"], lro=lro, tier=3,
        ocgm_band="2A", p_band=None, classification=Classification.OFFICIAL_SENSITIVE,
        summary="Rival cocaine supply in Bramley and Armley; taxes other groups' runners.", by=lro)
    for email in ("lro@wyp.example.police.uk", "analyst@wyp.example.police.uk", "supervisor@wyp.example.police.uk"):
        indoctrination.invite(s, jackdaw, users[email], lro)
        indoctrination.sign(s, jackdaw, users[email], typed_name=users[email].full_name, confirmed=True)
    shane = _nominal(s, jackdaw, RIVALS[0], lro)

    def link(a, b, kind, why, source=LinkSource.POLICE_RECORD):
        associations.record_link(s, a, b, kind, by=lro, rationale=why, source=source, operation=kestrel)

    link(john, gary, "parent", "Birth record; John Smith is named as father in the custody record of 2019.",
         LinkSource.PUBLIC_RECORD)
    link(john, lee, "parent", "Birth record.", LinkSource.PUBLIC_RECORD)
    link(gary, lee, "sibling", "Brothers: both give 1 High Street as their childhood address.")
    link(gary, julie, "partner", "Lives with Julie Jones at 5 White Terrace most nights (neighbourhood team).")
    link(gary, mason, "parent", "Mason's school records name Gary Smith as father.", LinkSource.PARTNER_ANSWER)
    link(julie, mason, "parent", "Tenancy lists Mason as Julie Jones's son.", LinkSource.PARTNER_ANSWER)
    link(julie, kayleigh, "parent", "Kayleigh is Julie Jones's daughter from an earlier relationship.")
    link(gary, craig, "associate", "Childhood friends; Wood runs the car wash and couriers for Smith.")
    link(gary, darren, "business_partner", "Joint director of Acacia Lettings (Companies House).",
         LinkSource.PUBLIC_RECORD)
    link(gary, andrew, "associate", "Tenant of a property owned by Smith; drugs supplied from it.")
    link(darren, shane, "rival", "Darby's runners taxed O'Neill in March (historic).", LinkSource.INTELLIGENCE_REPORT)
    associations.record_ocg_link(s, kestrel, jackdaw, OperationLinkKind.RIVAL, by=lro,
                                 note="Feud over the Armley market; Jackdaw's runners have taxed O'Neill.")
    associations.record_ocg_link(s, kestrel, wagtail, OperationLinkKind.LINKED, by=lro,
                                 note="Buys cannabis grown on the Beeston estate to sell through Kestrel's line.")
    link(gary, terry, "associate", "Meets McDonald at the car wash weekly.", LinkSource.INTELLIGENCE_REPORT)

    # A housing answer naming the family, confirmed by the analyst against Julie and Mason.
    r2 = next(r for r in s.scalars(select(Requirement).where(Requirement.operation_id == kestrel.id))
              if r.gap.startswith("Who is recruiting"))
    item = requirements.add_plan_item(
        s, r2, source_agency=agencies["LHP"], internal_source=None, method=CollectionMethod.OVERT,
        lawful_basis=LawfulBasis.CDA_1998_S115, isa_reference=None, due_date=today() + timedelta(days=14),
        owner=lro, notes=None, by=lro)
    req = requests.create_draft(s, item, RequestDraft(
        agency=agencies["LHP"], deadline=today() + timedelta(days=14),
        purpose="We want to protect young people on the Armley estates.",
        questions=[QuestionInput(Heading.LIFESTYLE, "Who lives at 5 White Terrace, and have young people been seen "
                                                    "visiting at night since September?")], subjects=[]), lro)
    spoc = users["spoc@lhp.example.org.uk"]
    requests.issue(s, req, lro)
    indoctrination.sign(s, kestrel, spoc, typed_name=spoc.full_name, confirmed=True)
    requests.acknowledge(s, req, spoc)
    responses.save_draft(s, req, [AnswerInput(req.questions[0].id, AnswerOutcome.ANSWERED,
                                              "Tenant is Julie Jones (dob 08/09/1976); her son Mason Smith, 16, lives "
                                              "there. Neighbours report teenagers calling at night and a grey car "
                                              "YX19 KLM waiting outside.")], spoc)
    responses.submit(s, req, spoc, "demo-lhp-family-1")
    analyst = users["analyst@wyp.example.police.uk"]
    # The demo seeds in one transaction, so no matching job has run yet: match the answers
    # submitted so far here, as the job worker will after the commit (it then skips them).
    for response in s.scalars(select(PartnerResponse).where(PartnerResponse.submitted_at.is_not(None),
                                                            PartnerResponse.matched_at.is_(None))).all():
        answer_matching.match_response(s, response)
    answers = [a for r in responses.submitted_responses(s, req) for a in r.answers]
    rspca = s.scalars(select(MatchCandidate).where(MatchCandidate.nominal_id == gary.id)).all()
    wanted = [(answers[0], julie), (answers[0], mason), (answers[0], lee)] + [(c.answer, gary) for c in rspca[:1]]
    for answer, nominal in wanted:
        candidate = s.scalar(select(MatchCandidate).where(MatchCandidate.answer_id == answer.id,
                                                          MatchCandidate.nominal_id == nominal.id))
        if candidate is None:
            candidate = MatchCandidate(answer_id=answer.id, nominal_id=nominal.id, operation_id=kestrel.id,
                                       score=0.95, tier="strong")
            s.add(candidate)
        candidate.operation_id = kestrel.id
        candidate.status, candidate.decided_by_id, candidate.decided_at = "confirmed", analyst.id, utcnow()
        s.flush()
        candidate.rationale = "Name, date of birth or vehicle and address agree with the register."
    s.flush()
