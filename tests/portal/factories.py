"""The cast of the portal tests: employers, intermediaries, their mandates and openings (factory_boy)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from applications import services
from applications.models import Mandate, Organisation, Role, User
from schemes.models import Distribution, Opening, Scheme
from tests.factories import OpeningFactory, SchemeFactory, act

PASSWORD = "geheim-wachtwoord-123"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("kvk",)

    kvk = factory.Sequence(lambda n: f"{61000000 + n:08d}")
    name = factory.Sequence(lambda n: f"Portaalwerkgever {n} B.V.")
    size_class = "sme"
    sector = "techniek"
    province = "gelderland"
    iban = "NL91ABNA0417164300"
    contact_name = "W. de Werkgever"
    contact_email = factory.LazyAttribute(lambda o: f"contact{o.kvk}@example.nl")


class IntermediaryFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Opleidingsfonds {n}")
    is_intermediary = True
    sector = "onderwijs"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"portaal{n}")
    role = Role.APPLICANT
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nl")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def schemes(self, create, extracted, **kwargs):
        if create:
            self.save()
            if extracted:
                self.schemes.set(extracted)


def employer(organisation=None, **kwargs) -> User:
    return UserFactory(role=Role.APPLICANT, organisation=organisation or OrganisationFactory(), **kwargs)


def intermediary(organisation=None, **kwargs) -> User:
    return UserFactory(role=Role.INTERMEDIARY, organisation=organisation or IntermediaryFactory(), **kwargs)


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


def omscholing(**kwargs) -> Scheme:
    """Shaped like the Omscholingsregeling: € 3.750 per traject, at least € 7.500 each, at most 6."""
    defaults = dict(
        code="omscholing-portaal",
        name="Omscholing naar kansrijke beroepen (portaal)",
        short_name="Omscholing",
        reference_prefix="OMS",
        advance_pct=Decimal("100"),
        intermediaries_allowed=False,
    )
    defaults.update(kwargs)
    return SchemeFactory(**defaults)


def slim(**kwargs) -> Scheme:
    defaults = dict(
        code="slim-portaal",
        name="SLIM (portaal)",
        short_name="SLIM",
        reference_prefix="SLIM",
        share_of_costs=True,
        one_per_window=True,
        de_minimis=True,
        intermediaries_allowed=True,
        advance_pct=Decimal("50"),
    )
    defaults.update(kwargs)
    return SchemeFactory(**defaults)


def programme(**kwargs) -> Scheme:
    defaults = dict(
        code="techkwadraat-portaal",
        name="Techkwadraat (portaal)",
        reference_prefix="TK",
        programme=True,
        max_amount=Decimal("5000000.00"),
    )
    defaults.update(kwargs)
    return SchemeFactory(**defaults)


def open_opening(scheme: Scheme, **kwargs) -> Opening:
    kwargs.setdefault("code", f"{scheme.code}-open")
    kwargs.setdefault("budget_ceiling", Decimal("1000000.00"))
    kwargs.setdefault("distribution", Distribution.FCFS)
    return OpeningFactory(scheme=scheme, **kwargs)


def closed_opening(scheme: Scheme, **kwargs) -> Opening:
    opens = timezone.now() - datetime.timedelta(days=60)
    kwargs.setdefault("code", f"{scheme.code}-dicht")
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


def unit_rows(*rows: dict, prefix: str = "units") -> dict:
    """Rows as the trajecten table posts them."""
    data = {f"{prefix}-TOTAL": str(len(rows))}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def draft(opening: Opening, user: User, *, kvk: str | None = None, **data):
    shape = opening.published_rules.shape
    if shape == "per_unit":
        data.setdefault("units", [traject(1), traject(2)])
    elif shape == "share_of_costs":
        data.setdefault("eligible_costs", "20000.00")
        data.setdefault("de_minimis_declared", "0.00")
    else:
        data.setdefault("requested_amount", "1000000.00")
    return services.create_draft(user=user, opening=opening, organisation_kvk=kvk, data=data)


def submitted(opening, user, **data):
    app = draft(opening, user, truthfulness_declared=True, **data)
    return act(app, "submit", user)


def in_review(opening, user, reviewer, **data):
    return act(submitted(opening, user, **data), "start_review", reviewer)


def granted(opening, user, reviewer, senior, **data):
    app = in_review(opening, user, reviewer, **data)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    app = act(app, "propose_grant", reviewer, {"note": "Voldoet."})
    return act(app, "approve_decision", senior)


def rejected(opening, user, reviewer, senior, **data):
    app = in_review(opening, user, reviewer, **data)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    app = act(app, "propose_rejection", reviewer, {"reason_code": "not_eligible", "note": "Nee."})
    return act(app, "approve_decision", senior)


# A real (blank, one-page) PDF: uploads are opened and inspected, so a PDF must be one.
PDF = (
    b"%PDF-1.3\n1 0 obj\n<< /Pages 2 0 R /Type /Catalog >>\nendobj\n2 0 obj\n<< /Count 1 /Kids [ 3 0 R ] /Type /Pages >>"
    b"\nendobj\n3 0 obj\n<< /Contents 4 0 R /MediaBox [ 0 0 595 842 ] /Parent 2 0 R /Resources << >> /Type /Page >>"
    b"\nendobj\n4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\ntrailer << /Root 1 0 R /Size 5 >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
