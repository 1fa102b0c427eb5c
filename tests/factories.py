"""Factories for the test data of every app (factory_boy only)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from applications import permissions, services
from schemes.models import Distribution, Opening, Scheme, Shape


class SchemeFactory(factory.django.DjangoModelFactory):
    """A per-unit scheme shaped like the Omscholingsregeling."""

    class Meta:
        model = Scheme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"regeling-{n}")
    name = factory.Sequence(lambda n: f"Testregeling {n}")
    reference_prefix = "TST"
    owner = "Ministerie van Economische Zaken"
    executing_agency = "RVO"
    shape = Shape.PER_UNIT
    unit_label = "traject"
    unit_amount = Decimal("3750.00")
    min_unit_cost = Decimal("7500.00")
    max_units_per_applicant = 6

    class Params:
        share_of_costs = factory.Trait(
            shape=Shape.SHARE_OF_COSTS,
            unit_label="project",
            unit_amount=None,
            min_unit_cost=None,
            max_units_per_applicant=None,
            percentage=Decimal("60"),
            min_eligible_costs=Decimal("5000.00"),
            max_amount=Decimal("24999.00"),
        )
        programme = factory.Trait(
            shape=Shape.PROGRAMME,
            unit_label="consortium",
            unit_amount=None,
            min_unit_cost=None,
            max_units_per_applicant=None,
            programme_total=Decimal("10000000.00"),
        )


class OpeningFactory(factory.django.DjangoModelFactory):
    """An opening of a month, open now unless told otherwise."""

    class Meta:
        model = Opening
        django_get_or_create = ("code",)

    scheme = factory.SubFactory(SchemeFactory)
    code = factory.Sequence(lambda n: f"openstelling-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.scheme.name}, openstelling")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + datetime.timedelta(days=30))
    budget_ceiling = Decimal("1000000.00")
    distribution = Distribution.FCFS


# --- acting on a case as staff ------------------------------------------------------------------
# Every act of staff on a case waits for that user's declaration of no conflict of interest on it
# (workflow.Who.declares). A test of something else declares for its staff with these, on purpose.


def declare_no_conflict(application, *users):
    """Each of these staff declares no conflict of interest with the applicant (once: a second call adds nothing)."""
    for user in users:
        if permissions.declaration(application, user) is not False:
            services.declare_conflict_of_interest(application=application, user=user, conflict=False)
    return application


def act(application, action: str, user, data: dict | None = None, **kwargs):
    """Take a workflow action; staff first declare no conflict of interest with the applicant, as the rule asks."""
    if user is not None and user.is_case_worker:
        declare_no_conflict(application, user)
    return services.perform(application, action, user, data, **kwargs)
