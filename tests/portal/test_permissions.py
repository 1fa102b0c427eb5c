"""No employer or intermediary ever sees or changes another organisation's application.

Every portal URL that names an application is tried by every outsider: another
employer, an intermediary without a mandate, with a revoked mandate, with an
expired one, and with one that is not yet valid; for applications made through
both channels; with GET and POST; documents and letters included. Each answer
is a 404 that reveals nothing, and nothing in the database changes.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, AuditEvent, BulkUpload, Document, Letter, Mandate, Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """Employer A mandated fund M; A's applications made by A itself and by M."""
    scheme = f.slim_scheme(code="slim-perm")
    opening = f.open_opening(scheme)
    reviewer = f.staff(Role.REVIEWER, [scheme], username="perm-behandelaar")
    a = f.employer(username="werkgever-a")
    fund = f.intermediary(username="fonds-m")
    f.mandate(a.organisation, fund.organisation, [scheme])
    by_employer = f.draft(opening, a)
    by_fund = f.draft(opening, fund, kvk=a.organisation.kvk)
    submitted = f.in_review(f.open_opening(scheme, code="slim-perm-2"), a, reviewer)
    for app in (by_employer, by_fund, submitted):
        Document.objects.create(
            application=app,
            file=ContentFile(f.PDF, name="geheim.pdf"),
            original_name="geheim.pdf",
            content_type="application/pdf",
            size=len(f.PDF),
            sha256="0" * 64,
            uploaded_by=a,
        )
        Letter.objects.create(
            application=app,
            kind="receipt",
            key=f"receipt:test:{app.pk}",
            status=Letter.Status.RENDERED,
            file=ContentFile(f.PDF, name="brief.pdf"),
            rendered_at=timezone.now(),
        )
    return {
        "scheme": scheme,
        "opening": opening,
        "a": a,
        "fund": fund,
        "apps": [by_employer, by_fund, submitted],
    }


def outsiders(world):
    scheme, a = world["scheme"], world["a"]
    today = timezone.localdate()
    other_employer = f.employer(username="werkgever-b")
    colleague_elsewhere = f.employer(f.OrganisationFactory(name="Concurrent B.V."), username="werkgever-c")
    no_mandate = f.intermediary(username="fonds-zonder")
    revoked = f.intermediary(username="fonds-ingetrokken")
    f.mandate(a.organisation, revoked.organisation, [scheme], revoked=True)
    expired = f.intermediary(username="fonds-verlopen")
    f.mandate(
        a.organisation,
        expired.organisation,
        [scheme],
        valid_from=today - datetime.timedelta(days=90),
        valid_until=today - datetime.timedelta(days=1),
    )
    future = f.intermediary(username="fonds-later")
    f.mandate(a.organisation, future.organisation, [scheme], valid_from=today + datetime.timedelta(days=1))
    other_scheme = f.intermediary(username="fonds-andere-regeling")
    f.mandate(a.organisation, other_scheme.organisation, [f.slim_scheme(code="slim-anders")])
    return [other_employer, colleague_elsewhere, no_mandate, revoked, expired, future, other_scheme]


def urls_for(app: Application) -> list[tuple[str, str, dict]]:
    ref = app.reference
    document = app.documents.first()
    letter = app.letters.first()
    out = [
        ("get", reverse("portal:detail", args=[ref]), {}),
        ("get", reverse("portal:receipt", args=[ref]), {}),
        ("get", reverse("portal:document", args=[ref, document.pk]), {}),
        ("get", reverse("portal:letter", args=[ref, letter.pk]), {}),
        ("post", reverse("portal:submit", args=[ref]), {}),
    ]
    for step in ("aanvrager", "kosten", "bijlagen", "verklaringen", "overzicht"):
        out.append(("get", reverse("portal:step", args=[ref, step]), {}))
        out.append(
            ("post", reverse("portal:step", args=[ref, step]), {"action": "save", "truthfulness_declared": "on"})
        )
    out.append(("post", reverse("portal:step", args=[ref, "bijlagen"]), {"delete": document.pk}))
    for action in ("withdraw", "supplement", "request_settlement", "lodge_objection"):
        out.append(("get", reverse("portal:action", args=[ref, action]), {}))
        out.append(("post", reverse("portal:action", args=[ref, action]), {"reason": "x", "note": "x"}))
    return out


