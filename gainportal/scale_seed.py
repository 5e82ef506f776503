"""National-scale synthetic data (``gainportal seed-scale``) for load tests and query plans.

Sizes follow a national picture: 40 forces, 30+ partner agencies, 2,000 users, 4,772
operations, 36,953 nominals and 100,000 requests with questions and answers. ``--regional``
is about 1/20 of that; ``--scale`` any fraction.

Why it is built like this:
- Bulk Core inserts (executemany with RETURNING ids), not the ORM: the ORM path costs
  milliseconds a row and the national set has well over a million rows.
- Every sensitive value is still sealed with the real envelope code (one random data key
  per row, wrapped by the keyring's primary KEK, AAD bound to table, column and row uid),
  so what is measured and served is what production stores.
- Deterministic: every batch draws from its own seeded random stream, so a run that stops
  part-way and is run again produces the same data as one uninterrupted run.
- Resumable: each batch commits with an audit row naming the phase and batch (the progress
  record lives in the same transaction as the rows it records, so it can never disagree).
- One password hash is made per run and shared by every account: argon2id per account would
  take minutes at 2,000 users and prove nothing about the portal.
"""
from __future__ import annotations

import base64
import json
import os
import random
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from gainportal.db import utcnow
from gainportal.demo import DEMO_PASSWORD
from gainportal.models import (
    Agency, AgencyKind, Answer, AnswerOutcome, AuditEvent, Classification, Clearance, CollectionMethod,
    CollectionPlanItem, DataKey, DecisionLogEntry, HandlingCode, Heading, InformationRequest, Intervention, LawfulBasis, Nominal, NominalKey,
    NominalLink, NominalRole, Operation, OperationPLead, OperationStatus, PartnerResponse, Pillar, Priority, RequestMessage,
    RequestQuestion, RequestState, RequestSubject, Requirement, RequirementState, ResponseState, Role, User,
)
from gainportal.models.circulation import (
    Circulation, CirculationResult, CirculationState, CirculationSubject, CirculationTarget, DisruptionAction,
    DisruptionStatus, GainReferral, HitOutcome, PowerKind, ReferralState, SubjectKind,
)
from gainportal.models.indoctrination import Indoctrination, IndoctrinationAgreement
from gainportal.models.matching import MatchCandidate
from gainportal.security import passwords, totp
from gainportal.security.crypto import (
    aad_for, new_data_key, normalise_name, normalise_phone, normalise_postcode, normalise_vrm, seal,
    wrap_data_key,
)
from gainportal.security.sealing import blind, keyring
from gainportal.services import audit, indoctrination as indoctrination_service, nominal_register

PROGRESS_ACTION = "scale_seed_batch"
STARTED_ACTION = "scale_seed_started"
OP_BATCH, NOMINAL_BATCH, REQUEST_BATCH = 200, 2000, 1000
CREDENTIALS_PER_ROLE = 40


# --- sizes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    forces: int
    partners: int
    users: int
    operations: int
    nominals: int
    requests: int

    @classmethod
    def national(cls) -> Sizes:
        return cls(forces=40, partners=32, users=2000, operations=4772, nominals=36953, requests=100000)

    @classmethod
    def scaled(cls, fraction: float) -> Sizes:
        if not 0 < fraction <= 1:
            raise ValueError("scale must be more than 0 and at most 1")
        n = cls.national()
        # Floors keep every role and agency kind present even in a tiny test world.
        return cls(forces=max(2, round(n.forces * fraction)), partners=max(8, round(n.partners * fraction)),
                   users=max(60, round(n.users * fraction)), operations=max(6, round(n.operations * fraction)),
                   nominals=max(30, round(n.nominals * fraction)), requests=max(40, round(n.requests * fraction)))

    @classmethod
    def regional(cls) -> Sizes:
        return cls.scaled(0.05)


# --- vocabulary -------------------------------------------------------------------------
# The demo seeds West and North Yorkshire; they are left out so both can share a database.
FORCES = [
    "Avon and Somerset", "Bedfordshire", "Cambridgeshire", "Cheshire", "City of London", "Cleveland", "Cumbria",
    "Derbyshire", "Devon and Cornwall", "Dorset", "Durham", "Dyfed-Powys", "Essex", "Gloucestershire",
    "Greater Manchester", "Gwent", "Hampshire and Isle of Wight", "Hertfordshire", "Humberside", "Kent",
    "Lancashire", "Leicestershire", "Lincolnshire", "Merseyside", "Metropolitan", "Norfolk", "North Wales",
    "Northamptonshire", "Northumbria", "Nottinghamshire", "South Wales", "South Yorkshire", "Staffordshire",
    "Suffolk", "Surrey", "Sussex", "Thames Valley", "Warwickshire", "West Mercia", "West Midlands", "Wiltshire",
]
# Bigger forces run more operations.
FORCE_WEIGHT = {"Metropolitan": 5.0, "West Midlands": 2.5, "Greater Manchester": 2.5, "Merseyside": 1.8,
                "Thames Valley": 1.6, "Northumbria": 1.5, "Kent": 1.4, "Lancashire": 1.4, "South Yorkshire": 1.4}
PARTNER_TEMPLATES = [
    ("{place} City Council", AgencyKind.COUNCIL), ("{place} Teaching Hospitals NHS Trust", AgencyKind.HEALTH),
    ("{place} Homes Partnership", AgencyKind.HOUSING), ("{place} Fire and Rescue Service", AgencyKind.FIRE),
    ("{place} Schools Safeguarding Team", AgencyKind.EDUCATION), ("{place} Probation Delivery Unit", AgencyKind.PROBATION),
]
NATIONAL_PARTNERS = [
    ("HM Revenue and Customs (Fraud Investigation Service)", AgencyKind.HMRC),
    ("Department for Work and Pensions (Counter Fraud)", AgencyKind.DWP), ("DVLA Enforcement", AgencyKind.DVLA),
    ("Immigration Enforcement (Criminal and Financial Investigation)", AgencyKind.IMMIGRATION),
    ("Gangmasters and Labour Abuse Authority", AgencyKind.GLAA), ("Health and Safety Executive", AgencyKind.HSE),
    ("RSPCA Special Operations Unit", AgencyKind.RSPCA), ("HM Prison and Probation Service Intelligence", AgencyKind.PRISON),
    ("Banking Fraud Prevention Unit", AgencyKind.PRIVATE_SECTOR),
]
PLACES = ["Bristol", "Manchester", "Liverpool", "Birmingham", "Newcastle", "Sheffield", "Nottingham", "Cardiff",
          "Southampton", "Norwich", "Plymouth", "Hull", "Stoke", "Coventry", "Derby", "Exeter", "Preston",
          "Swansea", "Reading", "Ipswich", "Carlisle", "Gloucester", "Lincoln", "Chester"]
FORENAMES = ["Gary", "Darren", "Kayleigh", "Ion", "Terry", "Sarah", "Mohammed", "Chloe", "Liam", "Jade", "Connor",
             "Aisha", "Tyler", "Leanne", "Jamie", "Stacey", "Kieran", "Shannon", "Ryan", "Amy", "Dean", "Natalie",
             "Wayne", "Danielle", "Craig", "Lauren", "Adrian", "Bogdan", "Tomasz", "Aleksandra", "Imran", "Priya",
             "Reece", "Paige", "Callum", "Demi", "Marcus", "Hollie", "Jordan", "Courtney", "Nathan", "Sophie"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
            "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
            "Patel", "Khan", "Hussain", "O'Neill", "McDonald", "Popescu", "Kowalski", "Nowak", "Murphy", "Kelly",
            "Smith-Jones", "Ahmed", "Ali", "Begum", "Lewis", "Harrison", "Cooper", "Ward", "Morris", "Hughes"]
