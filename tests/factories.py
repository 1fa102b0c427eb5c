"""The test data of every app, in one place (factory_boy).

Model factories first (schemes, openings, organisations, users), then the people
and the openings the scenarios speak of (an employer, a reviewer, an open
Omscholing opening), then applications walked through the real services as the
portal and the review desk would: a submitted application is one that
``act(..., "submit")`` accepted; staff declare no conflict of interest before they act, as the rule asks.

Where the tests need another flavour of the same thing, it is a trait or a
parameter here (``SchemeFactory(slim=True)``, ``traject(participant=...)``),
never a second factory.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import factory
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from applications import permissions, services
from applications.models import Application, AuditEvent, LotterySeed, Mandate, Organisation, Outbox, Role, User
from applications.services import issue_api_token
from config.signin import needs_second_factor
from demo.documents import attach_required
from identity.models import IdentityProvider, Purpose
from schemes.models import KPI, Distribution, Opening, Scheme, Shape

# The password of every user the factories make (the browser tests sign in with it).
PASSWORD = "geheim-wachtwoord-123"

EZK = "Ministerie van Economische Zaken en Klimaat (EZK)"


# --- schemes and openings ------------------------------------------------------------------------


class SchemeFactory(factory.django.DjangoModelFactory):
    """A per-unit scheme shaped like the Omscholingsregeling: € 3.750 per traject, each costing at least
    € 7.500, at most 6; a generic name unless a trait names it."""

    class Meta:
        model = Scheme
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

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
    # no random sample of the small ex officio settlements unless a test asks for one (the model's default is 5 %):
    # a test of the clocks settles every small grant as the scheme fixes it
    sample_check_pct = Decimal("0")

    class Params:
        # The shapes, without a name of their own.
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
        # The three schemes as the review desk, the letters and the clocks know them.
        omscholing = factory.Trait(
            code=factory.Sequence(lambda n: f"omscholing-test-{n}"),
            name="Omscholing naar kansrijke beroepen in ICT en techniek",
            short_name="Omscholingsregeling",
            reference_prefix="OMS",
            owner=EZK,
            advance_pct=Decimal("100"),
        )
        slim = factory.Trait(
            share_of_costs=True,
            name="SLIM — Stimuleringsregeling leren en ontwikkelen in mkb-ondernemingen",
            short_name="SLIM",
            reference_prefix="SLIM",
            owner=EZK,
            advance_pct=Decimal("50"),
            ex_officio_below=Decimal("25000.00"),
            one_per_window=True,
            intermediaries_allowed=True,
        )
        techkwadraat = factory.Trait(
            programme=True,
            name="Nationaal Groeifonds — Techkwadraat",
            short_name="Techkwadraat",
            reference_prefix="NGF",
            owner=EZK,
            advance_pct=Decimal("0"),
        )

    @factory.post_generation
    def kpis(scheme, create, extracted, **kwargs):
        """A programme comes with the KPIs its gates are decided on (``PROGRAMME_KPIS``)."""
        if create and scheme.shape == Shape.PROGRAMME and extracted is not False:
            programme_kpis(scheme)


class OpeningFactory(factory.django.DjangoModelFactory):
    """An opening open since yesterday for a month, unless told otherwise."""

    class Meta:
        model = Opening
        django_get_or_create = ("code",)

    scheme = factory.SubFactory(SchemeFactory)
    code = factory.Sequence(lambda n: f"openstelling-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.scheme.short_name or o.scheme.name}, openstelling")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + datetime.timedelta(days=30))
    budget_ceiling = Decimal("1000000.00")
    distribution = Distribution.FCFS

    class Params:
        omscholing = factory.Trait(scheme=factory.SubFactory(SchemeFactory, omscholing=True))


def omscholing_scheme(**kwargs) -> Scheme:
    """The Omscholingsregeling of the scenarios (no intermediaries, as the real one)."""
    kwargs.setdefault("code", "omscholing-test")
    return SchemeFactory(omscholing=True, decision_term_weeks=8, **kwargs)


def slim_scheme(**kwargs) -> Scheme:
    """SLIM: 60 % of the costs, de minimis, one application per opening, intermediaries allowed."""
    defaults = dict(
        code="slim-test",
        name="SLIM (test)",
        short_name="SLIM",
        reference_prefix="SLIM",
        share_of_costs=True,
        one_per_window=True,
        de_minimis=True,
        sme_only=True,
        max_amount_by_sector={"landbouw": "20000.00"},
        intermediaries_allowed=True,
        advance_pct=Decimal("50"),
    )
    defaults.update(kwargs)
    return SchemeFactory(**defaults)


# The KPIs a gated tranche of the test programmes is decided on: a gate decision names only these.
PROGRAMME_KPIS = {
    "bedrijven": ("Betrokken bedrijven", "bedrijven", "100"),
    "leerlingen": ("Bereikte leerlingen", "leerlingen", "1000"),
    "bereik": ("Bereik", "deelnemers", "100"),
    "instroom": ("Instroom in bèta-techniek", "leerlingen", "50"),
    "werkenden": ("Geschoolde werkenden", "werkenden", "2000"),
}


def programme_kpis(scheme: Scheme, codes=tuple(PROGRAMME_KPIS)) -> list[KPI]:
    """The programme's KPIs (totals from 0 in 2024 to a target in 2030), as a gate decision must name them."""
    return [
        KPI.objects.get_or_create(
            scheme=scheme,
            code=code,
            defaults={
                "name": PROGRAMME_KPIS[code][0],
                "unit": PROGRAMME_KPIS[code][1],
                "definition": f"{PROGRAMME_KPIS[code][0]} in het jaar.",
                "baseline_year": 2024,
                "target_year": 2030,
                "target_value": Decimal(PROGRAMME_KPIS[code][2]),
            },
        )[0]
        for code in codes
    ]


