"""The daily clock job: the law's terms, acted on once a day (Celery beat, or ``run_clocks``).

Each step is idempotent. What changes state is guarded by the state itself (an
application settled ex officio is no longer ``granted``); what only informs (a
digest, a reminder, a flag on the file) is recorded as a ``ClockRun`` that is
unique per day, kind and key, so a second run on the same day sends nothing.

- reviewers get one e-mail a day with their decisions overdue or due within a week;
- a supplement term that passed unused is flagged on the file, and the queue then
  offers ``declare_not_considered`` (filter "termijn verlopen");
- recipients are reminded once that their settlement request is due;
- a settlement request not made by its due date is reminded once more, with a term of four weeks (Awb 4:44);
  after that term, and 13 weeks late, it is settled ex officio where the scheme says so, on what is known
  (``money.settlement_amount``: usually lower, or nil); small grants (below ``ex_officio_below``) are settled
  ex officio, as granted, on the due date: the system proposes, a senior reviewer approves (four eyes) — except
  a recorded random sample of them (``samples``, the scheme's percentage), which a case worker settles after a check;
- a recovery not paid by its due date is reminded once (aanmaning), with the statutory interest running
  (``interest``);
- first come, first served: a day on which the ceiling was crossed is drawn by lottery once
  it has ended (``draws.draw_ended_days``); a closed window that is drawn after the close
  has its seed committed (``seeds``);
- unconditional tranches are released on their planned date (``tranches``), gated
  ones are put on the queue on their review date;
- anything an event still owes (a letter, an e-mail) is delivered (``outbox.sweep``);
- the reconciliation runs (``reconcile``): its findings are kept for staff;
- finished files past their scheme's retention term are anonymised (``retention``).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from schemes.formatting import datum, euro
from schemes.models import Opening

from . import audit, clocks, interest, letters, outbox, reconcile, retention
from .errors import ActionError
from .models import Application, ClockRun, Payment, Role, SupplementRequest, Tranche, User
from .services import draws, money, perform, samples, seeds, tranches
from .states import WAITING_FOR_US, State

logger = logging.getLogger(__name__)

DUE_SOON_DAYS = 7
SETTLEMENT_REMINDER_DAYS = 28  # remind four weeks before the settlement request is due
SETTLEMENT_OVERDUE_TERM_WEEKS = 4  # after the due date: one reminder, and four weeks more before ex officio
EX_OFFICIO_NOTE = "ambtshalve"


def run(today: datetime.date | None = None) -> dict:
    """Everything the clocks ask for on ``today`` (default: today in Amsterdam); returns counts."""
    today = today or clocks.local_date()
    counts = {"day": today.isoformat()}
    counts["days_drawn"] = len(draws.draw_ended_days(today))
    counts["seeds_committed"] = seeds.commit_closed_windows()
    counts["supplement_terms_expired"] = flag_expired_supplements(today)
    counts["digests_sent"] = send_digests(today)
    counts["settlement_reminders"] = remind_settlement_due(today)
    counts["settlement_overdue_reminders"] = remind_settlement_overdue(today)
    counts["recovery_reminders"] = remind_recovery_overdue(today)
    counts.update(settle_ex_officio(today))
    counts["tranches_released"] = len(tranches.release_due_tranches(today))
    counts["tranches_due"] = put_gated_tranches_on_queue(today)
    swept = outbox.sweep(older_than=datetime.timedelta(0))
    counts["letters_and_emails_delivered"] = swept["delivered"]
    counts["letters_and_emails_failed"] = swept["failed"]
    counts["reconciliation_findings"] = len(reconcile.run())
    counts["anonymised"] = len(retention.apply(today))
    return counts


def once(day: datetime.date, kind: str, key: str, *, ever: bool = False) -> bool:
    """True the first time (day, kind, key) is claimed; with ``ever``, the first time on any day."""
    if ever and ClockRun.objects.filter(kind=kind, key=key).exists():
        return False
    try:
        with transaction.atomic():
            ClockRun.objects.create(day=day, kind=kind, key=key)
    except IntegrityError:
        return False
    return True


# --- supplement terms ----------------------------------------------------------------


def expired_supplements(today: datetime.date):
    """Open supplement requests whose term passed, still within the four weeks to declare not considered."""
    return SupplementRequest.objects.filter(
        answered_on__isnull=True,
        application__state=State.SUPPLEMENT_REQUESTED,
        due_date__lt=today,
        due_date__gte=today - datetime.timedelta(weeks=clocks.NOT_CONSIDERED_WINDOW_WEEKS),
    ).select_related("application")


def flag_expired_supplements(today: datetime.date) -> int:
    count = 0
    for request in expired_supplements(today):
        if not once(today, "supplement_expired", f"supplement:{request.pk}", ever=True):
            continue
        app = request.application
        audit.record(
            app,
            None,
            "supplement_term_expired",
            reason=_(
                "De termijn voor de aanvulling is op %(due)s verstreken; de aanvraag kan buiten behandeling worden gesteld."
            )
            % {"due": datum(request.due_date)},
            data={"supplement_request": request.pk, "due_date": request.due_date},
        )
        count += 1
    return count


# --- the reviewers' digest -----------------------------------------------------------------


def _due_for_reviewers(today: datetime.date):
    horizon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    return (
        Application.objects.filter(state__in=WAITING_FOR_US, decision_due__lte=horizon)
        .select_related("opening")
        .only("id", "reference", "decision_due", "assigned_to_id", "opening__scheme_id", "state")
        .order_by("decision_due", "id")
    )


def send_digests(today: datetime.date) -> int:
    """One e-mail per reviewer a day: own cases and the team's unassigned ones, overdue or due within a week."""
    reviewers = list(
        User.objects.filter(
            is_active=True, role__in=[Role.REVIEWER, Role.SENIOR_REVIEWER], email__gt=""
        ).prefetch_related("schemes")
    )
    if not reviewers:
        return 0
    own: dict[int, list] = defaultdict(list)
    unassigned: dict[int, list] = defaultdict(list)
    for app in _due_for_reviewers(today).iterator(chunk_size=2000):
        if app.assigned_to_id:
            own[app.assigned_to_id].append(app)
        else:
            unassigned[app.opening.scheme_id].append(app)
    expired_by_user: dict[int, list] = defaultdict(list)
    for request in expired_supplements(today):
        if request.application.assigned_to_id:
            expired_by_user[request.application.assigned_to_id].append(request)
    sent = 0
    for user in reviewers:
        mine = own.get(user.pk, [])
        team = [app for scheme in user.schemes.all() for app in unassigned.get(scheme.pk, [])]
        expired = expired_by_user.get(user.pk, [])
        if not (mine or team or expired):
            continue
        if not once(today, "digest", f"user:{user.pk}"):
            continue
        send_mail(
            subject=_("Open Subsidie — uw termijnen op %(day)s") % {"day": datum(today)},
            message=_digest_text(today, mine, team, expired),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
            fail_silently=False,
        )
        sent += 1
    return sent


