"""Each figure of a KPI report, on the March 2024 story of conftest.py, worked out by hand."""

from __future__ import annotations

import datetime

import pytest
from freezegun import freeze_time

from applications import services
from applications.models import Application, AuditEvent
from reporting.queries import ReportError, kpi_report

from .story import at

pytestmark = pytest.mark.django_db


def test_after_the_close_every_application_counts_under_its_outcome(story):
    report = kpi_report("opening", story.opening.code, "2024-04-01")
    assert report["scope"] == "opening" and report["code"] == story.opening.code and report["as_of"] == "2024-04-01"
    # six started (one still a draft); five left draft: 1 granted, 1 rejected, 1 withdrawn, 1 not considered, 1 open
    assert report["applications"] == {
        "started": 6,
        "submitted": 5,
        "granted": 1,
        "rejected": 1,
        "withdrawn": 1,
        "not_considered": 1,
        "open": 1,
        "draft": 1,
        "revoked": 0,
    }
    assert [(s["step"], s["count"]) for s in report["funnel"]] == [
        ("started", 6),
        ("submitted", 5),
        ("decided", 3),
        ("granted", 1),
    ]
    assert report["rejected_by_reason"] == {"not_eligible": 1}


def test_units_against_the_target_and_the_capacity(story):
    report = kpi_report("opening", story.opening.code, "2024-04-01")
    # the one grant has two trajecten; target 30 → 6,67 %; capacity 40 → 5 %
    assert report["units"]["granted"] == 2
    assert report["units"]["target"] == 30
    assert report["units"]["uptake_pct"] == 6.67
    assert report["units"]["capacity"] == 40 and report["units"]["capacity_pct"] == 5.0
    assert report["units_by_occupation_sector"] == {"ict": 2}


def test_money_from_the_ledger_against_the_ceiling(story):
    report = kpi_report("opening", story.opening.code, "2024-04-01")
    # granted 2 × € 3.750 = € 7.500 committed and paid as advance; the open one (1 traject) holds € 3.750
    # reserved; the reservations of the rejected, withdrawn and not-considered applications were released.
    assert report["budget"]["ceiling"] == "100000.00"
    assert report["budget"]["reserved"] == "3750.00"
    assert report["budget"]["committed"] == "7500.00"
    assert report["budget"]["paid"] == "7500.00"
    assert report["budget"]["settled"] == "0.00"
    assert report["budget"]["recovered"] == "0.00"
    assert report["budget"]["uptake_pct"] == 7.5
    assert report["budget"]["pct"]["reserved"] == 3.75


def test_organisations_and_breakdowns(story):
    report = kpi_report("opening", story.opening.code, "2024-04-01")
    assert report["organisations"] == {"granted": 1, "by_sector": {"ict": 1}}
    sectors = report["breakdowns"]["sector"]
    assert sectors["ict"]["started"] == 2 and sectors["ict"]["submitted"] == 1 and sectors["ict"]["granted"] == 1
    assert sectors["techniek"]["rejected"] == 1 and sectors["techniek"]["withdrawn"] == 1
    assert sectors["zorg"]["not_considered"] == 1 and sectors["zorg"]["open"] == 1
    assert report["breakdowns"]["size_class"]["large"]["submitted"] == 2
    assert report["breakdowns"]["province"]["gelderland"]["submitted"] == 2
    assert report["breakdowns"]["channel"] == {"employer": report["applications"]}


def test_lead_time_to_decision_median_and_p90(story):
    report = kpi_report("opening", story.opening.code, "2024-04-01")
    # decided after 10 (grant), 14 (not considered) and 19 days (rejection): median 14, p90 = 14 + 0.8 × 5 = 18
    assert report["lead_time_days"]["median"] == 14.0
    assert report["lead_time_days"]["p90"] == 18.0
    assert report["lead_time_days"]["decided"] == 3
    assert report["lead_time_days"]["decision_term_days"] == 56


def test_overdue_and_penalty_exposure(story):
    # the open application (complete 10 March) must be decided by 6 May (5 May is a Sunday)
    assert Application.objects.get(pk=story.app6.pk).decision_due == datetime.date(2024, 5, 6)
    assert kpi_report("opening", story.opening.code, "2024-05-06")["overdue"] == 0
    assert kpi_report("opening", story.opening.code, "2024-05-07")["overdue"] == 1
    # a notice of default received 7 May: the penalty runs from 21 May; on 1 June 11 days × € 23 = € 253
    Application.objects.filter(pk=story.app6.pk).update(default_notice_on=datetime.date(2024, 5, 7))
    exposure = kpi_report("opening", story.opening.code, "2024-06-01")["penalty_exposure"]
    assert exposure == {"applications": 1, "amount": "253.00"}
    # after 16 June the second rate applies: 14 × 23 + 1 × 35
    exposure = kpi_report("opening", story.opening.code, "2024-06-05")["penalty_exposure"]
    assert exposure["amount"] == "357.00"


