"""The roles a user can have; what each may do is in ``permissions`` and ``workflow``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("aanvrager (werkgever)")
    INTERMEDIARY = "intermediary", _("intermediair (gemachtigde)")
    REVIEWER = "reviewer", _("behandelaar")
    SENIOR_REVIEWER = "senior_reviewer", _("tweede behandelaar")
    PROGRAM_MANAGER = "program_manager", _("programmamanager")
    ADMINISTRATOR = "administrator", _("functioneel beheerder")


APPLICANT_ROLES = frozenset({Role.APPLICANT, Role.INTERMEDIARY})
STAFF_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMINISTRATOR})
APPROVER_ROLES = frozenset({Role.SENIOR_REVIEWER, Role.ADMINISTRATOR})
