"""Who a scheme is for, as data: the SME test, the single undertaking, and the schemes that may not pay twice.

- The SME test (annex I to Regulation (EU) No 651/2014): fewer than 250 staff (annual work units) and an annual
  turnover of at most € 50 mln or a balance sheet total of at most € 43 mln — the organisation's own figures plus
  its partner enterprises' for their share and its linked enterprises' in full (``EnterpriseLink``).
- The single undertaking (Regulation (EU) 2023/2831, art. 2(2)): the organisation and the enterprises linked to it,
  either way round; de-minimis aid is counted over all of them.
- Cumulation: a scheme names the schemes that may not pay for the same traject (``not_combined_with``); a
  participant who already holds a traject there, over the same period, at the same employer, is refused; an
  application without participants is refused when the organisation holds a grant there for an overlapping period.

``checks.check_limits`` asks these at submission and at the decision; the portal's profile shows the SME test.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from schemes.formatting import euro, getal

from .models import Application, EnterpriseLink, Organisation, Unit
from .states import GRANTED_STATES, HOLDING_STATES

STAFF_BELOW = Decimal("250")
TURNOVER_AT_MOST = Decimal("50000000.00")
BALANCE_AT_MOST = Decimal("43000000.00")
HUNDRED = Decimal("100")


@dataclass
class SmeTest:
    """The figures counted and the verdict; ``known`` is False while the organisation's own figures are missing."""

    known: bool
    employees: Decimal = Decimal("0")
    turnover: Decimal = Decimal("0.00")
    balance: Decimal = Decimal("0.00")
    lines: list[str] = field(default_factory=list)

    @property
    def is_sme(self) -> bool:
        if not self.known:
            return False
        return self.employees < STAFF_BELOW and (self.turnover <= TURNOVER_AT_MOST or self.balance <= BALANCE_AT_MOST)

    def refusal(self) -> str:
        if not self.known:
            return _(
                "Deze regeling is alleen voor het mkb. Vul in het profiel van uw organisatie het aantal werknemers, "
                "de jaaromzet en het balanstotaal in, met uw partner- en verbonden ondernemingen."
            )
        return _(
            "Deze regeling is alleen voor het mkb. Met uw partner- en verbonden ondernemingen telt uw onderneming "
            "%(employees)s werknemers, %(turnover)s omzet en %(balance)s balanstotaal: dat is geen mkb-onderneming "
            "(minder dan 250 werknemers en een omzet van ten hoogste € 50 mln of een balanstotaal van ten hoogste "
            "€ 43 mln)."
        ) % {"employees": dutch_number(self.employees), "turnover": euro(self.turnover), "balance": euro(self.balance)}


def dutch_number(value: Decimal) -> str:
    """A figure the Dutch way, without trailing zeros: 12,5, 65 and 1.250."""
    return getal(value)


def sme_test(organisation: Organisation) -> SmeTest:
    """The EU SME test on the organisation's own figures, its partners' share and its linked enterprises."""
    own = (organisation.employees, organisation.annual_turnover, organisation.balance_sheet_total)
    if any(value is None for value in own):
        return SmeTest(known=False)
    test = SmeTest(known=True, employees=own[0], turnover=own[1], balance=own[2])
    test.lines.append(
        _("eigen cijfers: %(e)s werknemers, %(t)s omzet, %(b)s balanstotaal")
        % {"e": dutch_number(own[0]), "t": euro(own[1]), "b": euro(own[2])}
    )
    for link in organisation.links.all():
        part = HUNDRED if link.kind == EnterpriseLink.Kind.LINKED else link.share
        factor = part / HUNDRED
        test.employees += (link.employees * factor).quantize(Decimal("0.1"))
        test.turnover += (link.annual_turnover * factor).quantize(Decimal("0.01"))
        test.balance += (link.balance_sheet_total * factor).quantize(Decimal("0.01"))
        test.lines.append(
            _("%(name)s (%(kind)s): voor %(part)s %% meegeteld")
            % {"name": link.name, "kind": link.get_kind_display(), "part": dutch_number(part)}
        )
    return test


