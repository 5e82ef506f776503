"""GAIN co-ordination: referrals, circulation of subjects to many agencies, hit / no hit /
not held answers (one screen or CSV), the matrix, chasers, follow-up requests drafted from
hits, and each agency's disruption under its own powers.

Every function flushes and audits; the request commits once. Audit details carry ids and
counts, never content (a hit is itself intelligence, so not even the outcome is logged)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gainportal.db import utcnow
from gainportal.models import (
    Agency, AgencyKind, Classification, CollectionMethod, HandlingCode, Heading, LawfulBasis, Operation,
    Requirement, Role, User,
)
from gainportal.models.circulation import (
    AgencyGroup, AgencyGroupMember, Circulation, CirculationResult, CirculationState, CirculationSubject,
    CirculationTarget, DisruptionAction, DisruptionStatus, GainReferral, HitOutcome, PowerKind, ReferralState,
    SubjectKind,
)
from gainportal.security.crypto import normalise_name, normalise_postcode, normalise_vrm
from gainportal.security.sealing import blind
from gainportal.services import audit, indoctrination, jargon, notifications, requests, requirements
from gainportal.services.dates import today
from gainportal.services.errors import WorkflowError

MAX_SUBJECTS = 50
MAX_TEXT = 2000
FOLLOW_UP_DAYS = 14


def handling_of(circ: Circulation) -> dict:
    return {"classification": circ.classification.value, "handling_code": circ.handling_code.value,
            "operation_id": circ.operation_id, "circulation_id": circ.id}


def _reference(s: Session, model, prefix: str) -> str:
    # Partners see these references, so they say nothing about the operation behind them.
    while True:
        reference = f"{prefix}-{today().year}-{secrets.token_hex(3).upper()}"
        if not s.scalar(select(model.id).where(model.reference == reference)):
            return reference


def _required(text: str | None, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise WorkflowError(message)
    if len(text) > MAX_TEXT:
        raise WorkflowError(f"Enter {MAX_TEXT} characters or fewer")
    return text


def gain_units(s: Session) -> list[Agency]:
    """The regional GAIN units a referral can go to: the ROCUs."""
    return list(s.scalars(select(Agency).where(Agency.kind == AgencyKind.ROCU, Agency.active.is_(True))
                          .order_by(Agency.name)))


def member_agencies(s: Session) -> list[Agency]:
    """Agencies a circulation can go to: every active agency that is not police."""
    police = (AgencyKind.POLICE_FORCE, AgencyKind.ROCU, AgencyKind.NCA)
    return list(s.scalars(select(Agency).where(Agency.active.is_(True), Agency.kind.not_in(police))
                          .order_by(Agency.name)))


# --- referrals ----------------------------------------------------------------------------------
def refer(s: Session, *, gain_agency: Agency, concern: str, by: User, requirement: Requirement | None = None
          ) -> GainReferral:
    """From an LRO (for a requirement of their operation) or from a partner agency's SPOC."""
    if gain_agency.kind is not AgencyKind.ROCU:
        raise WorkflowError("Select a regional GAIN unit")
    if by.role.is_partner == (requirement is not None):
        raise WorkflowError("Select the requirement this referral serves" if requirement is None
                            else "Partners refer their own concern, not an operation's requirement")
    concern = _required(concern, "Describe the concern and what you need checked")
    operation = requirement.operation if requirement is not None else None
    referral = GainReferral(reference=_reference(s, GainReferral, "GAIN"), gain_agency_id=gain_agency.id,
                            referring_agency_id=by.agency_id, referred_by_id=by.id,
                            operation_id=getattr(requirement, "operation_id", None),
                            requirement_id=getattr(requirement, "id", None), state=ReferralState.SUBMITTED,
                            classification=operation.classification if operation is not None
                            else Classification.OFFICIAL_SENSITIVE)
    s.add(referral)
    s.flush()
    referral.concern = concern
    s.flush()
    audit.record(s, "gain_referral_submitted", object_type="gain_referral", object_id=referral.id,
                 detail={"gain_agency_id": gain_agency.id, "operation_id": referral.operation_id,
                         "from_partner": by.role.is_partner}, actor=by)
    from gainportal.security.permissions import clearance_covers  # the rules import this module's models

    for coordinator in _users(s, gain_agency.id, Role.GAIN_COORDINATOR):
        if clearance_covers(coordinator, referral.classification):  # told only of what they may open
            notifications.queue(s, coordinator, "gain_referral",
                                dedupe_key=f"gain-referral:{referral.id}:{coordinator.id}")
    return referral


