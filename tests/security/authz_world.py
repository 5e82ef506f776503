"""The world and the oracle for the authorisation matrix (tests/security/test_authorisation_matrix.py).

The oracle below is written by hand from DESIGN.md section 3 and the role/action tables; it
imports nothing from gainportal.security. Every item is described by an ``ItemSpec`` built
alongside it, and every user by a ``UserSpec``, so the oracle never reads the rows the code
under test reads.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from gainportal.db import db_session, utcnow
from gainportal.models import (
    Agency, AgencyKind, Classification, Clearance, CollectionMethod, CollectionPlanItem, ConsentRequest,
    Dissemination, HandlingCode, Heading, InformationRequest, LawfulBasis, Operation, PartnerResponse, Pillar,
    Priority, RequestQuestion, RequestState, Requirement, RequirementState, ResponseState, Role,
    SanitisedBriefing, User,
)
from gainportal.models.indoctrination import Indoctrination, IndoctrinationAgreement
from gainportal.services.dates import today

# --- dimensions ------------------------------------------------------------------------------
ROLES = list(Role)  # all seven
OWNER_FORCE, ADDRESSEE, OTHER_PARTNER, OTHER_FORCE = "owner force", "addressee partner", "other partner", "other force"
RELATIONS = [OWNER_FORCE, ADDRESSEE, OTHER_PARTNER, OTHER_FORCE]
NONE, CURRENT, EXPIRED, REVOKED, OLD_VERSION = "none", "current", "expired", "revoked", "old version"
INDOC_STATES = [NONE, CURRENT, EXPIRED, REVOKED, OLD_VERSION]
CLEARANCES = list(Clearance)
CLASSIFICATIONS = list(Classification)
# P, then C with each structured condition on its own (and all of them together).
CONDITIONS = ["originator_consent_required", "no_onward_dissemination", "agency_allowlist",
              "not_for_evidential_use", "review_by", "free_text"]
HANDLINGS: list[tuple[str, dict]] = [("P", {})] + [("C", {c: _v}) for c, _v in (
    ("originator_consent_required", True), ("no_onward_dissemination", True), ("agency_allowlist", True),
    ("not_for_evidential_use", True), ("review_by", "2030-01-01"), ("free_text", "Handle with care"))] + [
    ("C", {"originator_consent_required": True, "no_onward_dissemination": True, "agency_allowlist": True,
           "not_for_evidential_use": True, "review_by": "2030-01-01", "free_text": "All of them"})]
ACTIONS = ["view", "list", "count", "search", "download", "export", "respond", "grade", "disseminate"]
LISTING = {"list", "count", "search"}
SINGLE = [a for a in ACTIONS if a not in LISTING]

# --- the role/action table (by hand; DESIGN.md section 3 rule 5 and section 2) ---------------
# list/count/search are all "list". Police act on the operation and everything in it; partners
# read, answer and download the requests put to their agency. Administrators see no
# intelligence content at all (separation of duties). "edit" and "match" are not in the matrix.
POLICE_MAY = {
    Role.LRO: {"view", "list", "download", "export", "disseminate"},
    Role.SUPERVISOR: {"view", "list", "download", "export", "disseminate", "grade"},
    Role.ANALYST: {"view", "list", "download", "export", "grade"},
    Role.GAIN_COORDINATOR: {"view", "list"},
}
PARTNER_MAY = {"view", "list", "respond", "download"}
CLEARANCE_RANK = {Clearance.BPSS: 1, Clearance.SC: 2, Clearance.DV: 3}
NEEDS = {Classification.OFFICIAL: 1, Classification.OFFICIAL_SENSITIVE: 1, Classification.SECRET: 2,
         Classification.TOP_SECRET: 3}
POLICE = {Role.LRO, Role.SUPERVISOR, Role.ANALYST, Role.GAIN_COORDINATOR}
PARTNERS = {Role.PARTNER_SPOC, Role.PARTNER_USER}
# Item types with a list (visible_to) rule. The others (plan items, responses, exports,
# briefings, consent requests) are reached only through their parent page; with no query rule
# visible_to is false() for everyone (deny by default), so the oracle expects nothing listed.
LISTABLE = {"operation", "requirement", "request"}
# No tag is a prefix of another, so a reference found in a page is the one meant.
TAGS = {Classification.OFFICIAL: "OFF", Classification.OFFICIAL_SENSITIVE: "OFS", Classification.SECRET: "SEC",
        Classification.TOP_SECRET: "TOP"}


@dataclass(frozen=True)
class UserSpec:
    role: Role
    relation: str
    clearance: Clearance
    indoc: str
    id: int = 0


@dataclass
class ItemSpec:
    type: str
    model: type
    id: int
    op_cls: Classification
    cls: Classification            # the item's own marking (operation's for op/requirement/plan item)
    handling: tuple[str, dict] = ("n/a", {})
    label: str = ""
    draft: bool = False            # request not yet issued
    assigned_user_ids: frozenset = frozenset()  # partner users with a question on the request
    response_cls: Classification | None = None  # consent request: the answer it is about
    extra: dict = field(default_factory=dict)


def covers(clearance: Clearance, cls: Classification) -> bool:
    return CLEARANCE_RANK[clearance] >= NEEDS[cls]


def _no_onward(item: ItemSpec) -> bool:
    code, conditions = item.handling
    return code == "C" and bool(conditions.get("no_onward_dissemination"))


def expected(u: UserSpec, item: ItemSpec, action: str) -> bool:
    """DESIGN.md section 3, read rule (deny unless every line holds), for one combination.
    Line 1 (second factor, active account) is the route layer's: every matrix user is active."""
    verb = "list" if action in LISTING else action
    if action in LISTING and item.type not in LISTABLE:
        return False
    if u.role is Role.ADMIN:
        return False
    if u.role in POLICE:
        if item.type == "consent":
            return False  # a consent request is the originating partner agency's decision
        # Line 4: police see only what their own force owns.
        if u.relation != OWNER_FORCE:
            return False
        # Line 3: a current signature (latest version, unexpired, unrevoked).
        if u.indoc != CURRENT:
            return False
        # Line 2: clearance covers the item's marking. Police reach every item through its
        # operation, so they need the operation's clearance as well (stricter than the item's
        # own marking alone when a request is marked lower than its operation: defensible).
        if not (covers(u.clearance, item.op_cls) and covers(u.clearance, item.cls)):
            return False
        if "request_cls" in item.extra and not covers(u.clearance, item.extra["request_cls"]):
            return False  # an answer is read on its request's page
        may = POLICE_MAY[u.role]
        if item.type == "export":
            # Exports: reading, printing and downloading an export are "export"; releasing it
            # is "disseminate". Grading or answering an export means nothing.
            need = {"view": "export", "list": "export", "download": "export", "export": "export",
                    "disseminate": "disseminate"}.get(verb)
            return need is not None and need in may
        if item.type == "briefing":
            need = {"view": "view", "list": "view", "download": "view", "export": "export",
                    "disseminate": "disseminate"}.get(verb)
            return need is not None and need in may
        if verb in ("export", "disseminate") and _no_onward(item):
            return False  # C + no onward dissemination: the item never leaves the operation
        return verb in may
    # Partners (line 4): only requests addressed to their own agency, and their own answers.
    if u.relation != ADDRESSEE:
        return False
    if item.type == "consent":
        # The originating agency's SPOC decides; they must be able to read the answer in question.
        return (u.role is Role.PARTNER_SPOC and verb in ("view", "respond") and u.indoc == CURRENT
                and covers(u.clearance, item.response_cls))
    if item.type not in ("request", "response"):
        return False  # partners never see operations, requirements, plans, exports or briefings
    if item.draft or not covers(u.clearance, item.cls):
        return False
    if item.type == "response" and not covers(u.clearance, item.extra["request_cls"]):
        return False
    if u.role is Role.PARTNER_USER and u.id not in item.assigned_user_ids:
        return False  # partner users see only requests with a question assigned to them
    if verb not in PARTNER_MAY:
        return False
    if verb == "list" and item.type == "request":
        # The inbox shows reference and deadline before signing (so a SPOC can find what to
        # sign), but not to someone whose access was revoked: revocation cuts access at once.
        return u.indoc != REVOKED
    return u.indoc == CURRENT  # questions, subjects and answers need a current signature