def single_undertaking(organisation: Organisation) -> list[int]:
    """The organisation and the organisations linked to it (more than 50 % or control), either way round."""
    linked_kvks = set(
        organisation.links.filter(kind=EnterpriseLink.Kind.LINKED).exclude(kvk="").values_list("kvk", flat=True)
    )
    linking = EnterpriseLink.objects.filter(kind=EnterpriseLink.Kind.LINKED, kvk=organisation.kvk).values_list(
        "organisation_id", flat=True
    )
    ids = set(Organisation.objects.filter(kvk__in=linked_kvks).values_list("pk", flat=True)) | set(linking)
    return [organisation.pk, *sorted(ids - {organisation.pk})]


def sme_share(application) -> Decimal | None:
    """The share of SMEs among a partnership's partners, in per cent; None when it has no partners."""
    partners = list(application.partners.all())
    if not partners:
        return None
    return (Decimal(sum(1 for p in partners if p.is_sme)) * HUNDRED / len(partners)).quantize(Decimal("0.01"))


def lead_applicants(application) -> int | None:
    """How many partners are the lead applicant (penvoerder); None when the application names no partners."""
    partners = list(application.partners.all())
    if not partners:
        return None
    return sum(1 for partner in partners if partner.role == "lead")


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def cumulation(application, codes) -> list[str]:
    """Each participant of this application who already holds a traject, over an overlapping period and at the
    same employer, in a scheme that may not pay for the same traject; what a refusal says. An application without
    participants (SLIM, a project): the organisation's grants in such a scheme over an overlapping period."""
    if not codes:
        return []
    units = [u for u in application.units.all() if u.participant]
    if not units:
        return _project_cumulation(application, codes)
    held = (
        Unit.objects.filter(
            application__organisation_id=application.organisation_id,
            application__opening__scheme__code__in=list(codes),
            application__state__in=HOLDING_STATES,
        )
        .exclude(application_id=application.pk)
        .exclude(status=Unit.Status.CANCELLED)
    )
    by_participant: dict[str, list] = {}
    for other in held.select_related("application__opening__scheme"):
        by_participant.setdefault(_key(other.participant), []).append(other)
    found = []
    for unit in units:
        for other in by_participant.get(_key(unit.participant), []):
            if _overlap(unit.start_date, unit.end_date, other.start_date, other.end_date):
                found.append(
                    _("%(participant)s heeft voor dit traject al subsidie uit %(scheme)s (aanvraag %(reference)s).")
                    % {
                        "participant": unit.participant,
                        "scheme": other.application.opening.scheme.name,
                        "reference": other.application.reference,
                    }
                )
                break
    return found


def _project_period(application) -> tuple[datetime.date | None, datetime.date | None]:
    """From the day the application was submitted (or made) to the end of its activities."""
    moment = application.submitted_at or application.created_at
    return (timezone.localdate(moment) if moment else None), application.project_end()


def _project_cumulation(application, codes) -> list[str]:
    """The organisation holds a grant in a scheme that may not pay for the same costs, for a period that overlaps
    this application's: the same costs cannot be ruled out, so the grant is refused (checked again at the decision,
    when the other grant may have come in the meantime)."""
    held = (
        Application.objects.filter(
            organisation_id=application.organisation_id,
            opening__scheme__code__in=list(codes),
            state__in=GRANTED_STATES,
        )
        .exclude(pk=application.pk)
        .select_related("opening__scheme")
        .order_by("submitted_at", "pk")
    )
    start, end = _project_period(application)
    found = []
    for other in held:
        other_start, other_end = _project_period(other)
        if _overlap(start, end, other_start, other_end):
            found.append(
                _(
                    "Uw organisatie heeft voor dezelfde periode al subsidie uit %(scheme)s (aanvraag %(reference)s); "
                    "deze regeling mag niet dezelfde kosten betalen als die regeling."
                )
                % {"scheme": other.opening.scheme.name, "reference": other.reference}
            )
    return found


def _overlap(start, end, other_start, other_end) -> bool:
    far = datetime.date.max
    if start is None or other_start is None:
        return True  # a period we do not know: the same traject cannot be ruled out
    return start <= (other_end or far) and other_start <= (end or far)


__all__ = ["SmeTest", "cumulation", "dutch_number", "lead_applicants", "single_undertaking", "sme_share", "sme_test"]
