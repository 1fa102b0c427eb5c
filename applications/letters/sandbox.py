"""The tags and filters an administrator's letter text may use: conditions, loops and text, nothing more.

Not ``{% load %}``, ``{% include %}``, ``{% extends %}``, ``{% debug %}``, ``{% url %}`` or
``{% csrf_token %}``: a template edited in the admin reaches nothing outside the letter's
own context. Not the filters that turn text into markup (``safe``, ``safeseq``,
``urlize``) or show internals (``pprint``): an applicant's words stay text in the letter.
"""

from django.template import Library, defaultfilters, defaulttags

TAGS = frozenset(
    {
        "if",
        "for",
        "with",
        "firstof",
        "cycle",
        "resetcycle",
        "spaceless",
        "autoescape",
        "comment",
        "filter",
        "ifchanged",
        "now",
        "regroup",
        "templatetag",
        "verbatim",
        "widthratio",
    }
)
FILTERS = frozenset(
    {
        "add",
        "capfirst",
        "center",
        "cut",
        "date",
        "default",
        "default_if_none",
        "divisibleby",
        "escape",
        "first",
        "floatformat",
        "force_escape",
        "get_digit",
        "join",
        "last",
        "length",
        "linebreaks",
        "linebreaksbr",
        "ljust",
        "lower",
        "make_list",
        "pluralize",
        "rjust",
        "slice",
        "slugify",
        "stringformat",
        "striptags",
        "time",
        "timesince",
        "timeuntil",
        "title",
        "truncatechars",
        "truncatewords",
        "upper",
        "wordcount",
        "wordwrap",
        "yesno",
    }
)

register = Library()
register.tags = {name: tag for name, tag in defaulttags.register.tags.items() if name in TAGS}
register.filters = {name: f for name, f in defaultfilters.register.filters.items() if name in FILTERS}