STREETS = ["Acacia Road", "Kirkstall Lane", "Canal Wharf", "Beeston Hill", "Station Road", "High Street",
           "Church Lane", "Victoria Street", "Mill Lane", "Park Road", "Queens Road", "Albert Street"]
OPERATION_WORDS = ["Kestrel", "Larkspur", "Wagtail", "Heron", "Bramble", "Falcon", "Juniper", "Osprey", "Thistle",
                   "Merlin", "Hawthorn", "Plover", "Sorrel", "Curlew", "Linnet", "Yarrow", "Harrier", "Tamarisk"]
CRIMES = ["supplies crack cocaine and heroin through a county line", "launders cash through hand car washes",
          "exploits workers in nail bars", "runs loan sharking and intimidation on an estate",
          "steals high-value cars to order", "traffics cannabis grown in rented houses",
          "uses cuckooed flats to store drugs", "defrauds elderly people by phone"]
QUESTIONS = {
    Heading.BUSINESS: ["Have you received complaints about anyone trading from {address} since January?",
                       "Which businesses are registered at {address}, and who are the directors?"],
    Heading.CRIME: ["Have there been deliberate fires near {address} since April?",
                    "Have staff reported threats or damage at {address} this year?"],
    Heading.TRAVEL: ["Are visitors who are not tenants regularly staying at {address}?",
                     "Has {name} told you about trips abroad since the summer?"],
    Heading.VEHICLES: ["Have complainants mentioned a vehicle used to collect or deliver goods at {address}?",
                       "Is vehicle {vrm} known to you, and who uses it?"],
    Heading.BEHAVIOUR: ["Have you seen an unusual increase in key fob use at {address} since May?",
                        "Have pupils linked to {name} been excluded since September?"],
    Heading.LIFESTYLE: ["Has {name} claimed benefits while appearing to spend a lot of cash?",
                        "Does {name} attend a gym or club you know of?"],
}
ANSWERS = ["Yes. Four complaints since February about a man called {name} at {address}, {postcode}. Buyers paid cash.",
           "We hold a tenancy for {address} in the name of {name}, born {dob}. Rent is paid in cash, often late.",
           "Our officers saw vehicle {vrm} outside {address} on three visits in March.",
           "{name} gave phone number {phone} when registering with us last year.",
           "Staff report several young people visiting {address} late at night; no complaints recorded."]
PURPOSES = ["We are working with residents to make the {place} estate safer.",
            "We want to protect young people who may be drawn into crime in {place}.",
            "We are looking at the safety of businesses on a street in {place}.",
            "We are looking into the welfare of animals kept in {place}."]
REQUIREMENT_GAPS = ["Which addresses are being used by people who do not live there?",
                    "Who is recruiting children excluded from school, and where do they meet?",
                    "Is the car wash trading legitimately?", "Which vehicles are used to move young people?",
                    "Where is the cash going?"]
INTENTS = ["Partial closure orders with the council and housing provider (Protect)",
           "Safeguarding referrals and a diversion programme with schools (Prevent)",
           "Licensing, HMRC and fire safety inspections (Pursue)", "ANPR-led stops and warning notices (Protect)"]
POSTCODE_AREAS = ["LS", "BD", "M", "L", "B", "NE", "S", "NG", "CF", "SO", "NR", "PL", "HU", "ST", "CV", "DE"]

# Share of requests in each state; "overdue" is derived from deadlines, not stored.
STATE_MIX = [(RequestState.DRAFT, 8), (RequestState.ISSUED, 14), (RequestState.ACKNOWLEDGED, 10),
             (RequestState.ANSWERED, 22), (RequestState.ASSESSED, 16), (RequestState.CLOSED, 18),
             (RequestState.DECLINED, 4), (RequestState.WITHDRAWN, 8)]
ROLE_SHARE = [(Role.LRO, 12), (Role.ANALYST, 15), (Role.SUPERVISOR, 5), (Role.GAIN_COORDINATOR, 3),
              (Role.ADMIN, 2), (Role.PARTNER_SPOC, 18), (Role.PARTNER_USER, 45)]
POLICE_ROLES = (Role.LRO, Role.ANALYST, Role.SUPERVISOR, Role.GAIN_COORDINATOR, Role.ADMIN)
PARTNER_ROLES = (Role.PARTNER_SPOC, Role.PARTNER_USER)


# --- the world plan: pure, deterministic, no database -------------------------------------
@dataclass
class AgencyPlan:
    index: int
    name: str
    code: str
    kind: AgencyKind


@dataclass
class UserPlan:
    index: int
    email: str
    name: str
    agency: int
    role: Role
    clearance: Clearance
    totp_secret: str


@dataclass
class OperationPlan:
    index: int
    reference: str
    force: int
    lro: int
    classification: Classification
    partners: list[int]


class World:
    """Who and what exists, decided from the seed alone, so every batch (and every resumed
    run) agrees on which agency an operation asked or which user leads it."""

    def __init__(self, sizes: Sizes, seed: int):
        self.sizes, self.seed = sizes, seed
        rng = random.Random(f"{seed}:world")
        self.forces = [AgencyPlan(i, f"{name} Police" if name != "Metropolitan" else "Metropolitan Police Service",
                                  f"SC-F{i + 1:02d}", AgencyKind.POLICE_FORCE)
                       for i, name in enumerate(FORCES[:sizes.forces])]
        partner_names = list(NATIONAL_PARTNERS)
        for place in PLACES:
            for template, kind in PARTNER_TEMPLATES:
                partner_names.append((template.format(place=place), kind))
        head, tail = partner_names[:len(NATIONAL_PARTNERS)], partner_names[len(NATIONAL_PARTNERS):]
        rng.shuffle(tail)
        chosen = (head + tail)[:sizes.partners] if sizes.partners > 12 else (head[:3] + tail)[:sizes.partners]
        base = len(self.forces)
        self.partners = [AgencyPlan(base + i, name, f"SC-P{i + 1:02d}", kind) for i, (name, kind) in enumerate(chosen)]
        self.agencies = self.forces + self.partners
        self.users = self._plan_users(rng)
        self.by_role_agency: dict[tuple[Role, int], list[int]] = {}
        for u in self.users:
            self.by_role_agency.setdefault((u.role, u.agency), []).append(u.index)
        self.operations = self._plan_operations(rng)

    def _plan_users(self, rng: random.Random) -> list[UserPlan]:
        total = self.sizes.users
        roles: list[tuple[Role, int]] = []
        # Every force and partner gets each of its roles at least once; the rest follow ROLE_SHARE.
        for f in self.forces:
            roles += [(r, f.index) for r in POLICE_ROLES]
        for p in self.partners:
            roles += [(r, p.index) for r in PARTNER_ROLES]
        weights = [w for _, w in ROLE_SHARE]
        force_weights = [FORCE_WEIGHT.get(FORCES[f.index], 1.0) for f in self.forces]
        while len(roles) < total:
            role = rng.choices([r for r, _ in ROLE_SHARE], weights)[0]
            if role in POLICE_ROLES:
                roles.append((role, rng.choices(self.forces, force_weights)[0].index))
            else:
                roles.append((role, rng.choice(self.partners).index))
        users = []
        for i, (role, agency) in enumerate(roles[:max(total, len(roles))]):
            fore, sur = rng.choice(FORENAMES), rng.choice(SURNAMES)
            code = self.agencies[agency].code.lower()
            clearance = (Clearance.DV if role is Role.SUPERVISOR else Clearance.SC if role in POLICE_ROLES
                         else Clearance.SC if rng.random() < 0.1 else Clearance.BPSS)
            secret = base64.b32encode(rng.getrandbits(160).to_bytes(20, "big")).decode()
            users.append(UserPlan(i, f"{role.value.replace('_', '-')}.{i + 1:04d}@{code}.scale.example",
                                  f"{fore} {sur}", agency, role, clearance, secret))
        return users

    def _plan_operations(self, rng: random.Random) -> list[OperationPlan]:
        weights = [FORCE_WEIGHT.get(FORCES[f.index], 1.0) for f in self.forces]
        classes = [Classification.OFFICIAL_SENSITIVE, Classification.SECRET, Classification.OFFICIAL,
                   Classification.TOP_SECRET]
        ops = []
        for i in range(self.sizes.operations):
            force = self.forces[i % len(self.forces)] if i < len(self.forces) else rng.choices(self.forces, weights)[0]
            lros = self.by_role_agency[(Role.LRO, force.index)]
            classification = rng.choices(classes, [84, 12, 3.5, 0.5])[0]
            asked = rng.sample([p.index for p in self.partners], k=min(len(self.partners), rng.randint(2, 6)))
            ops.append(OperationPlan(i, f"OP-SC-{i + 1:05d}", force.index, rng.choice(lros), classification, asked))
        return ops