def techkwadraat_scheme(**kwargs) -> Scheme:
    """A programme shaped like Techkwadraat: a consortium asks an amount, no advance; KPIs its gates decide on."""
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


def open_opening(scheme: Scheme, *, ceiling=None, **kwargs) -> Opening:
    """The scheme's opening, open now (code ``<scheme>-nu``)."""
    kwargs.setdefault("code", f"{scheme.code}-nu")
    kwargs.setdefault("budget_ceiling", Decimal(ceiling or "1000000.00"))
    kwargs.setdefault("distribution", Distribution.FCFS)
    return OpeningFactory(scheme=scheme, **kwargs)


def closed_opening(scheme: Scheme, **kwargs) -> Opening:
    """The scheme's opening that closed a month ago (code ``<scheme>-dicht``)."""
    opens = timezone.now() - datetime.timedelta(days=60)
    kwargs.setdefault("code", f"{scheme.code}-dicht")
    return open_opening(scheme, opens_at=opens, closes_at=opens + datetime.timedelta(days=30), **kwargs)


# --- organisations and people --------------------------------------------------------------------


class OrganisationFactory(factory.django.DjangoModelFactory):
    """An employer with a complete profile (IBAN and contact person)."""

    class Meta:
        model = Organisation
        django_get_or_create = ("kvk",)

    kvk = factory.Sequence(lambda n: f"{30000000 + n:08d}")
    name = factory.Sequence(lambda n: f"Werkgever {n} B.V.")
    size_class = "sme"
    sector = "ict"
    province = "utrecht"
    iban = "NL91ABNA0417164300"
    # the SME test's figures: a small enterprise (SLIM and MKB!dee are for SMEs only)
    employees = Decimal("12.0")
    annual_turnover = Decimal("1500000.00")
    balance_sheet_total = Decimal("800000.00")
    figures_year = 2025
    contact_name = "W. de Werkgever"
    contact_email = factory.LazyAttribute(lambda o: f"contact{o.kvk}@example.nl")


class IntermediaryFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"Opleidingsfonds {n}")
    is_intermediary = True
    sector = "onderwijs"


