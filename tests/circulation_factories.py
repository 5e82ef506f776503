"""A GAIN scenario through the services: a ROCU co-ordinator, an operation with an open
requirement (tests/cycle_factories.Cycle), four partner agencies with SPOCs, an accepted
referral, and a circulation of three subjects to the four agencies."""
from __future__ import annotations

from datetime import timedelta

from gainportal.db import db_session
from gainportal.models import AgencyKind, Operation, Requirement, Role, User
from gainportal.models.circulation import Circulation, GainReferral, ReferralState, SubjectKind
from gainportal.services import circulation as service
from gainportal.services import indoctrination
from gainportal.services.dates import today
from tests.cycle_factories import Cycle

PURPOSE = "We are checking whether a takeaway and the people running it are known to your agency."
SUBJECTS = [
    service.SubjectInput(SubjectKind.PERSON, name="Wei Chen", dob="1979-07-30", address="4 Canal Wharf, Leeds",
                         postcode="LS11 5PZ"),
    service.SubjectInput(SubjectKind.VEHICLE, vrm="LB70 VWX"),
    service.SubjectInput(SubjectKind.PREMISES, address="Golden Dragon, 12 Kirkstall Road, Leeds", postcode="LS4 2AA"),
]


class Gain:
    def __init__(self, app, make, agencies=(AgencyKind.HMRC, AgencyKind.FIRE, AgencyKind.IMMIGRATION),
                 sign_partners: bool = True):
        self.app = app
        self.cycle = Cycle(app, make)
        self.rocu = make.agency(AgencyKind.ROCU, name="Regional GAIN Hub")
        self.coordinator = make.user(agency=self.rocu, role=Role.GAIN_COORDINATOR)
        self.lro = self.cycle.lro
        # The council from the cycle plus three more agencies, each with a SPOC.
        self.agencies = [self.cycle.council] + [make.agency(k) for k in agencies]
        self.spocs = [self.cycle.spoc] + [make.user(agency=a, role=Role.PARTNER_SPOC) for a in self.agencies[1:]]
        self.sign_partners = sign_partners
        with app.app_context():
            self.operation_name = db_session().get(Operation, self.cycle.operation_id).name
            self.operation_reference = db_session().get(Operation, self.cycle.operation_id).reference

    def referral(self, accept: bool = True) -> int:
        with self.app.app_context():
            s = db_session()
            req = s.get(Requirement, self.cycle.requirement_id)
            ref = service.refer(s, gain_agency=self.rocu, concern="Check the takeaway and its manager with GAIN members",
                                by=s.get(User, self.lro.id), requirement=req)
            if accept:
                service.decide_referral(s, ref, ReferralState.ACCEPTED, "Fits the labour exploitation theme",
                                        s.get(User, self.coordinator.id))
            s.commit()
            return ref.id

    def circulate(self, referral_id: int | None = None, days: int = 7) -> int:
        referral_id = referral_id or self.referral()
        with self.app.app_context():
            s = db_session()
            from gainportal.models import Agency
            circ = service.circulate(s, s.get(GainReferral, referral_id), service.CirculationDraft(
                purpose=PURPOSE, deadline=today() + timedelta(days=days), subjects=list(SUBJECTS),
                agencies=[s.get(Agency, a.id) for a in self.agencies]), s.get(User, self.coordinator.id))
            if self.sign_partners:
                for spoc in self.spocs:
                    indoctrination.sign(s, circ.operation, s.get(User, spoc.id), typed_name=spoc.full_name,
                                        confirmed=True)
            s.commit()
            self.circulation_id = circ.id
            self.target_ids = {t.agency_id: t.id for t in circ.targets}
            self.subject_ids = [x.id for x in circ.subjects]
            return circ.id

    def target_id(self, spoc) -> int:
        return self.target_ids[spoc.agency_id]

    def circulation(self, s) -> Circulation:
        return s.get(Circulation, self.circulation_id)