def snapshot():
    return (
        list(Application.objects.order_by("pk").values_list("pk", "state", "version", "truthfulness_declared")),
        AuditEvent.objects.count(),
        Document.objects.count(),
        list(Mandate.objects.order_by("pk").values_list("pk", "revoked_at")),
    )


def test_no_outsider_sees_or_changes_anything_of_another_organisation(world, client_for):
    users = outsiders(world)
    before = snapshot()
    for user in users:
        client = client_for(user)
        for app in world["apps"]:
            for method, url, data in urls_for(app):
                response = getattr(client, method)(url, data)
                assert response.status_code == 404, (user.username, method, url, response.status_code)
                body = b"" if response.streaming else response.content
                assert app.reference.encode() not in body
                assert b"geheim.pdf" not in body and not body.startswith(b"%PDF")
        listing = client.get(reverse("portal:home")).content.decode()
        for app in world["apps"]:
            assert app.reference not in listing, (user.username, app.reference)
    assert snapshot() == before


def test_the_employer_and_its_intermediary_both_see_applications_of_both_channels(world, client_for):
    for user in (world["a"], world["fund"]):
        listing = client_for(user).get(reverse("portal:home")).content.decode()
        for app in world["apps"]:
            assert app.reference in listing
        detail = client_for(user).get(
            reverse("portal:document", args=[world["apps"][1].reference, world["apps"][1].documents.first().pk])
        )
        assert detail.status_code == 200


def test_a_revoked_mandate_ends_the_intermediarys_access_at_once(world, client_for):
    fund = world["fund"]
    app = world["apps"][1]
    client = client_for(fund)
    assert client.get(reverse("portal:detail", args=[app.reference])).status_code == 200
    Mandate.objects.filter(agent=fund.organisation).update(revoked_at=timezone.now())
    assert client.get(reverse("portal:detail", args=[app.reference])).status_code == 404
    response = client.post(reverse("portal:submit", args=[app.reference]))
    assert response.status_code == 404
    app.refresh_from_db()
    assert app.state == "draft"


def test_an_intermediary_cannot_start_for_an_employer_that_did_not_mandate_it(world, client_for):
    stranger = f.employer(username="werkgever-zonder-machtiging")
    response = client_for(world["fund"]).post(
        reverse("portal:start", args=[world["opening"].code]),
        {"token": "tok-x", "organisation": stranger.organisation.kvk},
    )
    assert not Application.objects.filter(organisation=stranger.organisation).exists()
    assert response.status_code == 200  # the choice is not offered: a form error, nothing made


def test_staff_and_strangers_have_no_portal(world, client, client_for):
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("login"))
    reviewer = f.staff(Role.REVIEWER, [world["scheme"]], username="perm-behandelaar-2")
    assert client_for(reviewer).get(reverse("portal:home")).status_code == 403
    no_org = f.UserFactory(role=Role.APPLICANT, organisation=None, username="zonder-organisatie")
    assert client_for(no_org).get(reverse("portal:home")).status_code == 403


def test_mandates_and_bulk_uploads_of_another_organisation_are_out_of_reach(world, client_for):
    mandate = Mandate.objects.get(agent=world["fund"].organisation)
    other = f.employer(username="werkgever-d")
    assert client_for(other).post(reverse("portal:mandate-revoke", args=[mandate.pk])).status_code == 404
    assert client_for(world["fund"]).post(reverse("portal:mandate-revoke", args=[mandate.pk])).status_code == 403
    mandate.refresh_from_db()
    assert mandate.revoked_at is None

    upload = BulkUpload.objects.create(
        uploaded_by=world["fund"], opening=world["opening"], file_name="x.csv", sha256="1" * 64, status="created"
    )
    other_fund = f.intermediary(username="fonds-ander")
    assert client_for(other_fund).get(reverse("portal:bulk-detail", args=[upload.pk])).status_code == 404
    assert client_for(other_fund).post(reverse("portal:bulk-submit", args=[upload.pk])).status_code == 404
    assert client_for(other).get(reverse("portal:bulk")).status_code == 403
