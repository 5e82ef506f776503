"""Intelligence products built from an operation: OCG on a page, the association chart,
the performance dashboard and the tasking list.

Everything is built for one viewer and holds only what that viewer may see: the operation
itself is loaded through ``load_or_404`` by the view; nominals need clearance for their own
marking; requirements, requests and partner answers are filtered with ``visible_to`` and the
response's own marking; confirmed cross-matches only when the answer's request is visible.
Nothing here reads an item the viewer could not open on its own page.
"""
from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, joinedload, lazyload

from gainportal.models import (
    Answer, AnswerOutcome, Classification, DecisionLogEntry, Dissemination, InformationRequest, Intervention, LawfulBasis,
    MatchCandidate, Nominal, NominalLink, NominalRole, Operation, PartnerResponse, Pillar, RequestQuestion, RequestState,
    Requirement, RequirementState, ResponseState, User,
)
from gainportal.models.association import LinkKind, NominalAssociation, OperationAssociation, OperationLinkKind
from gainportal.models.circulation import DisruptionAction
from gainportal.models.operation import TIER_LABELS
from gainportal.security.permissions import clearance_covers, visible_to
from gainportal.services import associations, audit, request_reading

OPEN_REQUEST_STATES = (RequestState.ISSUED, RequestState.ACKNOWLEDGED)

# OCGM banding: the number is the harm/threat band (1 highest), the letter the group's
# capability and intent to cause harm (A highest).
OCGM_NUMBER = {"1": "highest threat and harm", "2": "high threat and harm", "3": "significant threat and harm",
               "4": "moderate threat and harm", "5": "lower threat and harm"}
OCGM_LETTER = {"A": "high capability and intent", "B": "moderate capability and intent",
               "C": "limited capability and intent"}

ROLE_COLOURS = {"principal": "#d4351c", "significant": "#f47738", "peripheral": "#1d70b8",
                "associate": "#505a5f", "premises": "#00703c", "vehicle": "#4c2c92", "phone": "#912b88",
                "business": "#b58840", "answer": "#0b0c0c", "ocg": "#f499be", "linked_nominal": "#b1b4b6"}
LEGEND_LABELS = {"principal": "Principal", "significant": "Significant", "peripheral": "Peripheral",
                 "associate": "Associate", "linked_nominal": "Nominal on another operation", "premises": "Premises",
                 "vehicle": "Vehicle", "phone": "Phone", "business": "Business", "answer": "Partner answer",
                 "ocg": "OCG"}
# Lines between nominals and OCGs: rivalries are drawn red and dashed so they never read as
# alliances (the legend says so in words too).
EDGE_LEGEND = {"family": "Family link (solid green)", "association": "Associate or business partner (dotted)",
               "rival": "Rival or rival OCG (red, dashed)", "ocg_link": "Linked OCG (thick pink)",
               "other": "Other ties: premises, vehicles, phones, businesses, answers (thin grey)"}
FAMILY_MAX_NODES = 300


def explain_ocgm(band: str | None) -> str:
    if not band or len(band) != 2:
        return "Not banded under OCGM."
    number, letter = band[0], band[1].upper()
    return (f"Band {band}: {number} means {OCGM_NUMBER.get(number, 'unknown threat')}; "
            f"{letter} means {OCGM_LETTER.get(letter, 'unknown capability')}.")


def postcode_district(postcode: str | None) -> str | None:
    """The outward code ("LS1 4AB" → "LS1"), or None when there is no recognisable postcode."""
    value = re.sub(r"\s+", "", (postcode or "").upper())
    if not re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}", value):
        return None
    return value[:-3]


# --- what the viewer may see -------------------------------------------------------------
@dataclass
class Visible:
    op: Operation
    links: list[NominalLink]
    requirements: list[Requirement]
    requests: list[InformationRequest]
    responses: list[PartnerResponse]
    interventions: list[Intervention]
    confirmed: list[MatchCandidate]
    withheld_nominals: int = 0
    disruptions: list[DisruptionAction] = field(default_factory=list)
    # Other operations (OCGs) the viewer may see that share a nominal: (nominal_id, operation, role).
    other_ocgs: list[tuple[int, Operation, NominalRole]] = field(default_factory=list)
    # Family links and associations with both ends visible, at least one end on this operation.
    nominal_links: list[NominalAssociation] = field(default_factory=list)
    # Linked and rival OCGs recorded against this operation, both operations visible.
    ocg_associations: list[OperationAssociation] = field(default_factory=list)


