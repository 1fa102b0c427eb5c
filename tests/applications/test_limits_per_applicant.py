"""Limits per applicant, not per application: counted over all of an employer's applications in the opening."""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications import checks, services
from applications.models import Application, AuditEvent
from applications.services import Conflict, Invalid
from applications.states import State
from tests import factories as f
from tests.factories import act

pytestmark = pytest.mark.django_db


def test_an_employers_seventh_traject_is_refused_across_two_applications(opening, werkgever):
    first = f.submitted(opening, werkgever, units=[f.traject(i) for i in range(4)])
    second = f.draft(opening, werkgever, units=[f.traject(i) for i in range(4, 7)])

    with pytest.raises(Invalid) as refused:
        act(second, "submit", werkgever)

    assert "al 4 trajecten" in refused.value.detail and "ten hoogste 6" in refused.value.detail
    assert "units" in refused.value.errors
    second.refresh_from_db()
    assert second.state == State.DRAFT and second.queue_position is None
    assert not AuditEvent.objects.filter(application=second, action="submit").exists()
    opening.refresh_from_db()
    assert opening.reserved == first.amount_reserved == Decimal("15000.00")

    # two more fit: six in all
    services.update_draft(application=second, user=werkgever, data={"units": [f.traject(5), f.traject(6)]})
    act(second, "submit", werkgever)
    assert checks.remaining_for(werkgever.organisation, opening).units_left == 0


def test_eighteen_trajecten_over_three_applications_cannot_happen_the_third_is_refused_at_the_first_step(
    opening, werkgever
):
    f.submitted(opening, werkgever, units=[f.traject(i) for i in range(6)])

    with pytest.raises(Conflict) as refused:
        f.draft(opening, werkgever, units=[f.traject(1)])

    assert "al 6 trajecten" in refused.value.detail
    assert Application.objects.filter(opening=opening, organisation=werkgever.organisation).count() == 1


def test_what_is_left_is_shown_to_the_applicant_with_the_count_so_far(opening, werkgever):
    remaining = checks.remaining_for(werkgever.organisation, opening)
    assert (remaining.units_held, remaining.units_left, remaining.may_apply) == (0, 6, True)

    f.submitted(opening, werkgever, units=[f.traject(i) for i in range(2)])
    f.draft(opening, werkgever, units=[f.traject(i) for i in range(3)])  # a draft holds nothing yet

    remaining = checks.remaining_for(werkgever.organisation, opening)
    assert (remaining.units_held, remaining.units_left) == (2, 4)
    assert remaining.lines() == [
        "Uw organisatie heeft in deze openstelling 2 van ten hoogste 6 trajecten aangevraagd; er kunnen er nog 4 bij."
    ]
    # another employer's count is its own
    assert checks.remaining_for(f.OrganisationFactory(), opening).units_left == 6


def test_a_withdrawn_or_rejected_application_gives_its_trajecten_back(opening, werkgever, reviewer, senior):
    withdrawn = f.submitted(opening, werkgever, units=[f.traject(i) for i in range(3)])
    rejected = f.in_review(opening, werkgever, reviewer, units=[f.traject(i) for i in range(3)])
    assert checks.remaining_for(werkgever.organisation, opening).units_left == 0

    act(withdrawn, "withdraw", werkgever, {"reason": "Werknemer vertrokken."})
    services.declare_conflict_of_interest(application=rejected, user=reviewer, conflict=False)
    act(rejected, "propose_rejection", reviewer, {"reason_code": "not_eligible"})
    act(rejected, "approve_decision", senior)

    assert checks.remaining_for(werkgever.organisation, opening).units_left == 6
    again = f.submitted(opening, werkgever, units=[f.traject(i) for i in range(6)])
    assert again.state == State.SUBMITTED


def test_the_limit_per_applicant_is_checked_again_at_the_decision(opening, werkgever, reviewer, senior):
    first = f.in_review(opening, werkgever, reviewer, units=[f.traject(i) for i in range(3)])
    f.submitted(opening, werkgever, units=[f.traject(i) for i in range(3)])
    act(first, "request_supplement", reviewer, {"reason": "Welk traject nog meer?"})
    act(first, "supplement", werkgever, {"units": [f.traject(i) for i in range(4)], "note": "Vier."})
    services.declare_conflict_of_interest(application=first, user=reviewer, conflict=False)

    with pytest.raises(Invalid) as refused:
        act(first, "propose_grant", reviewer, {"note": "Akkoord."})

    assert "al 3 trajecten" in refused.value.detail and "zijn het er 7" in refused.value.detail
    first.refresh_from_db()
    assert first.state != State.DECISION_PROPOSED and first.amount_granted is None


def test_slim_one_application_per_window_is_refused_at_the_first_step_not_after_five(db):
    scheme = f.slim_scheme()
    opening = f.open_opening(scheme)
    user = f.employer()
    f.submitted(opening, user, eligible_costs="10000.00")

    with pytest.raises(Conflict) as refused:
        f.draft(opening, user, eligible_costs="12000.00")

    assert "al een aanvraag" in refused.value.detail
    assert Application.objects.filter(opening=opening, organisation=user.organisation).count() == 1
    assert not checks.remaining_for(user.organisation, opening).may_apply
