"""Every URL × every role × another organisation's objects: nothing leaks, nothing changes.

The walk is over the URL patterns themselves: a new URL that is not in ``HOW``
below fails ``test_every_url_is_walked`` until someone says how to point it at
another organisation's objects. Each outsider — an employer of another
organisation, an intermediary without a mandate from the victim, a reviewer, a
senior and a program manager of another scheme, and an anonymous visitor — asks
for the victim's application, documents, letters, messages, mandate, bulk upload,
report job, allocation and reports, with GET and with POST. The answer is a refusal
(a login redirect, 400, 403, 404, 405) or, for public pages, a page that does
not carry the victim's reference, name, KVK number or IBAN; and the database is
as it was.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from applications.models import (
    Allocation,
    Application,
    AuditEvent,
    BulkUpload,
    Document,
    IbanChange,
    Letter,
    Mandate,
    Message,
    Role,
)
from reporting.models import ReportJob
from tests import factories as f

pytestmark = pytest.mark.django_db

# URLs anyone may open; they must still not carry the victim's data.
PUBLIC = {
    "health",
    "health-live",
    "health-ready",
    "metrics",
    "set_language",
    "login",
    "logout",
    "schema",
    "api-docs",
    "api-redoc",
    "api-scheme-list",
    "api-scheme-detail",
    "api-opening-detail",
    "home",
    "catalogue",
    "scheme-detail",
    "self-check",
    "portal:bulk-template",
    # the ways in through a provider, and the local provider that plays them in the tests
    "login-eherkenning",
    "login-staff",
    "oidc-callback",
    "dev-idp:discovery",
    "dev-idp:authorize",
    "dev-idp:token",
    "dev-idp:userinfo",
    "dev-idp:jwks",
    "dev-idp:logout",
}

# How to point each URL at the victim's objects (keyword arguments from the world).
HOW = {
    "health": {},
    "health-live": {},
    "health-ready": {},
    "metrics": {},
    "set_language": {},
    "login": {},
    "logout": {},
    "start-page": {},
    "schema": {},
    "api-docs": {},
    "api-redoc": {},
    "api-scheme-list": {},
    "api-scheme-detail": {"code": "scheme"},
    "api-opening-detail": {"code": "opening"},
    "api-application-list": {},
    "api-application-detail": {"reference": "reference"},
    "api-application-action": {"reference": "reference", "action": "=withdraw"},
    "api-application-events": {"reference": "reference"},
    "api-application-conflict": {"reference": "reference"},
    "api-application-assessment": {"reference": "reference"},
    "api-application-letters": {"reference": "reference"},
    "api-application-messages": {"reference": "reference"},
    "api-application-consensus-score": {"reference": "reference"},
    "letter-download": {"reference": "reference", "pk": "letter"},
    "api-opening-allocate": {"code": "opening"},
    "api-opening-allocate-preview": {"code": "opening"},
    "api-allocation-approve": {"code": "opening", "pk": "allocation"},
    "api-allocation-return": {"code": "opening", "pk": "allocation"},
    "api-report": {"scope": "=scheme", "code": "scheme"},
    "portal:home": {},
    "portal:profile": {},
    "portal:profile-link": {},
    "portal:start": {"code": "opening"},
    "portal:detail": {"reference": "reference"},
    "portal:step": {"reference": "reference", "step": "=aanvrager"},
    "portal:submit": {"reference": "reference"},
    "portal:receipt": {"reference": "reference"},
    "portal:action": {"reference": "reference", "action": "=withdraw"},
    "portal:document": {"reference": "reference", "pk": "document"},
    "portal:letter": {"reference": "reference", "pk": "letter"},
    "portal:messages": {"reference": "reference"},
    "portal:mandates": {},
    "portal:mandate-revoke": {"pk": "mandate"},
    "portal:bulk": {},
    "portal:bulk-template": {"shape": "=per_unit"},
    "portal:bulk-detail": {"pk": "bulk"},
    "portal:bulk-submit": {"pk": "bulk"},
    "review:queue": {},
    "review:decisions": {},
    "review:decide": {},
    "review:allocation": {"code": "opening"},
    "review:payments": {},
    "review:approve-iban-change": {"pk": "iban_change"},
    "review:case": {"reference": "reference"},
    "review:act": {"reference": "reference"},
    "review:conflict": {"reference": "reference"},
    "review:assess": {"reference": "reference"},
    "review:note": {"reference": "reference"},
    "review:message": {"reference": "reference"},
    "review:consensus-score": {"reference": "reference"},
    "review:intent": {"reference": "reference"},
    "review:intent-reply": {"reference": "reference"},
    "review:letter": {"reference": "reference", "pk": "letter"},
    "review:letter-retry": {"reference": "reference", "pk": "letter"},
    "review:document": {"reference": "reference", "pk": "document"},
    "reporting:dashboard": {},
    "reporting:scheme": {"code": "scheme"},
    "reporting:opening": {"code": "opening"},
    "reporting:figures-export": {"scope": "=scheme", "code": "scheme", "fmt": "=csv"},
    "reporting:applications-export": {"scope": "=scheme", "code": "scheme", "fmt": "=csv"},
    "reporting:pdf": {"scope": "=scheme", "code": "scheme"},
    "reporting:job": {"pk": "job"},
    "reporting:job-file": {"pk": "job"},
    "home": {},
    "catalogue": {},
    "scheme-detail": {"code": "scheme"},
    "self-check": {"code": "scheme"},
    # the sign-in's second factor: each user's own app and recovery codes
    "two_factor:profile": {},
    "two_factor:setup": {},
    "two_factor:qr": {},
    "two_factor:setup_complete": {},
    "two_factor:backup_tokens": {},
    "login-eherkenning": {},
    "login-staff": {},
    "oidc-callback": {},
    "dev-idp:discovery": {},
    "dev-idp:authorize": {},
    "dev-idp:token": {},
    "dev-idp:userinfo": {},
    "dev-idp:jwks": {},
    "dev-idp:logout": {},
}
# Pages about the user's own work — their lists, their profile, starting their own application in a public
# opening — that answer, and show the victim nothing.
OWN_LISTS = {"api-application-list", "portal:home", "portal:profile", "portal:mandates", "portal:bulk", "portal:start"}
OWN_LISTS |= {"portal:profile-link"}
OWN_LISTS |= {"review:queue", "review:decisions", "review:payments", "reporting:dashboard", "start-page"}
OWN_LISTS |= {name for name in HOW if name.startswith("two_factor:")}


def url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith("beheer/"):
                    continue  # the admin: staff with is_staff only, tested in tests/letters/test_admin.py
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


def test_every_url_is_walked():
    assert url_names() == set(HOW), "a new URL: say in HOW how to point it at another organisation's objects"


@pytest.fixture
def world(db):
    """The victim: organisation B's application in scheme S, with its file; the outsiders of other schemes."""
    scheme = f.slim_scheme(code="slim-walk")
    other_scheme = f.omscholing_scheme(code="oms-walk")
    opening = f.open_opening(scheme, code="slim-walk-open")
    victim = f.employer(username="slachtoffer")
    victim.organisation.iban = "NL02ABNA0123456789"
    victim.organisation.save()
    own_reviewer = f.staff(Role.REVIEWER, [scheme], username="eigen-behandelaar")
    app = f.in_review(opening, victim, own_reviewer)
    # the thread with the applicant: "geheim" must not reach an outsider
    Message.objects.create(application=app, author=own_reviewer, direction="to_applicant", text="Een geheim bericht.")
    document = Document.objects.create(
        application=app,
        file=ContentFile(f.PDF, name="geheim.pdf"),
        original_name="geheim.pdf",
        content_type="application/pdf",
        size=len(f.PDF),
        sha256="0" * 64,
        uploaded_by=victim,
    )
    letter = Letter.objects.create(
        application=app,
        kind="receipt",
        key=f"receipt:walk:{app.pk}",
        status=Letter.Status.RENDERED,
        file=ContentFile(f.PDF, name="brief.pdf"),
        rendered_at=timezone.now(),
    )
    fund = f.intermediary(username="fonds-van-b")
    mandate = f.mandate(victim.organisation, fund.organisation, [scheme])
    bulk = BulkUpload.objects.create(
        uploaded_by=fund, opening=opening, file_name="b.csv", sha256="0" * 64, status="created"
    )
    # the victim's changed bank account, waiting for a second person: only the finance staff of its schemes see it
    iban_change = IbanChange.objects.create(
        organisation=victim.organisation, old_iban="NL91ABNA0417164300", new_iban="NL02ABNA0123456789"
    )
    proposal = Allocation.objects.create(
        opening=opening, method="fcfs", status="proposed", seed="s", run_by=own_reviewer
    )
    manager = f.staff(Role.PROGRAM_MANAGER, [scheme], username="pm-van-s")
    job = ReportJob.objects.create(requested_by=manager, scope="scheme", code=scheme.code)
    outsiders = {
        "employer": f.employer(username="andere-werkgever"),
        "intermediary": f.intermediary(username="ander-fonds"),
        "reviewer": f.staff(Role.REVIEWER, [other_scheme], username="andere-behandelaar"),
        "senior": f.staff(Role.SENIOR_REVIEWER, [other_scheme], username="andere-senior"),
        "program_manager": f.staff(Role.PROGRAM_MANAGER, [other_scheme], username="andere-pm"),
        "finance": f.staff(Role.FINANCE, [other_scheme], username="andere-betaler"),
        "anonymous": None,
    }
    f.mandate(outsiders["employer"].organisation, outsiders["intermediary"].organisation, [scheme])
    values = {
        "scheme": scheme.code,
        "opening": opening.code,
        "reference": app.reference,
        "document": document.pk,
        "letter": letter.pk,
        "mandate": mandate.pk,
        "bulk": bulk.pk,
        "job": job.pk,
        "iban_change": iban_change.pk,
        "allocation": proposal.pk,
    }
    secrets = [
        app.reference,
        victim.organisation.name,
        victim.organisation.kvk,
        "NL02ABNA0123456789",
        "geheim.pdf",
        "Een geheim bericht.",
    ]
    return {"app": app, "values": values, "outsiders": outsiders, "secrets": secrets, "mandate": mandate, "bulk": bulk}