def decide_referral(s: Session, referral: GainReferral, decision: ReferralState, rationale: str, by: User,
                    merge_into: GainReferral | None = None) -> None:
    if referral.state is not ReferralState.SUBMITTED:
        raise WorkflowError(f"This referral has already been {referral.state.label.lower()}")
    if decision not in (ReferralState.ACCEPTED, ReferralState.DECLINED, ReferralState.MERGED):
        raise WorkflowError("Select accept, decline or merge")
    rationale = _required(rationale, "Enter the reason for your decision")
    if decision is ReferralState.MERGED:
        if merge_into is None or merge_into.id == referral.id or merge_into.gain_agency_id != referral.gain_agency_id \
                or merge_into.state in (ReferralState.DECLINED, ReferralState.MERGED):
            raise WorkflowError("Select the open referral this one duplicates")
        referral.merged_into_id = merge_into.id
    referral.state, referral.decided_by_id, referral.decided_at = decision, by.id, utcnow()
    referral.rationale = rationale
    s.flush()
    audit.record(s, f"gain_referral_{decision.value}", object_type="gain_referral", object_id=referral.id,
                 detail={"to": decision.value, "merged_into_id": referral.merged_into_id}, actor=by)
    notifications.queue(s, referral.referred_by, "gain_referral_decided",
                        dedupe_key=f"gain-referral-decided:{referral.id}")


# --- agency groups ------------------------------------------------------------------------------
def save_group(s: Session, *, name: str, agency_ids: list[int], by: User) -> AgencyGroup:
    name = _required(name, "Enter a name for the group, for example the theme")[:120]
    members = [a for a in member_agencies(s) if a.id in set(agency_ids)]
    if not members:
        raise WorkflowError("Select at least one agency")
    if s.scalar(select(AgencyGroup.id).where(AgencyGroup.gain_agency_id == by.agency_id, AgencyGroup.name == name)):
        raise WorkflowError("A group with this name already exists")
    group = AgencyGroup(gain_agency_id=by.agency_id, name=name, created_by_id=by.id,
                        members=[AgencyGroupMember(agency_id=a.id) for a in members])
    s.add(group)
    s.flush()
    audit.record(s, "agency_group_saved", object_type="agency_group", object_id=group.id,
                 detail={"agencies": len(members)}, actor=by)
    return group


# --- circulations ----------------------------------------------------------------------------
@dataclass
class SubjectInput:
    kind: SubjectKind
    name: str = ""
    dob: str = ""
    address: str = ""
    postcode: str = ""
    vrm: str = ""
    business: str = ""

    def values(self) -> dict[str, str]:
        return {k: v.strip() for k, v in vars(self).items() if k != "kind" and v and v.strip()}


# What each kind of subject must carry to be checkable.
REQUIRED_FIELDS = {
    SubjectKind.PERSON: ("name", "Enter the person's name"),
    SubjectKind.VEHICLE: ("vrm", "Enter the vehicle registration"),
    SubjectKind.BUSINESS: ("business", "Enter the business name"),
    SubjectKind.PREMISES: ("address", "Enter the premises address"),
}


@dataclass
class CirculationDraft:
    purpose: str
    deadline: date | None
    subjects: list[SubjectInput]
    agencies: list[Agency]
    classification: Classification = Classification.OFFICIAL_SENSITIVE
    handling_code: HandlingCode = HandlingCode.P
    errors: dict[str, str] = field(default_factory=dict)


def _mentions(text: str, op: Operation | None) -> bool:
    if op is None or not text:
        return False
    lowered = text.casefold()
    return op.reference.casefold() in lowered or op.name.casefold() in lowered


