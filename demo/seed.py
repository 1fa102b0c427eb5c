"""Demo users, organisations, openings that are open today, and a few applications.

Everything made here carries ``is_demo`` so it stays apart from real data.
Running it again changes nothing that is already there.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from applications import services
from applications.criteria import TENDER_CRITERIA
from applications.models import Application, Mandate, Organisation, Role, User
from applications.services.tranches import release_due_tranches
from identity.models import IdentityProvider, Purpose
from schemes.loader import LoadReport, load_opening
from schemes.models import KPI, KPIMeasurement, Opening, Scheme, TranchePlanItem

from .documents import attach_required

PASSWORD = "opensubsidie"

EMPLOYER = {
    "kvk": "90000001",
    "name": "Demo Techniek B.V.",
    "size_class": "sme",
    "sector": "techniek",
    "province": "gelderland",
    "iban": "NL91ABNA0417164300",
    "contact_name": "W. de Werkgever",
    "contact_email": "werkgever@demo.opensubsidie.example",
    # the SME test's figures (EU definition): an SME
    "employees": Decimal("85.0"),
    "annual_turnover": Decimal("14500000.00"),
    "balance_sheet_total": Decimal("6200000.00"),
    "figures_year": 2025,
}
SECOND_EMPLOYER = {
    "kvk": "90000003",
    "name": "Demo Software B.V.",
    "size_class": "small",
    "sector": "ict",
    "province": "utrecht",
    "iban": "NL20INGB0001234567",
    "contact_name": "S. Softwaremaker",
    "contact_email": "software@demo.opensubsidie.example",
    "employees": Decimal("18.0"),
    "annual_turnover": Decimal("2100000.00"),
    "balance_sheet_total": Decimal("900000.00"),
    "figures_year": 2025,
}
PPS_LEAD = {
    "kvk": "90000004",
    "name": "Demo ROC Techniek (penvoerder PPS)",
    "size_class": "large",
    "sector": "onderwijs",
    "province": "overijssel",
    "iban": "NL44RABO0123456789",
    "contact_name": "P. Penvoerder",
    "contact_email": "penvoerder@demo.opensubsidie.example",
}
CONSORTIUM_LEAD = {
    "kvk": "90000005",
    "name": "Demo Leerecosysteem Techkwadraat",
    "size_class": "sme",
    "sector": "onderwijs",
    "province": "noord-brabant",
    "iban": "NL75ABNA0555555555",
    "contact_name": "T. Techniek",
    "contact_email": "techkwadraat@demo.opensubsidie.example",
}
INTERMEDIARY = {
    "kvk": "90000002",
    "name": "Opleidingsfonds Techniek (demo)",
    "size_class": "sme",
    "sector": "onderwijs",
    "province": "zuid-holland",
    "is_intermediary": True,
    "contact_email": "fonds@demo.opensubsidie.example",
}

USERS = [
    ("werkgever", Role.APPLICANT, EMPLOYER["kvk"], "Wendy", "de Werkgever"),
    ("werkgever2", Role.APPLICANT, SECOND_EMPLOYER["kvk"], "Sam", "Softwaremaker"),
    ("intermediair", Role.INTERMEDIARY, INTERMEDIARY["kvk"], "Ingrid", "Intermediair"),
    ("penvoerder", Role.APPLICANT, PPS_LEAD["kvk"], "Pim", "Penvoerder"),
    ("consortium", Role.APPLICANT, CONSORTIUM_LEAD["kvk"], "Toos", "Techniek"),
    ("behandelaar", Role.REVIEWER, None, "Bart", "Behandelaar"),
    ("senior", Role.SENIOR_REVIEWER, None, "Sanne", "Senior"),
    ("programmamanager", Role.PROGRAM_MANAGER, None, "Priya", "Programmamanager"),
    ("beheerder", Role.ADMINISTRATOR, None, "Bas", "Beheerder"),
    ("betaler", Role.FINANCE, None, "Fenna", "Financiën"),
    ("controleur", Role.FINANCE, None, "Cor", "Controleur"),
]

LOGINS = [
    ("werkgever", "werkgever van Demo Techniek B.V."),
    ("intermediair", "intermediair: Opleidingsfonds Techniek, gemachtigd door beide demo-werkgevers"),
    ("behandelaar", "behandelaar (alle regelingen)"),
    ("senior", "tweede behandelaar (vier ogen)"),
    ("programmamanager", "programmamanager: rapportages"),
    ("beheerder", "functioneel beheerder: /beheer/"),
]


def _organisation(values: dict) -> Organisation:
    org = Organisation.objects.filter(kvk=values["kvk"]).first()
    if org is None:
        org = Organisation(**values, is_demo=True)
        org.full_clean()
        org.save()
    return org


def demo_openings(today: datetime.date) -> list[dict]:
    tz = timezone.get_current_timezone()
    opens = datetime.datetime.combine(today - datetime.timedelta(days=30), datetime.time(9, 0), tzinfo=tz)
    closes = datetime.datetime.combine(today + datetime.timedelta(days=60), datetime.time(17, 0), tzinfo=tz)
    common = {
        "opens_at": opens,
        "closes_at": closes,
        "notes": "Demo-openstelling: open op de dag dat de demo is geladen.",
    }
    return [
        {
            "scheme": "omscholing",
            "code": "omscholing-demo",
            "name": "Omscholingsregeling (demo)",
            "budget_ceiling": "37500.00",
            "distribution": "fcfs",
            "capacity_units": 10,
            "target_units": 10,
            **common,
        },
        {
            "scheme": "slim",
            "code": "slim-demo",
            "name": "SLIM (demo)",
            "budget_ceiling": "100000.00",
            "distribution": "lottery",
            **common,
        },
        {
            "scheme": "mkbidee",
            "code": "mkbidee-demo",
            "name": "MKB!dee (demo)",
            "budget_ceiling": "250000.00",
            "distribution": "tender",
            "min_score": "6.00",
            **common,
        },
        {
            "scheme": "ngf-techkwadraat",
            "code": "ngf-techkwadraat-demo",
            "name": "Techkwadraat (demo)",
            "budget_ceiling": "10000000.00",
            "distribution": "tender",
            "min_score": "6.00",
            # A closed round, as Techkwadraat's first (closed 13 January 2025): a tender is ranked after the close,
            # and nobody is granted before the ranking has been proposed and approved.
            "opens_at": opens - datetime.timedelta(days=30),
            "closes_at": datetime.datetime.combine(today - datetime.timedelta(days=1), datetime.time(17, 0), tzinfo=tz),
            "notes": "Demo-openstelling: een ronde die gisteren sloot, gerangschikt met het advies van de commissie.",
            # A demo award in two parts from its start. The € 205,8 mln the 2027 KPI review decides on is the
            # programme's (the scheme's budget lines), not a share of each consortium's award.
            "tranche_plan": [
                {"number": 1, "label": "Eerste deel, bij de start", "amount": "4000000.00", "offset_months": 0},
                {"number": 2, "label": "Tweede deel, na een jaar", "amount": "6000000.00", "offset_months": 12},
            ],
        },
        {
            "scheme": "ngf-pps",
            "code": "ngf-pps-demo",
            "name": "Opschaling PPS (demo)",
            "budget_ceiling": "24000000.00",
            "distribution": "fcfs",
            **common,
        },
    ]


# The local OpenID provider (identity/devprovider.py, on with DEBUG) plays the eHerkenning broker and the staff
# IdP; these are its clients, with secrets that are no secret (make run only).
STAFF_ROLE_CLAIMS = {
    "os-behandelaar": Role.REVIEWER,
    "os-senior": Role.SENIOR_REVIEWER,
    "os-programmamanager": Role.PROGRAM_MANAGER,
    "os-beheer": Role.ADMINISTRATOR,
    "os-financien": Role.FINANCE,
}


def _identity_providers(base_url: str, report: LoadReport) -> None:
    issuer = base_url.rstrip("/") + "/dev-idp"
    if not IdentityProvider.objects.filter(purpose=Purpose.EHERKENNING).exists():
        IdentityProvider.objects.create(
            purpose=Purpose.EHERKENNING,
            label="Inloggen met eHerkenning (testomgeving)",
            issuer=issuer,
            client_id="open-subsidie-eherkenning",
            client_secret="demo-eherkenning",
        )
        report.created.append("eHerkenning (testomgeving)")
    if not IdentityProvider.objects.filter(purpose=Purpose.STAFF).exists():
        IdentityProvider.objects.create(
            purpose=Purpose.STAFF,
            label="Inloggen als medewerker (single sign-on, testomgeving)",
            issuer=issuer,
            client_id="open-subsidie-medewerkers",
            client_secret="demo-medewerkers",
            role_mapping={claim: str(role) for claim, role in STAFF_ROLE_CLAIMS.items()},
        )
        report.created.append("single sign-on (testomgeving)")


@transaction.atomic
def seed(today: datetime.date | None = None, base_url: str = "http://127.0.0.1:8000") -> LoadReport:
    today = today or timezone.localdate()
    report = LoadReport()
    _identity_providers(base_url, report)
    employer = _organisation(EMPLOYER)
    second = _organisation(SECOND_EMPLOYER)
    intermediary = _organisation(INTERMEDIARY)
    _organisation(PPS_LEAD)
    _organisation(CONSORTIUM_LEAD)
    all_schemes = list(Scheme.objects.all())
    for username, role, kvk, first, last in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.create_user(
                username=username, role=role, organisation_kvk=kvk, email=f"{username}@demo.opensubsidie.example"
            )
            # the one published demo password, deliberately simple: seed_demo refuses to run with DEBUG off,
            # so it never passes the password validators that create_user applies to real accounts
            user.set_password(PASSWORD)
            user.first_name, user.last_name = first, last
            user.save()
            if role in (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.PROGRAM_MANAGER, Role.FINANCE):
                user.schemes.set(all_schemes)
            report.created.append(f"gebruiker {username}")
    allowed = [s for s in all_schemes if s.intermediaries_allowed]
    for principal in (employer, second):
        if allowed and not Mandate.objects.filter(principal=principal, agent=intermediary).exists():
            services.grant_mandate(
                principal=principal,
                agent=intermediary,
                schemes=allowed,
                valid_from=today - datetime.timedelta(days=60),
                valid_until=today + datetime.timedelta(days=365),
                by=User.objects.get(username="beheerder"),
            )
            report.created.append(f"machtiging {principal.kvk}")
    for data in demo_openings(today):
        data = dict(data)
        scheme = Scheme.objects.get(code=data.pop("scheme"))
        if Opening.objects.filter(code=data["code"]).exists():
            report.unchanged.append(data["code"])
            continue
        load_opening(scheme, data, report, demo=True)
    _demo_applications(report)
    _demo_programmes(today, report)
    return report


def _demo_applications(report: LoadReport) -> None:
    """A few applications in different states, so every screen has something to show."""
    if Application.objects.filter(is_demo=True, demo_batch="demo").exists():
        return
    werkgever = User.objects.get(username="werkgever")
    intermediair = User.objects.get(username="intermediair")
    behandelaar = User.objects.get(username="behandelaar")
    senior = User.objects.get(username="senior")
    omscholing = Opening.objects.get(code="omscholing-demo")
    slim = Opening.objects.get(code="slim-demo")
    today = timezone.localdate()

    def traject(name, occupation, sector, cost):
        return {
            "participant": name,
            "occupation": occupation,
            "occupation_sector": sector,
            "provider": "Techniek Academie",
            "cost": cost,
            "start_date": today.isoformat(),
            "end_date": (today + datetime.timedelta(days=270)).isoformat(),
            "contract_end_date": (today + datetime.timedelta(days=270 + 240)).isoformat(),
        }

    draft = services.create_draft(
        user=werkgever,
        opening=omscholing,
        data={"units": [traject("A. de Vries", "Monteur elektrotechniek", "techniek", "8200.00")]},
    )
    submitted = services.create_draft(
        user=werkgever,
        opening=omscholing,
        data={
            "truthfulness_declared": True,
            "units": [
                traject("J. Jansen", "Software-ontwikkelaar", "ict", "9500.00"),
                traject("P. Bakker", "Installatiemonteur", "techniek", "7800.00"),
            ],
        },
    )
    attach_required(submitted, werkgever)
    services.perform(submitted, "submit", werkgever)
    in_review = services.create_draft(
        user=intermediair,
        opening=slim,
        organisation_kvk=SECOND_EMPLOYER["kvk"],
        data={
            "truthfulness_declared": True,
            "eligible_costs": "30000.00",
            "de_minimis_declared": "0.00",
            "project_end_date": (today + datetime.timedelta(days=365)).isoformat(),
        },
    )
    services.perform(in_review, "submit", intermediair)
    services.declare_conflict_of_interest(application=in_review, user=behandelaar, conflict=False)
    services.perform(in_review, "start_review", behandelaar)
    # first come, first served grants wait until the day the application was complete has ended: submitted yesterday
    yesterday = timezone.now() - datetime.timedelta(days=1)
    granted = services.create_draft(
        user=werkgever,
        opening=omscholing,
        data={"truthfulness_declared": True, "units": [traject("M. Visser", "Netwerkbeheerder", "ict", "8000.00")]},
        now=yesterday,
    )
    attach_required(granted, werkgever)
    services.perform(granted, "submit", werkgever, now=yesterday)
    services.declare_conflict_of_interest(application=granted, user=behandelaar, conflict=False)
    services.perform(granted, "start_review", behandelaar)
    services.perform(granted, "propose_grant", behandelaar, {"note": "Voldoet aan alle voorwaarden."})
    services.declare_conflict_of_interest(application=granted, user=senior, conflict=False)
    services.perform(granted, "approve_decision", senior)
    for app in (draft, submitted, in_review, granted):
        Application.objects.filter(pk=app.pk).update(is_demo=True, demo_batch="demo")
    report.created.append("demo-aanvragen")


# Demo KPIs of Techkwadraat: the sources name no KPIs for its 2027 review (001:L21-22), so the demo brings its
# own (``is_demo``: only in a report of a demo opening, never in the scheme's).
TECHKWADRAAT_DEMO_KPIS = [
    {
        "code": "demo-leerlingen",
        "name": "Leerlingen met technologieonderwijs (demo)",
        "definition": "Leerlingen in het funderend onderwijs die in het schooljaar technologieonderwijs volgen.",
        "unit": "leerlingen",
        "kind": KPI.Kind.TOTAL,
        "baseline_year": 2024,
        "baseline_value": Decimal("0"),
        "target_year": 2031,
        "target_value": Decimal("20000"),
        "source": "demo",
    },
]


def _grant(app: Application, lead: User, reviewer: User, senior: User) -> Application:
    """Submitted yesterday (a first come, first served grant waits until that day has ended), granted today."""
    services.perform(app, "submit", lead, now=timezone.now() - datetime.timedelta(days=1))
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    services.perform(app, "start_review", reviewer)
    services.perform(app, "propose_grant", reviewer, {"note": "Voldoet aan alle voorwaarden (demo)."})
    services.declare_conflict_of_interest(application=app, user=senior, conflict=False)
    return services.perform(app, "approve_decision", senior)


def _ranked_award(opening: Opening, lead: User, reviewer: User, senior: User) -> Application:
    """A tender's award: submitted in the window, scored, ranked after the close with the committee's advice
    (proposed by one case worker, approved by another), then granted under four eyes."""
    during = opening.opens_at + datetime.timedelta(days=1)
    app = services.create_draft(
        user=lead,
        opening=opening,
        data={"truthfulness_declared": True, "requested_amount": "2500000.00"},
        now=during,
    )
    attach_required(app, lead)
    services.perform(app, "submit", lead, now=during)
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False)
    services.perform(app, "start_review", reviewer)
    criteria = TENDER_CRITERIA[opening.published_rules.shape]
    scores = {code: {"score": 8, "justification": "Sterk plan met breed draagvlak (demo)."} for code, _ in criteria}
    services.record_assessment(application=app, user=reviewer, scores=scores)
    advice = "De commissie adviseert de rangschikking op de gemiddelde score te volgen (demo)."
    proposal = services.draws.propose(opening=opening, user=reviewer, data={"advice": advice})
    services.draws.approve(proposal=proposal, user=senior)
    services.perform(app, "propose_grant", reviewer, {"note": "Eerste in de rangschikking (demo)."})
    services.declare_conflict_of_interest(application=app, user=senior, conflict=False)
    return services.perform(app, "approve_decision", senior)


def _demo_programmes(today: datetime.date, report: LoadReport) -> None:
    """A PPS and a Techkwadraat award granted today, with their tranches and their own KPI measurements.

    The PPS's tranches count from today (years 1-2 now, 3-4 in two years, 5-6 in four, after the 2026
    evaluation); its first tranche is paid on the day. Shown in the demo openings' reports.
    """
    if Application.objects.filter(is_demo=True, demo_batch="demo-programma").exists():
        return
    behandelaar = User.objects.get(username="behandelaar")
    senior = User.objects.get(username="senior")
    pps_lead = User.objects.get(username="penvoerder")
    tk_lead = User.objects.get(username="consortium")
    pps = services.create_draft(
        user=pps_lead,
        opening=Opening.objects.get(code="ngf-pps-demo"),
        data={"truthfulness_declared": True, "requested_amount": "12000000.00"},
        now=timezone.now() - datetime.timedelta(days=1),
    )
    attach_required(pps, pps_lead)
    pps = _grant(pps, pps_lead, behandelaar, senior)
    techkwadraat = _ranked_award(Opening.objects.get(code="ngf-techkwadraat-demo"), tk_lead, behandelaar, senior)
    release_due_tranches(today)
    Application.objects.filter(pk__in=[pps.pk, techkwadraat.pk]).update(is_demo=True, demo_batch="demo-programma")

    # each partnership reports its own KPIs: the PPS's as extra on 2021, as the programme counts them
    period = "demo: nulmeting bij de start"
    for code, value in (("bedrijven", "35"), ("studenten", "120"), ("werkenden", "60"), ("extra-geld", "250000")):
        kpi = KPI.objects.get(scheme=pps.opening.scheme, code=code)
        KPIMeasurement.objects.get_or_create(
            kpi=kpi,
            application=pps,
            period=period,
            defaults={"measured_on": today, "value": Decimal(value), "kind": kpi.kind, "source": "demo"},
        )
    for values in TECHKWADRAAT_DEMO_KPIS:
        kpi, _created = KPI.objects.get_or_create(
            scheme=techkwadraat.opening.scheme, code=values["code"], defaults={**values, "is_demo": True}
        )
        KPIMeasurement.objects.get_or_create(
            kpi=kpi,
            application=techkwadraat,
            period=period,
            defaults={"measured_on": today, "value": Decimal("850"), "kind": kpi.kind, "source": "demo"},
        )
    report.created.append("demo-programma's (PPS en Techkwadraat)")


def plan_items(opening: Opening):
    return TranchePlanItem.objects.filter(opening=opening)


__all__ = ["Decimal", "LOGINS", "PASSWORD", "seed"]
