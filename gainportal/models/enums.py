"""Vocabularies shared by models, forms and permission rules."""
from __future__ import annotations

import enum


class Role(str, enum.Enum):
    LRO = "lro"
    ANALYST = "analyst"
    GAIN_COORDINATOR = "gain_coordinator"
    SUPERVISOR = "supervisor"
    PARTNER_SPOC = "partner_spoc"
    PARTNER_USER = "partner_user"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_partner(self) -> bool:
        return self in (Role.PARTNER_SPOC, Role.PARTNER_USER)

    @property
    def is_police(self) -> bool:
        return self in (Role.LRO, Role.ANALYST, Role.GAIN_COORDINATOR, Role.SUPERVISOR)


ROLE_LABELS = {
    Role.LRO: "Lead Responsible Officer",
    Role.ANALYST: "Intelligence analyst",
    Role.GAIN_COORDINATOR: "GAIN co-ordinator",
    Role.SUPERVISOR: "Supervisor",
    Role.PARTNER_SPOC: "Partner single point of contact",
    Role.PARTNER_USER: "Partner user",
    Role.ADMIN: "Administrator",
}


class Clearance(str, enum.Enum):
    BPSS = "BPSS"
    SC = "SC"
    DV = "DV"

    @property
    def rank(self) -> int:
        return {"BPSS": 1, "SC": 2, "DV": 3}[self.value]


class Classification(str, enum.Enum):
    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"
    SECRET = "SECRET"
    TOP_SECRET = "TOP SECRET"

    @property
    def rank(self) -> int:
        """Sensitivity, OFFICIAL lowest: the order the markings are declared in (``max`` of
        several markings by rank is the one a combined item must carry)."""
        return list(type(self)).index(self)

    @property
    def required_clearance(self) -> Clearance:
        # BPSS covers OFFICIAL (with or without the SENSITIVE caveat), SC covers SECRET,
        # DV covers TOP SECRET (DESIGN.md section 2).
        return {
            "OFFICIAL": Clearance.BPSS,
            "OFFICIAL-SENSITIVE": Clearance.BPSS,
            "SECRET": Clearance.SC,
            "TOP SECRET": Clearance.DV,
        }[self.value]


class AgencyKind(str, enum.Enum):
    POLICE_FORCE = "police_force"
    ROCU = "rocu"
    NCA = "nca"
    COUNCIL = "council"
    HEALTH = "health"
    RSPCA = "rspca"
    HOUSING = "housing"
    FIRE = "fire"
    EDUCATION = "education"
    HMRC = "hmrc"
    DWP = "dwp"
    DVLA = "dvla"
    IMMIGRATION = "immigration"
    GLAA = "glaa"
    HSE = "hse"
    PROBATION = "probation"
    PRISON = "prison"
    PRIVATE_SECTOR = "private_sector"
    OTHER = "other"

    @property
    def label(self) -> str:
        return AGENCY_KIND_LABELS[self]

    @property
    def is_police(self) -> bool:
        return self in (AgencyKind.POLICE_FORCE, AgencyKind.ROCU, AgencyKind.NCA)


AGENCY_KIND_LABELS = {
    AgencyKind.POLICE_FORCE: "Police force",
    AgencyKind.ROCU: "Regional organised crime unit",
    AgencyKind.NCA: "National Crime Agency",
    AgencyKind.COUNCIL: "Local authority",
    AgencyKind.HEALTH: "Health",
    AgencyKind.RSPCA: "RSPCA",
    AgencyKind.HOUSING: "Housing provider",
    AgencyKind.FIRE: "Fire and rescue service",
    AgencyKind.EDUCATION: "Education",
    AgencyKind.HMRC: "HM Revenue and Customs",
    AgencyKind.DWP: "Department for Work and Pensions",
    AgencyKind.DVLA: "DVLA",
    AgencyKind.IMMIGRATION: "Immigration Enforcement",
    AgencyKind.GLAA: "Gangmasters and Labour Abuse Authority",
    AgencyKind.HSE: "Health and Safety Executive",
    AgencyKind.PROBATION: "Probation service",
    AgencyKind.PRISON: "Prison service",
    AgencyKind.PRIVATE_SECTOR: "Private sector",
    AgencyKind.OTHER: "Other",
}


