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
    return formatting.datum(value)


@register.filter
def datum_tijd(value):
    return formatting.datum_tijd(value)
