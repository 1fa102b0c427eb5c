"""What eHerkenning's and single sign-on's claims make of a person, and what a login may then do.

The flow through the redirects is the browser's (tests/e2e/test_eherkenning_browser.py); here the rules.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from applications import services
from applications.errors import Forbidden
from applications.models import Application, Role, User
from identity import accounts
from identity.models import LoginEvent
from schemes import assurance
from tests import factories as f

pytestmark = pytest.mark.django_db

LOA3 = "urn:etoegang:core:assurance-class:loa3"


@pytest.fixture
def providers():
    return f.identity_providers("http://testserver/dev-idp")


def test_the_levels_of_assurance_are_ordered_and_a_password_meets_only_a_scheme_without_one():
    assert assurance.from_claim(LOA3) == "eh3"
    assert assurance.meets("eh4", "eh3") and assurance.meets("eh3", "eh3")
    assert not assurance.meets("eh2plus", "eh3")
    assert not assurance.meets("", "eh3") and assurance.meets("", "")


def test_a_first_eherkenning_login_creates_the_organisation_and_a_person_without_a_password(providers):
    eherkenning, _staff = providers
    user = accounts.eherkenning_user(
        eherkenning, {"kvk": "11223344", "sub": "pseudo-1", "loa": LOA3, "bedrijfsnaam": "Nieuw B.V."}
    )
    assert user.organisation.kvk == "11223344" and user.organisation.name == "Nieuw B.V."
    assert user.role == Role.APPLICANT and not user.has_usable_password()
    again = accounts.eherkenning_user(eherkenning, {"kvk": "11223344", "sub": "pseudo-1", "loa": LOA3})
    assert again.pk == user.pk  # the same person, the same account


def test_a_representation_of_itself_or_without_a_valid_kvk_is_refused(providers):
    eherkenning, _staff = providers
    with pytest.raises(accounts.Refused):
        accounts.eherkenning_user(eherkenning, {"kvk": "1122", "sub": "p"})
    with pytest.raises(accounts.Refused):
        accounts.eherkenning_user(eherkenning, {"kvk": "11223344", "sub": "p", "vertegenwoordigde_kvk": "11223344"})


def test_a_staff_login_without_a_mapped_role_is_refused_and_never_takes_over_a_local_account(providers):
    _eherkenning, staff = providers
    with pytest.raises(accounts.Refused):
        accounts.staff_user(staff, {"sub": "x1", "preferred_username": "iemand", "roles": ["os-koffie"]})
    local = f.staff(Role.ADMINISTRATOR, username="beheer-noodaccount")
    user = accounts.staff_user(staff, {"sub": "x2", "preferred_username": "beheer-noodaccount", "roles": "os-beheer"})
    assert user.pk != local.pk and user.username != "beheer-noodaccount"
    assert user.role == Role.ADMINISTRATOR


def test_an_eh2_login_cannot_start_an_application_where_eh3_is_required(providers):
    opening = f.open_opening(f.omscholing_scheme(assurance_level="eh3"))
    user = f.employer()
    user.assurance_level, user.represented_organisation_id = "eh2", None
    with pytest.raises(Forbidden, match="niveau EH3 of hoger"):
        services.create_draft(user=user, opening=opening)
    user.assurance_level = "eh3"
    assert services.create_draft(user=user, opening=opening).organisation == user.organisation


def test_a_password_login_cannot_submit_where_eh3_is_required(client):
    scheme = f.omscholing_scheme()
    opening = f.open_opening(scheme)
    user = f.employer()
    application = f.draft(opening, user)
    scheme.assurance_level = "eh3"
    scheme.save()
    user.assurance_level = ""  # as SignInMiddleware puts it for a password login
    with pytest.raises(services.ActionError, match="zonder eHerkenning"):
        services.perform(application, "submit", user)
    assert Application.objects.get(pk=application.pk).state == "draft"


def test_every_login_and_logout_is_in_the_login_log_with_its_means():
    user = f.employer(username="logboek-werkgever")
    client = Client()
    f.sign_in(client, user.username)
    client.post("/uitloggen/")
    kinds = list(LoginEvent.objects.filter(user=user).values_list("kind", "means"))
    assert kinds == [("login", "password"), ("logout", "password")]


def test_an_employer_session_ends_after_an_idle_hour_and_any_session_after_its_working_day(settings):
    settings.APPLICANT_IDLE_TIMEOUT_MINUTES = 60
    settings.APPLICANT_SESSION_MAX_HOURS = 8
    start = datetime.datetime(2026, 12, 2, 8, 0, tzinfo=datetime.UTC)
    employer = f.employer(username="werkgever-lange-dag")
    with freeze_time(start) as clock:
        client = Client()
        client.force_login(employer)
        clock.tick(datetime.timedelta(minutes=61))
        assert client.get("/mijn/").status_code == 302
        client.force_login(employer)
        for _hour in range(8):
            clock.tick(datetime.timedelta(minutes=59))
            assert client.get("/mijn/").status_code == 200
        clock.tick(datetime.timedelta(minutes=59))  # busy all day, but past the eight hours
        response = client.get("/mijn/")
        assert response.status_code == 302 and "/inloggen/" in response["Location"]
    assert LoginEvent.objects.filter(user=employer, kind="logout").count() == 2
    assert User.objects.get(pk=employer.pk).is_active
