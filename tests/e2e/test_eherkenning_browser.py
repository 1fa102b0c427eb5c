"""In a real browser, through the redirects of the local OpenID provider (identity/devprovider.py):
an employer logs in with eHerkenning at the level the scheme requires and applies; an intermediary with a
ketenmachtiging applies for the employer it represents, without a local mandate; a login at a lower level is
refused with the reason; a staff member signs in through single sign-on and lands on the queue with the
roles and schemes the claims give.
"""

from __future__ import annotations

import pytest

from applications.models import Application, AuditEvent, Mandate, Role, User
from applications.states import State
from identity.models import LoginEvent
from tests import factories as f
from tests.e2e.test_portal_browser import button, fill_traject

pytestmark = pytest.mark.browser


def eherkenning_login(page, live_server, kvk: str, *, level: str = "eh3", represented: str = "") -> None:
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_role("link", name="Inloggen met eHerkenning (testomgeving)").click()
    assert "/dev-idp/authorize" in page.url  # at the broker, not a shortcut
    page.fill("#id_kvk", kvk)
    page.select_option("#id_level", level)
    if represented:
        page.fill("#id_vertegenwoordigde_kvk", represented)
    page.locator("main").get_by_role("button", name="Inloggen").click()


def apply(page, live_server, opening, pdf, *, employer_kvk: str = "") -> Application:
    page.goto(f"{live_server.url}/mijn/aanvragen/nieuw/{opening.code}/")
    if employer_kvk:
        page.select_option("#id_organisation", employer_kvk)
    button(page, "Start de aanvraag").click()
    assert "Stap 1 van 5" in page.content()
    button(page, "Opslaan en verder").click()
    fill_traject(page, 0, "A. de Vries", "8000", "ict")
    button(page, "Opslaan en verder").click()
    page.set_input_files("#id_file", str(pdf))
    button(page, "Uploaden").click()
    button(page, "Opslaan en verder").click()
    page.check("#id_truthfulness_declared")
    button(page, "Opslaan en verder").click()
    button(page, "Aanvraag indienen").click()
    assert "Uw aanvraag is ingediend" in page.content()
    return Application.objects.get(reference=page.inner_text("#reference"))


@pytest.fixture
def world(live_server, transactional_db, tmp_path):
    f.identity_providers(f"{live_server.url}/dev-idp")
    scheme = f.omscholing_scheme(assurance_level="eh3")
    opening = f.open_opening(scheme, code="omscholing-eh3", name="Omscholing, openstelling EH3")
    pdf = tmp_path / "offerte.pdf"
    pdf.write_bytes(f.PDF)
    return opening, pdf


def test_an_employer_logs_in_with_eherkenning_at_eh3_applies_and_sees_its_application(live_server, world, page):
    opening, pdf = world
    organisation = f.OrganisationFactory(name="Installatiebedrijf Jansen B.V.", kvk="12345678")

    eherkenning_login(page, live_server, "12345678")
    assert page.url.startswith(f"{live_server.url}/mijn/")
    application = apply(page, live_server, opening, pdf)

    assert application.organisation == organisation and application.state == State.SUBMITTED
    page.goto(f"{live_server.url}/mijn/")
    assert application.reference in page.content()
    login = LoginEvent.objects.get(kind="login")
    assert (login.means, login.level, login.kvk, login.represented_kvk) == ("eherkenning", "eh3", "12345678", "")
    created = AuditEvent.objects.get(application=application, action="create")
    assert created.data["login"] == "eherkenning" and created.data["assurance_level"] == "eh3"
    user = application.created_by
    assert user.role == Role.APPLICANT and not user.has_usable_password()


def test_an_intermediary_with_a_ketenmachtiging_applies_for_the_employer_without_a_local_mandate(
    live_server, world, page
):
    opening, pdf = world
    opening.scheme.intermediaries_allowed = True
    opening.scheme.save()
    opening.rules = {**opening.rules, "intermediaries_allowed": True}
    opening.save()
    employer = f.OrganisationFactory(name="Bakkerij De Korenschoof", kvk="23456789")
    fund = f.IntermediaryFactory(name="Opleidingsfonds Techniek", kvk="34567890")

    eherkenning_login(page, live_server, fund.kvk, represented=employer.kvk)
    application = apply(page, live_server, opening, pdf, employer_kvk=employer.kvk)

    assert application.organisation == employer and application.channel == "intermediary"
    assert application.created_by.organisation == fund and application.created_by.role == Role.INTERMEDIARY
    assert not Mandate.objects.exists()  # the machtiging came with the login, none is stored
    page.goto(f"{live_server.url}/mijn/")
    assert application.reference in page.content()
    assert LoginEvent.objects.get(kind="login").represented_kvk == employer.kvk
    created = AuditEvent.objects.get(application=application, action="create")
    assert created.data["represented_organisation"] == employer.pk


def test_a_login_at_eh2_is_refused_where_the_scheme_requires_eh3(live_server, world, page):
    opening, _pdf = world
    f.OrganisationFactory(kvk="45678901")

    eherkenning_login(page, live_server, "45678901", level="eh2")
    page.goto(f"{live_server.url}/mijn/aanvragen/nieuw/{opening.code}/")

    text = page.inner_text("main")
    assert "moet u inloggen met eHerkenning op niveau EH3 of hoger" in text
    assert "U bent nu ingelogd op niveau EH2" in text
    assert page.get_by_role("button", name="Start de aanvraag").count() == 0
    assert not Application.objects.exists()


def test_a_staff_member_signs_in_through_single_sign_on_and_lands_on_the_queue_with_the_roles_of_the_claims(
    live_server, world, page
):
    opening, _pdf = world
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_role("link", name="Inloggen als medewerker (single sign-on)").click()
    assert "/dev-idp/authorize" in page.url
    page.fill("#id_username", "r.devries")
    page.fill("#id_family_name", "de Vries")
    page.check("input[name=roles][value=os-senior]")
    page.select_option("#id_regelingen", [opening.scheme.code])
    page.locator("main").get_by_role("button", name="Inloggen").click()

    assert page.url == f"{live_server.url}/behandeling/"  # the queue, without a code: the IdP asked for it
    user = User.objects.get(username="r.devries")
    assert user.role == Role.SENIOR_REVIEWER and list(user.schemes.all()) == [opening.scheme]
    assert LoginEvent.objects.get(kind="login").means == "sso"

    # Out here, and at the provider: its end_session_endpoint sends the browser back home.
    page.locator("header").get_by_role("button", name="Uitloggen").click()
    assert page.url.rstrip("/") == live_server.url
    assert LoginEvent.objects.filter(kind="logout", user=user).exists()