def test_early_warning_projects_the_pace_to_the_close(story):
    # Window 1 March 09:00 – 31 March 17:00 is 727 hours (summer time starts 31 March).
    # On 3 March (end of day = 4 March 00:00, 63 hours in) apps 2 and 3 hold 3 units: 3 × 727 / 63 = 34.6
    # → 115 % of the target of 30: green.
    early = kpi_report("opening", story.opening.code, "2024-03-03")["early_warning"]
    assert early["projected_units"] == 35
    assert early["level"] == "green"
    # On 11 March (255 hours in) apps 2, 3, 5 and 6 are alive with 2 + 1 + 3 + 1 = 7 units (app 4 withdrew):
    # 7 × 727 / 255 = 19.957 → 66.52 % of 30: amber (below 80, not below 50).
    early = kpi_report("opening", story.opening.code, "2024-03-11")["early_warning"]
    assert early["projected_units"] == 20
    assert early["projected_pct"] == 66.52
    assert early["level"] == "amber"
    # Before the opening opened there is nothing to project.
    assert kpi_report("opening", story.opening.code, "2024-02-28")["early_warning"]["level"] is None


def test_red_when_the_pace_is_far_below_the_target(story):
    story.opening.target_units = 100
    story.opening.save()
    early = kpi_report("opening", story.opening.code, "2024-03-11")["early_warning"]
    assert early["projected_pct"] == 19.96 and early["level"] == "red"


def test_scheme_and_portfolio_add_up_the_openings(story):
    scheme = kpi_report("scheme", story.scheme.code, "2024-04-01")
    opening = kpi_report("opening", story.opening.code, "2024-04-01")
    assert scheme["applications"] == opening["applications"]
    assert scheme["units"]["target"] == 30 and scheme["units"]["granted"] == 2
    portfolio = kpi_report("portfolio", "all", "2024-04-01")
    assert portfolio["applications"]["submitted"] == 5
    pillar = portfolio["groups"]["by_pillar"]["2. behouden en aantrekken van werkenden"]
    assert pillar["applications"]["granted"] == 1 and pillar["schemes"] == [story.scheme.code]
    assert portfolio["groups"]["by_ministry"]["Ministerie van SZW"]["applications"]["submitted"] == 0
    assert portfolio["groups"]["by_ministry"]["Ministerie van EZK"]["budget"]["committed"] == "7500.00"


def test_a_report_as_of_a_date_is_the_same_after_later_changes(story):
    before = kpi_report("scheme", story.scheme.code, "2024-04-01")
    # April: the open application is granted; June: the grant of app 2 is settled lower, and the recovery received.
    app6 = story.review(story.app6, at(4, 8))
    app6 = story.act(app6, "propose_grant", story.reviewer, at(4, 9))
    story.act(app6, "approve_decision", story.senior, at(4, 10))
    units = list(story.app2.units.values_list("id", flat=True))
    app2 = story.act(story.app2, "request_settlement", story.employer_a, at(6, 3), units_completed=units[:1])
    app2 = story.act(app2, "propose_settlement", story.reviewer, at(6, 4))
    app2 = story.act(app2, "approve_settlement", story.senior, at(6, 5))
    with freeze_time(at(6, 20)):
        recovery = app2.payments.get(kind="recovery")
        services.record_payment(payment=recovery, user=story.payer)
        services.confirm_payment(payment=recovery, user=story.checker)

    assert kpi_report("scheme", story.scheme.code, "2024-04-01") == before
    later = kpi_report("scheme", story.scheme.code, "2024-06-30")
    assert later["applications"]["granted"] == 2 and later["applications"]["open"] == 0
    assert later["units"]["granted"] == 3
    # app 2 settled at one traject (€ 3.750): committed 3.750 + 3.750 (app 6); € 3.750 recovered of € 7.500 paid
    assert later["budget"]["committed"] == "7500.00"
    assert later["budget"]["settled"] == "3750.00"
    assert later["budget"]["recovered"] == "3750.00"
    assert later["budget"]["paid"] == "7500.00"
    assert later["budget"]["reserved"] == "0.00"


def test_the_figures_come_from_the_audit_trail_not_the_state_column(story):
    before = kpi_report("opening", story.opening.code, "2024-04-01")
    # Even if a state column were wrong, the report reads the events.
    Application.objects.filter(pk=story.app6.pk).update(state="granted")
    assert kpi_report("opening", story.opening.code, "2024-04-01") == before
    assert AuditEvent.objects.filter(application=story.app6).count() == 2


@pytest.mark.parametrize(
    ("scope", "code", "as_of", "status"),
    [
        ("regio", "x", None, 400),
        ("scheme", "bestaat-niet", None, 404),
        ("opening", "bestaat-niet", None, 404),
        ("portfolio", "noord", None, 404),
        ("scheme", "omscholing-rapport", "1-4-2024", 400),
        ("scheme", "omscholing-rapport", "2999-01-01", 400),
    ],
)
def test_bad_scope_code_or_date_is_refused_with_a_reason(story, scope, code, as_of, status):
    with pytest.raises(ReportError) as caught:
        kpi_report(scope, code, as_of)
    assert caught.value.status == status and caught.value.detail
