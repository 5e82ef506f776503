from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from gainportal.forms.common import GovRadios, MaxLength, clean_text
from gainportal.models.enums import Classification, LawfulBasis


class ExportForm(FlaskForm):
    lawful_basis = RadioField("Lawful basis for sharing", widget=GovRadios(),
                              choices=[(b.value, b.label) for b in LawfulBasis],
                              validators=[InputRequired("Select the lawful basis for sharing")])
    purpose = TextAreaField("What is it for?", widget=GovTextArea(), filters=[clean_text],
                            description="For example: the tasking meeting on 3 December",
                            validators=[InputRequired("Enter the purpose of sharing"), MaxLength(2000, "Purpose")])
    necessity = TextAreaField("Why is sharing necessary and proportionate?", widget=GovTextArea(), filters=[clean_text],
                              validators=[InputRequired("Explain why sharing is necessary and proportionate"),
                                          MaxLength(2000, "Necessity and proportionality")])
    recipients = TextAreaField("Who will receive it?", widget=GovTextArea(), filters=[clean_text],
                               validators=[InputRequired("Enter who will receive it"), MaxLength(1000, "Recipients")])
    submit = SubmitField("Prepare export", widget=GovSubmitInput())


class ConsentForm(FlaskForm):
    decision = RadioField("Do you consent to this information being shared?", widget=GovRadios(),
                          choices=[("grant", "Yes, it can be shared"), ("refuse", "No, it must not be shared")],
                          validators=[InputRequired("Select whether you consent")])
    reason = TextAreaField("Reason (needed if you do not consent)", widget=GovTextArea(), filters=[clean_text],
                           validators=[MaxLength(1000, "Reason")])
    submit = SubmitField("Send decision", widget=GovSubmitInput())


class BriefingForm(FlaskForm):
    text = TextAreaField("Sanitised briefing", widget=GovTextArea(), filters=[clean_text],
                         description="Leave out names, addresses, dates of birth, vehicle registrations and anything "
                                     "that could identify a source.",
                         validators=[InputRequired("Enter the sanitised briefing"), MaxLength(10000, "Briefing")])
    marking = RadioField("Marking", widget=GovRadios(), choices=[(c.value, c.value) for c in Classification],
                         default=Classification.OFFICIAL.value, validators=[InputRequired("Select the marking")])
    submit = SubmitField("Send for approval", widget=GovSubmitInput())
