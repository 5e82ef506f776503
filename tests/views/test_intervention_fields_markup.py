"""The request page writes out a new intervention form's fields
(templates/views/requests/_intervention_fields.html) instead of rendering each through its
GOV.UK widget: the markup must be what the widgets render, whitespace aside."""
from __future__ import annotations

from flask import render_template_string

from gainportal.forms.cycle import InterventionForm
from tests.views.test_table_macro import tokens

OURS = ('{% from "views/requests/_intervention_fields.html" import intervention_fields %}'
        '{{ intervention_fields(form) }}')
# What templates/views/requests/show.html rendered before, verbatim.
THEIRS = '''
  {{ form.pillar(params={"fieldset": {"legend": {"classes": "govuk-fieldset__legend--s"}}, "classes": "govuk-radios--inline"}) }}
  {{ form.action(params={"rows": 3}) }}
  {{ form.owner_id }}
  {{ form.due_date(params={"fieldset": {"legend": {"classes": "govuk-fieldset__legend--s"}}}) }}
  {{ form.submit }}
'''


def _form(owners, chosen):
    form = InterventionForm()
    form.owner_id.choices = owners
    form.owner_id.data = chosen
    return form


def test_written_out_intervention_fields_match_the_widgets(app):
    owners = [(58, "Amy Hughes"), (56, "Danielle O'Neill <DC>"), (1988, "Connor Jackson & co")]
    with app.test_request_context("/requests/1"):
        form = _form(owners, 56)
        ours, theirs = render_template_string(OURS, form=form), render_template_string(THEIRS, form=form)
    assert tokens(ours) == tokens(theirs)
    assert 'value="56" selected' in ours and "<DC>" not in ours


def test_no_owner_to_choose(app):
    with app.test_request_context("/requests/1"):
        form = _form([], 7)
        assert tokens(render_template_string(OURS, form=form)) == tokens(render_template_string(THEIRS, form=form))