def _digest_text(today: datetime.date, mine: list, team: list, expired: list) -> str:
    def lines(apps):
        out = []
        for app in sorted(apps, key=lambda a: (a.decision_due, a.id))[:50]:
            left = clocks.days_left(app.decision_due, today)
            when = _("%(n)s dagen te laat") % {"n": -left} if left < 0 else _("nog %(n)s dagen") % {"n": left}
            out.append(f"- {app.reference}: {_('beslissen uiterlijk')} {datum(app.decision_due)} ({when})")
        if len(apps) > 50:
            out.append(_("… en nog %(n)s") % {"n": len(apps) - 50})
        return out

    overdue = [a for a in mine if a.decision_due < today]
    soon = [a for a in mine if a.decision_due >= today]
    parts = [_("Goedemorgen,"), ""]
    if overdue:
        parts += [_("Te laat (de beslistermijn is verstreken):"), *lines(overdue), ""]
    if soon:
        parts += [_("Binnen een week te beslissen:"), *lines(soon), ""]
    if team:
        parts += [_("Nog niet toegewezen in uw team, te laat of binnen een week:"), *lines(team), ""]
    if expired:
        parts.append(_("Aanvullingstermijn verstreken (buiten behandeling stellen kan):"))
        parts += [f"- {r.application.reference}: {_('termijn tot')} {datum(r.due_date)}" for r in expired[:50]]
        parts.append("")
    parts.append(_("Open uw werkvoorraad in Open Subsidie voor de details."))
    return "\n".join(parts)


# --- settlement ------------------------------------------------------------------------------


def _ex_officio_below(app: Application) -> Decimal | None:
    return app.opening.published_rules.ex_officio_below


