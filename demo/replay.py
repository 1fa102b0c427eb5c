"""A replay of the first opening of the Omscholingsregeling (``omscholing-2021``).

Built from the figures of the evaluation (SCHEMES.md §1, seed 000:L1226–1236):
142 applications submitted between 1 September and 1 December 2021, 99 granted
— one traject each, about 60 % towards an ICT occupation — from 58 companies
(28 in techniek, 30 in ICT); the rest rejected with a reason code, not considered (incomplete, the
supplement never came: Awb 4:5) or withdrawn.

Every step goes through the real services with the historical moment, so the
audit trail and the ledger carry 2021 dates and a KPI report as of any day of
that autumn shows what a program manager could have seen then. Generated with
a fixed seed, so it is the same every time; everything carries ``is_demo`` and
``demo_batch = "replay-omscholing-2021"`` to keep it apart from real data.
A second run finds the batch and changes nothing.
"""

from __future__ import annotations

import datetime
import random
from contextlib import ExitStack
from decimal import Decimal

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from applications import audit, services
from applications.models import Application, Document, Organisation, Role, User
from schemes.models import Opening, Scheme

from .documents import attach_required

BATCH = "replay-omscholing-2021"
SCHEME = "omscholing"
OPENING = "omscholing-2021"
SEED = 2021

SUBMITTED = 142
GRANTED = 99
TECHNIEK_COMPANIES = 28
ICT_COMPANIES = 30
ICT_SHARE = 0.6
OTHER_COMPANIES = 12  # applied, but were never granted
REJECTED = 33  # the other 10 withdrew
NOT_CONSIDERED = 7  # of the 33: incomplete, and the supplement never came (Awb 4:5), not rejections

REJECTION_REASONS = ["not_eligible"] * 14 + ["limits_exceeded"] * 7 + ["incomplete"] * 7 + ["other"] * 5
WITHDRAW_REASONS = [
    "De werknemer heeft een andere baan gevonden.",
    "De opleiding start pas volgend jaar.",
    "Het contract kan niet met zes maanden worden verlengd.",
    "De administratieve last is te groot voor ons bedrijf.",
]
ICT_OCCUPATIONS = ["Software-ontwikkelaar", "Netwerkbeheerder", "Cloud-engineer", "Data-analist", "Security-specialist"]
TECHNIEK_OCCUPATIONS = ["Monteur elektrotechniek", "Installatiemonteur", "Onderhoudstechnicus", "CNC-verspaner"]
PROVIDERS = ["ROC Techniek", "Hogeschool ICT", "Techniek Academie", "IT-Opleidingen Nederland"]
# Illustrative, not from the evaluation, which gives no numbers by size: it says SMEs, who most need
# technical and ICT staff, hardly used the scheme (000:L1248–1250), so most replay companies are large.
SIZE_WEIGHTS = [1, 2, 7]  # small, sme, large
PROVINCES = ["gelderland", "noord-brabant", "zuid-holland", "noord-holland", "utrecht", "overijssel", "limburg"]


class _Clock:
    """The moment the replay acts at; every service call is given it (``now=``)."""

    moment: datetime.datetime

    def __call__(self) -> datetime.datetime:
        return self.moment