def build(name: str, values: dict) -> str:
    kwargs = {key: (source[1:] if source.startswith("=") else values[source]) for key, source in HOW[name].items()}
    return reverse(name, kwargs=kwargs)


def snapshot(world) -> tuple:
    app = Application.objects.get(pk=world["app"].pk)
    mandate = Mandate.objects.get(pk=world["mandate"].pk)
    return (
        app.state,
        app.version,
        AuditEvent.objects.count(),
        Document.objects.count(),
        Letter.objects.count(),
        mandate.revoked_at,
        BulkUpload.objects.get(pk=world["bulk"].pk).status,
        Application.objects.count(),
        Message.objects.count(),
        IbanChange.objects.filter(approved_at__isnull=True).count(),
        sorted(Allocation.objects.values_list("pk", "status")),
    )


REFUSED = {302, 400, 401, 403, 404, 405}


@pytest.mark.parametrize(
    "role", ["employer", "intermediary", "reviewer", "senior", "program_manager", "finance", "anonymous"]
)
def test_no_outsider_sees_or_changes_another_organisation_s_file(world, role):
    user = world["outsiders"][role]
    client = Client()
    api_token = None
    if user is not None:
        client.force_login(user)
        api_token = f.api_token(user)
    before = snapshot(world)
    walked = 0
    for name in sorted(HOW):
        url = build(name, world["values"])
        for method in ("get", "post"):
            if user is not None:
                client.force_login(user)  # again: the walk passes the logout URL too
            headers = {"HTTP_AUTHORIZATION": f"Token {api_token}"} if api_token and url.startswith("/api/") else {}
            response = getattr(client, method)(url, **headers)
            walked += 1
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", errors="replace")
            leaked = [secret for secret in world["secrets"] if secret in text]
            if name in PUBLIC or name in OWN_LISTS:
                assert not leaked, (role, method, url, response.status_code, leaked)
            else:
                assert response.status_code in REFUSED and not leaked, (role, method, url, response.status_code, leaked)
            if response.status_code == 302 and user is not None:
                assert not any(s in response["Location"] for s in world["secrets"]), (role, url, response["Location"])
    assert snapshot(world) == before
    assert walked == 2 * len(HOW)
