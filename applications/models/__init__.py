"""The models of an application's file, in four rooms; import them from here.

- ``organisations``: organisations, users with their role, mandates;
- ``application``: the application and its state machine, and what the applicant filled in;
- ``casework``: documents, supplement requests, assessments, decisions, payments, tranches, objections, messages;
- ``records``: the audit trail, letters and templates, notifications, bulk uploads, clock runs.
"""

from ..roles import STAFF_ROLES, Role
from ..states import State
from .application import (
    Application,
    CoFinancing,
    CostLine,
    Partner,
    ReferenceCounter,
    Unit,
    VersionedTransitionMixin,
)
from .casework import (
    Allocation,
    Assessment,
    Decision,
    DefaultNotice,
    DeMinimisAid,
    Document,
    InternalNote,
    Message,
    Objection,
    Payment,
    SupplementRequest,
    Tranche,
    document_path,
)
from .organisations import (
    Channel,
    IbanChange,
    Mandate,
    Organisation,
    OrganisationEvent,
    Province,
    Sector,
    SizeClass,
    User,
    kvk_validator,
    validate_iban,
)
from .records import (
    AuditEvent,
    BulkUpload,
    ClockRun,
    EquatedDay,
    Finding,
    Letter,
    LetterTemplate,
    Notification,
    Outbox,
    letter_path,
)

__all__ = [
    "STAFF_ROLES",
    "Allocation",
    "Application",
    "Assessment",
    "AuditEvent",
    "BulkUpload",
    "Channel",
    "ClockRun",
    "CoFinancing",
    "CostLine",
    "DeMinimisAid",
    "DefaultNotice",
    "Decision",
    "Document",
    "EquatedDay",
    "Finding",
    "IbanChange",
    "InternalNote",
    "Letter",
    "LetterTemplate",
    "Mandate",
    "Message",
    "Notification",
    "Objection",
    "Outbox",
    "Organisation",
    "OrganisationEvent",
    "Partner",
    "Payment",
    "Province",
    "ReferenceCounter",
    "Role",
    "Sector",
    "SizeClass",
    "State",
    "SupplementRequest",
    "Tranche",
    "Unit",
    "User",
    "VersionedTransitionMixin",
    "document_path",
    "kvk_validator",
    "letter_path",
    "validate_iban",
]
