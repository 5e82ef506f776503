"""Demo data: a force, a ROCU, six partner agencies, a user of every role, operations.

Passwords and TOTP secrets are fixed so a demo audience (and the browser tests) can sign
in; they are printed once and must never be used outside a demo instance.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gainportal.db import db_session
from gainportal.demo_circulation import seed_circulation
from gainportal.models import (
    Agency, AgencyKind, AnswerOutcome, Classification, Clearance, CollectionMethod, Heading, InternalSource,
    LawfulBasis, Nominal, NominalRole, Operation, Pillar, Priority, RequirementState, Role,
)
from gainportal.services import (
    accounts, indoctrination, nominal_register, operations, requests, requirements, responses,
)
from gainportal.services.dates import add_months, today
from gainportal.services.requests import QuestionInput, RequestDraft, SubjectInput
from gainportal.services.responses import AnswerInput

DEMO_PASSWORD = "harbour-lantern-velvet"

AGENCIES = [
    ("West Yorkshire Police", "WYP", AgencyKind.POLICE_FORCE),
    ("North Yorkshire Police", "NYP", AgencyKind.POLICE_FORCE),
    ("Yorkshire and the Humber ROCU", "YHROCU", AgencyKind.ROCU),
    ("Leeds City Council", "LEEDS-CC", AgencyKind.COUNCIL),
    ("Leeds Teaching Hospitals NHS Trust", "LTHT", AgencyKind.HEALTH),
    ("RSPCA", "RSPCA", AgencyKind.RSPCA),
    ("Leeds Housing Partnership", "LHP", AgencyKind.HOUSING),
    ("West Yorkshire Fire and Rescue Service", "WYFRS", AgencyKind.FIRE),
    ("Leeds Schools Safeguarding Team", "LSST", AgencyKind.EDUCATION),
]

# email, name, agency code, role, clearance, fixed base32 TOTP secret
USERS = [
    ("admin@wyp.example.police.uk", "Alex Morgan", "WYP", Role.ADMIN, Clearance.SC, "JBSWY3DPEHPK3PXPADMINAAAAAAAAAAA"),
    ("lro@wyp.example.police.uk", "DI Sam Patel", "WYP", Role.LRO, Clearance.SC, "JBSWY3DPEHPK3PXPLROAAAAAAAAAAAAA"),
    ("analyst@wyp.example.police.uk", "Jo Whitaker", "WYP", Role.ANALYST, Clearance.SC, "JBSWY3DPEHPK3PXPANALYSTAAAAAAAAA"),
    ("gain@yhrocu.example.police.uk", "Chris Ellison", "YHROCU", Role.GAIN_COORDINATOR, Clearance.SC, "JBSWY3DPEHPK3PXPGAINAAAAAAAAAAAA"),
    ("supervisor@wyp.example.police.uk", "DCI Ruth Adeyemi", "WYP", Role.SUPERVISOR, Clearance.DV, "JBSWY3DPEHPK3PXPSUPERVAAAAAAAAAA"),
    ("spoc@leeds-cc.example.gov.uk", "Priya Shah", "LEEDS-CC", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCCOUNCILAAAAA"),
    ("officer@leeds-cc.example.gov.uk", "Tom Brennan", "LEEDS-CC", Role.PARTNER_USER, Clearance.BPSS, "JBSWY3DPEHPK3PXPUSERCOUNCILAAAAA"),
    ("spoc@rspca.example.org.uk", "Helen Carter", "RSPCA", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCRSPCAAAAAAAA"),
    ("spoc@lhp.example.org.uk", "Marcus Reid", "LHP", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCHOUSINGAAAAA"),
    ("spoc@wyfrs.example.gov.uk", "Aisha Khan", "WYFRS", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCFIREAAAAAAAA"),
    ("spoc@ltht.example.nhs.uk", "Dr Owen Price", "LTHT", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCHEALTHAAAAAA"),
    ("spoc@lsst.example.gov.uk", "Grace Obi", "LSST", Role.PARTNER_SPOC, Clearance.BPSS, "JBSWY3DPEHPK3PXPSPOCSCHOOLSAAAAA"),
]

OPERATIONS = [
    # reference, name, tier, OCGM band, P band, classification, summary
    ("OP-WYP-0417", "Operation Kestrel", 2, "2B", "P3", Classification.OFFICIAL_SENSITIVE,
     "Supplies crack cocaine and heroin across Kirkstall and Armley through a county line run from a car wash; "
     "uses cuckooed flats and recruits children excluded from school."),
    ("OP-WYP-0522", "Operation Larkspur", 1, "1A", "P1", Classification.SECRET,
     "Labour exploitation and money laundering through nail bars and hand car washes across West Yorkshire."),
    ("OP-WYP-0588", "Operation Wagtail", 4, "4C", None, Classification.OFFICIAL_SENSITIVE,
     "Loan sharking and intimidation on the Beeston estate; debts repaid by growing cannabis."),
]

NOMINALS = [
    # reference, forenames, surname, aliases, dob, address, postcode, vrms, phones, operation, role
    ("NOM-000101", "Gary", "SMITH", ["Gaz"], "1985-04-03", "14 Acacia Road, Leeds", "LS6 2AB", ["YX19 KLM"], ["+447700900123"], "OP-WYP-0417", NominalRole.PRINCIPAL),
    ("NOM-000102", "Darren", "O'NEILL", ["Daz"], "1990-11-21", "3 Kirkstall Lane, Leeds", "LS5 3BT", ["FD67 ZPA"], ["+447700900456"], "OP-WYP-0417", NominalRole.SIGNIFICANT),
    ("NOM-000103", "Kayleigh", "SMITH-JONES", [], "1997-02-14", "22 Armley Ridge Road, Leeds", "LS12 3LE", [], ["+447700900789"], "OP-WYP-0417", NominalRole.PERIPHERAL),
    ("NOM-000104", "Ion", "POPESCU", ["Johnny"], "1979-07-30", "Unit 4, Canal Wharf, Leeds", "LS11 5PZ", ["LB70 VWX"], [], "OP-WYP-0522", NominalRole.PRINCIPAL),
    ("NOM-000105", "Terry", "McDONALD", ["Tel"], "1968-12-02", "9 Beeston Hill, Leeds", "LS11 8ND", ["BD15 RTE"], ["+447700900321"], "OP-WYP-0588", NominalRole.PRINCIPAL),
]


def seed(echo=print, force: bool = False) -> bool:
    s = db_session()
    if s.scalar(select(Agency).where(Agency.code == "WYP")) and not force:
        echo("Demo data already present; nothing to do (use --force to add anyway).")
        return False
    agencies = {}
    for name, code, kind in AGENCIES:
        agencies[code] = Agency(name=name, code=code, kind=kind)
        s.add(agencies[code])
    s.flush()
    users = {}
    for email, name, code, role, clearance, secret in USERS:
        users[email] = accounts.create_user_direct(
            s, email=email, full_name=name, agency=agencies[code], role=role, clearance=clearance,
            password=DEMO_PASSWORD, totp_secret=secret, check_policy=False)
    _seed_cycle(s, agencies, users)
    seed_circulation(s, agencies, users, DEMO_PASSWORD, echo)
    s.commit()
    echo("Demo data loaded. Every demo account uses the password: " + DEMO_PASSWORD)
    echo("Add the TOTP secret to an authenticator app (or: python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\")")
    for email, _name, code, role, _clearance, secret in USERS:
        echo(f"  {role.value:17} {email:36} {secret}")
    return True


def _seed_cycle(s, agencies, users) -> None:
    """Operations with requirements, plans and requests in every state, so a new user
    sees a lived-in portal."""
    lro = users["lro@wyp.example.police.uk"]
    spocs = {code: next(u for u in users.values() if u.agency_id == agencies[code].id and u.role is Role.PARTNER_SPOC)
             for code in ("LEEDS-CC", "RSPCA", "LHP", "WYFRS", "LTHT", "LSST")}
    ops = {}
    for reference, name, tier, band, p_band, classification, summary in OPERATIONS:
        ops[reference] = operations.create_operation(
            s, reference=reference, name=name, agency=agencies["WYP"], lro=lro, tier=tier, ocgm_band=band,
            p_band=p_band, classification=classification, summary=summary, by=lro)
    # Police staff of the force are indoctrinated into every operation; the supervisor
    # has not yet signed Wagtail's agreement, to show the gate.
    for op in ops.values():
        for email in ("lro@wyp.example.police.uk", "analyst@wyp.example.police.uk", "supervisor@wyp.example.police.uk"):
            indoctrination.invite(s, op, users[email], lro)
            if not (op.reference == "OP-WYP-0588" and email.startswith("supervisor")):
                indoctrination.sign(s, op, users[email], typed_name=users[email].full_name, confirmed=True)
    # One operation has slipped past its review date, as real ones do.
    ops["OP-WYP-0588"].next_review_due = today() - timedelta(days=9)
    for pillar, email in ((Pillar.PURSUE, "lro@wyp.example.police.uk"), (Pillar.PREVENT, "supervisor@wyp.example.police.uk")):
        operations.set_p_lead(s, ops["OP-WYP-0417"], pillar, users[email], lro)
    for ref, fore, sur, aliases, dob, address, postcode, vrms, phones, op_ref, role in NOMINALS:
        nominal = Nominal(reference=ref, classification=ops[op_ref].classification)
        nominal_register.save(s, nominal, {"forenames": fore, "surname": sur, "aliases": aliases, "dob": dob,
                                           "address": address, "postcode": postcode, "vrms": vrms, "phones": phones,
                                           "businesses": []}, lro)
        operations.link_nominal(s, ops[op_ref], nominal, role, lro)

    kestrel = ops["OP-WYP-0417"]
    r1 = requirements.create_requirement(
        s, kestrel, gap="Which addresses on the Kirkstall estate are being used by people who do not live there?",
        intent="Partial closure orders on cuckooed flats with the council and housing provider (Protect)",
        pillar=Pillar.PROTECT, priority=Priority.HIGH, review_date=add_months(today(), 1), by=lro)
    requirements.change_state(s, r1, RequirementState.OPEN, "Reports of cuckooing are rising; closure powers are the quickest disruption.", lro)
    r2 = requirements.create_requirement(
        s, kestrel, gap="Who is recruiting children excluded from school, and where do they meet?",
        intent="Safeguarding referrals and a Prevent diversion programme with the schools team (Prevent)",
        pillar=Pillar.PREVENT, priority=Priority.HIGH, review_date=add_months(today(), 2), by=lro)
    requirements.change_state(s, r2, RequirementState.OPEN, "Exclusions at the pupil referral unit have doubled.", lro)
    r3 = requirements.create_requirement(
        s, kestrel, gap="Is the car wash on Kirkstall Road trading legitimately?",
        intent="Licensing, HMRC minimum wage and fire safety inspections of the car wash (Pursue)",
        pillar=Pillar.PURSUE, priority=Priority.MEDIUM, review_date=add_months(today(), 3), by=lro)
    requirements.change_state(s, r3, RequirementState.OPEN, "Financial investigation suggests cash-heavy turnover.", lro)
    r4 = requirements.create_requirement(
        s, kestrel, gap="Does the principal still own the dogs seen at Acacia Road?",
        intent="A joint visit with the RSPCA under the Animal Welfare Act to seize the dogs (Pursue)",
        pillar=Pillar.PURSUE, priority=Priority.LOW, review_date=add_months(today(), 1), by=lro)
    requirements.change_state(s, r4, RequirementState.OPEN, "Dogs are used to intimidate neighbours.", lro)
    requirements.change_state(s, r4, RequirementState.SATISFIED, "RSPCA confirmed the dogs; the visit is planned.", lro)
    requirements.create_requirement(
        s, kestrel, gap="Which vehicles are used to move young people to Harrogate?",
        intent="ANPR-led stops and child sexual exploitation warning notices (Protect)",
        pillar=Pillar.PROTECT, priority=Priority.MEDIUM, review_date=add_months(today(), 1), by=lro)

    def plan(req, code=None, internal=None):
        return requirements.add_plan_item(
            s, req, source_agency=agencies[code] if code else None, internal_source=internal,
            method=CollectionMethod.OVERT if code else CollectionMethod.COVERT,
            lawful_basis=LawfulBasis.CDA_1998_S115 if code else LawfulBasis.DPA_2018_PART_3,
            isa_reference=None, due_date=today() + timedelta(days=28), owner=lro, notes=None, by=lro)

    def ask(item, purpose, questions, subjects=(), days=21):
        return requests.create_draft(s, item, RequestDraft(
            agency=item.source_agency, deadline=today() + timedelta(days=days), purpose=purpose,
            questions=[QuestionInput(h, t) for h, t in questions], subjects=[SubjectInput(**x) for x in subjects]), lro)

    housing = plan(r1, "LHP")
    council = plan(r1, "LEEDS-CC")
    plan(r1, internal=InternalSource.NEIGHBOURHOOD_TEAM)
    schools = plan(r2, "LSST")
    fire = plan(r3, "WYFRS")
    rspca = plan(r4, "RSPCA")
    health = plan(r2, "LTHT")

    # draft: not yet issued
    ask(council, "We are working with residents to make the Kirkstall estate safer.",
        [(Heading.BEHAVIOUR, "Have you had complaints about young people riding bikes dangerously on pavements since June?")])
    # issued, waiting for the partner
    issued = ask(housing, "We are working with residents to make the Kirkstall estate safer.",
                 [(Heading.BEHAVIOUR, "Have you seen an unusual increase in digital key activations at your Kirkstall properties since May?"),
                  (Heading.TRAVEL, "Are visitors who are not tenants regularly staying at 22 Armley Ridge Road?")],
                 [{"address": "22 Armley Ridge Road, Leeds", "postcode": "LS12 3LE"}])
    requests.issue(s, issued, lro)
    # acknowledged, and overdue
    ack = ask(schools, "We want to protect pupils who may be drawn into crime.",
              [(Heading.BEHAVIOUR, "Have you seen an unusual number of pupils misbehaving to be excluded since September?")])
    requests.issue(s, ack, lro)
    requests.acknowledge(s, ack, spocs["LSST"])
    ack.deadline = today() - timedelta(days=3)
    # answered: hit and no trace
    answered = ask(rspca, "We are looking into the welfare of dogs kept in Kirkstall.",
                   [(Heading.BUSINESS, "Have you received complaints about anyone breeding or selling puppies at 14 Acacia Road since January?"),
                    (Heading.VEHICLES, "Have complainants mentioned a vehicle used to collect or deliver puppies?")],
                   [{"name": "Gary Smith", "dob": "03/04/1985", "address": "14 Acacia Road, Leeds", "postcode": "LS6 2AB"}])
    requests.issue(s, answered, lro)
    requests.acknowledge(s, answered, spocs["RSPCA"])
    q1, q2 = answered.questions
    responses.save_draft(s, answered, [
        AnswerInput(q1.id, AnswerOutcome.ANSWERED, "Yes. Four complaints since February about a man called Gaz Smyth "
                    "(about 40) selling French bulldog puppies from 14 Acacia Rd, LS6 2AB. Buyers paid cash."),
        AnswerInput(q2.id, AnswerOutcome.NO_TRACE, "")], spocs["RSPCA"])
    responses.submit(s, answered, spocs["RSPCA"], "demo-rspca-1")
    # assessed and then closed
    assessed = ask(fire, "We are looking at fire safety at businesses on Kirkstall Road.",
                   [(Heading.CRIME, "Have there been deliberate fires, such as bins moved close to shop fronts, on Kirkstall Road since April?")])
    requests.issue(s, assessed, lro)
    q = assessed.questions[0]
    responses.save_draft(s, assessed, [AnswerInput(q.id, AnswerOutcome.ANSWERED,
                                                   "Three bin fires against the shutters of the nail bar next to the car wash in May.")],
                         spocs["WYFRS"])
    responses.submit(s, assessed, spocs["WYFRS"], "demo-fire-1")
    requests.assess(s, assessed, "Pattern fits intimidation of a rival business; corroborates the neighbourhood team.", lro)
    closed = ask(fire, "We are looking at fire safety at businesses on Kirkstall Road.",
                 [(Heading.BUSINESS, "Have fire safety inspections found people sleeping at the car wash on Kirkstall Road?")])
    requests.issue(s, closed, lro)
    responses.save_draft(s, closed, [AnswerInput(closed.questions[0].id, AnswerOutcome.NO_TRACE, "")], spocs["WYFRS"])
    responses.submit(s, closed, spocs["WYFRS"], "demo-fire-2")
    requests.close(s, closed, "No trace; the inspection is still planned under requirement R3.", lro)
    # declined by the partner
    declined = ask(health, "We want to understand pressures on local health services.",
                   [(Heading.LIFESTYLE, "Has there been a rise in stress-related illness in Kirkstall since the summer?")])
    requests.issue(s, declined, lro)
    requests.decline(s, declined, "We cannot share this without a data protection impact assessment. Please call our IG team.",
                     spocs["LTHT"])
    # withdrawn by the LRO
    withdrawn = ask(council, "We are working with residents to make the Kirkstall estate safer.",
                    [(Heading.BUSINESS, "Which licensed premises on Kirkstall Road have had complaints since January?")])
    requests.issue(s, withdrawn, lro)
    requests.withdraw(s, withdrawn, "Licensing answered this at the partnership meeting.", lro)
    # Partners who have worked on Kestrel have signed its partner agreement; housing and
    # schools have not yet, so their requests wait behind the signing screen.
    for code in ("RSPCA", "WYFRS", "LTHT", "LEEDS-CC"):
        indoctrination.sign(s, kestrel, spocs[code], typed_name=spocs[code].full_name, confirmed=True)
    from gainportal.demo_products import seed_products  # family links, rival OCG, confirmed answers
    seed_products(s, ops, agencies, users)
