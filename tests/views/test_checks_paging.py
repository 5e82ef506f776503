"""GAIN lists are paged (GOV.UK pagination) rather than cut off: a partner's checks and a
co-ordinator's circulations."""
from __future__ import annotations

import re

from tests.conftest import sign_in
from tests.circulation_factories import Gain


def test_checks_list_pages_through_every_check(app, make):
    gain = Gain(app, make)
    made = [gain.circulate() for _ in range(27)]
    client = app.test_client()
    sign_in(client, gain.spocs[1])
    first = client.get("/partner/checks").get_data(as_text=True)
    second = client.get("/partner/checks?page=2").get_data(as_text=True)
    shown = [re.findall(r'href="/partner/checks/(\d+)"', page) for page in (first, second)]
    assert len(shown[0]) == 25 and len(shown[1]) == 2
    assert len(set(shown[0]) | set(shown[1])) == len(made)
    assert 'href="/partner/checks?page=2"' in first and "govuk-pagination" in first
    assert 'href="/partner/checks?page=1"' in second and 'page=3' not in second


def test_coordinator_pages_through_every_circulation(app, make):
    gain = Gain(app, make)
    made = [gain.circulate() for _ in range(27)]
    client = app.test_client()
    sign_in(client, gain.coordinator)
    first = client.get("/gain").get_data(as_text=True)
    second = client.get("/gain?page=2").get_data(as_text=True)
    shown = [re.findall(r'href="/gain/circulations/(\d+)"', page) for page in (first, second)]
    assert len(shown[0]) == 25 and len(shown[1]) == 2
    assert {int(i) for i in shown[0] + shown[1]} == set(made)
    assert 'href="/gain?page=2"' in first and 'href="/gain?page=1"' in second
