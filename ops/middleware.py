"""The request id: taken from ``X-Request-ID`` when sane, else made; on the response and on every log record."""

from __future__ import annotations

import re
import uuid

from django.core.signals import request_finished

from .logs import request_id

HEADER = "X-Request-ID"
SANE = re.compile(r"[A-Za-z0-9-]{8,64}")


def incoming_or_new(value: str | None) -> str:
    """A proxy's or load balancer's id when it is one (8–64 letters, digits, dashes), else a fresh uuid4."""
    if value and SANE.fullmatch(value):
        return value
    return str(uuid.uuid4())


class RequestIdMiddleware:
    """Sets the request id for the whole request: ``request.request_id``, the log records, the response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = incoming_or_new(request.headers.get(HEADER))
        request.request_id = rid
        # Kept until the request has finished: Django logs a 4xx or 5xx response after the middleware returned.
        request_id.set(rid)
        response = self.get_response(request)
        response[HEADER] = rid
        return response


def forget(**kwargs) -> None:
    """The request is over (its response closed): what is logged from now on belongs to no request."""
    request_id.set("")


request_finished.connect(forget, dispatch_uid="ops.middleware.forget")