def gather(s: Session, op: Operation, user: User) -> Visible:
    """Everything of ``op`` that ``user`` may see. The caller has checked the operation."""
    links = list(s.scalars(select(NominalLink).where(NominalLink.operation_id == op.id)
                           .order_by(NominalLink.id)).unique())
    shown = [link for link in links if clearance_covers(user, link.nominal.classification)]
    requirements = list(s.scalars(select(Requirement).where(
        Requirement.operation_id == op.id, visible_to(user, Requirement)).order_by(Requirement.number)).unique())
    # The products read a request's reference, dates, state, marking and agency, never its
    # sealed text; its operation is ``op``, already in the session (a lazy load of a row the
    # session holds runs no statement). Joining them again made every row ~70 columns wide.
    requests = list(s.scalars(select(InformationRequest).where(
        InformationRequest.operation_id == op.id, visible_to(user, InformationRequest))
        .order_by(InformationRequest.id)
        .options(lazyload(InformationRequest.operation), lazyload(InformationRequest.data_key))).unique())
    request_ids = [r.id for r in requests]
    responses = []
    if request_ids:
        responses = [r for r in s.scalars(select(PartnerResponse).where(
            PartnerResponse.request_id.in_(request_ids), PartnerResponse.state != ResponseState.DRAFT)
            .options(*request_reading.RESPONSE_ONLY)).unique()
            if clearance_covers(user, r.classification)]
    # An intervention driven by a request the viewer may not see (e.g. marked above their
    # clearance) may echo what that request learnt: it is left out with the request.
    interventions = [i for i in s.scalars(select(Intervention).where(Intervention.operation_id == op.id)
                                          .order_by(Intervention.recorded_at)).unique()
                     if i.request_id is None or i.request_id in set(request_ids)]
    nominal_ids = {link.nominal_id for link in shown}
    confirmed = []
    if nominal_ids:
        # The answer may be to another operation's request: it is drawn only when the viewer may
        # see that request and the response's marking.
        visible_requests = select(InformationRequest.id).where(visible_to(user, InformationRequest))
        rows = s.scalars(select(MatchCandidate).join(Answer, Answer.id == MatchCandidate.answer_id)
                         .join(PartnerResponse, PartnerResponse.id == Answer.response_id)
                         .where(MatchCandidate.operation_id == op.id, MatchCandidate.status == "confirmed",
                                MatchCandidate.nominal_id.in_(nominal_ids),
                                PartnerResponse.state != ResponseState.DRAFT,
                                PartnerResponse.request_id.in_(visible_requests))
                         .order_by(MatchCandidate.id)
                         # Read: the answer's outcome and response; the nominal is one of the
                         # links' (in the session). Not the sealed features or answer text.
                         .options(lazyload(MatchCandidate.nominal), lazyload(MatchCandidate.data_key),
                                  joinedload(MatchCandidate.answer).lazyload(Answer.question),
                                  joinedload(MatchCandidate.answer).lazyload(Answer.answered_by),
                                  joinedload(MatchCandidate.answer).lazyload(Answer.data_key))).unique()
        confirmed = [m for m in rows if clearance_covers(user, m.answer.response.classification)]
    # Partner agencies' disruption actions (GAIN circulations) tied to the operation.
    disruptions = list(s.scalars(select(DisruptionAction).where(
        DisruptionAction.operation_id == op.id, visible_to(user, DisruptionAction))
        .order_by(DisruptionAction.action_date)).unique())
    other_ocgs = []
    if nominal_ids:
        # Links between OCGs: the same nominal on another operation, only where the viewer may
        # see that operation too (never its name otherwise).
        visible_ops = select(Operation.id).where(visible_to(user, Operation))
        others = s.scalars(select(NominalLink).where(NominalLink.nominal_id.in_(nominal_ids),
                                                     NominalLink.operation_id != op.id,
                                                     NominalLink.operation_id.in_(visible_ops))
                           .order_by(NominalLink.operation_id)
                           .options(joinedload(NominalLink.operation))).unique()  # not one load per operation
        other_ocgs = [(link.nominal_id, link.operation, link.role) for link in others]
    return Visible(op, shown, requirements, requests, responses, interventions, confirmed,
                   withheld_nominals=len(links) - len(shown), disruptions=disruptions, other_ocgs=other_ocgs,
                   nominal_links=associations.links_touching(s, user, nominal_ids),
                   ocg_associations=associations.ocg_links_of(s, user, op))


