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
