"""The roles a user can have; what each may do is in ``permissions`` and ``workflow``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("aanvrager (werkgever)")
    INTERMEDIARY = "intermediary", _("intermediair (gemachtigde)")
    REVIEWER = "reviewer", _("behandelaar")
    SENIOR_REVIEWER = "senior_reviewer", _("tweede behandelaar")
    PROGRAM_MANAGER = "program_manager", _("programmamanager")
    FINANCE = "finance", _("financieel medewerker")
    ADMINISTRATOR = "administrator", _("functioneel beheerder")


APPLICANT_ROLES = frozenset({Role.APPLICANT, Role.INTERMEDIARY})
STAFF_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMINISTRATOR, Role.FINANCE})
# Who assesses and proposes: not the finance staff, who record and confirm payments (separation of duties).
REVIEWING_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMINISTRATOR})
# Who records and confirms payments and approves a changed bank account: never the one who decided (four eyes).
PAYMENT_ROLES = frozenset({Role.FINANCE, Role.ADMINISTRATOR})
APPROVER_ROLES = frozenset({Role.SENIOR_REVIEWER, Role.ADMINISTRATOR})
