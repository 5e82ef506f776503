"""Forms for the partner side of a request.

The answer form has one radio group and one text box per question, so its per-question
fields are read from ``request.form`` by the view; the WTForms class carries the CSRF
token and the idempotency token only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from gainportal.forms.common import MaxLength, clean_text


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token is needed."""


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Why can your agency not answer this request?", widget=GovTextArea(), filters=[clean_text],
        description="The officer who sent the request will see this. For example, "
                    "\u201cWe do not hold records for this area\u201d.",
        validators=[InputRequired("Enter why your agency cannot answer this request"),
                    MaxLength(2000, "Reason")])
    submit = SubmitField("Decline request", widget=GovSubmitInput())


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Your message", widget=GovTextArea(), filters=[clean_text],
        description="Ask the officer to explain a question, or tell them something they need to know. "
                    "Do not put your answers here.",
        validators=[InputRequired("Enter your message"), MaxLength(5000, "Message")])
    submit = SubmitField("Send message", widget=GovSubmitInput())


class AnswerForm(FlaskForm):
    """CSRF plus the idempotency token made when the form was rendered."""

    idempotency_key = HiddenField()