class UserFactory(factory.django.DjangoModelFactory):
    """A user who can sign in with ``PASSWORD``; ``schemes=[...]`` for the staff's schemes."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"gebruiker{n}")
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


def reviewer(schemes, **kwargs) -> User:
    return staff(Role.REVIEWER, schemes, **kwargs)


def senior(schemes, **kwargs) -> User:
    return staff(Role.SENIOR_REVIEWER, schemes, **kwargs)


def finance(schemes, **kwargs) -> User:
    """Finance staff of the schemes: they record and confirm payments, and take no decisions (separation of duties)."""
    return staff(Role.FINANCE, schemes, **kwargs)


def run_allocation(opening, proposer: User, approver: User | None = None, *, advice: str = ""):
    """An opening's distribution as the law wants it: proposed by one case worker (a tender with the committee's
    advice), approved by a second; returns the run that counts."""
    approver = approver or reviewer([opening.scheme])
    if opening.distribution == "tender" and not advice:
        advice = "De commissie adviseert de rangschikking op de gemiddelde score te volgen."
    proposal = services.draws.propose(opening=opening, user=proposer, data={"advice": advice})
    return services.draws.approve(proposal=proposal, user=approver)


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


def team_for(opening=None) -> dict:
    """An opening (open now) with an employer, a reviewer and a senior reviewer of its scheme; a reviewer and a
    senior reviewer who take no part in their decisions and so may propose and approve the decision on an objection
    against them (Awb 7:5, 10:3 lid 3); and two finance staff who record and confirm its payments (four eyes)."""
    opening = opening or OpeningFactory(omscholing=True)
    scheme = opening.scheme
    return {
        "opening": opening,
        "employer": employer(),
        "reviewer": reviewer([scheme]),
        "senior": senior([scheme]),
        "objection_handler": reviewer([scheme]),
        "objection_approver": senior([scheme]),
        "payer": finance([scheme]),
        "checker": finance([scheme]),
    }


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
    if action == "propose_grant":
        day_ended(application)
    return services.perform(application, action, user, data, **kwargs)


def day_ended(application) -> Application:
    """The day the application became complete is over (and drawn, had the ceiling been crossed on it): first
    come, first served, a grant waits for that (``permissions.day_drawn_if_fcfs``). A test that acts on the day
    itself has its completion moved to the day before; the gate's own tests act without this."""
    moment = application.complete_at
    drawn_later = LotterySeed.objects.filter(
        opening_id=application.opening_id, day=timezone.localdate(moment) if moment else None, revealed_at__isnull=True
    )
    assert moment is None or not drawn_later.exists(), (
        "the ceiling was crossed on the day this application became complete: that day is drawn first "
        "(submit on past days and run the daily clocks instead)"
    )
    if moment is not None and timezone.localdate(moment) >= timezone.localdate():
        moment -= datetime.timedelta(days=1)
        Application.objects.filter(pk=application.pk).update(complete_at=moment)
        application.complete_at = moment
    return application


def pay(application, payer, checker, *, kind: str | None = None):
    """A payment due recorded by one member of the finance staff and confirmed by another (four eyes): the advance
    by ``pay_advance``, else the first payment due of ``kind`` (any kind when None)."""
    payments = application.payments.filter(status="due")
    payment = payments.filter(kind=kind).first() if kind else payments.first()
    assert payment is not None, "no payment due"
    if payment.kind == "advance":
        act(application, "pay_advance", payer)
    else:
        act(application, "record_payment", payer, {"payment": payment.pk})
    return act(application, "confirm_payment", checker, {"payment": payment.pk})


def payers(scheme) -> tuple[User, User]:
    """Two finance staff of the scheme: one records, the other confirms."""
    return finance([scheme], username=f"betaler-{scheme.code}"), finance([scheme], username=f"controleur-{scheme.code}")


def decide_objection(application, data: dict, handler, approver):
    """The decision on an objection under four eyes: proposed by ``handler``, approved by ``approver`` (both not
    involved in the contested decision)."""
    act(application, "propose_objection_decision", handler, data)
    return act(application, "decide_objection", approver)


# --- applications, through the services ----------------------------------------------------------


