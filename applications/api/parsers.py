"""DRF's parsers, refusing a NUL character anywhere in what they read (PostgreSQL keeps none in text or JSON).

``"answers": {"x": "a\\u0000b"}`` is valid JSON; stored in a JSON column it was a 500. A 400 with a Dutch
``detail`` instead, before any view or service sees it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from ..services.inputs import contains_nul


def _refuse_nul(data):
    values = data.data if isinstance(data, parsers.DataAndFiles) else data
    if hasattr(values, "lists"):  # a QueryDict
        values = dict(values.lists())
    if contains_nul(values):
        raise ParseError(_("Het verzoek bevat een NUL-teken; dat kan niet worden verwerkt."))
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))
