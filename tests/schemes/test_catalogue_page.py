"""The public catalogue: every scheme with its openings, status, ceiling and distribution, in Dutch."""

from __future__ import annotations

import re

import pytest

from schemes.models import Opening, Scheme

pytestmark = pytest.mark.django_db


def _section(html: str, code: str) -> str:
    """The part of the page about one scheme."""
    match = re.search(
        rf'<section class="os-card" aria-labelledby="scheme-{re.escape(code)}">(.*?)</section>', html, re.S
    )
    assert match, f"no section for {code}"
    return match.group(1)


def test_the_catalogue_lists_every_scheme_and_every_opening(client, catalogue):
    response = client.get("/regelingen/")

    assert response.status_code == 200
    html = response.content.decode()
    for scheme in Scheme.objects.all():
        section = _section(html, scheme.code)
        assert scheme.name in section
        for opening in scheme.openings.all():
            assert opening.code in section


def test_omscholing_2021_shows_its_window_status_ceiling_and_distribution_in_dutch(client, catalogue):
    section = _section(client.get("/regelingen/").content.decode(), "omscholing")

    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*omscholing-2021(?:(?!</tr>).)*</tr>", section, re.S).group(0)
    assert "1 september 2021" in row
    assert "1 december 2021" in row
    assert "gesloten" in row
    assert "€ 34.600.000,00" in row
    assert "op volgorde van binnenkomst" in row


def test_mkbidee_editions_show_their_ceilings_and_the_tender(client, catalogue):
    section = _section(client.get("/regelingen/").content.decode(), "mkbidee")

    for ceiling in ("€ 2.000.000,00", "€ 7.800.000,00", "€ 10.000.000,00", "€ 7.000.000,00"):
        assert ceiling in section
    assert section.count("tender (rangschikking op score)") == 4


def test_slim_openings_show_the_lottery_and_their_status_today(client, catalogue):
    section = _section(client.get("/regelingen/").content.decode(), "slim")

    assert section.count("loting") >= 3
    assert "€ 24.333.333,33" in section and "€ 24.333.333,34" in section
    for opening in Opening.objects.filter(scheme__code="slim"):
        assert str(opening.get_status_display()) in section


def test_the_catalogue_says_what_one_can_get(client, catalogue):
    html = client.get("/regelingen/").content.decode()

    assert "€ 3.750,00 per traject" in _section(html, "omscholing")
    assert "60 % van de subsidiabele kosten" in _section(html, "slim")


def test_a_programme_without_openings_says_so(client, catalogue):
    section = _section(client.get("/regelingen/").content.decode(), "ngf-pps")

    assert "Nog geen openstellingen." in section


def test_the_catalogue_answers_in_a_constant_number_of_queries(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        client.get("/regelingen/")


def test_the_scheme_page_shows_the_tranches_of_techkwadraat(client, catalogue):
    html = client.get("/regelingen/ngf-techkwadraat/").content.decode()

    assert "€ 145.800.000,00" in html
    assert "€ 205.800.000,00" in html
    assert "vrij na: KPI-beoordeling 2027 van het voorwaardelijke deel (31 december 2027)" in html
    assert "bij de start van de toekenning" in html