def validate(draft: CirculationDraft, op: Operation | None) -> dict[str, str]:
    """Errors keyed by form field. Partners read the purpose and subjects, so neither may name
    the operation or use police jargon such as "OCG"."""
    errors: dict[str, str] = {}
    purpose = draft.purpose.strip()
    if not purpose:
        errors["purpose"] = "Enter why you are asking, in words a partner will understand"
    elif len(purpose) > MAX_TEXT:
        errors["purpose"] = f"Purpose must be {MAX_TEXT} characters or fewer"
    elif _mentions(purpose, op):
        errors["purpose"] = "Do not name the operation: partners see only the subjects and the purpose"
    elif findings := jargon.check(purpose):
        errors["purpose"] = f"Rewrite \u201c{findings[0].term}\u201d: {findings[0].why}. Try: {findings[0].suggestion}"
    if draft.deadline is None or draft.deadline <= today():
        errors["deadline"] = "The deadline must be in the future"
    subjects = [x for x in draft.subjects if x.values()]
    if not subjects:
        errors["subjects-0-name"] = "Enter at least one subject to check"
    if len(subjects) > MAX_SUBJECTS:
        errors["subjects-0-name"] = f"A circulation can check up to {MAX_SUBJECTS} subjects"
    for i, subject in enumerate(draft.subjects):
        values = subject.values()
        if not values:
            continue
        key, message = REQUIRED_FIELDS[subject.kind]
        if not values.get(key):
            errors[f"subjects-{i}-{key}"] = f"Subject {i + 1}: {message.lower()}"
        elif any(len(v) > 300 for v in values.values()):
            errors[f"subjects-{i}-{key}"] = f"Subject {i + 1}: each detail must be 300 characters or fewer"
        elif any(_mentions(v, op) for v in values.values()):
            errors[f"subjects-{i}-{key}"] = f"Subject {i + 1}: do not name the operation"
    if not draft.agencies:
        errors["agencies"] = "Select the agencies to ask"
    return errors


def circulate(s: Session, referral: GainReferral, draft: CirculationDraft, by: User) -> Circulation:
    if referral.state is not ReferralState.ACCEPTED:
        raise WorkflowError("Accept the referral before circulating its subjects")
    errors = validate(draft, referral.operation)
    if errors:
        raise WorkflowError(next(iter(errors.values())))
    circ = Circulation(reference=_reference(s, Circulation, "CHK"), gain_agency_id=referral.gain_agency_id,
                       referral_id=referral.id, operation_id=referral.operation_id, state=CirculationState.SENT,
                       deadline=draft.deadline, classification=draft.classification,
                       handling_code=draft.handling_code, created_by_id=by.id)
    s.add(circ)
    s.flush()
    circ.purpose = draft.purpose.strip()
    for position, subject in enumerate((x for x in draft.subjects if x.values()), start=1):
        values = subject.values()
        row = CirculationSubject(position=position, kind=subject.kind)
        circ.subjects.append(row)
        row.details = values
        row.name_index = _index("name", normalise_name, values.get("name") or values.get("business"))
        row.vrm_index = _index("vrm", normalise_vrm, values.get("vrm"))
        row.postcode_index = _index("postcode", normalise_postcode, values.get("postcode"))
    for agency in {a.id: a for a in draft.agencies}.values():
        circ.targets.append(CirculationTarget(agency_id=agency.id))
    s.flush()
    audit.record(s, "circulation_sent", object_type="circulation", object_id=circ.id, handling=handling_of(circ),
                 detail={"referral_id": referral.id, "subjects": len(circ.subjects),
                         "agency_ids": [t.agency_id for t in circ.targets], "deadline": circ.deadline}, actor=by)
    for target in circ.targets:
        for spoc in _users(s, target.agency_id, Role.PARTNER_SPOC):
            # Partners sign the operation's partner agreement before they see the subjects.
            if circ.operation is not None:
                indoctrination.invite(s, circ.operation, spoc, by)
            notifications.queue(s, spoc, "circulation_sent", dedupe_key=f"circulation:{circ.id}:{spoc.id}")
    return circ


def _index(kind: str, normalise, value: str | None) -> str | None:
    normalised = normalise(value or "")
    return blind(kind, normalised) if normalised else None


def _users(s: Session, agency_id: int, role: Role) -> list[User]:
    return list(s.scalars(select(User).where(User.agency_id == agency_id, User.role == role,
                                             User.active.is_(True)).order_by(User.id)))


def close(s: Session, circ: Circulation, rationale: str, by: User) -> None:
    if circ.state is CirculationState.CLOSED:
        raise WorkflowError("This circulation is already closed")
    _required(rationale, "Enter why you are closing the circulation")
    circ.state, circ.closed_at = CirculationState.CLOSED, utcnow()
    s.flush()
    audit.record(s, "circulation_closed", object_type="circulation", object_id=circ.id, handling=handling_of(circ),
                 detail={"answered_agencies": sum(1 for t in circ.targets if t.completed_at)}, actor=by)
    if circ.operation is not None:
        from gainportal.services.operations import log_decision
        log_decision(s, circ.operation, subject_type="circulation", subject_id=circ.id,
                     decision="circulation_closed", rationale=rationale, by=by)


