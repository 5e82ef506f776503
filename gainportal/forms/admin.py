from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Email, InputRequired, Regexp

from gainportal.forms.common import ChoiceRadioField, ChoiceSelectField, GovRadios, MaxLength, clean_text
from gainportal.models.enums import AgencyKind, Clearance, Role


class InviteForm(FlaskForm):
    full_name = StringField("Full name", widget=GovTextInput(), filters=[clean_text],
                            validators=[DataRequired("Enter the person's full name"), MaxLength(200, "Full name")])
    email = StringField("Email address", widget=GovTextInput(), filters=[clean_text],
                        description="Use their work email address",
                        validators=[DataRequired("Enter an email address"), MaxLength(254, "Email address"),
                                    Email("Enter an email address in the correct format, like name@example.gov.uk",
                                          check_deliverability=False)])
    agency_id = ChoiceSelectField("Agency", widget=GovSelect(), coerce=int, invalid_message="Select an agency",
                                  validators=[InputRequired("Select an agency")])
    role = ChoiceRadioField("Role", widget=GovRadios(), invalid_message="Select a role",
                            choices=[(r.value, r.label) for r in Role],
                            validators=[InputRequired("Select a role")])
    clearance = ChoiceRadioField("Security clearance", widget=GovRadios(),
                                 invalid_message="Select a security clearance",
                                 choices=[(c.value, c.value) for c in Clearance],
                                 validators=[InputRequired("Select a security clearance")])
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class AgencyForm(FlaskForm):
    name = StringField("Agency name", widget=GovTextInput(), filters=[clean_text],
                       validators=[DataRequired("Enter the agency name"), MaxLength(200, "Agency name")])
    code = StringField("Short code", widget=GovTextInput(), filters=[clean_text],
                       description="Letters, numbers and hyphens, for example WYP or LEEDS-CC",
                       validators=[DataRequired("Enter a short code"), MaxLength(20, "Short code"),
                                   Regexp(r"^[A-Za-z0-9-]+$", message="Short code must only include letters, numbers and hyphens")])
    kind = ChoiceSelectField("Type of agency", widget=GovSelect(), invalid_message="Select the type of agency",
                             choices=[(k.value, k.label) for k in AgencyKind],
                             validators=[InputRequired("Select the type of agency")])
    submit = SubmitField("Save agency", widget=GovSubmitInput())
