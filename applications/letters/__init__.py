"""Decision letters (beschikkingen) and the e-mails that announce them: a consumer of audit events.

- ``issuing``: which event owes which letter or e-mail (read from ``workflow``), delivered once;
- ``rendering``: the template text in a sandbox, the PDF by WeasyPrint, the administrators' templates;
- ``context``: what a letter says, in Dutch formats.

The outbox (``applications.outbox``) calls ``issue`` and ``announce_event`` for what an event owes.
Letters never call the services: they read the file and write only ``Letter`` and ``Notification`` rows.
"""

from .context import context_for, money
from .issuing import (
    announce,
    announce_event,
    issue,
    issue_for_event,
    recipient_for,
    retry,
)
from .rendering import (
    DEFAULT_SUBJECTS,
    TEMPLATE_DIR,
    default_body,
    local_url_fetcher,
    render,
    render_html,
    render_pdf,
    seed_default_templates,
    template_for,
)

__all__ = [
    "DEFAULT_SUBJECTS",
    "TEMPLATE_DIR",
    "announce",
    "announce_event",
    "context_for",
    "default_body",
    "issue",
    "issue_for_event",
    "local_url_fetcher",
    "money",
    "recipient_for",
    "render",
    "render_html",
    "render_pdf",
    "retry",
    "seed_default_templates",
    "template_for",
]
