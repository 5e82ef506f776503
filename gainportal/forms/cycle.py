from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect, GovSubmitInput, GovTextArea, GovTextInput,
)
from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from gainportal.forms.common import GovDate, GovRadios, MaxLength, clean_text
from gainportal.models.enums import (
    Classification, CollectionMethod, InternalSource, LawfulBasis, Pillar, Priority,
)
from gainportal.models.operation import OCGM_BANDS, P_BANDS, TIER_LABELS
from gainportal.services.dates import today

PILLAR_CHOICES = [(p.value, p.label) for p in Pillar]


def future_date(form, field):
    if field.data and field.data <= today():
        raise ValidationError(f"{field.label.text} must be in the future")


class GovDateField(DateField):
    """GOV.UK day/month/year inputs; a clear message for an impossible date."""

    def __init__(self, label, what: str, **kwargs):
        kwargs.setdefault("widget", GovDate())
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, **kwargs)
        self.what = what

    def process_formdata(self, valuelist):
        # The GOV.UK widget re-renders exactly three boxes; a tampered post must not break it.
        self.raw_data = (list(valuelist) + ["", "", ""])[:3]
        if not valuelist or not any(v.strip() for v in valuelist):
            self.data = None
            return
        if len(valuelist) != 3 or not all(v.strip().isdigit() for v in valuelist):
            self.data = None
            raise ValueError(f"{self.what} must be a real date, for example 27 3 2027")
        try:
            super().process_formdata([" ".join(v.strip() for v in valuelist)])
        except ValueError:
            raise ValueError(f"{self.what} must be a real date, for example 27 3 2027") from None


class OperationForm(FlaskForm):
    name = StringField("Operation name", widget=GovTextInput(), filters=[clean_text],
                       validators=[InputRequired("Enter the operation name"), MaxLength(120, "Operation name")])
    tier = RadioField("Tier of response", widget=GovRadios(), coerce=int,
                      choices=[(t, label) for t, label in TIER_LABELS.items()],
                      validators=[InputRequired("Select the tier of response")])
    ocgm_band = SelectField("OCGM band", widget=GovSelect(), choices=[("", "Not banded")] + [(b, b) for b in OCGM_BANDS],
                            validators=[Optional()])
    p_band = SelectField("P band", widget=GovSelect(), choices=[("", "None")] + [(b, b) for b in P_BANDS],
                         validators=[Optional()])
    classification = RadioField("Classification", widget=GovRadios(),
                                choices=[(c.value, c.value) for c in Classification],
                                default=Classification.OFFICIAL_SENSITIVE.value,
                                validators=[InputRequired("Select the classification")])
    summary = TextAreaField("Criminality summary", widget=GovTextArea(), filters=[clean_text],
                            description="What the group does and the harm it causes",
                            validators=[Optional(), MaxLength(5000, "Criminality summary")])
    submit = SubmitField("Create operation", widget=GovSubmitInput())


class ReviewForm(FlaskForm):
    kind = RadioField("Type of review", widget=GovRadios(),
                      choices=[("scheduled", "Scheduled review"), ("trigger", "Trigger review (a change in the picture)")],
                      validators=[InputRequired("Select the type of review")])
    tier = RadioField("Tier after this review", widget=GovRadios(), coerce=int,
                      choices=[(t, label) for t, label in TIER_LABELS.items()],
                      validators=[InputRequired("Select the tier after this review")])
    notes = TextAreaField("What did the review find and decide?", widget=GovTextArea(), filters=[clean_text],
                          validators=[InputRequired("Enter what the review found and decided"),
                                      MaxLength(5000, "Review notes")])
    submit = SubmitField("Record review", widget=GovSubmitInput())


class RequirementForm(FlaskForm):
    gap = TextAreaField("What do you need to know?", widget=GovTextArea(), filters=[clean_text],
                        description="The gap in what is known. Need to know, not nice to know.",
                        validators=[InputRequired("Enter what you need to know"), MaxLength(3000, "What you need to know")])
    intent = TextAreaField("What intervention or disruption will the answer drive?", widget=GovTextArea(),
                           filters=[clean_text],
                           description="For example: a licence review of the car wash at Kirkstall Road (Protect)",
                           validators=[InputRequired("Enter the intervention or disruption this will drive"),
                                       MaxLength(3000, "Intervention")])
    pillar = RadioField("Which 4P pillar?", widget=GovRadios(), choices=PILLAR_CHOICES,
                        validators=[InputRequired("Select the 4P pillar the intervention sits under")])
    priority = RadioField("Priority", widget=GovRadios(), choices=[(p.value, p.label) for p in Priority],
                          default=Priority.MEDIUM.value, validators=[InputRequired("Select a priority")])
    review_date = GovDateField("Review date", "Review date", validators=[InputRequired("Enter a review date"), future_date])
    submit = SubmitField("Save as draft", widget=GovSubmitInput())


class DecisionForm(FlaskForm):
    rationale = TextAreaField("Rationale", widget=GovTextArea(), filters=[clean_text],
                              description="Recorded in the decision log. Include what you decided not to do, and why.",
                              validators=[InputRequired("Enter the rationale for this decision"),
                                          MaxLength(5000, "Rationale")])
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class PlanItemForm(FlaskForm):
    source = SelectField("Source", widget=GovSelect(), validators=[InputRequired("Select a source")],
                         description="A partner agency (overt request) or an internal source")
    method = RadioField("Method", widget=GovRadios(), choices=[(m.value, m.label) for m in CollectionMethod],
                        validators=[InputRequired("Select the collection method")])
    lawful_basis = RadioField("Lawful basis", widget=GovRadios(), choices=[(b.value, b.label) for b in LawfulBasis],
                              validators=[InputRequired("Select the lawful basis")])
    isa_reference = StringField("Information sharing agreement reference", widget=GovTextInput(), filters=[clean_text],
                                validators=[Optional(), MaxLength(80, "ISA reference")])
    due_date = GovDateField("Due date", "Due date", validators=[InputRequired("Enter a due date"), future_date])
    notes = TextAreaField("Notes", widget=GovTextArea(), filters=[clean_text],
                          validators=[Optional(), MaxLength(3000, "Notes")])
    submit = SubmitField("Add to collection plan", widget=GovSubmitInput())

    def source_choices(self, agencies):
        self.source.choices = [("", "Select a source")] + [(f"agency:{a.id}", a.name) for a in agencies] + [
            (f"internal:{s.value}", f"Internal: {s.label}") for s in InternalSource]


class MessageForm(FlaskForm):
    body = TextAreaField("Message", widget=GovTextArea(), filters=[clean_text],
                         validators=[InputRequired("Enter your message"), MaxLength(5000, "Message")])
    submit = SubmitField("Send message", widget=GovSubmitInput())


class InterventionForm(FlaskForm):
    pillar = RadioField("Which 4P pillar?", widget=GovRadios(), choices=PILLAR_CHOICES,
                        validators=[InputRequired("Select the 4P pillar")])
    action = TextAreaField("What action or intervention will the answers drive?", widget=GovTextArea(),
                           filters=[clean_text],
                           validators=[InputRequired("Enter the action or intervention"), MaxLength(3000, "Action")])
    owner_id = SelectField("Owner", widget=GovSelect(), coerce=int, validators=[InputRequired("Select an owner")])
    due_date = GovDateField("Due date", "Due date", validators=[Optional()])
    submit = SubmitField("Record intervention", widget=GovSubmitInput())