# --- answers ------------------------------------------------------------------------------------
@dataclass
class RowError:
    line: int
    message: str
    subject_id: int | None = None


def record_results(s: Session, target: CirculationTarget, answers: dict[int, tuple[HitOutcome, str]], by: User
                   ) -> tuple[list[CirculationResult], list[RowError]]:
    """Saves every acceptable answer; reports the rest without losing the good ones.
    ``answers`` maps subject id to (outcome, optional note). Answers already given the same
    way are left alone, so a corrected file can be uploaded again in full."""
    circ = target.circulation
    if circ.state is not CirculationState.SENT:
        raise WorkflowError("This check is closed, so answers can no longer be recorded")
    if by.agency_id != target.agency_id or by.role is not Role.PARTNER_SPOC:
        raise WorkflowError("Only your agency's single point of contact can answer")
    subjects = {x.id: x for x in circ.subjects}
    existing = {r.subject_id: r for r in target.results}
    saved, errors = [], []
    for subject_id, (outcome, note) in answers.items():
        subject = subjects.get(subject_id)
        if subject is None:
            errors.append(RowError(0, "That subject is not part of this check"))
            continue
        note = (note or "").strip()
        if len(note) > 500:
            errors.append(RowError(0, f"{subject.label}: the note must be 500 characters or fewer", subject_id))
            continue
        if (old := existing.get(subject_id)) is not None:
            if old.outcome is not outcome:
                errors.append(RowError(0, f"{subject.label} is already answered as \u201c{old.outcome.label}\u201d. "
                                          "Contact the co-ordinator to correct it", subject_id))
            continue
        result = CirculationResult(target_id=target.id, subject_id=subject_id, answered_by_id=by.id)
        target.results.append(result)
        result.outcome = outcome
        if note:
            result.note = note
        saved.append(result)
    s.flush()
    if saved:
        if len(target.results) == len(subjects) and target.completed_at is None:
            target.completed_at = utcnow()
        audit.record(s, "circulation_answered", object_type="circulation_target", object_id=target.id,
                     handling=handling_of(circ), detail={"circulation_id": circ.id, "answers": len(saved),
                                                         "complete": target.completed_at is not None}, actor=by)
        for result in saved:
            if result.outcome is HitOutcome.HIT:
                draft_follow_up(s, result, by)
        for user in _users(s, circ.gain_agency_id, Role.GAIN_COORDINATOR):
            notifications.queue(s, user, "circulation_answered",
                                dedupe_key=f"circulation-answered:{target.id}:{len(target.results)}:{user.id}")
    return saved, errors


HIT_OUTCOMES = {
    "hit": HitOutcome.HIT, "yes": HitOutcome.HIT,
    "no hit": HitOutcome.NO_HIT, "no_hit": HitOutcome.NO_HIT, "nohit": HitOutcome.NO_HIT, "no": HitOutcome.NO_HIT,
    "not held": HitOutcome.NOT_HELD, "not_held": HitOutcome.NOT_HELD,
    "not a record type we hold": HitOutcome.NOT_HELD,
}


def parse_csv(raw: bytes, circ: Circulation, max_rows: int = 2000
              ) -> tuple[dict[int, tuple[HitOutcome, str]], dict[int, int], list[RowError]]:
    """Rows of ``subject,result[,note]``. Returns answers by subject id, the file line of each,
    and one error per bad row (line numbers as a spreadsheet shows them)."""
    import csv
    import io

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}, {}, [RowError(0, "The file must be a CSV saved as UTF-8")]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return {}, {}, [RowError(0, "The file is empty")]
    header = [h.strip().casefold() for h in rows[0]]
    if "subject" not in header or "result" not in header:
        return {}, {}, [RowError(1, "The first row must name the columns: subject, result and (optional) note")]
    if len(rows) - 1 > max_rows:
        return {}, {}, [RowError(0, f"The file can have up to {max_rows} rows")]
    col = {name: header.index(name) for name in ("subject", "result", "note") if name in header}
    by_label = {x.label.casefold(): x for x in circ.subjects} | {str(x.position): x for x in circ.subjects}
    answers, lines, errors = {}, {}, []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda name: row[col[name]].strip() if name in col and col[name] < len(row) else ""  # noqa: E731
        label, value = cell("subject"), cell("result")
        subject = by_label.get(label.casefold())
        outcome = HIT_OUTCOMES.get(" ".join(value.casefold().split()))
        if not label:
            errors.append(RowError(line, "Enter the subject, for example S1"))
        elif subject is None:
            errors.append(RowError(line, f"There is no subject \u201c{label[:20]}\u201d in this check"))
        elif outcome is None:
            errors.append(RowError(line, "Enter the result as hit, no hit or not held"))
        elif subject.id in answers:
            errors.append(RowError(line, f"{subject.label} appears more than once; keep one row for it"))
        elif len(cell("note")) > 500:
            errors.append(RowError(line, "The note must be 500 characters or fewer"))
        else:
            answers[subject.id] = (outcome, cell("note"))
            lines[subject.id] = line
    return answers, lines, errors


