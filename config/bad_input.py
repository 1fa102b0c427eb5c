"""Refuse a NUL character in the address or a form before any view sees it.

PostgreSQL keeps no NUL (0x00) in text: a query parameter, a path segment or a form field with one,
passed on to a filter, was a 500. No address or form of ours has a use for it, so every request that
carries one is a 400 with a plain message (JSON under /api/). JSON bodies are read by the API's parsers,
which refuse NUL in the same way (``applications.api.parsers``).
"""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

FORM = "application/x-www-form-urlencoded"


def message() -> str:
    return _("Het verzoek bevat een NUL-teken; dat kan niet worden verwerkt.")


class RefuseNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message()}, status=400)
            return HttpResponseBadRequest(message(), content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(request) -> bool:
    if "\x00" in request.path_info:
        return True
    if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
        return True
    # Only a plain form is read here: a multipart body (an upload) is left to be parsed as it streams.
    if request.method == "POST" and request.content_type == FORM:
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    return False