def remind_settlement_due(today: datetime.date) -> int:
    """Once per grant: the settlement request is due within four weeks (or already)."""
    horizon = today + datetime.timedelta(days=SETTLEMENT_REMINDER_DAYS)
    candidates = Application.objects.filter(
        state=State.GRANTED, settlement_due__isnull=False, settlement_due__lte=horizon, settlement_requested_at=None
    ).select_related("opening", "organisation", "created_by")
    sent = 0
    for app in candidates.iterator(chunk_size=500):
        below = _ex_officio_below(app)
        if below is not None and app.amount_granted is not None and app.amount_granted < below:
            continue  # settled ex officio without a report: nothing to remind
        if not once(today, "settlement_reminder", f"application:{app.pk}", ever=True):
            continue
        audit.record(app, None, "settlement_reminder", data={"settlement_due": app.settlement_due})
        _remind(
            app,
            _("Vraag de vaststelling aan voor %(reference)s") % {"reference": app.reference},
            _(
                "Uw subsidie %(reference)s moet worden vastgesteld. Vraag de vaststelling aan uiterlijk op "
                "%(due)s via 'Mijn aanvragen' in Open Subsidie. Doet u dat niet, dan kunnen wij de subsidie "
                "ambtshalve vaststellen, ook op een lager bedrag (artikel 4:47 Awb)."
            )
            % {"reference": app.reference, "due": datum(app.settlement_due)},
        )
        sent += 1
    return sent


def _remind(app: Application, subject: str, message: str) -> None:
    """A reminder by e-mail to whoever acts for the applicant (none without an address: the letter or the portal
    says it)."""
    recipient = letters.recipient_for(app)
    if recipient:
        send_mail(
            subject=subject,
            message=message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[recipient],
            fail_silently=False,
        )


def remind_settlement_overdue(today: datetime.date) -> int:
    """Once per grant, after its due date passed without a settlement request: a last term of four weeks, after
    which the grant is settled ex officio on what is known (Awb 4:44, 4:47). Not for small grants the scheme fixes
    as granted."""
    candidates = Application.objects.filter(
        state=State.GRANTED, settlement_due__isnull=False, settlement_due__lt=today, settlement_requested_at=None
    ).select_related("opening", "organisation", "created_by")
    sent = 0
    for app in candidates.iterator(chunk_size=500):
        if money.fixed_as_granted(app) or not app.opening.published_rules.ex_officio_when_late:
            continue
        if not once(today, "settlement_overdue_reminder", f"application:{app.pk}", ever=True):
            continue
        answer_by = today + datetime.timedelta(weeks=SETTLEMENT_OVERDUE_TERM_WEEKS)
        audit.record(
            app,
            None,
            "settlement_overdue_reminder",
            data={"settlement_due": app.settlement_due, "answer_by": answer_by},
        )
        _remind(
            app,
            _("Vaststelling niet aangevraagd voor %(reference)s") % {"reference": app.reference},
            _(
                "U had de vaststelling van subsidie %(reference)s uiterlijk op %(due)s moeten aanvragen. Doe dat "
                "alsnog uiterlijk op %(answer_by)s via 'Mijn aanvragen' in Open Subsidie. Daarna stellen wij de "
                "subsidie ambtshalve vast op wat ons dan bekend is: dat kan lager zijn, of nihil, en wat al is "
                "betaald vorderen wij dan terug (artikel 4:47 en 4:57 Awb)."
            )
            % {"reference": app.reference, "due": datum(app.settlement_due), "answer_by": datum(answer_by)},
        )
        sent += 1
    return sent


def _overdue_term_passed(app: Application, today: datetime.date) -> bool:
    """The last term after the overdue reminder has passed (no reminder yet: it has not even started)."""
    reminded = (
        ClockRun.objects.filter(kind="settlement_overdue_reminder", key=f"application:{app.pk}")
        .values_list("day", flat=True)
        .first()
    )
    return reminded is not None and today >= reminded + datetime.timedelta(weeks=SETTLEMENT_OVERDUE_TERM_WEEKS)


def remind_recovery_overdue(today: datetime.date) -> int:
    """Once per recovery not paid by its due date: a reminder (aanmaning) with what is owed and the statutory
    interest so far (Awb 4:112, 4:102)."""
    overdue = Payment.objects.filter(
        kind=Payment.Kind.RECOVERY, status=Payment.Status.DUE, due_date__lt=today, reminded_on__isnull=True
    ).select_related("application", "application__organisation", "application__opening")
    sent = 0
    for payment in overdue.iterator(chunk_size=500):
        if not once(today, "recovery_reminder", f"payment:{payment.pk}", ever=True):
            continue
        owed = payment.amount - payment.set_off
        accrued = interest.statutory_interest(owed, payment.due_date, today)
        Payment.objects.filter(pk=payment.pk).update(reminded_on=today)
        app = payment.application
        audit.record(
            app,
            None,
            "recovery_reminder",
            data={"payment": payment.pk, "owed": owed, "interest": accrued, "due_date": payment.due_date},
        )
        _remind(
            app,
            _("Aanmaning: terugvordering %(reference)s") % {"reference": app.reference},
            _(
                "Wij vorderden %(owed)s terug bij %(reference)s, te betalen uiterlijk op %(due)s. Wij hebben dat "
                "bedrag nog niet ontvangen. Betaal het binnen twee weken. Sinds %(due)s loopt de wettelijke rente: "
                "tot vandaag %(interest)s (artikel 4:98 en 4:102 Awb). Wij kunnen het bedrag ook verrekenen met "
                "een latere betaling aan u (artikel 4:93 Awb)."
            )
            % {
                "owed": euro(owed),
                "reference": app.reference,
                "due": datum(payment.due_date),
                "interest": euro(accrued),
            },
        )
        sent += 1
    return sent