# --- sealing rows without the ORM ---------------------------------------------------------
class RowSealer:
    """Seals values into a row dict exactly as ``SealedText``/``SealedJSON`` would for an ORM
    object with that uid: one fresh data key per row, AAD (table, column, uid, version)."""

    def __init__(self):
        self.keyring = keyring()
        self.now = utcnow()

    def seal_row(self, model, row: dict, values: dict) -> dict:
        """Fills ``row[<attr>_sealed]``; returns the data_key row to insert for it."""
        table = model.__tablename__
        plain = new_data_key()
        wrapped = wrap_data_key(self.keyring, plain)
        version = int(row.get("version") or 1)
        for attr, value in values.items():
            descriptor = getattr(model, attr)
            row[descriptor.column] = (None if value is None else
                                      seal(plain, descriptor.encode(value), aad_for(table, attr, row["uid"], version)))
        return {"kek_id": wrapped.kek_id, "wrapped": wrapped.blob, "owner_table": table, "owner_uid": row["uid"],
                "created_at": self.now}


def _ids(s: Session, model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    table = model.__table__
    return list(s.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars())


def _put(s: Session, sealer: RowSealer, model, rows: list[dict], sealed: list[dict] | None = None) -> list[int]:
    """Bulk insert; with ``sealed`` (per-row {attr: plaintext}) each row gets its data key."""
    if sealed is not None:
        keys = [sealer.seal_row(model, row, values) for row, values in zip(rows, sealed)]
        for row, key_id in zip(rows, _ids(s, DataKey, keys)):
            row["data_key_id"] = key_id
    return _ids(s, model, rows)


def _uid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


# --- progress -----------------------------------------------------------------------------
def _progress(s: Session) -> tuple[dict | None, set[tuple[str, int]]]:
    started = s.scalar(select(AuditEvent.detail).where(AuditEvent.action == STARTED_ACTION)
                       .order_by(AuditEvent.seq).limit(1))
    done = set()
    for detail in s.scalars(select(AuditEvent.detail).where(AuditEvent.action == PROGRESS_ACTION)):
        d = json.loads(detail)
        done.add((d["phase"], d["batch"]))
    return (json.loads(started) if started else None), done


def _mark(s: Session, phase: str, batch: int, rows: int) -> None:
    audit.record(s, PROGRESS_ACTION, object_type="scale_seed", object_id=phase,
                 detail={"phase": phase, "batch": batch, "rows": rows})


# --- the run ------------------------------------------------------------------------------
class Seeder:
    def __init__(self, s: Session, sizes: Sizes, seed: int, anchor: date):
        self.s, self.sizes, self.seed, self.anchor = s, sizes, seed, anchor
        self.world = World(sizes, seed)
        self.sealer = RowSealer()
        self.now = datetime.combine(anchor, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
        self.agency_ids: dict[int, int] = {}
        self.user_ids: dict[int, int] = {}

    def rng(self, phase: str, batch: int) -> random.Random:
        return random.Random(f"{self.seed}:{phase}:{batch}")

    # phase "base": agencies and users --------------------------------------------------
    def base(self) -> int:
        s, w = self.s, self.world
        ids = _ids(s, Agency, [{"name": a.name, "code": a.code, "kind": a.kind, "active": True,
                                "created_at": self.now} for a in w.agencies])
        self.agency_ids = {a.index: i for a, i in zip(w.agencies, ids)}
        password_hash = passwords.hash_password(DEMO_PASSWORD)
        rows = [{"email": u.email, "full_name": u.name, "agency_id": self.agency_ids[u.agency], "role": u.role,
                 "clearance": u.clearance, "password_hash": password_hash, "totp_enrolled_at": self.now,
                 "failed_attempts": 0, "active": True, "password_changed_at": utcnow(), "created_at": self.now}
                for u in w.users]
        ids = _ids(s, User, rows)
        self.user_ids = {u.index: i for u, i in zip(w.users, ids)}
        # The TOTP seal binds the user id, so it can only be made once the ids exist.
        s.execute(update(User), [{"id": i, "totp_secret_sealed": totp.seal_secret(i, u.totp_secret)}
                                 for u, i in zip(w.users, ids)])
        return len(w.agencies) + len(w.users)

    def load_ids(self) -> None:
        s, w = self.s, self.world
        by_code = dict(s.execute(select(Agency.code, Agency.id).where(Agency.code.like("SC-%"))).all())
        self.agency_ids = {a.index: by_code[a.code] for a in w.agencies}
        by_email = dict(s.execute(select(User.email, User.id).where(User.email.like("%.scale.example"))).all())
        self.user_ids = {u.index: by_email[u.email] for u in w.users}

    # phase "operations" ------------------------------------------------------------------
    def operations(self, batch: int) -> int:
        s, w, rng, now = self.s, self.world, self.rng("operations", batch), self.now
        plans = w.operations[batch * OP_BATCH:(batch + 1) * OP_BATCH]
        rows, sealed = [], []
        for op in plans:
            tier = rng.choices([1, 2, 3, 4], [10, 30, 40, 20])[0]
            last_review = self.anchor - timedelta(days=rng.randint(5, 200))
            rows.append({"reference": op.reference, "name": f"Operation {rng.choice(OPERATION_WORDS)} {op.index + 1}",
                         "owning_agency_id": self.agency_ids[op.force], "lro_id": self.user_ids[op.lro],
                         "classification": op.classification, "ocgm_band": f"{rng.randint(1, 5)}{rng.choice('ABC')}",
                         "tier": tier, "p_band": rng.choice(["P1", "P2", "P3", "P4", None]),
                         "status": OperationStatus.ARCHIVED if rng.random() < 0.08 else OperationStatus.ACTIVE, "last_review_at": last_review,
                         "next_review_due": last_review + timedelta(days=30 * {1: 1, 2: 3, 3: 3, 4: 6}[tier]),
                         "retention_until": self.anchor + timedelta(days=365 * 6), "created_at": now,
                         "uid": _uid(rng)})
            sealed.append({"summary": f"{rng.choice(SURNAMES)} family {rng.choice(CRIMES)} in {rng.choice(PLACES)}."})
        op_ids = _put(s, self.sealer, Operation, rows, sealed)

        # Agreements: police and partner, version 1 each, then the register.
        agreement_rows, agreement_text = [], []
        for op, op_id, row in zip(plans, op_ids, rows):
            force = w.agencies[op.force]
            context = {"reference": op.reference, "name": row["name"], "force": force.name, "months": 12}
            for audience, template in (("police", indoctrination_service.POLICE_TEMPLATE),
                                       ("partner", indoctrination_service.PARTNER_TEMPLATE)):
                agreement_rows.append({"operation_id": op_id, "audience": audience, "version": 1, "valid_months": 12,
                                       "published_by_id": self.user_ids[op.lro], "published_at": now,
                                       "uid": _uid(rng)})
                agreement_text.append({"text": template.format(**context)})
        agreement_ids = _put(s, self.sealer, IndoctrinationAgreement, agreement_rows, agreement_text)
        register = []
        for k, (op, op_id) in enumerate(zip(plans, op_ids)):
            police_agreement, partner_agreement = agreement_ids[2 * k], agreement_ids[2 * k + 1]
            people = [(u, police_agreement, 0.85) for role in (Role.LRO, Role.ANALYST, Role.SUPERVISOR, Role.GAIN_COORDINATOR)
                      for u in w.by_role_agency.get((role, op.force), [])]
            for p in op.partners:
                people += [(u, partner_agreement, 0.9) for u in w.by_role_agency.get((Role.PARTNER_SPOC, p), [])[:3]]
                people += [(u, partner_agreement, 0.5) for u in w.by_role_agency.get((Role.PARTNER_USER, p), [])[:4]]
            for user, agreement_id, p_sign in people:
                signed = user == op.lro or rng.random() < p_sign
                revoked = signed and user != op.lro and rng.random() < 0.01
                signed_at = now - timedelta(days=rng.randint(1, 300)) if signed else None
                register.append({
                    "operation_id": op_id, "user_id": self.user_ids[user], "invited_by_id": self.user_ids[op.lro],
                    "invited_at": now - timedelta(days=320), "agreement_id": agreement_id if signed else None,
                    "signed_at": signed_at, "signed_name": w.users[user].name if signed else None,
                    "signed_ip": "10.0.0.1" if signed else None, "signed_user_agent": None,
                    "expires_at": signed_at + timedelta(days=366) if signed else None,
                    "revoked_at": now - timedelta(days=1) if revoked else None,
                    "revoked_by_id": self.user_ids[op.lro] if revoked else None,
                    "revocation_reason": "No longer works on the operation" if revoked else None})
        _ids(s, Indoctrination, register)

        # Requirements and a plan item for every partner the operation asks.
        req_rows, req_sealed, req_op = [], [], []
        for op, op_id in zip(plans, op_ids):
            for number in range(1, rng.randint(2, 5) + 1):
                state = rng.choices(list(RequirementState), [10, 60, 20, 10])[0]
                req_rows.append({"operation_id": op_id, "number": number, "pillar": rng.choice(list(Pillar)),
                                 "priority": rng.choice(list(Priority)), "state": state,
                                 "review_date": self.anchor + timedelta(days=rng.randint(-20, 90)),
                                 "created_by_id": self.user_ids[op.lro], "created_at": now, "uid": _uid(rng)})
                req_sealed.append({"gap": rng.choice(REQUIREMENT_GAPS), "intent": rng.choice(INTENTS)})
                req_op.append(op.index)
        req_ids = _put(s, self.sealer, Requirement, req_rows, req_sealed)
        by_op: dict[int, list[int]] = {}
        for op_index, rid in zip(req_op, req_ids):
            by_op.setdefault(op_index, []).append(rid)
        items, item_sealed = [], []
        for op in plans:
            for p in op.partners:
                items.append({"requirement_id": rng.choice(by_op[op.index]), "source_agency_id": self.agency_ids[p],
                              "internal_source": None, "method": CollectionMethod.OVERT,
                              "lawful_basis": rng.choice([LawfulBasis.CDA_1998_S115, LawfulBasis.ISA,
                                                          LawfulBasis.DPA_2018_SCHEDULE_2]),
                              "isa_reference": None, "due_date": self.anchor + timedelta(days=rng.randint(-30, 60)),
                              "owner_id": self.user_ids[op.lro], "created_at": now, "uid": _uid(rng)})
                item_sealed.append({"notes": None})
        _put(s, self.sealer, CollectionPlanItem, items, item_sealed)
        leads = [{"operation_id": op_id, "pillar": Pillar.PURSUE, "user_id": self.user_ids[op.lro]}
                 for op, op_id in zip(plans, op_ids)]
        _ids(s, OperationPLead, leads)
        return len(rows) + len(agreement_rows) + len(register) + len(req_rows) + len(items) + len(leads)

    # phase "nominals" --------------------------------------------------------------------
    def _person(self, rng: random.Random) -> dict:
        fore, sur = rng.choice(FORENAMES), rng.choice(SURNAMES)
        dob = date(rng.randint(1960, 2006), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        postcode = f"{rng.choice(POSTCODE_AREAS)}{rng.randint(1, 28)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        return {"forenames": fore, "surname": sur.upper() if rng.random() < 0.5 else sur,
                "aliases": [fore[:3] if rng.random() < 0.5 else f"{fore[0]}{sur[0]}"] if rng.random() < 0.3 else [],
                "dob": dob, "address": f"{rng.randint(1, 180)} {rng.choice(STREETS)}, {rng.choice(PLACES)}",
                "postcode": postcode,
                "vrms": [f"{rng.choice('ABCDEFGHKLMNOPRSVWY')}{rng.choice('ABCDEFGHKLMNOPRSVWXY')}{rng.randint(10, 74)} "
                         f"{''.join(rng.choice('ABCDEFGHJKLMNOPRSTUVWXYZ') for _ in range(3))}"] if rng.random() < 0.4 else [],
                "phones": [f"+447700{rng.randint(900000, 900999)}"] if rng.random() < 0.5 else [], "businesses": []}

    def nominals(self, batch: int, op_ids: dict[int, int]) -> int:
        s, w, rng = self.s, self.world, self.rng("nominals", batch)
        start = batch * NOMINAL_BATCH
        count = min(NOMINAL_BATCH, self.sizes.nominals - start)
        rows, sealed, details, homes = [], [], [], []
        for k in range(count):
            op = w.operations[rng.randrange(len(w.operations))]
            person = self._person(rng)
            rows.append({"reference": f"NOM-SC-{start + k + 1:06d}", "classification": op.classification,
                         "created_at": self.now, "uid": _uid(rng)})
            sealed.append({"details": person})
            details.append(person)
            homes.append(op)
        ids = _put(s, self.sealer, Nominal, rows, sealed)
        keys = [{"nominal_id": nid, "kind": kind, "digest": digest}
                for nid, person in zip(ids, details) for kind, digest in sorted(nominal_register.keys_for(person))]
        _ids(s, NominalKey, keys)
        roles = list(NominalRole)
        links = []
        for nid, op in zip(ids, homes):
            links.append({"operation_id": op_ids[op.index], "nominal_id": nid,
                          "role": rng.choices(roles, [10, 25, 40, 25])[0], "linked_at": self.now})
            if rng.random() < 0.15:  # the same person in a second operation of the same force
                other = rng.choice([o for o in w.operations[max(0, op.index - 60):op.index + 60]
                                    if o.force == op.force and o.index != op.index] or [op])
                if other.index != op.index:
                    links.append({"operation_id": op_ids[other.index], "nominal_id": nid,
                                  "role": NominalRole.ASSOCIATE, "linked_at": self.now})
        _ids(s, NominalLink, links)
        return len(rows) + len(keys) + len(links)

    # phase "requests" --------------------------------------------------------------------
    def requests(self, batch: int, op_ids: dict[int, int], plan_items: dict[tuple[int, int], int]) -> int:
        s, w, rng, now = self.s, self.world, self.rng("requests", batch), self.now
        start = batch * REQUEST_BATCH
        count = min(REQUEST_BATCH, self.sizes.requests - start)
        states, weights = zip(*STATE_MIX)
        reqs, req_sealed, meta = [], [], []
        for k in range(count):
            op = w.operations[rng.randrange(len(w.operations))]
            partner = rng.choice(op.partners)
            state = rng.choices(states, weights)[0]
            created = now - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 1440))
            issued = created + timedelta(days=1) if state is not RequestState.DRAFT else None
            # About a third of open requests are past their deadline (derived "overdue").
            overdue = state in (RequestState.ISSUED, RequestState.ACKNOWLEDGED) and rng.random() < 0.35
            deadline = (self.anchor - timedelta(days=rng.randint(1, 30)) if overdue
                        else self.anchor + timedelta(days=rng.randint(3, 42)) if state in
                        (RequestState.DRAFT, RequestState.ISSUED, RequestState.ACKNOWLEDGED)
                        else (created + timedelta(days=21)).date())
            ack = issued + timedelta(days=2) if state not in (RequestState.DRAFT, RequestState.ISSUED, RequestState.WITHDRAWN, RequestState.DECLINED) else None
            answered = issued + timedelta(days=rng.randint(3, 20)) if state in (
                RequestState.ANSWERED, RequestState.ASSESSED, RequestState.CLOSED) else None
            closed = (answered or issued or created) + timedelta(days=rng.randint(1, 10)) if state in (
                RequestState.CLOSED, RequestState.DECLINED, RequestState.WITHDRAWN) else None
            handling_c = rng.random() < 0.15
            classification = Classification.OFFICIAL if rng.random() < 0.05 else Classification.OFFICIAL_SENSITIVE
            reqs.append({"reference": f"REQ-SC-{start + k + 1:06d}", "operation_id": op_ids[op.index],
                         "plan_item_id": plan_items[(op.index, partner)], "agency_id": self.agency_ids[partner],
                         "state": state, "deadline": deadline, "classification": classification,
                         "handling_code": HandlingCode.C if handling_c else HandlingCode.P,
                         "handling_conditions": {"originator_consent_required": True} if handling_c else {},
                         "created_by_id": self.user_ids[op.lro], "created_at": created, "issued_at": issued,
                         "acknowledged_at": ack, "answered_at": answered, "closed_at": closed,
                         "retention_until": self.anchor + timedelta(days=365 * 6), "disclosure_flag": None,
                         "lock_version": 1, "uid": _uid(rng)})
            reason = {RequestState.DECLINED: "We cannot share this without a data protection impact assessment.",
                      RequestState.WITHDRAWN: "Answered at the partnership meeting.",
                      RequestState.CLOSED: "Answer assessed and recorded against the requirement."}.get(state)
            req_sealed.append({"purpose": rng.choice(PURPOSES).format(place=rng.choice(PLACES)),
                               "jargon_override": None, "state_reason": reason})
            meta.append((op, partner, state))
        req_ids = _put(s, self.sealer, InformationRequest, reqs, req_sealed)

        questions, q_sealed, q_owner = [], [], []
        subjects, s_sealed = [], []
        people = []
        for rid, (op, partner, state) in zip(req_ids, meta):
            person = self._person(rng)
            people.append(person)
            name = f"{person['forenames']} {person['surname'].title()}"
            fill = {"name": name, "address": person["address"], "vrm": (person["vrms"] or ["AB12 CDE"])[0]}
            users = w.by_role_agency.get((Role.PARTNER_USER, partner), [])[:4]
            for position in range(1, rng.choices([1, 2, 3, 4], [35, 35, 20, 10])[0] + 1):
                heading = rng.choice(list(Heading))
                assigned = self.user_ids[rng.choice(users)] if users and rng.random() < 0.3 else None
                questions.append({"request_id": rid, "position": position, "heading": heading,
                                  "assigned_to_id": assigned, "uid": _uid(rng)})
                q_sealed.append({"text": rng.choice(QUESTIONS[heading]).format(**fill)})
                q_owner.append(rid)
            if rng.random() < 0.5:
                subject = {"name": name, "dob": person["dob"], "address": person["address"],
                           "postcode": person["postcode"]}
                subjects.append({"request_id": rid, "uid": _uid(rng), "vrm_index": None, "phone_index": None,
                                 "postcode_index": blind("postcode", normalise_postcode(person["postcode"])),
                                 "name_index": blind("name", normalise_name(name))})
                s_sealed.append({"details": subject})
        q_ids = _put(s, self.sealer, RequestQuestion, questions, q_sealed)
        _put(s, self.sealer, RequestSubject, subjects, s_sealed)
        q_by_req: dict[int, list[int]] = {}
        for rid, qid in zip(q_owner, q_ids):
            q_by_req.setdefault(rid, []).append(qid)

        # Responses: submitted (graded once assessed) for answered states; drafts for some
        # open requests, so partners have work in progress to come back to.
        responses, answer_plan = [], []
        for rid, (op, partner, state), person, req in zip(req_ids, meta, people, reqs):
            spocs = w.by_role_agency.get((Role.PARTNER_SPOC, partner), [])
            spoc = self.user_ids[spocs[0]] if spocs else None
            if state in (RequestState.ANSWERED, RequestState.ASSESSED, RequestState.CLOSED):
                graded = state is not RequestState.ANSWERED and rng.random() < 0.8
                responses.append({"request_id": rid, "agency_id": self.agency_ids[partner], "version": 1,
                                  "state": ResponseState.GRADED if graded else ResponseState.SUBMITTED,
                                  "idempotency_key": f"scale-{req['uid']}", "submitted_by_id": spoc,
                                  "submitted_at": req["answered_at"], "updated_at": req["answered_at"],
                                  # The seed makes its own candidates: these count as checked.
                                  "matched_at": req["answered_at"],
                                  "grading": f"{rng.choice('123')}{rng.choice('ABCDE')}" if graded else None,
                                  "graded_by_id": self.user_ids[op.lro] if graded else None,
                                  "classification": Classification.OFFICIAL_SENSITIVE, "handling_code": HandlingCode.P,
                                  "handling_conditions": {}, "uid": None, "data_key_id": None})
                answer_plan.append((rid, person, spoc, True, rng.random() < 0.3))
            elif state in (RequestState.ISSUED, RequestState.ACKNOWLEDGED) and rng.random() < 0.2:
                responses.append({"request_id": rid, "agency_id": self.agency_ids[partner], "version": 1,
                                  "state": ResponseState.DRAFT, "idempotency_key": None, "submitted_by_id": None,
                                  "submitted_at": None, "matched_at": None, "updated_at": now, "grading": None,
                                  "graded_by_id": None,
                                  "classification": Classification.OFFICIAL_SENSITIVE, "handling_code": HandlingCode.P,
                                  "handling_conditions": {}, "uid": None, "data_key_id": None})
                answer_plan.append((rid, person, spoc, False, False))
        resp_ids = _ids(s, PartnerResponse, responses)
        answers, a_sealed = [], []
        for resp_id, (rid, person, spoc, complete, all_no_trace) in zip(resp_ids, answer_plan):
            qids = q_by_req.get(rid, [])
            for n, qid in enumerate(qids):
                if not complete and n > 0 and rng.random() < 0.5:
                    break  # a draft part-way through
                no_trace = all_no_trace or rng.random() < 0.25
                fill = {"name": f"{person['forenames']} {person['surname'].title()}", "address": person["address"],
                        "postcode": person["postcode"], "dob": person["dob"],
                        "vrm": (person["vrms"] or ["AB12 CDE"])[0], "phone": (person["phones"] or ["+447700900000"])[0]}
                answers.append({"response_id": resp_id, "question_id": qid,
                                "outcome": AnswerOutcome.NO_TRACE if no_trace else AnswerOutcome.ANSWERED,
                                "answered_by_id": spoc, "updated_at": now, "uid": _uid(rng)})
                a_sealed.append({"text": None if no_trace else rng.choice(ANSWERS).format(**fill)})
        _put(s, self.sealer, Answer, answers, a_sealed)

        # A few clarification messages on open requests.
        messages, m_sealed = [], []
        for rid, (op, partner, state) in zip(req_ids, meta):
            if state in (RequestState.ISSUED, RequestState.ACKNOWLEDGED) and rng.random() < 0.1:
                spocs = w.by_role_agency.get((Role.PARTNER_SPOC, partner), [])
                if spocs:
                    messages.append({"request_id": rid, "author_id": self.user_ids[spocs[0]], "from_partner": True,
                                     "created_at": now, "uid": _uid(rng)})
                    m_sealed.append({"body": "Can you confirm which address you mean in question 1?"})
        _put(s, self.sealer, RequestMessage, messages, m_sealed)
        return len(reqs) + len(questions) + len(subjects) + len(responses) + len(answers) + len(messages)

    # phase "gain": referrals and circulations --------------------------------------------
    def gain(self, batch: int, op_ids: dict[int, int], requirements: dict[int, int]) -> int:
        """A quarter of operations have gone to GAIN: a referral, a circulation of subjects to
        several agencies, hit / no hit answers from most of them, disruption for some hits.
        The forces act as their own GAIN hubs here: the world has no ROCU accounts."""
        s, w, rng, now = self.s, self.world, self.rng("gain", batch), self.now
        plans = [op for op in w.operations[batch * OP_BATCH:(batch + 1) * OP_BATCH] if rng.random() < 0.25]
        referrals, r_sealed, circs, c_sealed, extra = [], [], [], [], []
        for op in plans:
            coordinators = w.by_role_agency.get((Role.GAIN_COORDINATOR, op.force), [op.lro])
            coordinator = self.user_ids[rng.choice(coordinators)]
            created = now - timedelta(days=rng.randint(1, 200))
            force_id = self.agency_ids[op.force]
            referrals.append({"reference": f"GAIN-SC-{op.index + 1:05d}", "gain_agency_id": force_id,
                              "referring_agency_id": force_id, "operation_id": op_ids[op.index],
                              "requirement_id": requirements[op.index], "state": ReferralState.ACCEPTED,
                              "merged_into_id": None, "referred_by_id": self.user_ids[op.lro],
                              "decided_by_id": coordinator, "created_at": created,
                              "decided_at": created + timedelta(days=1), "classification": op.classification,
                              "uid": _uid(rng)})
            r_sealed.append({"concern": f"Check the {rng.choice(SURNAMES)} family and their businesses with GAIN members",
                             "rationale": "Fits the regional labour exploitation theme"})
            closed = rng.random() < 0.2
            circs.append({"reference": f"CHK-SC-{op.index + 1:05d}", "gain_agency_id": force_id,
                          "operation_id": op_ids[op.index], "deadline": self.anchor + timedelta(days=rng.randint(-20, 30)),
                          "state": CirculationState.CLOSED if closed else CirculationState.SENT,
                          "classification": Classification.OFFICIAL_SENSITIVE, "handling_code": HandlingCode.P,
                          "created_by_id": coordinator, "created_at": created + timedelta(days=2),
                          "closed_at": created + timedelta(days=30) if closed else None, "uid": _uid(rng)})
            c_sealed.append({"purpose": "We are checking whether a business and the people running it are known to "
                                        "your agency."})
            others = [p.index for p in w.partners if p.index not in op.partners]
            agencies = op.partners + rng.sample(others, k=min(len(others), rng.randint(1, 3)))
            extra.append((op, coordinator, agencies))
        referral_ids = _put(s, self.sealer, GainReferral, referrals, r_sealed)
        for circ, rid in zip(circs, referral_ids):
            circ["referral_id"] = rid
        circ_ids = _put(s, self.sealer, Circulation, circs, c_sealed)
        subjects, s_sealed, s_owner = [], [], []
        for cid, (op, _coordinator, _agencies) in zip(circ_ids, extra):
            for position in range(1, rng.randint(1, 3) + 1):
                kind = rng.choice([SubjectKind.PERSON, SubjectKind.PERSON, SubjectKind.VEHICLE, SubjectKind.PREMISES])
                person = self._person(rng)
                name = f"{person['forenames']} {person['surname'].title()}"
                values = ({"name": name, "dob": person["dob"], "address": person["address"],
                           "postcode": person["postcode"]} if kind is SubjectKind.PERSON
                          else {"vrm": (person["vrms"] or ["AB12 CDE"])[0]} if kind is SubjectKind.VEHICLE
                          else {"address": person["address"], "postcode": person["postcode"]})
                subjects.append({"circulation_id": cid, "position": position, "kind": kind, "uid": _uid(rng),
                                 "name_index": blind("name", normalise_name(name)) if "name" in values else None,
                                 "vrm_index": blind("vrm", normalise_vrm(values["vrm"])) if "vrm" in values else None,
                                 "postcode_index": (blind("postcode", normalise_postcode(values["postcode"]))
                                                    if "postcode" in values else None)})
                s_sealed.append({"details": values})
                s_owner.append(cid)
        subject_ids = _put(s, self.sealer, CirculationSubject, subjects, s_sealed)
        by_circ: dict[int, list[int]] = {}
        for cid, sid in zip(s_owner, subject_ids):
            by_circ.setdefault(cid, []).append(sid)
        targets, answered = [], []
        for cid, circ, (op, _coordinator, agencies) in zip(circ_ids, circs, extra):
            for agency in agencies:
                done = rng.random() < 0.65
                targets.append({"circulation_id": cid, "agency_id": self.agency_ids[agency], "plan_item_id": None,
                                "completed_at": circ["created_at"] + timedelta(days=rng.randint(1, 9)) if done else None,
                                "last_chased_at": None})
                answered.append((cid, op, agency, done))
        target_ids = _ids(s, CirculationTarget, targets)
        results, res_sealed, hits = [], [], []
        for tid, target, (cid, op, agency, done) in zip(target_ids, targets, answered):
            spocs = w.by_role_agency.get((Role.PARTNER_SPOC, agency), [])
            if not done or not spocs:
                continue
            for sid in by_circ[cid]:
                outcome = rng.choices(list(HitOutcome), [25, 60, 15])[0]
                results.append({"target_id": tid, "subject_id": sid, "answered_by_id": self.user_ids[spocs[0]],
                                "answered_at": target["completed_at"], "followup_request_id": None, "uid": _uid(rng)})
                res_sealed.append({"outcome": outcome,
                                   "note": "Known to us: two visits last year." if outcome is HitOutcome.HIT else None})
                if outcome is HitOutcome.HIT and rng.random() < 0.4:
                    hits.append((cid, op, agency, spocs[0]))
        _put(s, self.sealer, CirculationResult, results, res_sealed)
        actions, a_sealed = [], []
        for cid, op, agency, spoc in hits:
            actions.append({"circulation_id": cid, "operation_id": op_ids[op.index], "agency_id": self.agency_ids[agency],
                            "power": rng.choice(list(PowerKind)), "status": rng.choice(list(DisruptionStatus)),
                            "action_date": self.anchor + timedelta(days=rng.randint(-60, 60)),
                            "recorded_by_id": self.user_ids[spoc], "recorded_at": now, "uid": _uid(rng)})
            a_sealed.append({"owner": f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}",
                             "action": "Licence review of the premises", "outcome": None})
        _put(s, self.sealer, DisruptionAction, actions, a_sealed)
        return len(referrals) + len(circs) + len(subjects) + len(targets) + len(results) + len(actions)

    # phase "matches": cross-match candidates for analysts -------------------------------
    def matches(self, batch: int, nominals_of: dict[int, list[int]]) -> int:
        """About a third of answered questions name someone on the operation's register:
        mostly pending review, some confirmed or rejected by an analyst."""
        s, rng, now = self.s, self.rng("matches", batch), self.now
        first, last = f"REQ-SC-{batch * REQUEST_BATCH + 1:06d}", f"REQ-SC-{(batch + 1) * REQUEST_BATCH:06d}"
        rows = s.execute(select(Answer.id, InformationRequest.operation_id, InformationRequest.created_by_id,
                                Answer.response_id, PartnerResponse.request_id)
                         .join(PartnerResponse, PartnerResponse.id == Answer.response_id)
                         .join(InformationRequest, InformationRequest.id == PartnerResponse.request_id)
                         .where(InformationRequest.reference.between(first, last),
                                Answer.outcome == AnswerOutcome.ANSWERED,
                                PartnerResponse.state != ResponseState.DRAFT)
                         .order_by(Answer.id)).all()
        candidates, sealed = [], []
        for answer_id, operation_id, lro_id, response_id, request_id in rows:
            nominals = nominals_of.get(operation_id)
            if not nominals or rng.random() >= 0.35:
                continue
            status = rng.choices(["pending", "confirmed", "rejected"], [65, 25, 10])[0]
            strong = rng.random() < 0.6
            candidates.append({"answer_id": answer_id, "response_id": response_id, "request_id": request_id,
                               "request_operation_id": operation_id,
                               "nominal_id": rng.choice(nominals), "operation_id": operation_id,
                               "score": round(rng.uniform(8, 14) if strong else rng.uniform(4, 8), 2),
                               "tier": "strong" if strong else "possible", "relationship_kind": "self",
                               "span_start": None, "span_end": None, "status": status,
                               "decided_by_id": lro_id if status != "pending" else None,
                               "decided_at": now if status != "pending" else None, "created_at": now,
                               "uid": _uid(rng)})
            sealed.append({"features": {"name": "exact" if strong else "nickname", "dob": "exact" if strong else "year"},
                           "rationale": None if status == "pending" else "Same date of birth and address"})
        _put(s, self.sealer, MatchCandidate, candidates, sealed)
        return len(candidates)

    # phase "decisions": the CPIA decision log and interventions ------------------------
    def decisions(self, batch: int, op_ids: dict[int, int]) -> int:
        """What the cycle services write as work moves on: a log entry for every requirement
        opened, satisfied or closed and every request assessed, closed or withdrawn, and an
        intervention (with its own entry) for a third of assessed or closed requests."""
        s, rng = self.s, self.rng("decisions", batch)
        ids = [op_ids[op.index] for op in self.world.operations[batch * OP_BATCH:(batch + 1) * OP_BATCH]
               if op.index in op_ids]
        entries, e_sealed = [], []

        def log(op_id, subject_type, subject_id, decision, by, at, rationale):
            entries.append({"operation_id": op_id, "subject_type": subject_type, "subject_id": subject_id,
                            "decision": decision, "decided_by_id": by, "decided_at": at, "uid": _uid(rng)})
            e_sealed.append({"rationale": rationale})

        for rid, op_id, state, by, created in s.execute(
                select(Requirement.id, Requirement.operation_id, Requirement.state, Requirement.created_by_id,
                       Requirement.created_at).where(Requirement.operation_id.in_(ids)).order_by(Requirement.id)).all():
            if state is RequirementState.DRAFT:
                continue
            opened = created - timedelta(days=rng.randint(30, 300))
            log(op_id, "requirement", rid, "requirement_open", by, opened, "Partners hold what we need; rising reports.")
            if state in (RequirementState.SATISFIED, RequirementState.CLOSED):
                log(op_id, "requirement", rid, f"requirement_{state.value}", by,
                    opened + timedelta(days=rng.randint(10, 120)),
                    "Answered by the partners' returns." if state is RequirementState.SATISFIED
                    else "No longer needed: the principal has been charged.")
        interventions, i_sealed = [], []
        rows = s.execute(select(InformationRequest.id, InformationRequest.operation_id, InformationRequest.state,
                                InformationRequest.created_by_id, InformationRequest.answered_at,
                                InformationRequest.closed_at, CollectionPlanItem.requirement_id)
                         .join(CollectionPlanItem, CollectionPlanItem.id == InformationRequest.plan_item_id)
                         .where(InformationRequest.operation_id.in_(ids),
                                InformationRequest.state.in_((RequestState.ASSESSED, RequestState.CLOSED,
                                                              RequestState.WITHDRAWN)))
                         .order_by(InformationRequest.id)).all()
        for req_id, op_id, state, by, answered, closed, requirement_id in rows:
            if state is RequestState.WITHDRAWN:
                log(op_id, "information_request", req_id, "request_withdrawn", by, closed,
                    "Answered at the partnership meeting.")
                continue
            assessed_at = (answered or closed) + timedelta(days=1)
            log(op_id, "information_request", req_id, "answers_assessed", by, assessed_at,
                "Fits what the neighbourhood team reported; graded and recorded.")
            if state is RequestState.CLOSED:
                log(op_id, "information_request", req_id, "request_closed", by, closed,
                    "Answer assessed and recorded against the requirement.")
            if rng.random() < 0.33:
                pillar = rng.choice(list(Pillar))
                action = rng.choice(["Closure order on the flat with the council", "Licensing visit to the car wash",
                                     "Safeguarding referral for the young people seen", "ANPR stop on the vehicle"])
                interventions.append({"operation_id": op_id, "requirement_id": requirement_id, "request_id": req_id,
                                      "pillar": pillar.value, "owner_id": by,
                                      "due_date": self.anchor + timedelta(days=rng.randint(-30, 60)),
                                      "recorded_by_id": by, "recorded_at": assessed_at, "uid": _uid(rng)})
                i_sealed.append({"action": action})
                log(op_id, "intervention", None, f"intervention_{pillar.value}", by, assessed_at, action)
        intervention_ids = _put(s, self.sealer, Intervention, interventions, i_sealed)
        # Each intervention's entry names it, as record_intervention does.
        pending = iter(intervention_ids)
        for entry in entries:
            if entry["subject_type"] == "intervention":
                entry["subject_id"] = next(pending)
        _put(s, self.sealer, DecisionLogEntry, entries, e_sealed)
        return len(entries) + len(interventions)

    def first_requirements(self, op_ids: dict[int, int]) -> dict[int, int]:
        index_of_op = {v: k for k, v in op_ids.items()}
        rows = self.s.execute(select(Requirement.operation_id, Requirement.id)
                              .where(Requirement.number == 1, Requirement.operation_id.in_(list(op_ids.values())))).all()
        return {index_of_op[op]: rid for op, rid in rows}

    def nominals_by_operation(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for op_id, nominal_id in self.s.execute(select(NominalLink.operation_id, NominalLink.nominal_id)
                                                .order_by(NominalLink.id)).all():
            out.setdefault(op_id, []).append(nominal_id)
        return out

    def op_ids(self) -> dict[int, int]:
        by_ref = dict(self.s.execute(select(Operation.reference, Operation.id)
                                     .where(Operation.reference.like("OP-SC-%"))).all())
        return {op.index: by_ref[op.reference] for op in self.world.operations if op.reference in by_ref}

    def plan_items(self, op_ids: dict[int, int]) -> dict[tuple[int, int], int]:
        index_of_op = {v: k for k, v in op_ids.items()}
        index_of_agency = {v: k for k, v in self.agency_ids.items()}
        rows = self.s.execute(select(Requirement.operation_id, CollectionPlanItem.source_agency_id,
                                     CollectionPlanItem.id)
                              .join(Requirement, Requirement.id == CollectionPlanItem.requirement_id)
                              .where(Requirement.operation_id.in_(list(op_ids.values())))).all()
        return {(index_of_op[op], index_of_agency[agency]): item for op, agency, item in rows
                if op in index_of_op and agency in index_of_agency}


def _batches(total: int, size: int) -> int:
    return (total + size - 1) // size


def write_credentials(world: World, path: Path) -> None:
    """A few dozen accounts per role for the load generator: shared password, TOTP secrets.
    Secrets for a throwaway scale database only; written 0600 and never into git."""
    picked = []
    for role in Role:
        picked += [u for u in world.users if u.role is role][:CREDENTIALS_PER_ROLE]
    body = {"password": DEMO_PASSWORD, "note": "Synthetic accounts from gainportal seed-scale; never use elsewhere.",
            "users": [{"email": u.email, "role": u.role.value, "agency": world.agencies[u.agency].code,
                       "totp_secret": u.totp_secret} for u in picked]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(body, f, indent=1)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class Interrupted(Exception):
    """Raised by a ``stop_after`` hook (tests) to simulate a run killed between batches."""


def run(s: Session, sizes: Sizes, *, seed: int = 8, echo=click.echo, progress: bool = True,
        credentials: Path | None = None, stop_after: int | None = None) -> dict:
    """Seed (or continue seeding) ``sizes``. Returns phase timings in seconds."""
    started, done = _progress(s)
    wanted = {"sizes": asdict(sizes), "seed": seed}
    if started is not None:
        if {"sizes": started["sizes"], "seed": started["seed"]} != wanted:
            raise click.ClickException(
                f"This database already holds a scale seed of another size or seed ({started['sizes']}, seed "
                f"{started['seed']}). Use an empty database.")
        anchor = date.fromisoformat(started["anchor"])
    else:
        if s.scalar(select(Agency.id).where(Agency.code.like("SC-%")).limit(1)) is not None:
            raise click.ClickException("Scale-seed agencies exist without a progress record. Use an empty database.")
        anchor = utcnow().date()
        audit.record(s, STARTED_ACTION, object_type="scale_seed", detail={**wanted, "anchor": anchor.isoformat()})
        s.commit()
    seeder = Seeder(s, sizes, seed, anchor)
    if credentials is not None:
        write_credentials(seeder.world, credentials)
    timings: dict[str, float] = {}
    budget = [stop_after]

    def committed(phase: str, batch: int, rows: int) -> None:
        _mark(s, phase, batch, rows)
        s.commit()
        if budget[0] is not None:
            budget[0] -= 1
            if budget[0] <= 0:
                raise Interrupted(f"stopped after {phase} batch {batch}")

    def phase(name: str, batches: int, work) -> None:
        todo = [b for b in range(batches) if (name, b) not in done]
        t0 = time.perf_counter()
        if todo:
            bar = click.progressbar(length=len(todo), label=f"{name:10}", show_eta=True, show_pos=True,
                                    file=None if progress else open(os.devnull, "w"))
            with bar:
                for b in todo:
                    committed(name, b, work(b))
                    bar.update(1)
        timings[name] = time.perf_counter() - t0

    phase("base", 1, lambda b: seeder.base())
    seeder.load_ids()
    phase("operations", _batches(sizes.operations, OP_BATCH), seeder.operations)
    op_ids = seeder.op_ids()
    phase("nominals", _batches(sizes.nominals, NOMINAL_BATCH), lambda b: seeder.nominals(b, op_ids))
    plan_items = seeder.plan_items(op_ids)
    phase("requests", _batches(sizes.requests, REQUEST_BATCH), lambda b: seeder.requests(b, op_ids, plan_items))
    first_requirements = seeder.first_requirements(op_ids)
    phase("gain", _batches(sizes.operations, OP_BATCH), lambda b: seeder.gain(b, op_ids, first_requirements))
    nominals_of = seeder.nominals_by_operation()
    phase("matches", _batches(sizes.requests, REQUEST_BATCH), lambda b: seeder.matches(b, nominals_of))
    phase("decisions", _batches(sizes.operations, OP_BATCH), lambda b: seeder.decisions(b, op_ids))
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text
        s.commit()
        t0 = time.perf_counter()
        # VACUUM as well as ANALYZE: a live database's autovacuum keeps the visibility map
        # current, which index-only scans need; a fresh bulk load (or a server with autovacuum
        # off, as on these machines) has none, and the pages would be timed on plans
        # production never runs. VACUUM cannot run inside a transaction.
        with s.get_bind().connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM (ANALYZE)"))
        timings["analyze"] = time.perf_counter() - t0
    return timings
