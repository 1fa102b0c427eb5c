"""Factories and small helpers for the lifecycle tests (factory_boy only)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from applications import services
from applications.models import Mandate, Organisation, Role, User
from schemes.models import Distribution, Opening, Scheme, Shape
from tests.factories import OpeningFactory, SchemeFactory, act


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("kvk",)

    kvk = factory.Sequence(lambda n: f"{30000000 + n:08d}")
    name = factory.Sequence(lambda n: f"Werkgever {n} B.V.")
    size_class = "sme"
    sector = "ict"
    province = "utrecht"
    iban = "NL91ABNA0417164300"


class IntermediaryFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Opleidingsfonds {n}")
    is_intermediary = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"gebruiker{n}")
    role = Role.APPLICANT
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nl")

    @factory.post_generation
    def schemes(self, create, extracted, **kwargs):
        if create and extracted:
            self.schemes.set(extracted)


def employer(organisation=None, **kwargs) -> User:
    return UserFactory(role=Role.APPLICANT, organisation=organisation or OrganisationFactory(), **kwargs)


def staff(role: str, schemes=(), **kwargs) -> User:
    return UserFactory(role=role, schemes=list(schemes), **kwargs)


def mandate(principal, agent, schemes, *, valid_from=None, valid_until=None, revoked=False) -> Mandate:
    today = timezone.localdate()
    m = Mandate.objects.create(
        principal=principal,
        agent=agent,
        valid_from=valid_from or today - datetime.timedelta(days=30),
        valid_until=valid_until,
        revoked_at=timezone.now() if revoked else None,
    )
    m.schemes.set(schemes)
    return m


def omscholing_scheme(**kwargs) -> Scheme:
    defaults = dict(
        code="omscholing-test",
        name="Omscholingsregeling (test)",
        reference_prefix="OMS",
        advance_pct=Decimal("100"),
        decision_term_weeks=8,
        intermediaries_allowed=True,
    )
    defaults.update(kwargs)
    return SchemeFactory(**defaults)


def slim_scheme(**kwargs) -> Scheme:
    defaults = dict(
        code="slim-test",
        name="SLIM (test)",
        reference_prefix="SLIM",
        share_of_costs=True,
        one_per_window=True,
        de_minimis=True,
        intermediaries_allowed=True,
        advance_pct=Decimal("50"),
    )
    defaults.update(kwargs)
    return SchemeFactory(**defaults)


def techkwadraat_scheme(**kwargs) -> Scheme:
    defaults = dict(
        code="techkwadraat-test",
        name="Techkwadraat (test)",
        reference_prefix="TK",
        programme=True,
        decision_term_weeks=22,
        advance_pct=Decimal("0"),
    )
    defaults.update(kwargs)
    return SchemeFactory(**defaults)


def open_opening(scheme: Scheme, *, ceiling="1000000.00", distribution=Distribution.FCFS, **kwargs) -> Opening:
    return OpeningFactory(
        scheme=scheme,
        code=kwargs.pop("code", f"{scheme.code}-nu"),
        budget_ceiling=Decimal(ceiling),
        distribution=distribution,
        **kwargs,
    )


def closed_opening(scheme: Scheme, **kwargs) -> Opening:
    opens = timezone.now() - datetime.timedelta(days=60)
    return open_opening(scheme, opens_at=opens, closes_at=opens + datetime.timedelta(days=30), **kwargs)


def traject(n: int = 1, cost: str = "8000.00", sector: str = "ict") -> dict:
    start = timezone.localdate() + datetime.timedelta(days=30)
    return {
        "participant": f"J. Jansen {n}",
        "occupation": "DevOps-engineer" if sector == "ict" else "Monteur elektrotechniek",
        "occupation_sector": sector,
        "provider": "Hogeschool Utrecht",
        "cost": cost,
        "start_date": start.isoformat(),
        "end_date": (start + datetime.timedelta(days=180)).isoformat(),
        "contract_end_date": (start + datetime.timedelta(days=730)).isoformat(),
    }


def draft(opening: Opening, user: User, *, kvk: str | None = None, **data):
    data.setdefault("truthfulness_declared", True)
    shape = opening.published_rules.shape
    if shape == Shape.PER_UNIT:
        data.setdefault("units", [traject(1), traject(2)])
    elif shape == Shape.SHARE_OF_COSTS:
        data.setdefault("eligible_costs", "20000.00")
    else:
        data.setdefault("requested_amount", "1000000.00")
    return services.create_draft(user=user, opening=opening, organisation_kvk=kvk, data=data)


def submitted(opening, user, **data):
    app = draft(opening, user, **data)
    return act(app, "submit", user)


def in_review(opening, user, reviewer, **data):
    app = submitted(opening, user, **data)
    return act(app, "start_review", reviewer)


def proposed_grant(opening, user, reviewer, amount=None, **data):
    app = in_review(opening, user, reviewer, **data)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    body = {"note": "Voldoet aan de voorwaarden."}
    if amount is not None:
        body["amount"] = amount
    return act(app, "propose_grant", reviewer, body)


def granted(opening, user, reviewer, senior, **data):
    app = proposed_grant(opening, user, reviewer, **data)
    return act(app, "approve_decision", senior)