def traject(
    n: int = 1,
    cost: str = "8000.00",
    sector: str = "ict",
    *,
    participant: str | None = None,
    provider: str = "Hogeschool Utrecht",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    contract_end: datetime.date | None = None,
) -> dict:
    """One traject as the form and the API take it: starts in a month and runs half a year, unless told."""
    start = start or timezone.localdate() + datetime.timedelta(days=30)
    end = end or start + datetime.timedelta(days=180)
    return {
        "participant": participant or f"J. Jansen {n}",
        "occupation": "DevOps-engineer" if sector == "ict" else "Monteur elektrotechniek",
        "occupation_sector": sector,
        "provider": provider,
        "cost": cost,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "contract_end_date": (contract_end or start + datetime.timedelta(days=730)).isoformat(),
    }


def worker(n: int, **kwargs) -> dict:
    """Werknemer n's traject as the review desk's scenarios tell it: € 7.500 from today, for 270 days."""
    start = timezone.localdate()
    end = kwargs.pop("end", None) or start + datetime.timedelta(days=270)
    kwargs.setdefault("cost", "7500.00")
    kwargs.setdefault("provider", "Techniek Academie")
    return traject(
        n,
        participant=kwargs.pop("participant", f"Werknemer {n}"),
        start=start,
        end=end,
        contract_end=end + datetime.timedelta(days=240),
        **kwargs,
    )


def unit_rows(*rows: dict, prefix: str = "units") -> dict:
    """Rows as the trajecten table posts them."""
    data = {f"{prefix}-TOTAL": str(len(rows))}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def draft(opening: Opening, user: User, *, kvk: str | None = None, units=None, at=None, **data) -> Application:
    """A complete draft, declared truthful: two trajecten, € 30.000 of costs ending in a year, or € 1 mln
    for a programme ending in two years. ``units``: the trajecten, or how many of ``worker(n)``."""
    data.setdefault("truthfulness_declared", True)
    shape = opening.published_rules.shape
    if shape == Shape.PER_UNIT:
        if isinstance(units, int):
            units = [worker(n + 1) for n in range(units)]
        data["units"] = units if units is not None else [traject(1), traject(2)]
    elif shape == Shape.SHARE_OF_COSTS:
        data.setdefault("eligible_costs", "30000.00")
        data.setdefault("de_minimis_declared", "0.00")
        data.setdefault("project_end_date", (timezone.localdate() + datetime.timedelta(days=365)).isoformat())
    else:
        data.setdefault("requested_amount", "1000000.00")
        data.setdefault("project_end_date", (timezone.localdate() + datetime.timedelta(days=730)).isoformat())
    return services.create_draft(user=user, opening=opening, organisation_kvk=kvk, data=data, now=at)


def submitted(opening, user, *, at=None, **data) -> Application:
    """A complete application — with the documents its scheme asks for — submitted through the service like the
    portal does (``at``: made and submitted at that moment, e.g. on a day that has ended)."""
    app = draft(opening, user, at=at, **data)
    attach_required(app, user)
    return act(app, "submit", user, now=at)


def in_review(opening, user, reviewer, **data) -> Application:
    return act(submitted(opening, user, **data), "start_review", reviewer)


def proposed_grant(opening, user, reviewer, amount=None, **data) -> Application:
    app = in_review(opening, user, reviewer, **data)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    body = {"note": "Voldoet aan de voorwaarden."}
    if amount is not None:
        body["amount"] = amount
    return act(app, "propose_grant", reviewer, body)


def granted(opening, user, reviewer, senior, **data) -> Application:
    """Submitted, reviewed and granted under four eyes."""
    return act(proposed_grant(opening, user, reviewer, **data), "approve_decision", senior)


def rejected(opening, user, reviewer, senior, code="not_eligible", **data) -> Application:
    """Submitted, reviewed and rejected under four eyes."""
    app = in_review(opening, user, reviewer, **data)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    body = {"reason_code": code, "note": "Het beroep staat niet op de lijst."}
    act(app, "propose_rejection", reviewer, body)
    return act(app, "approve_decision", senior)