def enum_column(e, length: int = 20):
    """A portable enum column: a VARCHAR with a CHECK constraint on both databases."""
    from sqlalchemy import Enum

    return Enum(e, native_enum=False, create_constraint=True, length=length,
                values_callable=lambda members: [m.value for m in members])


class LabelledEnum(str, enum.Enum):
    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Pillar(LabelledEnum):
    PURSUE = "pursue"
    PREVENT = "prevent"
    PROTECT = "protect"
    PREPARE = "prepare"


class Heading(LabelledEnum):
    """College of Policing menu of tactics headings used for every partner question."""

    BUSINESS = "business"
    CRIME = "crime"
    TRAVEL = "travel"
    VEHICLES = "vehicles"
    BEHAVIOUR = "behaviour"
    LIFESTYLE = "lifestyle"

    @property
    def hint(self) -> str:
        return HEADING_HINTS[self]


HEADING_HINTS = {
    Heading.BUSINESS: "Businesses owned, used, influenced or controlled, that provide income, assets or finance",
    Heading.CRIME: "Criminal behaviour, or legitimate activity used to make crime easier",
    Heading.TRAVEL: "Countries, areas, localities or premises regularly visited",
    Heading.VEHICLES: "Vehicles or other ways of getting about",
    Heading.BEHAVIOUR: "Habits: what the people concerned do",
    Heading.LIFESTYLE: "How they spend their time, for example gyms, casinos, sports or music events",
}


class NominalRole(LabelledEnum):
    PRINCIPAL = "principal"
    SIGNIFICANT = "significant"
    PERIPHERAL = "peripheral"
    ASSOCIATE = "associate"


class OperationStatus(LabelledEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class RequirementState(LabelledEnum):
    DRAFT = "draft"
    OPEN = "open"
    SATISFIED = "satisfied"
    CLOSED = "closed"


class Priority(LabelledEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class CollectionMethod(LabelledEnum):
    OVERT = "overt"
    COVERT = "covert"
    PENETRATIVE = "penetrative"


class InternalSource(LabelledEnum):
    FINANCIAL_INVESTIGATION = "financial_investigation"
    NEIGHBOURHOOD_TEAM = "neighbourhood_team"
    PRISON_INTELLIGENCE = "prison_intelligence"
    PROFESSIONAL_STANDARDS = "professional_standards"


class LawfulBasis(LabelledEnum):
    DPA_2018_PART_3 = "dpa_2018_part_3"
    DPA_2018_SCHEDULE_2 = "dpa_2018_schedule_2"
    CDA_1998_S115 = "cda_1998_s115"
    ISA = "isa"
    OTHER = "other"

    @property
    def label(self) -> str:
        return LAWFUL_BASIS_LABELS[self]


LAWFUL_BASIS_LABELS = {
    LawfulBasis.DPA_2018_PART_3: "Data Protection Act 2018 Part 3 (law enforcement processing)",
    LawfulBasis.DPA_2018_SCHEDULE_2: "Data Protection Act 2018 Schedule 2 paragraph 2 (crime and taxation)",
    LawfulBasis.CDA_1998_S115: "Crime and Disorder Act 1998 section 115",
    LawfulBasis.ISA: "Information sharing agreement",
    LawfulBasis.OTHER: "Other (explain in the notes)",
}


class RequestState(LabelledEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    ASSESSED = "assessed"
    CLOSED = "closed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class HandlingCode(LabelledEnum):
    P = "P"
    C = "C"


class ResponseState(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    GRADED = "graded"


class AnswerOutcome(LabelledEnum):
    ANSWERED = "answered"
    NO_TRACE = "no_trace"

    @property
    def label(self) -> str:
        return "No trace" if self is AnswerOutcome.NO_TRACE else "Answered"