# --- OCG on a page -----------------------------------------------------------------------
@dataclass
class Member:
    reference: str
    name: str
    role: str
    dob: str | None
    aliases: list[str]
    address: str | None
    postcode: str | None
    businesses: list[str]
    vrms: list[str]
    phones: list[str]
    family: list[str] = field(default_factory=list)


@dataclass
class OcgPage:
    op: Operation
    marking: str
    principal: list[Member] = field(default_factory=list)
    significant: list[Member] = field(default_factory=list)
    peripheral: list[Member] = field(default_factory=list)
    businesses: list[tuple[str, str]] = field(default_factory=list)  # (business, member)
    districts: dict[str, list[str]] = field(default_factory=dict)  # district → member names
    need_to_know: list[Requirement] = field(default_factory=list)
    interventions: dict[str, list[Intervention]] = field(default_factory=dict)
    disruptions: list[DisruptionAction] = field(default_factory=list)
    ocg_links: dict[str, list[str]] = field(default_factory=dict)  # "REF name" → shared member names
    rival_ocgs: list[tuple[Operation, str]] = field(default_factory=list)  # (operation, note)
    linked_ocgs: list[tuple[Operation, str]] = field(default_factory=list)
    family: dict[str, list[str]] = field(default_factory=dict)  # member name → "Parent of SMITH, Kayleigh"...
    associates: dict[str, list[str]] = field(default_factory=dict)  # member name → associates and rivals
    ocgm: str = ""
    tier: str = ""
    locality: str = ""
    plan_owner: str = ""
    withheld_nominals: int = 0


def _member(link: NominalLink) -> Member:
    d = link.nominal.details or {}
    return Member(reference=link.nominal.reference, name=link.nominal.display_name, role=link.role.label,
                  dob=d.get("dob"), aliases=list(d.get("aliases") or []), address=d.get("address"),
                  postcode=d.get("postcode"), businesses=list(d.get("businesses") or []),
                  vrms=list(d.get("vrms") or []), phones=list(d.get("phones") or []))


def ocg_on_a_page(s: Session, op: Operation, user: User) -> OcgPage:
    v = gather(s, op, user)
    page = OcgPage(op=op, marking=op.classification.value, ocgm=explain_ocgm(op.ocgm_band),
                   tier=TIER_LABELS.get(op.tier, f"Tier {op.tier}"), locality=op.owning_agency.name,
                   plan_owner=op.lro.full_name if op.lro else "Not assigned", withheld_nominals=v.withheld_nominals)
    districts: dict[str, list[str]] = defaultdict(list)
    for link in v.links:
        member = _member(link)
        {NominalRole.PRINCIPAL: page.principal, NominalRole.SIGNIFICANT: page.significant}.get(
            link.role, page.peripheral).append(member)
        page.businesses.extend((b, member.name) for b in member.businesses)
        if district := postcode_district(member.postcode):
            districts[district].append(member.name)
    page.districts = dict(sorted(districts.items()))
    page.need_to_know = [r for r in v.requirements if r.state is RequirementState.OPEN]
    by_pillar: dict[str, list[Intervention]] = {p.value: [] for p in Pillar}
    for item in v.interventions:
        by_pillar.setdefault(item.pillar, []).append(item)
    page.interventions = by_pillar
    page.disruptions = v.disruptions
    names = {link.nominal_id: link.nominal.display_name for link in v.links}
    ocg_links: dict[str, list[str]] = defaultdict(list)
    for nominal_id, other, role in v.other_ocgs:
        ocg_links[f"{other.reference} {other.name}"].append(f"{names[nominal_id]} ({role.label.lower()} there)")
    page.ocg_links = dict(ocg_links)
    for item in v.ocg_associations:
        other = item.other_end(op.id)
        (page.rival_ocgs if item.kind is OperationLinkKind.RIVAL else page.linked_ocgs).append((other, item.note or ""))
    family: dict[str, list[str]] = defaultdict(list)
    others: dict[str, list[str]] = defaultdict(list)
    for item in v.nominal_links:
        for end in (item.nominal, item.other):
            if end.id in names:
                (family if item.kind.is_family else others)[names[end.id]].append(associations.describe(item, end.id))
    page.family, page.associates = dict(family), dict(others)
    for member in page.principal + page.significant + page.peripheral:
        member.family = page.family.get(member.name, [])
    return page


