"""Who a scheme is for, as scheme data (allocation issue, points 8 to 10).

- SLIM is for SMEs under the EU definition, counted with partner and linked enterprises: a large company gets no
  SLIM, and neither does a small one that belongs to a large group.
- SLIM pays at most € 20.000 in agriculture.
- An MKB!dee partnership has at least 65 % SMEs.
- De-minimis aid is counted over the single undertaking (the linked enterprises too) and three years back from
  the dates of the grants.
- A traject one scheme pays for is not paid again by a scheme that may not be combined with it.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from applications import checks, eligibility
from applications.errors import ActionError
from applications.models import DeMinimisAid, EnterpriseLink, OrganisationEvent
from demo.documents import attach_required
from schemes.formatting import datum
from schemes.models import Shape
from tests import factories as f

pytestmark = pytest.mark.django_db

E = Decimal


@pytest.fixture
def slim():
    scheme = f.slim_scheme()
    return f.open_opening(scheme, code="slim-mkb")


def company(employees, turnover, balance, **kwargs):
    organisation = f.OrganisationFactory(
        employees=E(employees), annual_turnover=E(turnover), balance_sheet_total=E(balance), **kwargs
    )
    return f.employer(organisation)


def link(user, kind, share, employees, turnover, balance, **kwargs):
    return EnterpriseLink.objects.create(
        organisation=user.organisation,
        kind=kind,
        name=kwargs.pop("name", f"Groepsmaatschappij {kind}"),
        share=E(share),
        employees=E(employees),
        annual_turnover=E(turnover),
        balance_sheet_total=E(balance),
        **kwargs,
    )


# --- the SME test --------------------------------------------------------------------------------------------


def test_a_large_company_gets_no_slim(slim):
    large = company("300", "80000000.00", "60000000.00")
    with pytest.raises(ActionError) as refused:
        f.submitted(slim, large)
    assert "alleen voor het mkb" in str(refused.value.detail) and "300 werknemers" in str(refused.value.detail)


def test_a_small_company_in_a_large_group_is_no_sme_but_a_partner_counts_only_for_its_share(slim):
    small = company("40", "6000000.00", "3000000.00")
    partner = link(small, EnterpriseLink.Kind.PARTNER, "40", "400", "90000000.00", "90000000.00")
    test = eligibility.sme_test(small.organisation)
    assert (test.employees, test.turnover, test.balance) == (E("200.0"), E("42000000.00"), E("39000000.00"))
    assert test.is_sme  # 40 % of a large partner: still an SME
    f.submitted(slim, small)

    other = company("40", "6000000.00", "3000000.00")
    link(other, EnterpriseLink.Kind.LINKED, "60", "400", "90000000.00", "90000000.00")  # linked: counted in full
    assert not eligibility.sme_test(other.organisation).is_sme
    with pytest.raises(ActionError, match="geen mkb-onderneming"):
        f.submitted(slim, other)
    partner.delete()


@pytest.mark.parametrize(
    ("employees", "turnover", "balance", "is_sme"),
    [
        ("249.9", "50000000.00", "99000000.00", True),  # turnover at the limit
        ("249.9", "99000000.00", "43000000.00", True),  # balance at the limit
        ("249.9", "50000000.01", "43000000.01", False),  # both over
        ("250", "1000000.00", "1000000.00", False),  # staff at 250
    ],
)
def test_the_sme_thresholds_of_the_eu_definition(employees, turnover, balance, is_sme):
    assert eligibility.sme_test(company(employees, turnover, balance).organisation).is_sme is is_sme


def test_without_figures_the_applicant_is_told_what_to_fill_in(slim):
    unknown = f.employer(f.OrganisationFactory(employees=None, annual_turnover=None, balance_sheet_total=None))
    with pytest.raises(ActionError, match="Vul in het profiel van uw organisatie"):
        f.submitted(slim, unknown)


def test_the_profile_takes_the_figures_and_the_group_and_shows_the_sme_test(client):
    werkgever = company("12", "1500000.00", "800000.00")
    client.force_login(werkgever)
    url = reverse("portal:profile-link")
    bad = client.post(url, {"link-kind": "partner", "link-name": "Houdster B.V.", "link-share": "70"})
    assert "25 tot en met 50 %" in bad.content.decode() and not werkgever.organisation.links.exists()
    added = {
        "link-kind": "linked",
        "link-name": "Moeder Holding B.V.",
        "link-kvk": "12345678",
        "link-share": "100",
        "link-employees": "300",
        "link-annual_turnover": "60.000.000,00",
        "link-balance_sheet_total": "50.000.000",
    }
    assert client.post(url, added).status_code == 302
    assert OrganisationEvent.objects.filter(organisation=werkgever.organisation, changes__has_key="link").exists()
    page = client.get(reverse("portal:profile")).content.decode()
    assert "Moeder Holding B.V." in page and "geen mkb-onderneming" in page
    link_id = werkgever.organisation.links.get().pk
    other = f.employer()
    client.force_login(other)
    assert client.post(url, {"remove": link_id}).status_code == 404  # not another organisation's
    assert EnterpriseLink.objects.filter(pk=link_id).exists()


# --- the sector cap and the partnership ------------------------------------------------------------------------


def test_slim_pays_at_most_20000_in_agriculture(slim):
    reviewer = f.reviewer([slim.scheme])
    boer = f.employer(f.OrganisationFactory(sector="landbouw"))
    app = f.in_review(slim, boer, reviewer, eligible_costs="50000.00")  # 60 %: € 30.000, max € 24.999
    assert checks.check_limits(app).amount == E("20000.00")
    with pytest.raises(ActionError, match="maximum in de sector landbouw"):
        f.act(app, "propose_grant", reviewer, {"amount": "24999.00"})
    f.act(app, "propose_grant", reviewer, {})
    assert app.pending_decision().amount == E("20000.00")

    ict = f.in_review(slim, f.employer(), reviewer, eligible_costs="50000.00")
    assert checks.check_limits(ict).amount == E("24999.00")


def test_an_mkbidee_partnership_has_at_least_65_percent_smes():
    scheme = f.slim_scheme(
        code="mkbidee-test", one_per_window=False, de_minimis=False, min_sme_share_partnership=E("65")
    )
    opening = f.open_opening(scheme, code="mkbidee-samen")
    reviewer = f.reviewer([scheme])
    app = f.in_review(opening, f.employer(), reviewer)
    type(app).objects.filter(pk=app.pk).update(is_partnership=True)  # a samenwerkingsverband
    app.refresh_from_db()
    app.partners.create(name="Penvoerder B.V.", role="lead", is_sme=True)
    app.partners.create(name="Groot Bedrijf N.V.", role="company", is_sme=False)
    assert app.is_partnership
    refusals = [r.message for r in checks.check_limits(app).refusals]
    assert any("ten minste 65 % van de partners mkb" in m and "50 %" in m for m in refusals)
    app.partners.create(name="Klein Bedrijf B.V.", role="company", is_sme=True)  # 2 of 3: 66,67 %
    assert not [r for r in checks.check_limits(app).refusals if r.field == "partners"]

    app.partners.create(name="Tweede Penvoerder B.V.", role="lead", is_sme=True)  # 3 of 4 SMEs, but two leads
    refusals = [r.message for r in checks.check_limits(app).refusals if r.field == "partners"]
    assert refusals == ["Een samenwerkingsverband heeft precies één penvoerder; bij deze aanvraag zijn dat er 2."]


# --- de-minimis over the single undertaking ------------------------------------------------------------------


def test_de_minimis_counts_the_aid_of_the_linked_enterprises_three_years_back_from_the_grant_dates(slim):
    werkgever = f.employer()
    sister = f.OrganisationFactory(name="Zusterbedrijf B.V.")
    link(werkgever, EnterpriseLink.Kind.LINKED, "100", "5", "500000.00", "400000.00", kvk=sister.kvk)
    today = timezone.localdate()
    DeMinimisAid.objects.create(
        organisation=sister, granted_on=today - datetime.timedelta(days=700), amount=E("290000.00"), provider="RVO"
    )
    assert eligibility.single_undertaking(werkgever.organisation) == [werkgever.organisation.pk, sister.pk]
    with pytest.raises(ActionError, match="met de ondernemingen die ermee verbonden zijn"):
        f.submitted(slim, werkgever, eligible_costs="30000.00")  # € 290.000 of the group + € 18.000 > € 300.000

    DeMinimisAid.objects.filter(organisation=sister).update(granted_on=today - relativedelta(years=3))
    app = f.submitted(slim, werkgever, eligible_costs="30000.00")  # three years ago today: no longer counted
    assert checks.de_minimis(app, E("18000.00"), on=today).received_here == E("0.00")


def test_declared_de_minimis_aid_counts_only_when_granted_in_the_three_years_before_the_decision(client_for):
    # SLIM's rules, with a maximum of € 60.000 instead of € 24.999, so € 250.000 of earlier aid can tip the balance
    slim = f.open_opening(f.slim_scheme(code="slim-zestig", max_amount=E("60000.00")), code="slim-zestig-nu")
    decision_day = timezone.localdate()
    old = (decision_day - relativedelta(years=3) - datetime.timedelta(days=2)).isoformat()
    recent = (decision_day - relativedelta(years=2)).isoformat()
    reviewer, senior = f.reviewer([slim.scheme]), f.senior([slim.scheme])

    # through the portal's form: each aid on its own row, with the date it was granted and who granted it
    werkgever = f.employer()
    app = f.draft(slim, werkgever, eligible_costs="100000.00", de_minimis_declared=None)  # 60 %: € 60.000
    step = reverse("portal:step", args=[app.reference, "verklaringen"])
    client = client_for(werkgever)
    refused = client.post(step, {"truthfulness_declared": "on", "de_minimis-TOTAL": "1", "action": "next"})
    assert "met het bedrag, de datum van verlening en de verstrekker" in refused.content.decode()
    row = {
        "de_minimis-0-amount": "250.000",
        "de_minimis-0-granted_on": old,
        "de_minimis-0-provider": "Provincie Gelderland",
    }
    going_on = client.post(step, {"truthfulness_declared": "on", "de_minimis-TOTAL": "1", **row, "action": "next"})
    assert going_on.status_code == 302, going_on.content.decode()
    app.refresh_from_db()
    assert app.de_minimis_declarations == [
        {"amount": "250000.00", "granted_on": old, "provider": "Provincie Gelderland"}
    ]
    assert app.de_minimis_declared == E("250000.00")
    # granted three years and two days before the decision: it no longer counts, so € 250.000 + € 60.000 is no breach
    attach_required(app, werkgever)
    f.act(app, "submit", werkgever)
    f.act(app, "start_review", reviewer)
    aid = checks.de_minimis(app, E("60000.00"), on=decision_day)
    assert (aid.declared, aid.declared_outside, aid.total) == (E("0.00"), E("250000.00"), E("60000.00"))
    case = client_for(reviewer).get(reverse("review:case", args=[app.reference])).content.decode()
    assert f"€ 250.000,00 op {datum(datetime.date.fromisoformat(old))} van Provincie Gelderland" in case
    assert "langer dan drie jaar geleden verleend en telt niet mee" in case
    f.act(app, "propose_grant", reviewer, {})
    f.act(app, "approve_decision", senior)
    app.refresh_from_db()
    assert (app.state, app.amount_granted) == ("granted", E("60000.00"))

    # through the API: € 250.000 granted two years before counts, and € 310.000 in three years is refused
    other = f.employer()
    body = {
        "opening": slim.code,
        "eligible_costs": "100000.00",
        "project_end_date": (decision_day + datetime.timedelta(days=365)).isoformat(),
        "truthfulness_declared": True,
        "de_minimis_declarations": [{"amount": "250000.00", "granted_on": recent, "provider": "Gemeente Arnhem"}],
    }
    api = client_for(other)
    created = api.post("/api/v1/applications/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["de_minimis_declarations"][0]["granted_on"] == recent
    fresh = other.organisation.applications.get()
    attach_required(fresh, other)
    with pytest.raises(ActionError, match="over drie jaar op € 310.000,00"):
        f.act(fresh, "submit", other)
    assert checks.de_minimis(fresh, E("60000.00"), on=decision_day).declared == E("250000.00")

    future = (decision_day + datetime.timedelta(days=1)).isoformat()
    refused = api.post(
        "/api/v1/applications/",
        {**body, "de_minimis_declarations": [{"amount": "1000.00", "granted_on": future, "provider": "Gemeente"}]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "de_minimis_declarations.0.granted_on" in refused.json()["errors"]


# --- cumulation -------------------------------------------------------------------------------------------------


def test_a_traject_paid_by_one_scheme_is_not_paid_again_by_a_scheme_that_excludes_it():
    praktijkleren = f.omscholing_scheme(code="praktijkleren-test", name="Praktijkleren (test)")
    omscholing = f.omscholing_scheme(code="omscholing-cumulatie", not_combined_with=["praktijkleren-test"])
    assert omscholing.shape == Shape.PER_UNIT
    werkgever = f.employer()
    start = timezone.localdate() + datetime.timedelta(days=30)
    end = start + datetime.timedelta(days=180)
    reviewer, senior = f.reviewer([praktijkleren, omscholing]), f.senior([praktijkleren, omscholing])
    f.granted(
        f.open_opening(praktijkleren, code="praktijkleren-nu"),
        werkgever,
        reviewer,
        senior,
        units=[f.traject(1, participant="J. Jansen", start=start, end=end)],
    )
    opening = f.open_opening(omscholing, code="omscholing-cumulatie-nu")
    with pytest.raises(ActionError, match="jansen heeft voor dit traject al subsidie uit Praktijkleren"):
        f.submitted(opening, werkgever, units=[f.traject(1, participant="j.  jansen", start=start, end=end)])

    later = end + datetime.timedelta(days=1)
    other_period = f.in_review(
        opening,
        f.employer(werkgever.organisation),
        reviewer,
        units=[f.traject(1, participant="J. Jansen", start=later, end=later + datetime.timedelta(days=180))],
    )
    f.act(other_period, "propose_grant", reviewer, {})  # another period: another traject


def test_a_slim_grant_is_refused_at_the_decision_when_the_organisation_holds_a_grant_that_may_not_pay_the_same_costs():
    regional = f.slim_scheme(
        code="regio-scholing-test", name="Regionale scholingsregeling (test)", one_per_window=False
    )
    slim = f.slim_scheme(code="slim-cumulatie", not_combined_with=["regio-scholing-test"])
    assert slim.shape == Shape.SHARE_OF_COSTS and f.open_opening(slim).published_rules.not_combined_with
    reviewer, senior = f.reviewer([regional, slim]), f.senior([regional, slim])
    werkgever = f.employer()
    in_a_year = (timezone.localdate() + datetime.timedelta(days=365)).isoformat()
    app = f.in_review(f.open_opening(slim), werkgever, reviewer, project_end_date=in_a_year)
    f.act(app, "propose_grant", reviewer, {})  # nothing held elsewhere yet

    # before the decision is approved, the organisation gets a grant from the other scheme for the same year
    regional_opening = f.open_opening(regional, code="regio-scholing-nu")
    held = f.granted(regional_opening, f.employer(werkgever.organisation), reviewer, senior, project_end_date=in_a_year)
    with pytest.raises(ActionError, match=f"Regionale scholingsregeling \\(test\\) \\(aanvraag {held.reference}\\)"):
        f.act(app, "approve_decision", senior)
    app.refresh_from_db()
    assert app.state == "decision_proposed" and app.amount_granted is None

    # another organisation whose grant there ended before this application: another period, other costs
    other = f.employer()
    earlier = f.granted(regional_opening, other, reviewer, senior)
    long_ago = timezone.now() - datetime.timedelta(days=800)
    type(earlier).objects.filter(pk=earlier.pk).update(
        submitted_at=long_ago, project_end_date=timezone.localdate() - datetime.timedelta(days=400)
    )
    granted = f.granted(f.open_opening(slim), other, reviewer, senior, project_end_date=in_a_year)
    assert granted.state == "granted"


def test_the_de_minimis_grants_export_for_the_central_register_names_the_single_undertaking(slim):
    werkgever = f.employer()
    sister = f.OrganisationFactory(name="Zusterbedrijf B.V.")
    link(werkgever, EnterpriseLink.Kind.LINKED, "100", "5", "500000.00", "400000.00", kvk=sister.kvk)
    reviewer, senior = f.reviewer([slim.scheme]), f.senior([slim.scheme])
    app = f.granted(slim, werkgever, reviewer, senior, eligible_costs="30000.00")
    DeMinimisAid.objects.create(  # declared by the applicant: aid from elsewhere, not ours to register
        organisation=werkgever.organisation, granted_on=timezone.localdate(), amount=E("1000.00"), provider="Gemeente"
    )
    out = io.StringIO()
    call_command("export_de_minimis", "--van", "2020-01-01", stdout=out)
    header, *rows = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert header[:5] == ["kvk", "naam", "één onderneming (kvk's)", "verleend op", "bedrag"]
    assert len(rows) == 1
    kvk, _name, group, _on, amount, _scheme, reference, _provider, regulation = rows[0]
    assert (kvk, reference, amount) == (werkgever.organisation.kvk, app.reference, "18000,00")
    assert group.split() == sorted([werkgever.organisation.kvk, sister.kvk])
    assert regulation == "Verordening (EU) 2023/2831"
    with pytest.raises(CommandError, match="geen datum"):
        call_command("export_de_minimis", "--van", "gisteren", stdout=io.StringIO())
