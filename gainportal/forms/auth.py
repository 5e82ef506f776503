from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired

from gainportal.forms.common import MaxLength, clean_text


class SignInForm(FlaskForm):
    email = StringField("Email address", widget=GovTextInput(), filters=[clean_text],
                        validators=[DataRequired("Enter your email address"), MaxLength(254, "Email address")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password"), MaxLength(256, "Password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField("Security code", widget=GovTextInput(), filters=[clean_text],
                       description="The 6-digit code shown in your authenticator app, or a recovery code",
                       validators=[DataRequired("Enter the 6-digit code from your authenticator app"),
                                   MaxLength(20, "Security code")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnrolForm(FlaskForm):
    code = StringField("Enter the 6-digit code from your app", widget=GovTextInput(), filters=[clean_text],
                       validators=[DataRequired("Enter the 6-digit code shown in your authenticator app"),
                                   MaxLength(20, "Code")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetPasswordForm(FlaskForm):
    password = PasswordField("Create a password", widget=GovPasswordInput(),
                             description="Use 12 characters or more. Three random words is a good way to make one.",
                             validators=[InputRequired("Enter a password")])
    confirm = PasswordField("Confirm your password", widget=GovPasswordInput(),
                            validators=[InputRequired("Confirm your password"),
                                        EqualTo("password", "Passwords must match")])
    submit = SubmitField("Create account", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button and its CSRF token."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
