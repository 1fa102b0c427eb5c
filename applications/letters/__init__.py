"""Decision letters (beschikkingen) and the e-mails that announce them: a consumer of audit events.

- ``issuing``: which event owes which letter or e-mail (read from ``workflow``), delivered once;
- ``rendering``: the template text in a sandbox, the PDF by WeasyPrint, the administrators' templates;
- ``context``: what a letter says, in Dutch formats.

Letters never call the services: they read the file and write only ``Letter`` and ``Notification`` rows.
"""

from .context import context_for, money
from .issuing import (
    MAX_ATTEMPTS,
    after_event,
    announce,
    announce_event,
    issue_for_event,
    owes,
    recipient_for,
    retry,
    retry_failed,
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
    "MAX_ATTEMPTS",
    "TEMPLATE_DIR",
    "after_event",
    "announce",
    "announce_event",
    "context_for",
    "default_body",
    "issue_for_event",
    "local_url_fetcher",
    "money",
    "owes",
    "recipient_for",
    "render",
    "render_html",
    "render_pdf",
    "retry",
    "retry_failed",
    "seed_default_templates",
    "template_for",
]