# --- association chart -------------------------------------------------------------------
def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().upper()


def chart_data(s: Session, op: Operation, user: User) -> dict:
    """Cytoscape elements: nominals and what ties them together. Shared premises, vehicles,
    phones and businesses become one node with an edge to every nominal holding them."""
    v = gather(s, op, user)
    nodes: dict[str, dict] = {}
    edges: list[dict] = []

    def node(node_id: str, label: str, kind: str, **extra) -> str:
        if node_id not in nodes:
            nodes[node_id] = {"id": node_id, "label": label, "kind": kind, "colour": ROLE_COLOURS[kind], **extra}
        return node_id

    def edge(source: str, target: str, label: str, kind: str = "other", **extra) -> None:
        edges.append({"id": f"e{len(edges) + 1}", "source": source, "target": target, "label": label, "kind": kind,
                      **extra})

    for link in v.links:
        n = link.nominal
        d = n.details or {}
        nid = node(f"n{n.id}", n.display_name or n.reference, link.role.value, reference=n.reference,
                   role=link.role.label)
        if d.get("address") or d.get("postcode"):
            label = ", ".join(x for x in (d.get("address"), d.get("postcode")) if x)
            key = _norm(d.get("postcode") or "") + "|" + _norm(d.get("address") or "")
            edge(nid, node(f"p:{key}", label, "premises"), "lives at")
        for vrm in d.get("vrms") or []:
            edge(nid, node(f"v:{_norm(vrm).replace(' ', '')}", _norm(vrm), "vehicle"), "uses vehicle")
        for phone in d.get("phones") or []:
            edge(nid, node(f"t:{re.sub(r'[^0-9+]', '', phone)}", phone, "phone"), "uses phone")
        for business in d.get("businesses") or []:
            edge(nid, node(f"b:{_norm(business)}", business, "business"), "business")
    for nominal_id, other, role in v.other_ocgs:
        edge(f"n{nominal_id}", node(f"o{other.id}", f"{other.reference} {other.name}", "ocg",
                                    reference=other.reference), f"{role.label.lower()} in")
    on_op = {link.nominal_id for link in v.links}
    off_op: set[int] = set()
    for item in v.nominal_links:
        for end in (item.nominal, item.other):
            if end.id not in on_op:
                off_op.add(end.id)
                node(f"n{end.id}", end.display_name or end.reference, "linked_nominal", reference=end.reference,
                     role="Nominal on another operation")
        kind = "family" if item.kind.is_family else "rival" if item.kind is LinkKind.RIVAL else "association"
        edge(f"n{item.nominal_id}", f"n{item.other_id}", associations.relation_label(item, item.nominal_id).lower(),
             kind, reverse=associations.relation_label(item, item.other_id).lower())
    if off_op:
        # Which OCG a linked nominal belongs to, where the viewer may see that operation: the
        # guidance colour-codes a chart's entities by OCG.
        visible_ops = select(Operation.id).where(visible_to(user, Operation))
        for link in s.scalars(select(NominalLink).where(NominalLink.nominal_id.in_(off_op),
                                                        NominalLink.operation_id.in_(visible_ops))
                              .order_by(NominalLink.id)).unique():
            other = link.operation
            edge(f"n{link.nominal_id}", node(f"o{other.id}", f"{other.reference} {other.name}", "ocg",
                                             reference=other.reference), f"{link.role.label.lower()} in")
    if v.ocg_associations:
        this = node(f"o{op.id}", f"{op.reference} {op.name}", "ocg", reference=op.reference)
        for link in v.links:
            if link.role is NominalRole.PRINCIPAL:
                edge(this, f"n{link.nominal_id}", "principal member")
        for item in v.ocg_associations:
            other = item.other_end(op.id)
            rival = item.kind is OperationLinkKind.RIVAL
            edge(this, node(f"o{other.id}", f"{other.reference} {other.name}", "ocg", reference=other.reference),
                 "rival OCG" if rival else "linked OCG", "rival" if rival else "ocg_link")
    for m in v.confirmed:
        request = m.answer.response.request
        outcome = m.answer.outcome.label if m.answer.outcome else "Answer"
        aid = node(f"a{m.answer_id}", f"{request.agency.name}: {request.reference} ({outcome})", "answer",
                   reference=request.reference)
        edge(f"n{m.nominal_id}", aid, "partner answer")
    return {"nodes": list(nodes.values()), "edges": edges, "marking": op.classification.value,
            "reference": op.reference, "legend": ROLE_COLOURS, "legend_labels": LEGEND_LABELS,
            "edge_legend": EDGE_LEGEND}


