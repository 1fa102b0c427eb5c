"""A small Omscholing-like opening in March 2024, built through the real services at fixed moments.

The answers every figure test works out by hand come from this story:

=====  ===========  =======  ====================================================================
 app   organisation  units    what happens (all 2024, 10:00 Amsterdam)
=====  ===========  =======  ====================================================================
  1    A (ict)       1 ict    a draft, started 2 March, never submitted
  2    A (ict)       2 ict    submitted 2 March, review 4, grant proposed 10, approved 12, advance paid 15
  3    B (techniek)  1 tech   submitted 3 March, review 5, rejection (not_eligible) proposed 20, approved 22
  4    B (techniek)  1 ict    submitted 5 March, withdrawn 6 March
  5    C (zorg)      3 tech   submitted 6 March, review 7, supplement asked 8 (5 days), not considered 20
  6    C (zorg)      1 ict    submitted 10 March, still waiting (decision due 6 May)
=====  ===========  =======  ====================================================================
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from applications import services
from applications.models import Role
from tests.factories import OpeningFactory, OrganisationFactory, SchemeFactory, UserFactory, act
from tests.factories import traject as a_traject


def at(month: int, day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2024, month, day, hour, 0))


def traject(n: int, sector: str) -> dict:
    """A traject of the story: May to November 2024."""
    return a_traject(
        n,
        sector=sector,
        participant=f"Deelnemer {n}",
        provider="ROC",
        start=datetime.date(2024, 5, 1),
        end=datetime.date(2024, 11, 1),
        contract_end=datetime.date(2025, 6, 1),
    )


def make_user(username: str, role: str, organisation=None, schemes=()):
    return UserFactory(username=username, role=role, organisation=organisation, schemes=list(schemes))


def organisation(kvk: str, name: str, sector: str, size: str, province: str):
    return OrganisationFactory(kvk=kvk, name=name, sector=sector, size_class=size, province=province)


class Story:
    """The people, the opening and the applications of the March 2024 story."""

    def __init__(self):
        self.scheme = SchemeFactory(
            code="omscholing-rapport",
            name="Omscholing (rapporttest)",
            reference_prefix="OMR",
            owner="Ministerie van EZK",
            executing_agency="RVO",
            agdb_pillar=2,
            shape="per_unit",
            unit_amount=Decimal("3750.00"),
            min_unit_cost=Decimal("7500.00"),
            max_units_per_applicant=6,
            advance_pct=Decimal("100"),
            decision_term_weeks=8,
            target_units=30,
            warning_amber_pct=Decimal("80"),
            warning_red_pct=Decimal("50"),
        )
        self.opening = OpeningFactory(
            scheme=self.scheme,
            code="omscholing-rapport-2024",
            name="Omscholing (rapporttest) maart 2024",
            opens_at=at(3, 1, 9),
            closes_at=at(3, 31, 17),
            budget_ceiling=Decimal("100000.00"),
            distribution="fcfs",
            capacity_units=40,
            target_units=30,
        )
        self.other_scheme = SchemeFactory(
            code="andere-regeling",
            name="Andere regeling",
            reference_prefix="AND",
            owner="Ministerie van SZW",
            executing_agency="RVO",
            agdb_pillar=3,
            shape="per_unit",
            unit_amount=Decimal("1000.00"),
        )
        self.org_a = organisation("11000001", "Bedrijf A", "ict", "small", "utrecht")
        self.org_b = organisation("11000002", "Bedrijf B", "techniek", "sme", "gelderland")
        self.org_c = organisation("11000003", "Bedrijf C", "zorg", "large", "limburg")
        self.employer_a = make_user("werkgever-a", Role.APPLICANT, self.org_a)
        self.employer_b = make_user("werkgever-b", Role.APPLICANT, self.org_b)
        self.employer_c = make_user("werkgever-c", Role.APPLICANT, self.org_c)
        self.reviewer = make_user("behandelaar-r", Role.REVIEWER, schemes=[self.scheme])
        self.senior = make_user("senior-r", Role.SENIOR_REVIEWER, schemes=[self.scheme])
        # not involved in the decisions the others take: handles an objection against them (Awb 7:5)
        self.objection_handler = make_user("bezwaar-r", Role.REVIEWER, schemes=[self.scheme])
        self.objection_approver = make_user("bezwaar-senior-r", Role.SENIOR_REVIEWER, schemes=[self.scheme])
        # separation of duties: finance staff record a payment and a second confirms it
        self.payer = make_user("betaler-r", Role.FINANCE, schemes=[self.scheme])
        self.checker = make_user("controleur-r", Role.FINANCE, schemes=[self.scheme])
        self.manager = make_user("pm", Role.PROGRAM_MANAGER, schemes=[self.scheme])
        self.other_manager = make_user("pm-ander", Role.PROGRAM_MANAGER, schemes=[self.other_scheme])
        self.admin = make_user("beheer", Role.ADMINISTRATOR)

    def draft(self, user, units, moment):
        return services.create_draft(
            user=user,
            opening=self.opening,
            data={"truthfulness_declared": True, "units": [traject(i, s) for i, s in enumerate(units)]},
            now=moment,
        )

    def act(self, app, action, user, moment, **data):
        return act(app, action, user, data, now=moment)

    def review(self, app, moment):
        app = self.act(app, "start_review", self.reviewer, moment)
        services.declare_conflict_of_interest(application=app, user=self.reviewer, conflict=False)
        return app

    def build(self):
        self.app1 = self.draft(self.employer_a, ["ict"], at(3, 2, 9))
        app2 = self.draft(self.employer_a, ["ict", "ict"], at(3, 2, 9))
        app2 = self.act(app2, "submit", self.employer_a, at(3, 2))
        app2 = self.review(app2, at(3, 4))
        app2 = self.act(app2, "propose_grant", self.reviewer, at(3, 10), note="Goed.")
        app2 = self.act(app2, "approve_decision", self.senior, at(3, 12))
        app2 = self.act(app2, "pay_advance", self.payer, at(3, 15))
        self.app2 = self.act(app2, "confirm_payment", self.checker, at(3, 15, 14))

        app3 = self.draft(self.employer_b, ["techniek"], at(3, 3, 9))
        app3 = self.act(app3, "submit", self.employer_b, at(3, 3))
        app3 = self.review(app3, at(3, 5))
        app3 = self.act(app3, "propose_rejection", self.reviewer, at(3, 20), reason_code="not_eligible")
        self.app3 = self.act(app3, "approve_decision", self.senior, at(3, 22))

        app4 = self.draft(self.employer_b, ["ict"], at(3, 5, 9))
        app4 = self.act(app4, "submit", self.employer_b, at(3, 5))
        self.app4 = self.act(app4, "withdraw", self.employer_b, at(3, 6), reason="Toch niet.")

        app5 = self.draft(self.employer_c, ["techniek"] * 3, at(3, 6, 9))
        app5 = self.act(app5, "submit", self.employer_c, at(3, 6))
        app5 = self.review(app5, at(3, 7))
        app5 = self.act(app5, "request_supplement", self.reviewer, at(3, 8), reason="Diploma ontbreekt", due_days=5)
        self.app5 = self.act(app5, "declare_not_considered", self.reviewer, at(3, 20))

        app6 = self.draft(self.employer_c, ["ict"], at(3, 10, 9))
        self.app6 = self.act(app6, "submit", self.employer_c, at(3, 10))
        return self
