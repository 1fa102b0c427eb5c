"""The Algemene termijnenwet's own holidays: the fifth of May every year, Good Friday, and the decreed days."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from django.urls import reverse

from applications import clocks
from applications.models import EquatedDay

pytestmark = pytest.mark.django_db

D = datetime.date


def test_an_objection_sent_on_24_march_2027_is_due_on_10_may_2027():
    """Six weeks end on 5 May 2027 (a holiday every year), then Ascension Day and the decreed Friday, the weekend."""
    assert clocks.objection_due(D(2027, 3, 24)) == D(2027, 5, 10)


@pytest.mark.parametrize(
    "day, why",
    [
        (D(2026, 1, 1), "Nieuwjaarsdag"),
        (D(2026, 4, 3), "Goede Vrijdag (lid 2)"),
        (D(2026, 4, 6), "tweede Paasdag"),
        (D(2026, 4, 27), "Koningsdag"),
        (D(2025, 4, 26), "Koningsdag op zaterdag: de 27e is een zondag"),
        (D(2026, 5, 5), "de vijfde mei, ook buiten een lustrumjaar"),
        (D(2027, 5, 5), "de vijfde mei"),
        (D(2026, 5, 14), "Hemelvaartsdag"),
        (D(2026, 5, 25), "tweede Pinksterdag"),
        (D(2026, 12, 25), "eerste Kerstdag"),
        (D(2026, 12, 28), "maandag: geen feestdag"),
    ],
)
def test_the_atw_list(day, why):
    holiday = day in clocks.atw_holidays(day.year)
    assert holiday is (why != "maandag: geen feestdag"), why


def test_the_decreed_days_are_data_with_their_reference():
    for day in (D(2026, 1, 2), D(2026, 5, 15), D(2027, 5, 7)):
        equated = EquatedDay.objects.get(day=day)
        assert "art. 3, derde lid, Atw" in equated.reference
        assert not clocks.is_working_day(day)


def test_an_administrator_adds_next_year_s_decreed_day_and_terms_follow_at_once():
    assert clocks.is_working_day(D(2028, 5, 26))
    beheerder = (
        site._registry[EquatedDay]
        .model._meta.apps.get_model("applications", "User")
        .objects.create_superuser("beheerder-atw", "b@example.nl", "Lang-en-sterk-wachtwoord-2026!")
    )
    client = Client()
    client.force_login(beheerder)
    response = client.post(
        reverse("admin:applications_equatedday_add"),
        {"day": "2028-05-26", "reference": "Koninklijk besluit van 1 juli 2027, Stb. 2027, 200"},
    )
    assert response.status_code == 302
    assert not clocks.is_working_day(D(2028, 5, 26))
    assert clocks.next_working_day(D(2028, 5, 25)) == D(2028, 5, 29)  # Ascension Thursday, the decreed Friday


def test_good_friday_and_the_fifth_of_may_roll_a_term_on():
    assert clocks.next_working_day(D(2027, 3, 26)) == D(2027, 3, 30)  # Good Friday, the weekend, Easter Monday
    assert clocks.next_working_day(D(2026, 5, 5)) == D(2026, 5, 6)
