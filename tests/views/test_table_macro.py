"""Our table macro (templates/macros/table.html) must render what the Design System's
govukTable renders, for every parameter it takes, whitespace aside."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

OURS = '{% from "macros/table.html" import govukTable %}{{ govukTable(params) }}'
THEIRS = '{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}{{ govukTable(params) }}'


class _Tokens(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.tokens: list = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, sorted((k, " ".join((v or "").split())) for k, v in attrs)))

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.tokens.append(("text", " ".join(data.split())))

    def handle_entityref(self, name):
        self.tokens.append(("entity", name))

    def handle_charref(self, name):
        self.tokens.append(("charref", name))


def tokens(html: str) -> list:
    parser = _Tokens()
    parser.feed(html)
    return parser.tokens


CASES = {
    "plain": {"head": [{"text": "Name"}, {"text": "Count", "format": "numeric"}],
              "rows": [[{"text": "Kestrel"}, {"text": "3", "format": "numeric"}],
                       [{"text": "<b>not markup</b>"}, {"text": "0", "format": "numeric"}]]},
    "caption, classes, attributes": {
        "caption": "Requests", "captionClasses": "govuk-table__caption--m", "classes": "app-table--small",
        "attributes": {"data-module": "sortable", "id": "requests"},
        "head": [{"text": "Ref", "classes": "app-w", "attributes": {"aria-sort": "ascending"}, "colspan": 2}],
        "rows": [[{"html": Markup('<a class="govuk-link" href="/r/1">R&amp;1</a>'), "classes": "x", "colspan": 2,
                   "rowspan": 1, "attributes": {"data-sort-value": "1"}}]]},
    "first cell is header": {"firstCellIsHeader": True,
                             "rows": [[{"text": "Status", "classes": "h"}, {"text": "Open"}],
                                      [], [{"html": Markup("<strong>A</strong>")}, {"text": "B"}]]},
    "no head, empty rows": {"rows": []},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_our_table_renders_what_govuk_table_renders(app, name):
    with app.app_context():
        env = app.jinja_env
        ours = env.from_string(OURS).render(params=CASES[name])
        theirs = env.from_string(THEIRS).render(params=CASES[name])
    assert tokens(ours) == tokens(theirs)
    assert "<b>not markup</b>" not in ours


def test_base_template_uses_our_table(app):
    source = app.jinja_env.loader.get_source(app.jinja_env, "base.html")[0]
    assert 'from "macros/table.html" import govukTable' in source
