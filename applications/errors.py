"""Why an act was refused: the one family of errors every service raises.

Each carries an HTTP-like ``status`` (the API answers with it, the screens show
``detail``) and, where a field is to blame, ``errors`` by field name. A refusal
never leaves anything changed.
"""

from __future__ import annotations


class ActionError(Exception):
    status = 400

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class Invalid(ActionError):
    """The input is wrong: 400."""

    status = 400


class Forbidden(ActionError):
    """This user may not: 403."""

    status = 403


class Conflict(ActionError):
    """Not now, in this state or with this budget: 409."""

    status = 409


class Missing(ActionError):
    """Nothing this user may see by that name: 404."""

    status = 404
