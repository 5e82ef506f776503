from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Regexp

from gainportal.forms.common import MaxLength, clean_text
from gainportal.models.enums import AgencyKind, Clearance, Role


class InviteForm(FlaskForm):
    full_name = StringField("Full name", widget=GovTextInput(), filters=[clean_text],
                            validators=[InputRequired("Enter the person's full name"), MaxLength(200, "Full name")])
    email = StringField("Email address", widget=GovTextInput(), filters=[clean_text],
                        description="Use their work email address",
                        validators=[InputRequired("Enter an email address"), MaxLength(254, "Email address"),
                                    Email("Enter an email address in the correct format, like name@example.gov.uk",
                                          check_deliverability=False)])
    agency_id = SelectField("Agency", widget=GovSelect(), coerce=int,
                            validators=[InputRequired("Select an agency")])
    role = RadioField("Role", widget=GovRadioInput(),
                      choices=[(r.value, r.label) for r in Role],
                      validators=[InputRequired("Select a role")])
    clearance = RadioField("Security clearance", widget=GovRadioInput(),
                           choices=[(c.value, c.value) for c in Clearance],
                           validators=[InputRequired("Select a security clearance")])
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class AgencyForm(FlaskForm):
    name = StringField("Agency name", widget=GovTextInput(), filters=[clean_text],
                       validators=[InputRequired("Enter the agency name"), MaxLength(200, "Agency name")])
    code = StringField("Short code", widget=GovTextInput(), filters=[clean_text],
                       description="Letters, numbers and hyphens, for example WYP or LEEDS-CC",
                       validators=[InputRequired("Enter a short code"), MaxLength(20, "Short code"),
                                   Regexp(r"^[A-Za-z0-9-]+$", message="Short code must only include letters, numbers and hyphens")])
    kind = SelectField("Type of agency", widget=GovSelect(),
                       choices=[(k.value, k.label) for k in AgencyKind],
                       validators=[InputRequired("Select the type of agency")])
    submit = SubmitField("Save agency", widget=GovSubmitInput())
