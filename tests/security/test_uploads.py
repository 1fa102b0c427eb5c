"""Uploaded documents: stored and served under our name, the applicant's name kept as text, no PDF that runs anything.

An employer adds attachments to a draft of an Omscholing application; a reviewer opens them from the case
screen. Each attack is replayed through the portal's upload step or the ``documents`` service.
"""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Document, Role
from applications.services import documents
from tests import factories as f
from tests.factories import act

pytestmark = pytest.mark.django_db


@pytest.fixture
def opening(db):
    return f.open_opening(f.omscholing_scheme(code="oms-uploads"))


@pytest.fixture
def werkgever(db):
    return f.employer(f.OrganisationFactory(name="Uploadbedrijf B.V."), username="werkgever-uploads")


@pytest.fixture
def draft(opening, werkgever):
    return f.draft(opening, werkgever)


def pdf(build=None) -> bytes:
    """A one-page PDF, changed by ``build(pdf)`` before it is saved."""
    document = pikepdf.new()
    document.add_blank_page()
    if build:
        build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def javascript(code: str = "app.alert('hallo')"):
    return pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS=pikepdf.String(code))


def open_action_javascript(document):
    document.Root.OpenAction = document.make_indirect(javascript())


def names_tree_javascript(document):
    tree = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("start"), document.make_indirect(javascript())]))
    document.Root.Names = pikepdf.Dictionary(JavaScript=document.make_indirect(tree))


def link_that_launches(document):
    launch = pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=pikepdf.Array([0, 0, 100, 100]), A=launch
    )
    document.pages[0].obj.Annots = pikepdf.Array([document.make_indirect(link)])


def outline_with_javascript(document):
    item = document.make_indirect(pikepdf.Dictionary(Title=pikepdf.String("Hoofdstuk 1"), A=javascript()))
    outlines = document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=item, Last=item, Count=1))
    item.Parent = outlines
    document.Root.Outlines = outlines


def page_opens_with_javascript(document):
    document.pages[0].obj.AA = pikepdf.Dictionary(O=javascript())


def open_action_goto_page(document):
    document.Root.OpenAction = pikepdf.Array([document.pages[0].obj, pikepdf.Name.Fit])


def upload_step(client, application, name: str, content: bytes):
    return client.post(
        reverse("portal:step", args=[application.reference, "bijlagen"]),
        {"file": SimpleUploadedFile(name, content), "action": "upload"},
    )


# --- PDFs that run something ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "what"),
    [
        (open_action_javascript, "OpenAction"),
        (names_tree_javascript, "JavaScript"),
        (link_that_launches, "Launch"),
        (outline_with_javascript, "JavaScript"),
        (page_opens_with_javascript, "JavaScript"),
    ],
    ids=["openaction", "names-tree", "launch-annotation", "outline", "page-open-action"],
)
def test_a_pdf_that_would_run_something_is_refused_and_nothing_is_stored(client_for, werkgever, draft, build, what):
    response = upload_step(client_for(werkgever), draft, "offerte.pdf", pdf(build))
    page = response.content.decode()
    assert f"Het bestand &#x27;offerte.pdf&#x27; is een PDF die bij het openen iets uitvoert ({what})." in page
    assert not Document.objects.exists()


def test_a_pdf_that_opens_on_its_first_page_is_an_ordinary_pdf(werkgever, draft):
    document = documents.store(
        application=draft, user=werkgever, upload=SimpleUploadedFile("a.pdf", pdf(open_action_goto_page))
    )
    assert document.content_type == "application/pdf"


def test_a_pdf_that_cannot_be_read_is_refused_because_it_cannot_be_inspected():
    with pytest.raises(ValidationError) as refused:
        documents.validate_upload(SimpleUploadedFile("kapot.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 100))
    assert refused.value.messages == ["Het bestand 'kapot.pdf' kan niet als PDF worden gelezen."]


def test_a_pdf_locked_with_a_password_is_refused_because_it_cannot_be_inspected():
    buffer = io.BytesIO()
    document = pikepdf.new()
    document.add_blank_page()
    document.save(buffer, encryption=pikepdf.Encryption(user="geheim", owner="geheim"))
    with pytest.raises(ValidationError) as refused:
        documents.validate_upload(SimpleUploadedFile("slot.pdf", buffer.getvalue()))
    assert "met een wachtwoord beveiligd" in refused.value.messages[0]


# --- names -----------------------------------------------------------------------------------------------------


def test_a_right_to_left_override_in_the_name_is_kept_out_of_the_stored_and_the_served_name(
    client_for, werkgever, draft, opening
):
    upload_step(client_for(werkgever), draft, "invoice\u202efdp.exe", f.PDF)
    document = Document.objects.get()
    assert document.original_name == "invoicefdp.exe"  # text only, the override gone
    assert document.file.name == f"documents/{draft.reference}/bijlage-{document.pk}.pdf"
    response = client_for(werkgever).get(reverse("portal:document", args=[draft.reference, document.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="bijlage-{document.pk}.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == f.PDF


def test_the_reviewer_downloads_under_the_same_safe_name(client_for, werkgever, draft, opening):
    document = documents.store(
        application=draft, user=werkgever, upload=SimpleUploadedFile('"; filename=evil.html\r\n.png', f.PNG)
    )
    assert document.original_name == '"; filename=evil.html .png'
    reviewer = f.staff(Role.REVIEWER, [opening.scheme], username="behandelaar-uploads")
    act(draft, "submit", werkgever, {"truthfulness_declared": True})
    response = client_for(reviewer).get(reverse("review:document", args=[draft.reference, document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="bijlage-{document.pk}.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("uploaded", "kept"),
    [
        ("C:\\Users\\jan\\offerte.pdf", "offerte.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("a\u2066b\u2069c\u200bd.pdf", "abcd.pdf"),  # isolates and a zero-width space
        ("regel\nbreuk\x00.pdf", "regel breuk.pdf"),
        ("\u202e", ""),
    ],
)
def test_the_uploaded_name_is_kept_as_plain_text_only(uploaded, kept):
    assert documents.clean_name(uploaded) == kept


def test_a_name_of_nothing_but_control_characters_is_kept_as_the_kind(werkgever, draft):
    document = documents.store(application=draft, user=werkgever, upload=SimpleUploadedFile("\u202e\u202d", f.PDF))
    assert document.original_name == "bijlage"


# --- size, before anything is read ---------------------------------------------------------------------------


class DeclaresElevenMegabytes(SimpleUploadedFile):
    def __init__(self):
        super().__init__("groot.pdf", f.PDF)
        self.size = 11 * 1024 * 1024

    def read(self, *args, **kwargs):
        raise AssertionError("the file was read before its declared size was checked")

    def chunks(self, *args, **kwargs):
        raise AssertionError("the file was read before its declared size was checked")


def test_a_file_that_declares_more_than_10_mb_is_refused_before_a_byte_is_read(werkgever, draft):
    with pytest.raises(ValidationError) as refused:
        documents.store(application=draft, user=werkgever, upload=DeclaresElevenMegabytes())
    assert refused.value.messages == ["Het bestand 'groot.pdf' is 11,0 MB; het mag ten hoogste 10 MB zijn."]
    assert not Document.objects.exists()