# --- performance ---------------------------------------------------------------------------
@dataclass
class Performance:
    by_agency: list[dict]
    outcomes: dict[str, int]
    requirements: dict[str, int]
    pillars: dict[str, int]
    review_by_tier: list[dict]
    median_days_overall: float | None
    by_heading: list[dict] = field(default_factory=list)
    satisfied_by_month: list[tuple[str, int]] = field(default_factory=list)  # cumulative
    disruptions: dict[str, int] = field(default_factory=dict)


def performance(s: Session, op: Operation, user: User, on: date) -> Performance:
    v = gather(s, op, user)
    agencies: dict[int, dict] = {}
    days: dict[int, list[int]] = defaultdict(list)
    for r in v.requests:
        row = agencies.setdefault(r.agency_id, {"agency": r.agency.name, "issued": 0, "answered": 0, "overdue": 0})
        if r.state is RequestState.DRAFT:
            continue
        row["issued"] += 1
        if r.answered_at is not None:
            row["answered"] += 1
            if r.issued_at is not None:
                days[r.agency_id].append(max(0, (r.answered_at - r.issued_at).days))
        elif r.state in OPEN_REQUEST_STATES and r.deadline < on:
            row["overdue"] += 1
    heading_days: dict[str, list[int]] = defaultdict(list)
    answered = {r.id: r for r in v.requests if r.answered_at is not None and r.issued_at is not None}
    if answered:
        # The headings each answered request asks under, read together (not its questions one
        # request at a time: the page must not run a statement per request).
        for request_id, heading in s.execute(
                select(RequestQuestion.request_id, RequestQuestion.heading).distinct()
                .where(RequestQuestion.request_id.in_(list(answered)))
                .order_by(RequestQuestion.request_id, RequestQuestion.heading)):
            r = answered[request_id]
            heading_days[heading.label].append(max(0, (r.answered_at - r.issued_at).days))
    all_days = []
    for agency_id, row in agencies.items():
        row["median_days"] = statistics.median(days[agency_id]) if days[agency_id] else None
        all_days.extend(days[agency_id])
    outcomes = Counter()
    if v.responses:
        # Counted by the database over the responses the viewer may see: the answers' sealed
        # text is never loaded for a count.
        for outcome, n in s.execute(select(Answer.outcome, func.count()).where(
                Answer.response_id.in_([r.id for r in v.responses])).group_by(Answer.outcome)):
            outcomes["hit" if outcome is AnswerOutcome.ANSWERED else
                     "no_trace" if outcome is AnswerOutcome.NO_TRACE else "unanswered"] += n
    requirements = Counter(r.state.value for r in v.requirements)
    pillars = Counter(i.pillar for i in v.interventions)
    # Requirements satisfied over time, from the decision log of the visible requirements.
    satisfied_by_month: list[tuple[str, int]] = []
    requirement_ids = [r.id for r in v.requirements]
    if requirement_ids:
        months = Counter(e.decided_at.strftime("%Y-%m") for e in s.scalars(select(DecisionLogEntry).where(
            DecisionLogEntry.operation_id == op.id, DecisionLogEntry.subject_type == "requirement",
            DecisionLogEntry.decision == "requirement_satisfied",
            DecisionLogEntry.subject_id.in_(requirement_ids))))
        running = 0
        for month in sorted(months):
            running += months[month]
            satisfied_by_month.append((month, running))
    # Counted by the database over every operation the viewer may see (a supervisor's run to
    # hundreds): a review is late when it is past due or was never set (Operation.review_overdue).
    late = or_(Operation.next_review_due.is_(None), Operation.next_review_due < on)
    counts = {tier: (n, n_late) for tier, n, n_late in s.execute(
        select(Operation.tier, func.count(), func.sum(case((late, 1), else_=0)))
        .where(visible_to(user, Operation)).group_by(Operation.tier))}
    tiers = []
    for tier in (1, 2, 3, 4):
        n, n_late = counts.get(tier, (0, 0))
        tiers.append({"tier": tier, "operations": n, "on_time": n - (n_late or 0), "overdue": n_late or 0})
    return Performance(
        by_agency=sorted(agencies.values(), key=lambda r: r["agency"]),
        outcomes={k: outcomes.get(k, 0) for k in ("hit", "no_trace", "unanswered")},
        requirements={st.value: requirements.get(st.value, 0) for st in RequirementState},
        pillars={p.value: pillars.get(p.value, 0) for p in Pillar},
        review_by_tier=tiers,
        median_days_overall=statistics.median(all_days) if all_days else None,
        satisfied_by_month=satisfied_by_month,
        by_heading=[{"heading": h, "answered": len(d), "median_days": statistics.median(d)}
                    for h, d in sorted(heading_days.items())],
        disruptions=dict(Counter(f"{d.agency.name}: {d.status.label}" for d in v.disruptions)))


