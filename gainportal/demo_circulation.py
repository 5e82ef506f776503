"""Demo: a live GAIN circulation on Operation Kestrel (the car wash and takeaway case),
so a demo audience sees referrals, a matrix part answered, a hit with its draft follow-up
request, an agency still to answer and a disruption plan under way."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gainportal.models import Agency, AgencyKind, Operation, Requirement, Role
from gainportal.models.circulation import DisruptionStatus, HitOutcome, PowerKind, ReferralState, SubjectKind
from gainportal.services import accounts
from gainportal.services import circulation as gain
from gainportal.services import indoctrination
from gainportal.services.dates import today

MORE_AGENCIES = [
    ("HMRC National Minimum Wage team", "HMRC-NMW", AgencyKind.HMRC),
    ("Immigration Enforcement North East", "IE-NE", AgencyKind.IMMIGRATION),
]
MORE_SPOCS = [
    ("spoc@hmrc.example.gov.uk", "Ruth Ingram", "HMRC-NMW", "JBSWY3DPEHPK3PXPSPOCHMRCAAAAAAAA"),
    ("spoc@ie.example.gov.uk", "Daniel Mensah", "IE-NE", "JBSWY3DPEHPK3PXPSPOCIEAAAAAAAAAA"),
]


def seed_circulation(s, agencies: dict, users: dict, password: str, echo=print) -> None:
    for name, code, kind in MORE_AGENCIES:
        agencies[code] = Agency(name=name, code=code, kind=kind)
        s.add(agencies[code])
    s.flush()
    from gainportal.models import Clearance
    for email, name, code, secret in MORE_SPOCS:
        users[email] = accounts.create_user_direct(
            s, email=email, full_name=name, agency=agencies[code], role=Role.PARTNER_SPOC, clearance=Clearance.BPSS,
            password=password, totp_secret=secret, check_policy=False)
    lro = users["lro@wyp.example.police.uk"]
    coordinator = users["gain@yhrocu.example.police.uk"]
    kestrel = s.scalar(select(Operation).where(Operation.reference == "OP-WYP-0417"))
    requirement = s.scalar(select(Requirement).where(Requirement.operation_id == kestrel.id,
                                                     Requirement.number == 3))  # the car wash
    referral = gain.refer(s, gain_agency=agencies["YHROCU"], by=lro, requirement=requirement,
                          concern="The car wash on Kirkstall Road and the takeaway next door may be using "
                                  "workers who are not paid or allowed to work. Please check both businesses, "
                                  "the manager and the van with labour exploitation partners.")
    gain.decide_referral(s, referral, ReferralState.ACCEPTED, "Fits the labour exploitation theme; four partners hold "
                         "relevant records.", coordinator)
    gain.refer(s, gain_agency=agencies["YHROCU"], by=users["spoc@wyfrs.example.gov.uk"],
               concern="Our crews found mattresses in the loft above the takeaway on Kirkstall Road during a "
                       "fire safety visit.")  # waiting for the co-ordinator's decision
    theme = ["HMRC-NMW", "IE-NE", "WYFRS", "LEEDS-CC"]
    gain.save_group(s, name="Labour exploitation", agency_ids=[agencies[c].id for c in theme], by=coordinator)
    circ = gain.circulate(s, referral, gain.CirculationDraft(
        purpose="We are checking whether two businesses on Kirkstall Road, the man who manages them and a van "
                "they use are known to your agency.",
        deadline=today() + timedelta(days=5),
        subjects=[gain.SubjectInput(SubjectKind.PERSON, name="Ion Popescu", dob="1979-07-30",
                                    address="Unit 4, Canal Wharf, Leeds", postcode="LS11 5PZ"),
                  gain.SubjectInput(SubjectKind.VEHICLE, vrm="LB70 VWX"),
                  gain.SubjectInput(SubjectKind.BUSINESS, business="Kirkstall Hand Car Wash Ltd"),
                  gain.SubjectInput(SubjectKind.PREMISES, address="Golden Dragon takeaway, 14 Kirkstall Road, Leeds",
                                    postcode="LS4 2AA")],
        agencies=[agencies[c] for c in theme]), coordinator)
    targets = {t.agency.code: t for t in circ.targets}
    subjects = [x.id for x in circ.subjects]
    # HMRC and Immigration have signed and answered; fire has answered part; the council has not.
    answers = {
        "HMRC-NMW": [HitOutcome.HIT, HitOutcome.NOT_HELD, HitOutcome.HIT, HitOutcome.NO_HIT],
        "IE-NE": [HitOutcome.HIT, HitOutcome.NO_HIT, HitOutcome.NO_HIT, HitOutcome.HIT],
        "WYFRS": [HitOutcome.NOT_HELD, HitOutcome.NOT_HELD],
    }
    spocs = {"HMRC-NMW": users["spoc@hmrc.example.gov.uk"], "IE-NE": users["spoc@ie.example.gov.uk"],
             "WYFRS": users["spoc@wyfrs.example.gov.uk"]}
    for code, outcomes in answers.items():
        indoctrination.sign(s, kestrel, spocs[code], typed_name=spocs[code].full_name, confirmed=True)
        gain.record_results(s, targets[code], {subjects[i]: (o, "") for i, o in enumerate(outcomes)}, spocs[code])
    action = gain.record_disruption(s, targets["IE-NE"], power=PowerKind.CIVIL,
                                    action="Illegal working visit to the takeaway with the police",
                                    owner="HM Inspector Daniel Mensah", action_date=today() - timedelta(days=3),
                                    by=spocs["IE-NE"])
    gain.record_disruption(s, targets["HMRC-NMW"], power=PowerKind.REGULATORY,
                           action="Minimum wage investigation of the car wash", owner="NMW compliance officer",
                           action_date=today() + timedelta(days=20), by=spocs["HMRC-NMW"])
    gain.record_outcome(s, action, status=DisruptionStatus.DONE,
                        outcome="Five people found working illegally; civil penalty notices served", by=spocs["IE-NE"])
    echo("GAIN demo: a live circulation from the YHROCU co-ordinator; two more partner SPOCs:")
    for email, _name, _code, secret in MORE_SPOCS:
        echo(f"  {Role.PARTNER_SPOC.value:17} {email:36} {secret}")