def upload_csv(s: Session, target: CirculationTarget, raw: bytes, by: User
               ) -> tuple[list[CirculationResult], list[RowError]]:
    answers, lines, errors = parse_csv(raw, target.circulation)
    saved, refused = record_results(s, target, answers, by) if answers else ([], [])
    # Conflicts found while saving carry the file line of their subject.
    errors += [RowError(lines.get(p.subject_id, 0), p.message, p.subject_id) for p in refused]
    audit.record(s, "circulation_csv_uploaded", object_type="circulation_target", object_id=target.id,
                 handling=handling_of(target.circulation),
                 detail={"rows_saved": len(saved), "rows_refused": len(errors)}, actor=by)
    return saved, sorted(errors, key=lambda e: e.line)


# --- from hit to detail ------------------------------------------------------------------------
FOLLOW_UP_QUESTIONS = {
    SubjectKind.PERSON: [(Heading.BEHAVIOUR, "What does your record about this person show, and when was it made?"),
                         (Heading.LIFESTYLE, "Which addresses, phone numbers or vehicles does your record link to this person?")],
    SubjectKind.VEHICLE: [(Heading.VEHICLES, "Who does your record show as keeping or using this vehicle, and since when?"),
                          (Heading.TRAVEL, "Where and when was this vehicle last recorded by your agency?")],
    SubjectKind.BUSINESS: [(Heading.BUSINESS, "What does your record about this business show, and who is named as running it?"),
                           (Heading.BUSINESS, "Has your agency inspected, licensed or taken action against this business?")],
    SubjectKind.PREMISES: [(Heading.BUSINESS, "What does your record about these premises show, and who is named there?"),
                           (Heading.CRIME, "Have you had complaints, inspections or licence decisions about these premises?")],
}
FOLLOW_UP_PURPOSE = ("You told us your agency holds a record about someone or something we asked you to check. "
                     "We would like to know what that record shows.")


def draft_follow_up(s: Session, result: CirculationResult, by: User):
    """A targeted request to the agency that found the record, drafted for the LRO to review
    and issue. Circulations with no operation (partner referrals) are followed up by the
    co-ordinator directly, so nothing is drafted."""
    target = result.target
    circ = target.circulation
    referral = circ.referral
    if circ.operation is None or referral.requirement is None or result.followup_request_id:
        return None
    lro = circ.operation.lro or referral.referred_by
    if target.plan_item is None:
        target.plan_item = requirements.add_plan_item(
            s, referral.requirement, source_agency=target.agency, internal_source=None,
            method=CollectionMethod.OVERT, lawful_basis=LawfulBasis.DPA_2018_SCHEDULE_2, isa_reference=None,
            due_date=today() + timedelta(days=FOLLOW_UP_DAYS), owner=lro, notes=None, by=lro)
    subject = result.subject
    details = subject.details or {}
    request = requests.create_draft(s, target.plan_item, requests.RequestDraft(
        agency=target.agency, deadline=today() + timedelta(days=FOLLOW_UP_DAYS), purpose=FOLLOW_UP_PURPOSE,
        questions=[requests.QuestionInput(h, t) for h, t in FOLLOW_UP_QUESTIONS[subject.kind]],
        subjects=[requests.SubjectInput(
            name=details.get("name") or details.get("business", ""), dob=details.get("dob", ""),
            address=details.get("address", ""), postcode=details.get("postcode", ""), vrm=details.get("vrm", ""))],
        classification=circ.classification, handling_code=HandlingCode.P), lro)
    result.followup_request_id = request.id
    s.flush()
    audit.record(s, "circulation_follow_up_drafted", object_type="circulation_result", object_id=result.id,
                 handling=handling_of(circ), detail={"request_id": request.id, "target_id": target.id}, actor=by)
    notifications.queue(s, lro, "circulation_hit", dedupe_key=f"circulation-hit:{result.id}")
    return request