def load_replay() -> str:
    """Load the replay once; say what happened."""
    if Application.objects.filter(demo_batch=BATCH).exists():
        return f"Replay {OPENING} is er al ({SUBMITTED} aanvragen); niets gewijzigd."
    opening = Opening.objects.filter(code=OPENING).select_related("scheme").first()
    if opening is None:
        return f"Replay {OPENING} overgeslagen: laad eerst de regelingen (manage.py load_regelingen)."
    clock = _Clock()
    with ExitStack() as stack:
        # No e-mails, letters or webhooks for events of 2021; every service call gets the replay's moment.
        stack.enter_context(override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"))
        stack.enter_context(audit.side_effects_suppressed())
        count = _replay(opening, clock)
    return (
        f"Replay {OPENING} geladen: {count} aanvragen, {GRANTED} verleend "
        f"(demo-reeks '{BATCH}'; rapport: manage.py kpi_report {SCHEME} --scope scheme)."
    )


def _reviewers(scheme: Scheme) -> tuple[User, User]:
    reviewer = User.objects.filter(username="behandelaar", role=Role.REVIEWER).first()
    senior = User.objects.filter(username="senior", role=Role.SENIOR_REVIEWER).first()
    if reviewer and senior and reviewer.handles_scheme(scheme.pk) and senior.handles_scheme(scheme.pk):
        return reviewer, senior
    made = []
    for username, role in (("replay-behandelaar", Role.REVIEWER), ("replay-senior", Role.SENIOR_REVIEWER)):
        user, created = User.objects.get_or_create(username=username, defaults={"role": role})
        if created:
            user.set_unusable_password()
            user.save()
        user.schemes.add(scheme)
        made.append(user)
    return made[0], made[1]


def _payers(scheme: Scheme) -> tuple[User, User]:
    """Two finance staff: one records a payment, the other confirms it (separation of duties)."""
    made = []
    for username in ("replay-betaler", "replay-controleur"):
        user, created = User.objects.get_or_create(username=username, defaults={"role": Role.FINANCE})
        if created:
            user.set_unusable_password()
            user.save()
        user.schemes.add(scheme)
        made.append(user)
    return made[0], made[1]


def _companies(rng: random.Random) -> tuple[list[User], list[User]]:
    """58 companies that will be granted (28 techniek, 30 ICT) and 12 that will not, with one user each."""
    sectors = ["techniek"] * TECHNIEK_COMPANIES + ["ict"] * ICT_COMPANIES
    sectors += [rng.choice(["techniek", "ict", "bouw", "handel"]) for _ in range(OTHER_COMPANIES)]
    organisations = []
    for index, sector in enumerate(sectors):
        organisations.append(
            Organisation(
                kvk=f"{82100000 + index:08d}",
                name=f"Replay {'Techniek' if sector == 'techniek' else sector.upper() if sector == 'ict' else sector.title()} "
                f"{index + 1:02d} B.V.",
                sector=sector,
                size_class=rng.choices(["small", "sme", "large"], weights=SIZE_WEIGHTS)[0],
                province=rng.choice(PROVINCES),
                iban="NL91ABNA0417164300",  # a test account: a payment is recorded to the account on record
                is_demo=True,
                created_at=timezone.make_aware(datetime.datetime(2021, 8, 1, 12, 0)),
            )
        )
    Organisation.objects.bulk_create(organisations, ignore_conflicts=True)
    by_kvk = {o.kvk: o for o in Organisation.objects.filter(kvk__in=[o.kvk for o in organisations])}
    users = []
    for index, organisation in enumerate(organisations):
        user, created = User.objects.get_or_create(
            username=f"replay-werkgever-{index + 1:02d}",
            defaults={"role": Role.APPLICANT, "organisation": by_kvk[organisation.kvk]},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    granted_users = users[: TECHNIEK_COMPANIES + ICT_COMPANIES]
    return granted_users, users


def _traject(rng: random.Random, n: int, sector: str, start: datetime.date) -> dict:
    end = start + datetime.timedelta(days=rng.choice([180, 270, 365]))
    return {
        "participant": f"Deelnemer {n}",
        "occupation": rng.choice(ICT_OCCUPATIONS if sector == "ict" else TECHNIEK_OCCUPATIONS),
        "occupation_sector": sector,
        "provider": rng.choice(PROVIDERS),
        "cost": str(Decimal(rng.randrange(7500, 15000, 100)).quantize(Decimal("0.01"))),
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "contract_end_date": (end + datetime.timedelta(days=240)).isoformat(),
    }


def _plan(rng: random.Random, granted_users: list[User], all_users: list[User]) -> list[dict]:
    """Who applies, with what outcome, in which order: fixed by the seed."""
    outcomes = ["granted"] * GRANTED + ["rejected"] * REJECTED + ["withdrawn"] * (SUBMITTED - GRANTED - REJECTED)
    applicants = list(granted_users)  # every granted company once ...
    while len(applicants) < GRANTED:  # ... and some twice or more
        applicants.append(rng.choice(granted_users))
    others = all_users[len(granted_users) :]
    for index in range(SUBMITTED - GRANTED):
        applicants.append(others[index] if index < len(others) else rng.choice(all_users))
    ict_units = round(GRANTED * ICT_SHARE)
    sectors = ["ict"] * ict_units + ["techniek"] * (GRANTED - ict_units)
    rng.shuffle(sectors)
    reasons = list(REJECTION_REASONS)
    rng.shuffle(reasons)
    plan = []
    for index, (outcome, user) in enumerate(zip(outcomes, applicants, strict=True)):
        plan.append(
            {
                "outcome": outcome,
                "user": user,
                "sectors": [sectors[index]] if outcome == "granted" else [rng.choice(["ict", "techniek"])],
                "reason": reasons.pop() if outcome == "rejected" else None,
            }
        )
    rng.shuffle(plan)
    # Submissions spread over the window, a little busier at the start and the end.
    opens = datetime.datetime(2021, 9, 1, 9, 30)
    span = (datetime.datetime(2021, 12, 1, 16, 0) - opens).total_seconds()
    moments = sorted(opens + datetime.timedelta(seconds=span * rng.betavariate(0.9, 0.9)) for _ in plan)
    for item, moment in zip(plan, moments, strict=True):
        item["submit_at"] = timezone.make_aware(moment)
    return plan


# Illustrative, not from the evaluation: it had no data on whether the granted trajecten began or were
# completed (000:L1281, footnote 12). The replay makes up a plausible course, marked as such in the reports.
SETTLEMENT_OUTCOMES = (("completed", 0.72), ("dropped_out", 0.16), ("never_started", 0.12))


def _settle(app: Application, rng: random.Random, clock: _Clock, reviewer: User, senior: User) -> Application:
    """After its end date the employer reports each traject (begun, completed) and the settlement is decided."""
    units = list(app.units.all())
    done, started = [], []
    for unit in units:
        outcome = rng.choices([o for o, _w in SETTLEMENT_OUTCOMES], weights=[w for _o, w in SETTLEMENT_OUTCOMES])[0]
        if outcome != "never_started":
            started.append(unit.pk)
        if outcome == "completed":
            done.append({"id": unit.pk, "contract_extended": True})
    last_end = max(u.end_date for u in units)
    requested = timezone.make_aware(datetime.datetime.combine(last_end, datetime.time(10, 0)))
    requested += datetime.timedelta(days=rng.uniform(14, 75))
    report = {"units_completed": done, "units_started": started, "report": "Afronding gemeld (replay)."}
    clock.moment = requested
    app = services.perform(app, "request_settlement", app.created_by, report, now=clock.moment)
    clock.moment = requested + datetime.timedelta(days=rng.uniform(5, 25))
    services.declare_conflict_of_interest(application=app, user=reviewer, conflict=False, now=clock.moment)
    app = services.perform(app, "propose_settlement", reviewer, {}, now=clock.moment)
    clock.moment += datetime.timedelta(days=rng.uniform(1, 5))
    services.declare_conflict_of_interest(application=app, user=senior, conflict=False, now=clock.moment)
    return services.perform(app, "approve_settlement", senior, {}, now=clock.moment)


@transaction.atomic
def _replay(opening: Opening, clock: _Clock) -> int:
    rng = random.Random(SEED)
    outcomes = random.Random(SEED + 1)  # apart, so the applications stay what the evaluation says
    reviewer, senior = _reviewers(opening.scheme)
    payer, checker = _payers(opening.scheme)
    granted_users, all_users = _companies(rng)
    ids = []
    for number, item in enumerate(_plan(rng, granted_users, all_users), start=1):
        moment = item["submit_at"]

        def at(days: float, _base=moment) -> datetime.datetime:
            return _base + datetime.timedelta(days=days)

        start = (moment + datetime.timedelta(days=45)).date()
        data = {
            "truthfulness_declared": True,
            "units": [_traject(rng, number, sector, start) for sector in item["sectors"]],
        }
        clock.moment = at(-0.02)
        app = services.create_draft(user=item["user"], opening=opening, data=data, now=clock.moment)
        if attach_required(app, item["user"]):  # the offerte per traject, sent with the application
            Document.objects.filter(application=app).update(uploaded_at=clock.moment)
        ids.append(app.pk)
        steps: list[tuple[float, str, User, dict]] = [(0, "submit", item["user"], {})]
        review = rng.uniform(2, 12)
        if item["outcome"] == "withdrawn":
            if rng.random() < 0.5:
                steps.append((review - 0.01, "declare_no_conflict", reviewer, {}))
                steps.append((review, "start_review", reviewer, {}))
            steps.append(
                (review + rng.uniform(1, 10), "withdraw", item["user"], {"reason": rng.choice(WITHDRAW_REASONS)})
            )
        else:
            propose = review + rng.uniform(7, 40)
            steps.append((review - 0.01, "declare_no_conflict", reviewer, {}))  # before any act on the case
            steps.append((review, "start_review", reviewer, {}))
            if item["reason"] == "incomplete":  # asked to supplement, nothing came: not considered (Awb 4:5)
                asked = {"reason": "De offerte van de opleider ontbreekt.", "due_days": 14}
                steps.append((review + 1, "request_supplement", reviewer, asked))
                steps.append((review + 1 + 14 + rng.uniform(5, 20), "declare_not_considered", reviewer, {}))
            elif item["outcome"] == "granted":
                steps.append((propose, "propose_grant", reviewer, {"note": "Voldoet aan de voorwaarden."}))
            else:
                steps.append(
                    (propose, "propose_rejection", reviewer, {"reason_code": item["reason"], "note": "Zie de reden."})
                )
            decide = propose + rng.uniform(1, 6)
            if item["reason"] != "incomplete":
                steps.append((decide - 0.01, "declare_no_conflict", senior, {}))
                steps.append((decide, "approve_decision", senior, {}))
            if item["outcome"] == "granted":
                paid = decide + rng.uniform(3, 20)
                steps.append((paid - 0.02, "declare_no_conflict", payer, {}))
                steps.append((paid, "pay_advance", payer, {}))
                steps.append((paid + 0.5 - 0.01, "declare_no_conflict", checker, {}))
                steps.append((paid + 0.5, "confirm_payment", checker, {}))
        for days, action, user, payload in steps:
            clock.moment = at(days)
            if action == "declare_no_conflict":
                services.declare_conflict_of_interest(application=app, user=user, conflict=False, now=clock.moment)
            else:
                app = services.perform(app, action, user, payload, now=clock.moment)
        if item["outcome"] == "granted":
            app = _settle(app, outcomes, clock, reviewer, senior)
    Application.objects.filter(pk__in=ids).update(is_demo=True, demo_batch=BATCH)
    return len(ids)


# What the replay invented beyond the evaluation (000:L1226–1236 gives 142 / 99 / 58, 28 techniek and 30 ICT
# companies, about 60 % towards ICT): the reports mark these figures "illustratief — niet uit de evaluatie".
ILLUSTRATIVE = (
    "applications.rejected",  # the split of the 43 not granted
    "applications.withdrawn",
    "applications.not_considered",
    "rejected_by_reason",
    "breakdowns.size_class",
    "breakdowns.province",
    "breakdowns.channel",
    "lead_time_days",  # the dates of submission, review and decision
    "overdue",
    "early_warning",  # the pace over the window and the cancelled trajecten
    "units.started",  # the course of the trajecten (footnote 000:L1281: no data)
    "units.completed",
    "units.settled",
    "units.cancelled",
    "units.reported",
    "units.realised_pct",
    "budget",  # amounts per traject, payments and settlements
)
SOURCE = "Evaluatie Omscholingsregeling (SEO 2022) via de beleidsdoorlichting, seed 000:L1226–1236"