# --- building the world --------------------------------------------------------------------
@dataclass
class World:
    users: list[UserSpec]
    items: list[ItemSpec]
    agencies: dict[str, int]
    operation_ids: dict[Classification, int]
    builder_id: int


def build_world(s) -> World:
    """Agencies, 420 users (role x relation x clearance x indoctrination), four operations (one
    per classification) and their items, in one session. Rows are made directly so the matrix
    also covers states the services would refuse to create (a police officer of another force
    on the register, a partner user signed to an old version)."""
    agencies = {}
    for relation, kind in ((OWNER_FORCE, AgencyKind.POLICE_FORCE), (ADDRESSEE, AgencyKind.COUNCIL),
                           (OTHER_PARTNER, AgencyKind.HEALTH), (OTHER_FORCE, AgencyKind.POLICE_FORCE)):
        a = Agency(name=f"Matrix {relation}", code=f"MX{len(agencies)}", kind=kind)
        s.add(a)
        s.flush()
        agencies[relation] = a.id
    builder = User(email="matrix.builder@example.test", full_name="Matrix Builder", agency_id=agencies[OWNER_FORCE],
                   role=Role.LRO, clearance=Clearance.DV, active=True)
    s.add(builder)
    s.flush()

    users: list[UserSpec] = []
    rows = []
    for n, (role, relation, clearance, indoc) in enumerate(
            itertools.product(ROLES, RELATIONS, CLEARANCES, INDOC_STATES)):
        rows.append((role, relation, clearance, indoc, User(
            email=f"mx{n}@example.test", full_name=f"Matrix User {n}", agency_id=agencies[relation], role=role,
            clearance=clearance, active=True)))
    s.add_all([r[-1] for r in rows])
    s.flush()
    users = [UserSpec(r, rel, c, i, u.id) for r, rel, c, i, u in rows]
    partner_users_addressee = [u for u in users if u.role is Role.PARTNER_USER and u.relation == ADDRESSEE]

    now = utcnow()
    items: list[ItemSpec] = []
    op_ids = {}
    for cls in CLASSIFICATIONS:
        tag = TAGS[cls]
        op = Operation(reference=f"MXOP-{tag}", name=f"Opname {tag}zq", owning_agency_id=agencies[OWNER_FORCE],
                       lro_id=builder.id, classification=cls, tier=3, last_review_at=today(),
                       next_review_due=today() + timedelta(days=60))
        s.add(op)
        s.flush()
        op_ids[cls] = op.id
        op.summary = f"Summary of {op.reference}"
        items.append(ItemSpec("operation", Operation, op.id, cls, cls, label=op.reference))
        agreements = {}
        for audience in ("police", "partner"):
            v1 = IndoctrinationAgreement(operation_id=op.id, audience=audience, version=1, valid_months=12,
                                         published_by_id=builder.id, superseded_at=now)
            v2 = IndoctrinationAgreement(operation_id=op.id, audience=audience, version=2, valid_months=12,
                                         published_by_id=builder.id)
            s.add_all([v1, v2])
            s.flush()
            agreements[audience] = (v1.id, v2.id)
        s.add(Indoctrination(operation_id=op.id, user_id=builder.id, agreement_id=agreements["police"][1],
                             signed_at=now, expires_at=now + timedelta(days=300)))
        records = []
        for u in users:
            if u.indoc == NONE:
                continue
            v1, v2 = agreements["partner" if u.role in PARTNERS else "police"]
            rec = Indoctrination(operation_id=op.id, user_id=u.id, agreement_id=v2, signed_at=now - timedelta(days=5),
                                 expires_at=now + timedelta(days=300))
            if u.indoc == EXPIRED:
                rec.expires_at = now - timedelta(days=1)
            elif u.indoc == REVOKED:
                rec.revoked_at, rec.revoked_by_id, rec.revocation_reason = now, builder.id, "matrix"
            elif u.indoc == OLD_VERSION:
                rec.agreement_id = v1
            records.append(rec)
        s.add_all(records)

        req = Requirement(operation_id=op.id, number=1, pillar=Pillar.PROTECT, priority=Priority.HIGH,
                          state=RequirementState.OPEN, review_date=today() + timedelta(days=30), created_by_id=builder.id)
        s.add(req)
        s.flush()
        req.gap, req.intent = f"Gap {tag}", f"Intent {tag}"
        items.append(ItemSpec("requirement", Requirement, req.id, cls, cls, label=f"requirement {tag}"))
        plan = CollectionPlanItem(requirement_id=req.id, source_agency_id=agencies[ADDRESSEE],
                                  method=CollectionMethod.OVERT, lawful_basis=LawfulBasis.CDA_1998_S115,
                                  due_date=today() + timedelta(days=20), owner_id=builder.id)
        s.add(plan)
        s.flush()
        plan.notes = "Notes"
        items.append(ItemSpec("plan item", CollectionPlanItem, plan.id, cls, cls, label=f"plan item {tag}"))

        def request(req_cls, handling, *, draft=False, assigned=True, response_cls="same", suffix=""):
            code, conditions = handling
            ir = InformationRequest(
                reference=f"MXRQ-{len(items):04d}", operation_id=op.id, plan_item_id=plan.id,
                agency_id=agencies[ADDRESSEE], state=RequestState.DRAFT if draft else RequestState.ISSUED,
                deadline=today() + timedelta(days=14), classification=req_cls, handling_code=HandlingCode(code),
                handling_conditions=dict(conditions), created_by_id=builder.id,
                issued_at=None if draft else now)
            s.add(ir)
            s.flush()
            ir.purpose = "We are working to make the area safer."
            assignees = [u.id for u in partner_users_addressee] if assigned else [None]
            questions = [RequestQuestion(request_id=ir.id, position=i + 1, heading=Heading.BEHAVIOUR, assigned_to_id=a)
                         for i, a in enumerate(assignees)]
            s.add_all(questions)
            s.flush()
            for q in questions:
                q.text = "Have you had complaints about noise?"
            spec = ItemSpec("request", InformationRequest, ir.id, cls, req_cls, handling, label=ir.reference,
                            draft=draft, assigned_user_ids=frozenset(a for a in assignees if a))
            items.append(spec)
            if draft:
                return ir, None
            rcls = req_cls if response_cls == "same" else response_cls
            resp = PartnerResponse(request_id=ir.id, agency_id=agencies[ADDRESSEE], version=1,
                                   state=ResponseState.SUBMITTED, submitted_at=now, classification=rcls,
                                   handling_code=HandlingCode(code), handling_conditions=dict(conditions))
            s.add(resp)
            s.flush()
            rspec = ItemSpec("response", PartnerResponse, resp.id, cls, rcls, handling, label=f"response {ir.reference}",
                             assigned_user_ids=spec.assigned_user_ids, extra={"request_cls": req_cls})
            items.append(rspec)
            return ir, rspec

        consent_response = None
        for handling in HANDLINGS:
            _ir, rspec = request(cls, handling)
            if handling[1].get("originator_consent_required") and consent_response is None:
                consent_response = rspec
        # Requests marked differently from their operation, a draft, one with no question for
        # partner users, and an answer marked above its request (the partner sets its own).
        if cls is Classification.TOP_SECRET:
            request(Classification.OFFICIAL_SENSITIVE, HANDLINGS[0])
        if cls is Classification.OFFICIAL:
            request(Classification.TOP_SECRET, HANDLINGS[0])
            request(Classification.OFFICIAL, HANDLINGS[0], response_cls=Classification.SECRET)
        if cls is Classification.OFFICIAL_SENSITIVE:
            request(cls, HANDLINGS[0], draft=True)
            request(cls, HANDLINGS[0], assigned=False)

        for marking in [cls] + ([Classification.TOP_SECRET] if cls is Classification.OFFICIAL else []):
            export = Dissemination(operation_id=op.id, kind="export", status="awaiting_consent",
                                   lawful_basis=LawfulBasis.CDA_1998_S115, marking=marking,
                                   response_ids=[consent_response.id], created_by_id=builder.id)
            s.add(export)
            s.flush()
            export.purpose, export.necessity, export.recipients = "Purpose", "Necessary", "Partners"
            items.append(ItemSpec("export", Dissemination, export.id, cls, marking, label=f"export {tag} {marking.value}"))
            if marking is cls:
                consent = ConsentRequest(dissemination_id=export.id, agency_id=agencies[ADDRESSEE],
                                         response_id=consent_response.id)
                s.add(consent)
                s.flush()
                # A police item for the consent request's operation rules, but partners read it
                # for the marking of their own answer.
                items.append(ItemSpec("consent", ConsentRequest, consent.id, cls, consent_response.cls,
                                      response_cls=consent_response.cls, label=f"consent {tag}"))
        briefing = SanitisedBriefing(operation_id=op.id, marking=cls, status="approved", created_by_id=builder.id)
        s.add(briefing)
        s.flush()
        briefing.text = "A sanitised briefing"
        items.append(ItemSpec("briefing", SanitisedBriefing, briefing.id, cls, cls, label=f"briefing {tag}"))
    s.flush()
    return World(users, items, agencies, op_ids, builder.id)


def load(s, world: World):
    """The ORM rows for the world, in ``s``: users by id, items by (model, id)."""
    users = {u.id: u for u in s.query(User).filter(User.id.in_([u.id for u in world.users])).all()}
    rows = {}
    for model in {i.model for i in world.items}:
        ids = [i.id for i in world.items if i.model is model]
        for row in s.query(model).filter(model.id.in_(ids)).all():
            rows[(model, row.id)] = row
    return users, rows


__all__ = ["build_world", "expected", "load", "World", "UserSpec", "ItemSpec", "ACTIONS", "SINGLE", "LISTING",
           "LISTABLE", "db_session"]
