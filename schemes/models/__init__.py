"""The schemes app's models, one module per room:

- ``catalogue``: ``Scheme`` with its rules and ``Opening`` with the rules as published;
- ``ledger``: ``BudgetChange`` and ``LedgerEntry``, the opening's money, never edited;
- ``programmes``: a programme's ``ProgrammeGate``, ``ProgrammeBudgetLine``, ``TranchePlanItem``, ``KPI`` and
  ``KPIMeasurement``.
"""

from .catalogue import MONEY, ZERO, Distribution, Opening, Scheme, Shape, TenderScore, TermStart
from .ledger import BudgetChange, LedgerEntry
from .programmes import KPI, KPIMeasurement, ProgrammeBudgetLine, ProgrammeGate, TranchePlanItem, add_months

__all__ = [
    "KPI",
    "MONEY",
    "ZERO",
    "BudgetChange",
    "Distribution",
    "KPIMeasurement",
    "LedgerEntry",
    "Opening",
    "ProgrammeBudgetLine",
    "ProgrammeGate",
    "Scheme",
    "Shape",
    "TenderScore",
    "TermStart",
    "TranchePlanItem",
    "add_months",
]
