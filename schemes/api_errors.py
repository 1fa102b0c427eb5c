"""The body of every error the API answers, and its place in the OpenAPI schema.

``{"detail": "…", "errors": {"field": ["…"]}}``: ``detail`` is one sentence for a person (Dutch by default,
English with Accept-Language: en); ``errors``, where a field is to blame, names it (``units.0.cost`` for the
cost of the first traject). Every app's API states with ``errors_for(...)`` which of these it answers.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

MEANING = {
    400: "The input is wrong: nothing changed. `errors` names the fields to blame.",
    403: "Not signed in, or this user may not do this.",
    404: "Nothing this user may see by that name.",
    409: "Not now: not in this state, the opening is closed, or the application changed underneath.",
}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="per field (dotted for lists: units.0.cost), its messages",
    )


def errors_for(*statuses: int) -> dict[int, OpenApiResponse]:
    return {status: OpenApiResponse(ErrorSerializer, description=MEANING[status]) for status in statuses}


def flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as ``{"units.0.cost": ["…"]}``, the shape the services use."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = prefix if key == "non_field_errors" and prefix else (f"{prefix}.{key}" if prefix else str(key))
            for field, messages in flatten(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(errors, list):
        if all(not isinstance(item, dict | list) for item in errors):
            flat[prefix or "non_field_errors"] = [str(item) for item in errors]
        else:
            for index, item in enumerate(errors):
                for field, messages in flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    flat.setdefault(field, []).extend(messages)
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat
