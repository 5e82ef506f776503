from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput,
)
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from gainportal.forms.common import MaxLength, clean_text


class SignForm(FlaskForm):
    confirm = BooleanField("I have read this agreement and I agree to it", widget=GovCheckboxInput())
    full_name = StringField("Type your full name to sign", widget=GovTextInput(), filters=[clean_text],
                            validators=[InputRequired("Type your full name to sign"), MaxLength(200, "Full name")])
    submit = SubmitField("Sign agreement", widget=GovSubmitInput())


class InviteToOperationForm(FlaskForm):
    user_id = SelectField("Person", widget=GovSelect(), coerce=int, validators=[InputRequired("Select a person")])
    submit = SubmitField("Add to the register", widget=GovSubmitInput())


class RevokeForm(FlaskForm):
    reason = TextAreaField("Why are you revoking their access?", widget=GovTextArea(), filters=[clean_text],
                           validators=[InputRequired("Enter why you are revoking their access"),
                                       MaxLength(500, "Reason")])
    submit = SubmitField("Revoke access", widget=GovSubmitInput())


class AgreementForm(FlaskForm):
    text = TextAreaField("Agreement text", widget=GovTextArea(), filters=[clean_text],
                         validators=[InputRequired("Enter the text of the agreement"), MaxLength(20000, "Agreement text")])
    valid_months = IntegerField("Months before signatures expire", widget=GovTextInput(),
                                validators=[InputRequired("Enter the number of months"),
                                            NumberRange(1, 24, "Enter a number of months from 1 to 24")])
    submit = SubmitField("Publish new version", widget=GovSubmitInput())