def bar_chart(title: str, rows: list[tuple[str, float]], width: int = 560, unit: str = "") -> dict:
    """Geometry for a horizontal bar chart drawn as SVG by the template."""
    bar, gap, label_w = 22, 10, 190
    top = max((value for _, value in rows), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(rows):
        length = (width - label_w - 60) * value / top
        bars.append({"label": label, "value": value, "y": i * (bar + gap), "x": label_w, "w": round(length, 1),
                     "text_x": label_w + round(length, 1) + 6})
    return {"title": title, "bars": bars, "width": width, "height": max(1, len(rows)) * (bar + gap),
            "bar": bar, "unit": unit}


# --- tasking list export ----------------------------------------------------------------
TASKING_KIND = "tasking_list"


def tasking_rows(s: Session, op: Operation, user: User, on: date) -> tuple[list[list[str]], Classification]:
    v = gather(s, op, user)
    rows = [["section", "reference", "detail", "pillar or agency", "due", "status"]]
    for r in v.requirements:
        if r.state is RequirementState.OPEN:
            rows.append(["Open requirement", r.reference, r.gap or "", r.pillar.label,
                         r.review_date.isoformat(), r.priority.label + " priority"])
    marking = op.classification
    for r in v.requests:
        if r.state in OPEN_REQUEST_STATES and r.deadline < on:
            rows.append(["Overdue request", r.reference, f"{(on - r.deadline).days} days overdue", r.agency.name,
                         r.deadline.isoformat(), r.state.label])
            marking = max(marking, r.classification, key=lambda c: c.rank)
    for i in v.interventions:
        rows.append(["Intervention", f"{op.reference}/I{i.id}", i.action or "", i.pillar.capitalize(),
                     i.due_date.isoformat() if i.due_date else "", "Owner: " + i.owner.full_name])
    return rows, marking


def export_tasking_list(s: Session, op: Operation, user: User, on: date, *, lawful_basis: LawfulBasis,
                        purpose: str, necessity: str, recipients: str) -> tuple[Dissemination, str]:
    """Records the export on the dissemination register (released at once: it carries no
    partner answers, so no originator's consent is needed), audits it and returns the CSV
    with the marking in its first and last rows."""
    rows, marking = tasking_rows(s, op, user, on)
    item = Dissemination(operation_id=op.id, kind=TASKING_KIND, status="released", lawful_basis=lawful_basis,
                         marking=marking, response_ids=[], created_by_id=user.id, released_by_id=user.id)
    s.add(item)
    s.flush()
    item.purpose, item.necessity, item.recipients = purpose.strip(), necessity.strip(), recipients.strip()
    from gainportal.db import utcnow
    item.released_at = utcnow()
    s.flush()
    audit.record(s, "dissemination_released", object_type="dissemination", object_id=item.id,
                 handling={"classification": marking.value, "operation_id": op.id},
                 detail={"kind": TASKING_KIND, "rows": len(rows) - 1, "lawful_basis": lawful_basis.value}, actor=user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([marking.value])
    for row in rows:
        writer.writerow([_csv_safe(c) for c in row])
    writer.writerow([marking.value])
    return item, out.getvalue()


def _csv_safe(value: str) -> str:
    """No spreadsheet formula injection from free text."""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- family tree -------------------------------------------------------------------------------
@dataclass
class FamilyTree:
    nodes: list[dict]
    edges: list[dict]
    rows: list[dict]  # the data-table alternative, one row per person
    generations: int
    marking: str
    reference: str


def family_tree(s: Session, op: Operation, user: User) -> FamilyTree:
    """The families of the operation's members: their visible family links, and the visible
    relatives of those relatives (a grandparent not on the operation still places a child),
    laid out by generation: parents above children, partners and siblings side by side."""
    v = gather(s, op, user)
    roles = {link.nominal_id: link.role for link in v.links}
    people: dict[int, Nominal] = {link.nominal_id: link.nominal for link in v.links}
    found = {item.id: item for item in v.nominal_links if item.kind.is_family}
    frontier = {n for item in found.values() for n in (item.nominal_id, item.other_id)} - set(people)
    # Two more rings of relatives, each one query, so a large family cannot run away.
    for _ in range(2):
        if not frontier or len(people) + len(frontier) > FAMILY_MAX_NODES:
            break
        new = [i for i in associations.links_touching(s, user, frontier) if i.kind.is_family and i.id not in found]
        found.update((i.id, i) for i in new)
        frontier = {n for i in new for n in (i.nominal_id, i.other_id)} - set(people) - frontier
    links = sorted(found.values(), key=lambda i: i.id)
    for item in links:
        people.setdefault(item.nominal_id, item.nominal)
        people.setdefault(item.other_id, item.other)
    in_tree = [n for n in people if any(n in (i.nominal_id, i.other_id) for i in links)]
    if len(in_tree) > FAMILY_MAX_NODES:
        in_tree = in_tree[:FAMILY_MAX_NODES]
    keep = set(in_tree)
    links = [i for i in links if i.nominal_id in keep and i.other_id in keep]
    generation = _generations(in_tree, links)
    positions = _place(in_tree, links, generation)

    def label(n: int) -> str:
        return people[n].display_name or people[n].reference

    nodes = [{"id": f"n{n}", "label": label(n), "reference": people[n].reference,
              "kind": roles[n].value if n in roles else "linked_nominal",
              "colour": ROLE_COLOURS[roles[n].value if n in roles else "linked_nominal"],
              "role": roles[n].label if n in roles else "Not on this operation",
              "generation": generation[n], "x": positions[n][0], "y": positions[n][1]} for n in in_tree]
    edges = [{"id": f"f{i.id}", "source": f"n{i.nominal_id}", "target": f"n{i.other_id}", "kind": i.kind.value,
              "label": associations.relation_label(i, i.nominal_id).lower()} for i in links]
    columns = {"Parent of": "children", "Child of": "parents", "Sibling of": "siblings",
               "Partner or spouse of": "partners"}
    role_of = {node["id"]: node["role"] for node in nodes}
    rows = []
    for n in sorted(in_tree, key=lambda n: (generation[n], label(n))):
        rel: dict[str, list[str]] = defaultdict(list)
        for i in links:
            if n in (i.nominal_id, i.other_id):
                other = label(i.other_id if i.nominal_id == n else i.nominal_id)
                relation = associations.relation_label(i, n)
                column = columns.get(relation, "other")
                rel[column].append(other if column != "other" else f"{relation.lower()} {other}")
        rows.append({"name": label(n), "reference": people[n].reference, "generation": generation[n] + 1,
                     "role": role_of[f"n{n}"],
                     **{k: sorted(rel.get(k, [])) for k in ("parents", "partners", "siblings", "children", "other")}})
    return FamilyTree(nodes=nodes, edges=edges, rows=rows,
                      generations=(max(generation.values()) + 1) if generation else 0,
                      marking=op.classification.value, reference=op.reference)


def _generations(people: list[int], links: list[NominalAssociation]) -> dict[int, int]:
    """Generation of each person: a child one below its parent, partners, siblings and cousins
    level. Breadth-first from the first person of each family; the first placing wins when the
    records disagree (they sometimes do), then every family is shifted to start at 0."""
    step: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i in links:
        delta = 1 if i.kind is LinkKind.PARENT else 0
        if i.kind is LinkKind.OTHER_RELATIVE:
            continue  # an aunt or a grandparent: level unknown, placed by their other links
        step[i.nominal_id].append((i.other_id, delta))
        step[i.other_id].append((i.nominal_id, -delta))
    generation: dict[int, int] = {}
    for start in people:
        if start in generation:
            continue
        family, queue = [start], [start]
        generation[start] = 0
        while queue:
            current = queue.pop(0)
            for other, delta in step[current]:
                if other not in generation:
                    generation[other] = generation[current] + delta
                    family.append(other)
                    queue.append(other)
        low = min(generation[p] for p in family)
        for p in family:
            generation[p] -= low
    return generation


def _place(people: list[int], links: list[NominalAssociation], generation: dict[int, int],
           dx: int = 190, dy: int = 150) -> dict[int, tuple[int, int]]:
    """x, y for each person: one row per generation; a row is ordered by the mean position of
    each person's parents, partners kept next to each other."""
    parents: dict[int, list[int]] = defaultdict(list)
    partner: dict[int, int] = {}
    for i in links:
        if i.kind is LinkKind.PARENT:
            parents[i.other_id].append(i.nominal_id)
        elif i.kind is LinkKind.PARTNER:
            partner.setdefault(i.nominal_id, i.other_id)
            partner.setdefault(i.other_id, i.nominal_id)
    order = {p: k for k, p in enumerate(people)}
    x: dict[int, float] = {}
    rows: dict[int, list[int]] = defaultdict(list)
    for p in people:
        rows[generation[p]].append(p)
    for g in sorted(rows):
        def key(p: int) -> tuple[float, int]:
            xs = [x[q] for q in parents[p] if q in x]
            if not xs and p in partner and partner[p] in x:
                xs = [x[partner[p]]]
            return (sum(xs) / len(xs) if xs else float("inf"), order[p])
        ranked = sorted(rows[g], key=key)
        line: list[int] = []
        for p in ranked:
            if p in line:
                continue
            line.append(p)
            mate = partner.get(p)
            if mate is not None and mate in rows[g] and mate not in line:
                line.append(mate)
        width = (len(line) - 1) * dx
        for k, p in enumerate(line):
            x[p] = k * dx - width / 2
    return {p: (round(x[p]), generation[p] * dy) for p in people}
