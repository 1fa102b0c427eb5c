"""Factories and small scenarios shared by the reviewer, letter and clock tests.

Everything goes through the services, as a reviewer or an employer would: a
submitted application is one that ``act(..., "submit")`` accepted.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from applications import services
from applications.models import Application, Organisation, Role, User
from schemes.models import Distribution, Opening, Scheme, Shape
from tests.factories import act


class SchemeFactory(factory.django.DjangoModelFactory):
    """Shaped like the Omscholingsregeling: € 3.750 per traject, each costing at least € 7.500."""

    class Meta:
        model = Scheme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"omscholing-test-{n}")
    name = "Omscholing naar kansrijke beroepen in ICT en techniek"
    short_name = "Omscholingsregeling"
    reference_prefix = "OMS"
    owner = "Ministerie van Economische Zaken en Klimaat (EZK)"
    executing_agency = "RVO"
    shape = Shape.PER_UNIT
    unit_label = "traject"
    unit_amount = Decimal("3750.00")
    min_unit_cost = Decimal("7500.00")
    max_units_per_applicant = 6
    advance_pct = Decimal("100")

    class Params:
        slim = factory.Trait(
            name="SLIM — Stimuleringsregeling leren en ontwikkelen in mkb-ondernemingen",
            short_name="SLIM",
            reference_prefix="SLIM",
            executing_agency="RVO",
            shape=Shape.SHARE_OF_COSTS,
            unit_label="project",
            unit_amount=None,
            min_unit_cost=None,
            max_units_per_applicant=None,
            percentage=Decimal("60"),
            min_eligible_costs=Decimal("5000.00"),
            max_amount=Decimal("24999.00"),
            advance_pct=Decimal("50"),
            ex_officio_below=Decimal("25000.00"),
            one_per_window=True,
            intermediaries_allowed=True,
        )
        programme = factory.Trait(
            name="Nationaal Groeifonds — Techkwadraat",
            short_name="Techkwadraat",
            reference_prefix="NGF",
            shape=Shape.PROGRAMME,
            unit_label="consortium",
            unit_amount=None,
            min_unit_cost=None,
            max_units_per_applicant=None,
            advance_pct=Decimal("0"),
            programme_total=Decimal("10000000.00"),
        )


class OpeningFactory(factory.django.DjangoModelFactory):
    """Open since yesterday for a month, unless told otherwise."""

    class Meta:
        model = Opening
        django_get_or_create = ("code",)

    scheme = factory.SubFactory(SchemeFactory)
    code = factory.Sequence(lambda n: f"opening-test-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.scheme.short_name}, openstelling")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + datetime.timedelta(days=30))
    budget_ceiling = Decimal("1000000.00")
    distribution = Distribution.FCFS


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("kvk",)

    kvk = factory.Sequence(lambda n: f"{70000000 + n:08d}")
    name = factory.Sequence(lambda n: f"Werkgever {n} B.V.")
    iban = "NL91ABNA0417164300"
    contact_name = "J. de Vries"
    contact_email = factory.Sequence(lambda n: f"werkgever{n}@example.nl")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"gebruiker{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nl")
    role = Role.APPLICANT
    password = factory.PostGenerationMethodCall("set_password", "geheim-wachtwoord-1")

    @factory.post_generation
    def schemes(self, create, extracted, **kwargs):
        if extracted:
            self.schemes.set(extracted)
        self.save()


def employer(organisation=None, **kwargs) -> User:
    return UserFactory(role=Role.APPLICANT, organisation=organisation or OrganisationFactory(), **kwargs)


def reviewer(schemes, **kwargs) -> User:
    return UserFactory(role=Role.REVIEWER, schemes=list(schemes), **kwargs)


def senior(schemes, **kwargs) -> User:
    return UserFactory(role=Role.SENIOR_REVIEWER, schemes=list(schemes), **kwargs)


def traject(participant="J. Jansen", cost="7500.00", *, end=None, sector="ict") -> dict:
    start = timezone.localdate()
    end = end or start + datetime.timedelta(days=270)
    return {
        "participant": participant,
        "occupation": "Software-ontwikkelaar" if sector == "ict" else "Installatiemonteur",
        "occupation_sector": sector,
        "provider": "Techniek Academie",
        "cost": cost,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "contract_end_date": (end + datetime.timedelta(days=240)).isoformat(),
    }


def submitted(opening, user: User, *, units=2, data=None, kvk=None) -> Application:
    """A complete application, submitted through the service like the portal does."""
    if data is None:
        if opening.scheme.shape == Shape.PER_UNIT:
            data = {"units": [traject(f"Werknemer {i + 1}") for i in range(units)]}
        elif opening.scheme.shape == Shape.SHARE_OF_COSTS:
            data = {
                "eligible_costs": "30000.00",
                "de_minimis_declared": "0.00",
                "project_end_date": (timezone.localdate() + datetime.timedelta(days=365)).isoformat(),
            }
        else:
            data = {
                "requested_amount": "1000000.00",
                "project_end_date": (timezone.localdate() + datetime.timedelta(days=730)).isoformat(),
            }
    app = services.create_draft(
        user=user, opening=opening, organisation_kvk=kvk, data={"truthfulness_declared": True, **data}
    )
    return act(app, "submit", user)


def granted(opening, applicant: User, first: User, second: User, **kwargs) -> Application:
    """Submitted, reviewed and granted under four eyes."""
    app = submitted(opening, applicant, **kwargs)
    act(app, "start_review", first)
    services.declare_conflict_of_interest(application=app, user=first, conflict=False)
    act(app, "propose_grant", first, {"note": "Voldoet aan de voorwaarden."})
    return act(app, "approve_decision", second)


def rejected(opening, applicant: User, first: User, second: User, code="not_eligible") -> Application:
    app = submitted(opening, applicant)
    act(app, "start_review", first)
    services.declare_conflict_of_interest(application=app, user=first, conflict=False)
    act(app, "propose_rejection", first, {"reason_code": code, "note": "Het beroep staat niet op de lijst."})
    return act(app, "approve_decision", second)


def team_for(opening=None) -> dict:
    """An opening (open now) with an employer, a reviewer and a senior reviewer of its scheme."""
    opening = opening or OpeningFactory()
    scheme = opening.scheme
    return {
        "opening": opening,
        "employer": employer(),
        "reviewer": reviewer([scheme]),
        "senior": senior([scheme]),
    }
