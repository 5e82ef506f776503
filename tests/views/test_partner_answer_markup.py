"""The partner's answer fields are written out in templates/views/partner/_answer_fields.html
instead of calling govukRadios, govukTextarea and govukFileUpload for every question: they
must render what those macros render for the same question, whitespace aside."""
from __future__ import annotations

import pytest

from tests.views.test_table_macro import tokens

OURS = ('{% from "views/partner/_answer_fields.html" import outcome_and_answer, file_field %}'
        '{{ outcome_and_answer(q, v, errs) }}{{ file_field(q, errs, max_label) }}')
# What templates/views/partner/request.html called before, verbatim.
THEIRS = '''
{% from "govuk_frontend_jinja/components/radios/macro.html" import govukRadios %}
{% from "govuk_frontend_jinja/components/textarea/macro.html" import govukTextarea %}
{% from "govuk_frontend_jinja/components/file-upload/macro.html" import govukFileUpload %}
        {{ govukRadios({
          "idPrefix": "outcome-" ~ q.id, "name": "outcome-" ~ q.id,
          "classes": "govuk-radios--small govuk-radios--inline",
          "fieldset": {"legend": {"text": "Did you find anything for question " ~ q.position ~ "?", "classes": "govuk-fieldset__legend--s"}},
          "errorMessage": {"text": errs.outcome} if errs.outcome else None,
          "items": [
            {"value": "answered", "text": "Answer", "hint": {"text": "We found something"}, "checked": v.outcome == "answered"},
            {"value": "no_trace", "text": "No trace", "hint": {"text": "Our records show nothing"}, "checked": v.outcome == "no_trace"},
          ]}) }}
        {{ govukTextarea({
          "id": "answer-" ~ q.id, "name": "answer-" ~ q.id, "rows": 5, "value": v.text,
          "label": {"text": "Your answer to question " ~ q.position, "classes": "govuk-label--s"},
          "hint": {"text": "Say what you found and where it came from. If you selected \u201cNo trace\u201d, you can leave this empty or add a note."},
          "errorMessage": {"text": errs.text} if errs.text else None,
          "attributes": {"data-draft-field": "answer"}}) }}
        {{ govukFileUpload({"id": "file-" ~ q.id, "name": "file-" ~ q.id,
          "label": {"text": "Attach a file to question " ~ q.position ~ " (optional)", "classes": "govuk-label--s"},
          "hint": {"text": "A PDF, image, Word, Excel, CSV or text file, smaller than " ~ max_label ~ ". It is sent when you save or submit."},
          "errorMessage": {"text": errs.file} if errs.file else None}) }}
'''


class Question:
    id = 417
    position = 3


CASES = {
    "nothing chosen": ({"outcome": "", "text": ""}, {}),
    "answered": ({"outcome": "answered", "text": "Seen at <b>32 Albert St</b> & \"the yard\"\nsince May"}, {}),
    "no trace": ({"outcome": "no_trace", "text": ""}, {}),
    "no outcome chosen": ({"outcome": "", "text": "typed"}, {"outcome": "Answer question 3, or select <No trace>"}),
    "answer missing": ({"outcome": "answered", "text": ""}, {"text": "Enter your answer to question 3"}),
    "file refused": ({"outcome": "no_trace", "text": ""}, {"file": "The file must be smaller than 50MB"}),
    "every error": ({"outcome": "", "text": "x" * 30}, {"outcome": "Pick one", "text": "Too long", "file": "Bad file"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_written_out_answer_fields_match_the_design_system_macros(app, name):
    values, errors = CASES[name]
    context = {"q": Question, "v": values, "errs": errors, "max_label": "50MB"}
    with app.app_context():
        ours = app.jinja_env.from_string(OURS).render(**context)
        theirs = app.jinja_env.from_string(THEIRS).render(**context)
    assert tokens(ours) == tokens(theirs)
    assert "<b>" not in ours