def owe_since(application, minutes: float) -> Outbox:
    """The receipt the submission owes, as an outbox row written ``minutes`` ago (and not delivered)."""
    event = AuditEvent.objects.get(application=application, action="submit")
    row, _created = Outbox.objects.get_or_create(  # audit.record writes it where the outbox is wired in
        key=f"letter:receipt:application:{application.pk}",
        defaults={"kind": Outbox.Kind.LETTER, "event": event, "application": application},
    )
    Outbox.objects.filter(pk=row.pk).update(
        status=Outbox.Status.OWED, created_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )
    return row


# --- uploads -------------------------------------------------------------------------------------

# A real (blank, one-page) PDF: uploads are opened and inspected, so a PDF must be one.
PDF = (
    b"%PDF-1.3\n1 0 obj\n<< /Pages 2 0 R /Type /Catalog >>\nendobj\n2 0 obj\n<< /Count 1 /Kids [ 3 0 R ] /Type /Pages >>"
    b"\nendobj\n3 0 obj\n<< /Contents 4 0 R /MediaBox [ 0 0 595 842 ] /Parent 2 0 R /Resources << >> /Type /Page >>"
    b"\nendobj\n4 0 obj\n<< /Length 0 >>\nstream\n\nendstream\nendobj\ntrailer << /Root 1 0 R /Size 5 >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def authenticator(user) -> TOTPDevice:
    """The user's authenticator app, as set up at the first sign-in (a confirmed TOTP device)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="default", confirmed=True
    )


def code_now(device: TOTPDevice) -> str:
    """The six digits the app shows now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def sign_in(client, username: str, password: str = PASSWORD, *, code: str | None = None, **extra):
    """Through the login page as a person does: the password, then, when asked, the code (the wizard's steps)."""
    response = client.post(
        reverse("login"),
        {"login_view-current_step": "auth", "auth-username": username, "auth-password": password, **extra},
    )
    if code is not None and response.status_code == 200:
        response = client.post(reverse("login"), {"login_view-current_step": "token", "token-otp_token": code, **extra})
    return response


def second_factor_done(client, user) -> None:
    """After ``force_login``: for staff, the session as the login's code step leaves it (django-otp)."""
    if not needs_second_factor(user):
        return
    device = authenticator(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def api_token(user, days: int = 90) -> str:
    """A new API token for the user (stored hashed; the token is known only here)."""
    return issue_api_token(username=user.username, expires_days=days)[1]


def pdf_text(letter) -> str:
    """The words of a rendered letter's PDF, on one line, as a reader of the letter sees them."""
    letter.refresh_from_db()
    assert letter.status == letter.Status.RENDERED, letter.error
    with letter.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).replace("\xa0", " ").split())


# --- the ways in through a provider: eHerkenning and staff single sign-on (identity) ------------------------

EHERKENNING_CLIENT = "open-subsidie-eherkenning"
STAFF_CLIENT = "open-subsidie-medewerkers"
STAFF_ROLE_CLAIMS = {
    "os-behandelaar": "reviewer",
    "os-senior": "senior_reviewer",
    "os-programmamanager": "program_manager",
    "os-beheer": "administrator",
}


def identity_providers(issuer: str) -> tuple[IdentityProvider, IdentityProvider]:
    """The eHerkenning broker and the staff IdP, both played by the local provider at ``issuer`` (…/dev-idp)."""
    eherkenning = IdentityProvider.objects.create(
        purpose=Purpose.EHERKENNING,
        label="Inloggen met eHerkenning (testomgeving)",
        issuer=issuer,
        client_id=EHERKENNING_CLIENT,
        client_secret="test-eherkenning-secret",
    )
    staff_idp = IdentityProvider.objects.create(
        purpose=Purpose.STAFF,
        label="Inloggen als medewerker (single sign-on)",
        issuer=issuer,
        client_id=STAFF_CLIENT,
        client_secret="test-staff-secret",
        role_mapping=STAFF_ROLE_CLAIMS,
    )
    return eherkenning, staff_idp
