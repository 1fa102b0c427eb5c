import datetime

from django import template

from schemes import formatting

register = template.Library()


@register.filter
def euro(value):
    return formatting.euro(value)


@register.filter
def euro_whole(value):
    return formatting.euro(value, cents=False)


@register.filter
def datum(value):
    if isinstance(value, str) and value:  # a date as a report's JSON carries it: "2026-12-31"
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return formatting.datum(value)


@register.filter
def datum_tijd(value):
    return formatting.datum_tijd(value)


@register.filter
def described(field):
    """The field's widget, linked to its help text and its errors (WCAG 1.3.1, 3.3.1)."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    attrs = {}
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
