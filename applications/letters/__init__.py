"""Decision letters (beschikkingen) and the e-mails that announce them: a consumer of audit events.

- ``issuing``: which event owes which letter or e-mail (read from ``workflow``), delivered once;
- ``rendering``: the template text in a sandbox, the PDF by WeasyPrint, the administrators' templates;
- ``context``: what a letter says, in Dutch formats;
- ``messages``: the e-mail that announces a message of the thread on a case (a link, never the text).

The outbox (``applications.outbox``) calls ``issue``, ``announce_event`` and ``announce_message`` for what an
event owes.
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
from .messages import announce_message
from .rendering import (
    DEFAULT_SUBJECTS,
    TEMPLATE_DIR,
    asset_fetcher,
    default_body,
    pdf_from_html,
    refusal,
    render,
    render_html,
    render_pdf,
    sandboxed,
    seed_default_templates,
    template_for,
)

__all__ = [
    "DEFAULT_SUBJECTS",
    "TEMPLATE_DIR",
    "announce",
    "announce_event",
    "announce_message",
    "context_for",
    "default_body",
    "issue",
    "issue_for_event",
    "asset_fetcher",
    "pdf_from_html",
    "refusal",
    "sandboxed",
    "money",
    "recipient_for",
    "render",
    "render_html",
    "render_pdf",
    "retry",
    "seed_default_templates",
    "template_for",
]