# --- matrix and chasers ----------------------------------------------------------------------------
CELL_LABELS = {"hit": ("Hit", "govuk-tag--red"), "no_hit": ("No hit", "govuk-tag--green"),
               "not_held": ("Not held", "govuk-tag--grey"), "awaiting": ("Awaiting", "govuk-tag--blue"),
               "overdue": ("Overdue", "govuk-tag--orange")}


@dataclass
class AgencyColumn:
    target: CirculationTarget
    answered: int
    hits: int
    overdue: bool

    @property
    def hit_rate(self) -> int | None:
        return round(100 * self.hits / self.answered) if self.answered else None


@dataclass
class Matrix:
    columns: list[AgencyColumn]
    rows: list[tuple[CirculationSubject, list[tuple[str, CirculationResult | None]]]]
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def matrix(circ: Circulation, on: date) -> Matrix:
    overdue = circ.is_overdue(on)
    results = {(r.target_id, r.subject_id): r for t in circ.targets for r in t.results}
    columns = []
    for t in circ.targets:
        outcomes = [r.outcome for r in t.results]
        columns.append(AgencyColumn(t, len(outcomes), outcomes.count(HitOutcome.HIT),
                                    overdue and len(outcomes) < len(circ.subjects)))
    rows = []
    for subject in circ.subjects:
        cells = []
        for t in circ.targets:
            r = results.get((t.id, subject.id))
            cells.append((r.outcome.value if r else ("overdue" if overdue else "awaiting"), r))
        rows.append((subject, cells))
    return Matrix(columns, rows, len(results), len(circ.subjects) * len(circ.targets))


def chase(s: Session, circ: Circulation, by: User) -> int:
    """Content-free reminders to the SPOCs of agencies still to answer, at most one a day each."""
    if circ.state is not CirculationState.SENT:
        raise WorkflowError("This circulation is closed")
    kind = "circulation_overdue" if circ.is_overdue(today()) else "circulation_reminder"
    waiting = [t for t in circ.targets if len(t.results) < len(circ.subjects)]
    queued = 0
    for target in waiting:
        for spoc in _users(s, target.agency_id, Role.PARTNER_SPOC):
            if notifications.queue(s, spoc, kind, dedupe_key=f"{kind}:{target.id}:{spoc.id}:{today().isoformat()}"):
                queued += 1
        target.last_chased_at = utcnow()
    s.flush()
    audit.record(s, "circulation_chased", object_type="circulation", object_id=circ.id, handling=handling_of(circ),
                 detail={"agency_ids": [t.agency_id for t in waiting], "notifications": queued}, actor=by)
    return queued


# --- disruption --------------------------------------------------------------------------------
def record_disruption(s: Session, target: CirculationTarget, *, power: PowerKind, action: str, owner: str,
                      action_date: date | None, by: User) -> DisruptionAction:
    if by.agency_id != target.agency_id:
        raise WorkflowError("You can only record your own agency's action")
    action = _required(action, "Describe the action your agency will take under its own powers")
    owner = _required(owner, "Enter who in your agency owns the action")[:200]
    if action_date is None:
        raise WorkflowError("Enter the date of the action")
    item = DisruptionAction(circulation_id=target.circulation_id, operation_id=target.circulation.operation_id,
                            agency_id=target.agency_id, power=power, action_date=action_date,
                            status=DisruptionStatus.PLANNED, recorded_by_id=by.id)
    s.add(item)
    s.flush()
    item.action, item.owner = action, owner
    s.flush()
    audit.record(s, "disruption_recorded", object_type="disruption_action", object_id=item.id,
                 handling=handling_of(target.circulation), detail={"power": power.value, "agency_id": item.agency_id},
                 actor=by)
    return item


def record_outcome(s: Session, item: DisruptionAction, *, status: DisruptionStatus, outcome: str, by: User) -> None:
    if by.agency_id != item.agency_id:
        raise WorkflowError("You can only update your own agency's action")
    if status is DisruptionStatus.PLANNED:
        raise WorkflowError("Select whether the action was taken")
    item.outcome = _required(outcome, "Describe the outcome, for example the fine issued or the notice served")
    previous, item.status = item.status, status
    s.flush()
    audit.record(s, "disruption_outcome_recorded", object_type="disruption_action", object_id=item.id,
                 handling=handling_of(item.circulation), detail={"from": previous.value, "to": status.value},
                 actor=by)
