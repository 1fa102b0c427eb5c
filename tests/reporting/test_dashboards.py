"""What a program manager reads on the dashboards: Dutch words, not codes; a short summary first."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from applications.models import Role
from reporting.queries import kpi_report

from .story import make_user
from .test_programmes import programme  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def row_headers(html: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]*)</th>', html)


def test_tables_and_charts_show_labels_while_the_json_keeps_the_codes(client, story):
    client.force_login(story.manager)
    html = client.get(reverse("reporting:opening", args=[story.opening.code]), {"as_of": "2024-04-01"}).content.decode()
    headers = row_headers(html)
    # sectors, size classes, provinces, channels and the occupation's sector in words
    for label in ("ICT", "techniek", "zorg", "klein (minder dan 50 werknemers)", "mkb (50 tot 250 werknemers)"):
        assert label in headers
    for label in ("groot (250 werknemers of meer)", "Utrecht", "Gelderland", "Limburg", "werkgever"):
        assert label in headers
    assert "de aanvraag voldoet niet aan de voorwaarden van de regeling" in headers  # the rejection reason
    for code in ("ict", "small", "sme", "large", "utrecht", "employer", "not_eligible"):
        assert code not in headers
    # the charts carry the short labels too
    assert ">klein</text>" in html and ">mkb</text>" in html and ">werkgever</text>" in html
    # size classes in their natural order, not the alphabet of the codes
    assert headers.index("klein (minder dan 50 werknemers)") < headers.index("mkb (50 tot 250 werknemers)")
    assert headers.index("mkb (50 tot 250 werknemers)") < headers.index("groot (250 werknemers of meer)")
    # every chart has a table with the same figures: one caption per breakdown, after its chart
    for caption in ("Per sector", "Per grootteklasse", "Per provincie", "Per kanaal"):
        assert html.index(f"<caption>{caption}</caption>") > html.index(f"{caption}: ingediende aanvragen")
    report = kpi_report("opening", story.opening.code, "2024-04-01")
    assert set(report["breakdowns"]["size_class"]) == {"small", "sme", "large"}
    assert report["rejected_by_reason"] == {"not_eligible": 1}


def test_the_portfolio_opens_with_a_summary_per_scheme_and_a_table_of_contents(client, story):
    client.force_login(story.admin)
    html = client.get(reverse("reporting:dashboard"), {"as_of": "2024-03-15"}).content.decode()
    summary = html[html.index('id="samenvatting"') : html.index('class="os-toc"')]
    assert story.scheme.name in summary and "Andere regeling" in summary
    # day 14 of a 30-day window: 2 granted + 2 open trajecten … projected far below the target of 30
    report = kpi_report("scheme", story.scheme.code, "2024-03-15")
    level = {"red": "rood", "amber": "oranje", "green": "groen"}[report["early_warning"]["level"]]
    assert f'os-level--{report["early_warning"]["level"]}">{level}</span>' in summary
    assert "bij dit tempo worden naar verwachting" in summary and "van de 30 eenheden gehaald" in summary
    assert "Nog geen signaal" in summary  # the other scheme has no opening
    for anchor in ("regelingen", "by_pillar", "by_ministry", "vroegsignaal", "aanvragen", "verdeling", "exporteren"):
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    assert html.index('id="samenvatting"') < html.index('id="regelingen"') < html.index('id="vroegsignaal"')


def test_years_are_shown_without_a_thousands_separator(client, programme):  # noqa: F811
    manager = make_user("pm-programma", Role.PROGRAM_MANAGER, schemes=[programme["scheme"]])
    client.force_login(manager)
    html = client.get(reverse("reporting:scheme", args=[programme["scheme"].code])).content.decode()
    assert "(2023)" in html and "(2030)" in html
    assert "2.023" not in html and "2.030" not in html
