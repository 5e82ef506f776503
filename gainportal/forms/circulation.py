"""Forms for GAIN co-ordination. The circulation's subject rows and agency checkboxes are
read from ``request.form`` by the view (a variable number of rows); the classes here carry
the fixed fields and the CSRF token."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from gainportal.forms.common import ChoiceRadioField, ChoiceSelectField, GovRadios, MaxLength, clean_text
from gainportal.forms.cycle import GovDateField, future_date
from gainportal.models.circulation import DisruptionStatus, PowerKind, ReferralState
from gainportal.models.enums import Classification
from govuk_frontend_wtf.wtforms_widgets import GovSelect


class ReferralForm(FlaskForm):
    gain_agency_id = ChoiceSelectField("GAIN unit", widget=GovSelect(), coerce=int,
                                       invalid_message="Select the GAIN unit to refer to",
                                       validators=[InputRequired("Select the GAIN unit to refer to")])
    requirement_id = ChoiceSelectField("Requirement this serves", widget=GovSelect(), coerce=int,
                                       invalid_message="Select the requirement this referral serves",
                                       validators=[Optional()])
    concern = TextAreaField("What is the concern, and what do you need checked?", widget=GovTextArea(),
                            filters=[clean_text],
                            description="The co-ordinator reads this. Partners do not.",
                            validators=[InputRequired("Describe the concern and what you need checked"),
                                        MaxLength(2000, "Concern")])
    submit = SubmitField("Send referral", widget=GovSubmitInput())


class ReferralDecisionForm(FlaskForm):
    decision = ChoiceRadioField("Decision", widget=GovRadios(), invalid_message="Select accept, decline or merge",
                                choices=[(ReferralState.ACCEPTED.value, "Accept"),
                                         (ReferralState.DECLINED.value, "Decline"),
                                         (ReferralState.MERGED.value, "Merge into another referral (a duplicate)")],
                                validators=[InputRequired("Select accept, decline or merge")])
    merge_into_id = ChoiceSelectField("Duplicate of", widget=GovSelect(), coerce=int,
                                      invalid_message="Select the referral this one duplicates",
                                      validators=[Optional()])
    rationale = TextAreaField("Rationale", widget=GovTextArea(), filters=[clean_text],
                              validators=[InputRequired("Enter the reason for your decision"),
                                          MaxLength(2000, "Rationale")])
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class CirculationForm(FlaskForm):
    purpose = TextAreaField("Why are you asking? (partners read this)", widget=GovTextArea(), filters=[clean_text],
                            description="Plain language. Do not name the operation or the group.",
                            validators=[InputRequired("Enter why you are asking, in words a partner will understand"),
                                        MaxLength(2000, "Purpose")])
    deadline = GovDateField("Deadline", "Deadline", validators=[InputRequired("Enter a deadline"), future_date])
    classification = ChoiceRadioField("Classification", widget=GovRadios(),
                                      invalid_message="Select the classification",
                                      choices=[(c.value, c.value) for c in Classification],
                                      default=Classification.OFFICIAL_SENSITIVE.value,
                                      validators=[InputRequired("Select the classification")])
    agency_mode = ChoiceRadioField("Which agencies?", widget=GovRadios(), invalid_message="Select which agencies to ask",
                                   choices=[("all", "All member agencies"), ("selection", "A selection"),
                                            ("group", "A saved group")],
                                   validators=[InputRequired("Select which agencies to ask")])
    group_id = ChoiceSelectField("Saved group", widget=GovSelect(), coerce=int, invalid_message="Select a saved group",
                                 validators=[Optional()])
    submit = SubmitField("Send circulation", widget=GovSubmitInput())


class GroupForm(FlaskForm):
    name = StringField("Group name", widget=GovTextInput(), filters=[clean_text],
                       description="The theme, for example labour exploitation",
                       validators=[InputRequired("Enter a name for the group"), MaxLength(120, "Group name")])
    submit = SubmitField("Save group", widget=GovSubmitInput())


class CloseForm(FlaskForm):
    rationale = TextAreaField("Why are you closing this circulation?", widget=GovTextArea(), filters=[clean_text],
                              validators=[InputRequired("Enter why you are closing the circulation"),
                                          MaxLength(2000, "Reason")])
    submit = SubmitField("Close circulation", widget=GovSubmitInput())


class UploadForm(FlaskForm):
    file = FileField("Upload a CSV of results", widget=GovFileInput(),
                     description="Columns: subject, result (hit, no hit or not held) and an optional note. "
                                 "Download the template to start.")
    submit = SubmitField("Upload results", widget=GovSubmitInput())


class DisruptionForm(FlaskForm):
    power = ChoiceRadioField("Kind of power", widget=GovRadios(), invalid_message="Select the kind of power",
                             choices=[(p.value, p.label) for p in PowerKind],
                             validators=[InputRequired("Select the kind of power")])
    action = TextAreaField("What will your agency do?", widget=GovTextArea(), filters=[clean_text],
                           description="For example: a fire safety inspection, a licence review, a civil penalty",
                           validators=[InputRequired("Describe the action your agency will take"),
                                       MaxLength(2000, "Action")])
    owner = StringField("Who owns it?", widget=GovTextInput(), filters=[clean_text],
                        validators=[InputRequired("Enter who in your agency owns the action"),
                                    MaxLength(200, "Owner")])
    action_date = GovDateField("Date of the action", "Date of the action",
                               validators=[InputRequired("Enter the date of the action")])
    submit = SubmitField("Record action", widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    status = ChoiceRadioField("Was the action taken?", widget=GovRadios(), invalid_message="Select whether it was taken",
                              choices=[(DisruptionStatus.DONE.value, "Yes"),
                                       (DisruptionStatus.NOT_TAKEN.value, "No")],
                              validators=[InputRequired("Select whether the action was taken")])
    outcome = TextAreaField("Outcome", widget=GovTextArea(), filters=[clean_text],
                            description="For example: five illegal workers found; £100,000 in fines issued",
                            validators=[InputRequired("Describe the outcome"), MaxLength(2000, "Outcome")])
    submit = SubmitField("Record outcome", widget=GovSubmitInput())
