"""Control after the grant: separation of duties on the money, a changed bank account held for a second person,
recovery with statutory interest and set-off, the tiers of accounting, and the ex officio settlement on what is
known. Scenarios in the schemes' language (Omscholing, SLIM, MKB!dee)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from applications import clock_job, reconcile, services
from applications.errors import Conflict, Forbidden, Invalid
from applications.models import AuditEvent, Document, IbanChange, Objection, Payment, Role, SampleDraw
from applications.services import accounts, money, samples
from applications.states import State
from schemes.models import Scheme
from schemes.rules import Rules
from tests import factories as f
from tests.factories import act, decide_objection, granted, pay, team_for

pytestmark = pytest.mark.django_db

E = Decimal
SEPARATION = "Functiescheiding: u heeft een besluit over deze aanvraag voorgesteld"


def snapshot(app) -> tuple:
    app.refresh_from_db()
    return (
        app.version,
        app.amount_paid,
        app.amount_recovered,
        list(app.payments.values_list("id", "status", "recorded_by", "confirmed_by")),
        AuditEvent.objects.filter(application=app).count(),
    )


# --- 13. separation of duties --------------------------------------------------------------------


def test_the_reviewer_who_proposed_the_grant_cannot_record_its_payment():
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    before = snapshot(app)
    for who, said in (("reviewer", "voorgesteld"), ("senior", "goedgekeurd")):
        with pytest.raises(Forbidden) as refused:
            act(app, "pay_advance", team[who])
        assert f"Functiescheiding: u heeft een besluit over deze aanvraag {said}" in refused.value.detail
        assert "pay_advance" not in services.available_actions(app, team[who])
        with pytest.raises(Forbidden, match="Functiescheiding"):
            services.record_payment(payment=app.payments.get(kind="advance"), user=team[who])
    assert snapshot(app) == before  # nothing changed: no payment, no booking, no event
    # the finance staff, who took no decision, record it; a second one confirms it
    app = act(app, "pay_advance", team["payer"])
    assert app.amount_paid == E("0.00")
    advance = app.payments.get(kind="advance")
    assert (advance.status, advance.recorded_by, advance.iban) == ("recorded", team["payer"], "NL91ABNA0417164300")
    app = act(app, "confirm_payment", team["checker"])
    advance.refresh_from_db()
    assert (advance.status, advance.confirmed_by) == ("paid", team["checker"])
    assert app.amount_paid == E("7500.00")
    assert reconcile.run() == []


def test_the_case_screen_shows_each_payment_with_who_recorded_and_who_confirmed_it(client):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    act(app, "pay_advance", team["payer"])
    f.declare_no_conflict(app, team["checker"])
    client.force_login(team["checker"])
    page = client.get(reverse("review:case", args=[app.reference])).content.decode()
    assert "vastgelegd, wacht op bevestiging" in page and team["payer"].username in page
    assert "NL91ABNA0417164300" in page and 'value="confirm_payment"' in page
    act(app, "confirm_payment", team["checker"])
    page = client.get(reverse("review:case", args=[app.reference])).content.decode()
    assert f"({team['payer'].username}, {team['checker'].username})" in page


def test_a_reviewer_is_refused_even_without_a_decision_of_their_own_finance_staff_pay():
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    with pytest.raises(Forbidden, match="financieel medewerker van deze regeling"):
        act(app, "pay_advance", team["objection_handler"])


def test_the_same_person_cannot_record_and_confirm_a_payment_not_through_the_api_nor_the_screen(client):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    act(app, "pay_advance", team["payer"])
    before = snapshot(app)
    with pytest.raises(Forbidden, match="Vier ogen: u heeft deze betaling zelf vastgelegd"):
        act(app, "confirm_payment", team["payer"])
    # the API answers 403 with the reason
    api = APIClient()
    api.force_authenticate(team["payer"])
    answer = api.post(f"/api/v1/applications/{app.reference}/actions/confirm_payment/", {}, format="json")
    assert answer.status_code == 403 and "zelf vastgelegd" in answer.json()["detail"]
    # the case screen says why, and offers no button
    client.force_login(team["payer"])
    page = client.get(reverse("review:case", args=[app.reference])).content.decode()
    assert "Vier ogen: u heeft deze betaling zelf vastgelegd" in page
    assert 'value="confirm_payment"' not in page
    app.refresh_from_db()
    answer = client.post(
        reverse("review:act", args=[app.reference]),
        {"action": "confirm_payment", "version": app.version},
        follow=True,
    )
    assert "zelf vastgelegd" in answer.content.decode()
    assert snapshot(app) == before
    # and the database refuses it whatever the door
    advance = app.payments.get(kind="advance")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=advance.pk).update(confirmed_by=team["payer"], status="paid")


def test_the_case_screen_tells_the_proposing_reviewer_why_they_do_not_pay(client):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    client.force_login(team["reviewer"])
    page = client.get(reverse("review:case", args=[app.reference])).content.decode()
    assert SEPARATION in page
    assert 'value="pay_advance"' not in page
    answer = client.post(
        reverse("review:act", args=[app.reference]), {"action": "pay_advance", "version": app.version}, follow=True
    )
    assert SEPARATION in answer.content.decode()
    app.refresh_from_db()
    assert app.payments.get(kind="advance").status == "due"


def test_a_second_role_does_not_lift_the_rule_an_administrator_who_approved_does_not_pay():
    """An administrator may pay (a payments role) and approve (an approver role), never both on one case."""
    team = team_for()
    admin = f.staff(Role.ADMINISTRATOR, username="beheerder-betaalt")
    app = f.proposed_grant(team["opening"], team["employer"], team["reviewer"])
    app = act(app, "approve_decision", admin)
    with pytest.raises(Forbidden, match="Functiescheiding: u heeft een besluit over deze aanvraag goedgekeurd"):
        act(app, "pay_advance", admin)
    # nor does the finance person take a decision: they do not review
    with pytest.raises(Forbidden):
        act(app, "revoke", team["payer"], {"ground": "4:48-b", "reason": "Onterecht."})
    # an administrator who took no decision here may record, and another person confirms
    other_admin = f.staff(Role.ADMINISTRATOR, username="beheerder-controleert")
    act(app, "pay_advance", other_admin)
    with pytest.raises(Forbidden, match="zelf vastgelegd"):
        act(app, "confirm_payment", other_admin)
    app = act(app, "confirm_payment", team["checker"])
    assert app.amount_paid == E("7500.00")


def test_a_reviewer_moved_to_the_finance_team_still_does_not_pay_the_grant_they_proposed():
    """The rule follows the person, not the role they hold today."""
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    moved = team["reviewer"]
    moved.role = Role.FINANCE
    moved.save()
    with pytest.raises(Forbidden, match="Functiescheiding: u heeft een besluit over deze aanvraag voorgesteld"):
        act(app, "pay_advance", moved)
    act(app, "pay_advance", team["payer"])
    with pytest.raises(Forbidden, match="Functiescheiding"):
        act(app, "confirm_payment", moved)  # nor is theirs the second pair of eyes
    assert app.payments.get(kind="advance").status == "recorded"


def test_finance_staff_do_not_run_an_allocation(client):
    """Who pays does not decide who gets the money: no allocation run by the finance staff, via the API or screen."""
    team = team_for()
    api = APIClient()
    api.force_authenticate(team["payer"])
    answer = api.post(f"/api/v1/openings/{team['opening'].code}/allocate/", {"seed": "2026"}, format="json")
    assert answer.status_code == 403 and "financieel medewerker" in answer.json()["detail"]
    client.force_login(team["payer"])
    assert client.get(reverse("review:allocation", args=[team["opening"].code])).status_code == 403
    assert not team["opening"].allocations.exists()


def test_who_decided_an_objection_does_not_pay_what_follows_from_it():
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    pay(app, team["payer"], team["checker"])
    act(app, "revoke", team["reviewer"], {"ground": "4:48-b", "reason": "Het contract is niet verlengd."})
    app = act(app, "approve_decision", team["senior"])
    act(app, "lodge_objection", team["employer"], {"reason": "Wel verlengd."})
    data = {"outcome": "unfounded", "note": "Niet aangetoond."}
    app = decide_objection(app, data, team["objection_handler"], team["objection_approver"])
    recovery = app.payments.get(kind="recovery")
    for who in ("objection_handler", "objection_approver"):
        with pytest.raises(Forbidden):
            services.record_payment(payment=recovery, user=team[who])


def test_a_payment_recorded_before_a_revocation_is_recovered_once_confirmed():
    """The advance recorded and not yet confirmed when the grant is revoked: it will be paid, so it is recovered."""
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    act(app, "pay_advance", team["payer"])
    act(app, "revoke", team["reviewer"], {"ground": "4:48-b", "reason": "Het contract is niet verlengd."})
    app = act(app, "approve_decision", team["senior"])
    assert app.payments.get(kind="recovery").amount == E("7500.00")
    app = act(app, "confirm_payment", team["checker"])
    assert (app.amount_paid, app.payments.get(kind="advance").status) == (E("7500.00"), "paid")
    assert reconcile.run() == []


def test_the_decision_on_an_objection_is_proposed_by_one_and_approved_by_another():
    team = team_for()
    app = f.rejected(team["opening"], team["employer"], team["reviewer"], team["senior"])
    act(app, "lodge_objection", team["employer"], {"reason": "Het beroep staat wel op de lijst."})
    handler, approver = team["objection_handler"], team["objection_approver"]
    with pytest.raises(Conflict, match="eerst stelt een behandelaar haar voor"):
        act(app, "decide_objection", approver)
    act(app, "propose_objection_decision", handler, {"outcome": "upheld", "note": "Het beroep staat op de lijst."})
    objection = app.objections.get()
    assert (objection.outcome, objection.proposed_outcome, objection.proposed_by) == ("pending", "upheld", handler)
    assert not app.letters.filter(kind="objection_decision").exists()  # a proposal sends nothing
    app.refresh_from_db()
    assert app.state == State.REJECTED
    # the proposer cannot approve, not even holding an approver's role; a second proposal waits for the first
    handler.role = Role.SENIOR_REVIEWER
    handler.save()
    with pytest.raises(Forbidden, match="Vier ogen: u heeft deze beslissing op het bezwaar zelf voorgesteld"):
        act(app, "decide_objection", handler)
    with pytest.raises(Conflict, match="al een voorgestelde beslissing"):
        act(app, "propose_objection_decision", approver, {"outcome": "unfounded", "note": "Toch niet."})
    # who took the contested decision approves neither
    with pytest.raises(Forbidden, match="7:5"):
        act(app, "decide_objection", team["senior"])
    app = act(app, "decide_objection", approver)
    objection.refresh_from_db()
    assert objection.outcome == Objection.Outcome.UPHELD and objection.decided_by == approver
    assert app.state == State.IN_REVIEW
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.filter(pk=objection.pk).update(decided_by=handler)


# --- 14. bank accounts, recovery, interest, set-off -------------------------------------------------


def change_iban(organisation, iban, user):
    organisation.iban = iban
    return accounts.save_organisation(organisation, user=user, source="portal")


def test_an_iban_change_held_until_a_second_person_approves_it():
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    other = granted(team["opening"], f.employer(), team["reviewer"], team["senior"])  # its account is unchanged
    organisation = app.organisation
    change_iban(organisation, "NL20INGB0001234567", team["employer"])
    change = IbanChange.objects.get(organisation=organisation)
    assert (change.old_iban, change.new_iban, change.approved_at) == ("NL91ABNA0417164300", "NL20INGB0001234567", None)
    # the advance is held: listed, and refused to record, with the reason
    assert list(money.held_payments()) == [app.payments.get(kind="advance")]  # not the other organisation's
    with pytest.raises(Conflict, match="Betaling aangehouden: het rekeningnummer van .* is gewijzigd"):
        act(app, "pay_advance", team["payer"])
    assert app.payments.get(kind="advance").status == "due"
    # who changed it does not approve it; a reviewer does not approve it
    with pytest.raises(Forbidden):
        services.approve_iban_change(change=change, user=team["reviewer"])
    change.refresh_from_db()
    assert change.approved_at is None
    released = services.approve_iban_change(change=change, user=team["checker"])
    assert [p.pk for p in released] == [app.payments.get(kind="advance").pk]
    assert list(money.held_payments()) == []
    with pytest.raises(Conflict, match="al goedgekeurd"):
        services.approve_iban_change(change=change, user=team["payer"])
    # released: recorded to the new account, confirmed by a second person
    app = pay(app, team["payer"], team["checker"])
    assert app.payments.get(kind="advance").iban == "NL20INGB0001234567"
    assert other.payments.get(kind="advance").status == "due"  # never held
    assert AuditEvent.objects.filter(application=app, action="iban_change_approved").count() == 1


def test_a_change_by_staff_is_not_approved_by_the_same_person_and_a_recorded_payment_goes_back():
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    act(app, "pay_advance", team["payer"])  # recorded to the old account, not yet confirmed
    change_iban(app.organisation, "NL20INGB0001234567", team["checker"])
    advance = app.payments.get(kind="advance")
    assert (advance.status, advance.iban) == ("due", "")  # back: to be recorded again, to the approved account
    with pytest.raises(Conflict, match="geen vastgelegde betaling die op bevestiging wacht"):
        act(app, "confirm_payment", team["checker"], {"payment": advance.pk})
    with pytest.raises(Forbidden, match="zelf gewijzigd"):
        services.approve_iban_change(change=IbanChange.objects.get(), user=team["checker"])
    services.approve_iban_change(change=IbanChange.objects.get(), user=team["payer"])
    app = pay(app, team["payer"], team["checker"])
    assert app.amount_paid == E("7500.00")


def test_the_payments_screen_lists_the_held_payment_and_a_second_person_releases_it(client):
    team = team_for()
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"])
    change_iban(app.organisation, "NL20INGB0001234567", team["payer"])
    client.force_login(team["payer"])
    page = client.get(reverse("review:payments")).content.decode()
    assert "NL20INGB0001234567" in page and "eigen wijziging" in page
    assert "aangehouden: rekeningnummer gewijzigd" in page and app.reference in page
    change = IbanChange.objects.get()
    answer = client.post(reverse("review:approve-iban-change", args=[change.pk]), follow=True)
    assert "zelf gewijzigd" in answer.content.decode()
    change.refresh_from_db()
    assert change.approved_at is None
    client.force_login(team["checker"])
    answer = client.post(reverse("review:approve-iban-change", args=[change.pk]), follow=True)
    assert "1 betaling(en) vrijgegeven" in answer.content.decode()
    change.refresh_from_db()
    assert change.approved_by == team["checker"]
    page = client.get(reverse("review:payments")).content.decode()
    assert "aangehouden" not in page and "vast te leggen" in page
    # a reviewer does not see the screen
    client.force_login(team["reviewer"])
    assert client.get(reverse("review:payments")).status_code == 403


def test_the_first_account_needs_no_approval():
    organisation = f.OrganisationFactory(iban="")
    change_iban(organisation, "NL20INGB0001234567", None)
    assert not IbanChange.objects.filter(organisation=organisation).exists()


def test_a_recovery_is_set_off_against_a_later_payment_to_the_same_organisation():
    """Awb 4:93: the € 3.750 recovered on the first Omscholing grant is set off against the advance of the second."""
    team = team_for()
    opening, employer = team["opening"], team["employer"]
    first = granted(opening, employer, team["reviewer"], team["senior"])
    pay(first, team["payer"], team["checker"])
    units = list(first.units.values_list("id", flat=True))
    act(first, "request_settlement", employer, {"units_completed": units[:1]})
    act(first, "propose_settlement", team["reviewer"], {"note": "Eén traject niet afgerond."})
    first = act(first, "approve_settlement", team["senior"])
    recovery = first.payments.get(kind="recovery")
    assert recovery.amount == E("3750.00") and recovery.status == "due"
    second = granted(opening, employer, team["reviewer"], team["senior"], units=[f.traject(3, cost="7600.00")])
    advance = second.payments.get(kind="advance")
    assert advance.amount == E("3750.00")
    act(second, "pay_advance", team["payer"])
    act(second, "confirm_payment", team["checker"])  # the recovery is not yet overdue: nothing set off
    assert second.payments.get(kind="advance").set_off == E("0.00")
    recovery.refresh_from_db()
    assert recovery.status == "due"
    third = granted(opening, employer, team["reviewer"], team["senior"], units=[f.traject(4, cost="7600.00")])
    later = timezone.now() + datetime.timedelta(weeks=7)  # past the six weeks to pay the recovery back
    act(third, "pay_advance", team["payer"], now=later)
    act(third, "confirm_payment", team["checker"], now=later)
    advance = third.payments.get(kind="advance")
    recovery.refresh_from_db()
    advance.refresh_from_db()
    assert (recovery.status, recovery.set_off) == ("paid", E("3750.00"))
    assert advance.set_off == E("3750.00")  # nothing left to transfer
    first.refresh_from_db()
    assert first.amount_recovered == E("3750.00")
    assert reconcile.run() == []


# --- 11. the tiers of accounting -----------------------------------------------------------------


def mkbidee_scheme():
    return f.SchemeFactory(
        code="mkbidee-test",
        name="MKB!dee",
        short_name="MKB!dee",
        reference_prefix="MKB",
        share_of_costs=True,
        percentage=E("100"),
        min_amount=E("25000.00"),
        max_amount=E("124999.00"),
        max_amount_partnership=E("200000.00"),
        accountant_above=E("125000.00"),
    )


def test_a_110_000_mkbidee_settlement_refused_without_a_report():
    team = team_for(f.open_opening(mkbidee_scheme()))
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"], eligible_costs="110000.00")
    assert app.amount_granted == E("110000.00")
    before = snapshot(app)
    with pytest.raises(Invalid, match="Bij een subsidie van € 110.000,00 hoort .* een verslag van de activiteiten"):
        act(app, "request_settlement", team["employer"], {"actual_costs": "110000.00"})
    with pytest.raises(Invalid, match="verslag van de activiteiten"):
        act(app, "request_settlement", team["employer"], {"actual_costs": "110000.00", "report": "Klaar."})
    assert snapshot(app) == before
    app.refresh_from_db()
    assert app.state == State.GRANTED and app.settlement_requested_at is None
    report = "Twaalf medewerkers volgden de leerlijn; de werkplaats draait nu met twee ploegen."
    app = act(app, "request_settlement", team["employer"], {"actual_costs": "110000.00", "report": report})
    assert app.state == State.SETTLEMENT_REQUESTED


def test_above_the_accountant_threshold_the_settlement_asks_an_accountants_statement():
    """A scheme that asks the statement from € 50.000 (its own threshold, in scheme data)."""
    scheme = mkbidee_scheme()
    scheme.accountant_above = E("50000.00")
    scheme.save()
    team = team_for(f.open_opening(scheme))
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"], eligible_costs="60000.00")
    report = "De leerlijn is ontwikkeld en door achttien medewerkers gevolgd."
    with pytest.raises(Invalid, match="meer dan € 50.000,00 hoort .* een accountantsverklaring"):
        act(app, "request_settlement", team["employer"], {"actual_costs": "60000.00", "report": report})
    app.refresh_from_db()
    assert app.state == State.GRANTED
    Document.objects.create(
        application=app,
        kind="accountant",
        file=ContentFile(f.PDF, name="verklaring.pdf"),
        original_name="verklaring.pdf",
        content_type="application/pdf",
        size=len(f.PDF),
        sha256="0" * 64,
        uploaded_by=team["employer"],
    )
    app = act(app, "request_settlement", team["employer"], {"actual_costs": "60000.00", "report": report})
    assert app.state == State.SETTLEMENT_REQUESTED


def test_a_150_000_mkbidee_settlement_through_the_portal_asks_the_accountants_statement(client):
    team = team_for(f.open_opening(mkbidee_scheme()))
    app = granted(
        team["opening"],
        team["employer"],
        team["reviewer"],
        team["senior"],
        eligible_costs="150000.00",
        is_partnership=True,
    )
    assert app.amount_granted == E("150000.00")  # a partnership: at most € 200.000, above the € 125.000 threshold
    client.force_login(team["employer"])
    url = reverse("portal:action", args=[app.reference, "request_settlement"])
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="accountant_statement"' in page
    assert "meer dan € 125.000,00 hoort bij de aanvraag tot vaststelling een verklaring" in page

    report = "De leerlijn is ontwikkeld en door veertig medewerkers van de partners gevolgd."
    form = {"version": app.version, "actual_costs": "150.000", "report": report}
    refused = client.post(url, form).content.decode()
    assert (
        "Bij een subsidie van meer dan € 125.000,00 hoort bij de aanvraag tot vaststelling een accountantsverklaring"
        in refused
    )
    app.refresh_from_db()
    assert app.state == State.GRANTED and not app.documents.filter(kind="accountant").exists()

    statement = SimpleUploadedFile("accountantsverklaring.pdf", f.PDF, content_type="application/pdf")
    done = client.post(url, {**form, "version": app.version, "accountant_statement": statement})
    assert done.status_code == 302, done.content.decode()
    app.refresh_from_db()
    assert app.state == State.SETTLEMENT_REQUESTED
    assert app.documents.get(kind="accountant").original_name == "accountantsverklaring.pdf"


def test_a_settlement_below_the_threshold_offers_no_accountants_statement(client):
    team = team_for(f.open_opening(mkbidee_scheme()))
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"], eligible_costs="110000.00")
    client.force_login(team["employer"])
    page = client.get(reverse("portal:action", args=[app.reference, "request_settlement"])).content.decode()
    assert 'name="accountant_statement"' not in page


def test_the_tiers_follow_the_scheme_with_the_framework_as_default():
    slim = Rules.from_scheme(f.slim_scheme(ex_officio_below=E("25000.00")))
    assert slim.accounting_tier(E("24999.00")) == "none"
    assert slim.accounting_tier(E("25000.00")) == "report"
    assert slim.accounting_tier(E("125000.00")) == "report"
    assert slim.accounting_tier(E("125000.01")) == "accountant"  # the default of the framework
    strict = Rules.from_scheme(f.SchemeFactory(share_of_costs=True, accountant_above=E("50000.00")))
    assert strict.accounting_tier(E("10000.00")) == "report"  # no ex officio tier: a report at every amount
    assert strict.accounting_tier(E("50000.01")) == "accountant"


# --- 12. ex officio on the evidence held -----------------------------------------------------------


def test_ex_officio_after_a_missed_report_follows_what_is_known_not_the_grant():
    team = team_for(f.open_opening(mkbidee_scheme()))
    app = granted(team["opening"], team["employer"], team["reviewer"], team["senior"], eligible_costs="60000.00")
    assert money.settlement_amount(app, state=State.GRANTED) == E("0.00")  # no costs accounted for


def test_a_small_slim_grant_is_fixed_as_granted_by_design():
    opening = f.open_opening(f.slim_scheme(ex_officio_below=E("25000.00")))
    team = team_for(opening)
    app = granted(opening, team["employer"], team["reviewer"], team["senior"], eligible_costs="20000.00")
    assert app.amount_granted == E("12000.00")
    assert money.settlement_amount(app, state=State.GRANTED) == E("12000.00")


# --- 11. sample checks of the small grants settled ex officio --------------------------------------------------


def test_a_recorded_sample_of_the_small_slim_grants_is_checked_before_it_is_settled(monkeypatch, client):
    scheme = f.slim_scheme(code="slim-steekproef", ex_officio_below=E("25000.00"), sample_check_pct=E("50"))
    assert Scheme._meta.get_field("sample_check_pct").default == E("5")  # the default of a scheme: 5 %
    assert Rules(shape="share_of_costs").sample_check_pct == E("5")
    opening = f.open_opening(scheme)
    team = team_for(opening)
    apps = [
        granted(opening, f.employer(), team["reviewer"], team["senior"], eligible_costs="20000.00") for _ in range(6)
    ]
    assert all(app.amount_granted == E("12000.00") for app in apps)  # below € 25.000: fixed as granted
    today = timezone.localdate()
    type(apps[0]).objects.filter(pk__in=[a.pk for a in apps]).update(settlement_due=today)
    references = sorted(app.reference for app in apps)
    # a seed that draws some and not all (50 %), so the test says something about both
    seed = next(
        s
        for s in (f"seed-{n}" for n in range(100))
        if 0 < sum(samples.is_drawn(s, ref, E("50")) for ref in references) < len(references)
    )
    monkeypatch.setattr(samples, "new_seed", lambda: seed)

    counts = clock_job.settle_ex_officio(today)

    draw = SampleDraw.objects.get(opening=opening)
    assert (draw.day, draw.seed, draw.percentage, draw.candidates) == (today, seed, E("50.00"), references)
    assert draw.drawn == samples.recompute(draw)  # anyone with the seed and the list recomputes it
    assert counts["sample_checks_drawn"] == len(draw.drawn) and counts["sample_checks_waiting"] == len(draw.drawn)
    assert counts["settled_ex_officio_small"] == len(references) - len(draw.drawn)
    for app in apps:
        app.refresh_from_db()
        if app.reference in draw.drawn:  # marked for a check, not settled by the clocks
            assert (app.state, app.sample_selected) == (State.GRANTED, True)
            assert app.events.filter(action="sample_check_drawn").exists()
        else:
            assert app.state == State.SETTLEMENT_PROPOSED and app.pending_decision().data["ex_officio"] is True

    # the next day nothing is drawn again and the clocks still leave the drawn ones alone
    again = clock_job.settle_ex_officio(today + datetime.timedelta(days=1))
    assert (again["sample_checks_drawn"], again["settled_ex_officio_small"]) == (0, 0)
    assert SampleDraw.objects.filter(opening=opening).count() == 1

    # the reviewers find them in the queue; one checks and proposes the settlement, a second approves it
    checked = next(app for app in apps if app.reference in draw.drawn)
    client.force_login(team["reviewer"])
    queue = client.get(reverse("review:queue"), {"state": "sample_check"}).content.decode()
    assert checked.reference in queue
    assert "In de steekproef" in client.get(reverse("review:case", args=[checked.reference])).content.decode()
    note = "Steekproef: facturen van de opleider en presentielijsten gezien; besteed zoals verleend."
    act(checked, "propose_settlement", team["reviewer"], {"note": note})
    act(checked, "approve_settlement", team["senior"])
    checked.refresh_from_db()
    assert (checked.state, checked.amount_settled) == (State.SETTLED, E("12000.00"))