def settle_ex_officio(today: datetime.date) -> dict:
    """Propose settlements ex officio (system actor); a senior reviewer approves them (four eyes). Of the small
    grants fixed as granted, a sample is drawn first (``samples``): those drawn wait for a case worker's check."""
    late_from = today - datetime.timedelta(weeks=clocks.SETTLEMENT_REQUEST_WEEKS)
    small_openings = [o.pk for o in Opening.objects.only("id", "rules") if o.published_rules.ex_officio_below]
    candidates = (
        Application.objects.filter(state=State.GRANTED, settlement_due__isnull=False, settlement_due__lte=today)
        .filter(Q(settlement_due__lte=late_from) | Q(opening_id__in=small_openings))
        .select_related("opening")
        .order_by("settlement_due", "id")
    )
    counts = {"settled_ex_officio_late": 0, "settled_ex_officio_small": 0, "ex_officio_refused": 0}
    counts["sample_checks_drawn"] = _draw_samples(candidates, today)
    counts["sample_checks_waiting"] = 0
    for app in candidates.iterator(chunk_size=500):
        rules = app.opening.published_rules
        small = (
            rules.ex_officio_below is not None
            and app.amount_granted is not None
            and app.amount_granted < rules.ex_officio_below
        )
        late = (
            rules.ex_officio_when_late
            and today >= clocks.ex_officio_settlement_from(app.settlement_due)
            and _overdue_term_passed(app, today)
        )
        if not (small or late):
            continue
        if app.sample_selected:
            counts["sample_checks_waiting"] += 1
            continue  # drawn for a check: a case worker settles it after checking
        if app.decisions.filter(status="proposed").exists():
            continue  # a revocation or tranche decision is pending: that comes first
        try:
            perform(app, "propose_settlement", None, {"note": EX_OFFICIO_NOTE})
        except ActionError as exc:
            logger.warning("ex officio settlement of %s refused: %s", app.reference, exc.detail)
            counts["ex_officio_refused"] += 1
            continue
        counts["settled_ex_officio_small" if small else "settled_ex_officio_late"] += 1
    return counts


def _draw_samples(candidates, today: datetime.date) -> int:
    """The small grants fixed as granted that come up for the first time: one sample per opening (``samples``)."""
    fresh: dict[int, list[Application]] = defaultdict(list)
    openings: dict[int, Opening] = {}
    for app in candidates.filter(sample_draw__isnull=True):
        if money.fixed_as_granted(app):
            fresh[app.opening_id].append(app)
            openings[app.opening_id] = app.opening
    return sum(len(samples.draw(openings[pk], apps, day=today).drawn) for pk, apps in fresh.items())


# --- tranches ------------------------------------------------------------------------------


def put_gated_tranches_on_queue(today: datetime.date) -> int:
    """A gated tranche whose review date came waits for a reviewer (status 'due')."""
    count = 0
    due = Tranche.objects.filter(
        gated=True, status=Tranche.Status.PLANNED, review_date__lte=today, application__state=State.GRANTED
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            tranche = (
                Tranche.objects.select_for_update()
                .select_related("application")
                .filter(pk=pk, status=Tranche.Status.PLANNED)
                .first()
            )
            if tranche is None:
                continue
            tranche.status = Tranche.Status.DUE
            tranche.save(update_fields=["status"])
            app = tranche.application
            audit.record(
                app,
                None,
                "tranche_due",
                reason=_("Tranche %(n)s (%(label)s) moet worden beoordeeld: %(kind)s.")
                % {"n": tranche.number, "label": tranche.label, "kind": tranche.review_kind or _("beoordeling")},
                data={"tranche": tranche.number, "review_date": tranche.review_date},
            )
            count += 1
    return count
