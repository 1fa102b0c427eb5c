"""Uploads are judged on their content: PDF, PNG or JPEG, at most 10 MB, whatever the name says."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Document
from applications.services import documents
from tests import factories as f

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("scan.pdf", f.PDF, "application/pdf"),
        ("foto.jpg", JPEG, "image/jpeg"),
        ("geen-extensie", f.PNG, "image/png"),
        ("foto.pdf", JPEG, "image/jpeg"),  # the content decides, not the name
    ],
)
def test_pdf_png_and_jpeg_are_recognised_by_their_first_bytes(name, content, expected):
    assert documents.validate_upload(SimpleUploadedFile(name, content))[0] == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leeg.pdf", b"", "leeg"),
        ("macro.pdf", b"PK\x03\x04 a zip or docx", "geen PDF, PNG of JPEG"),
        ("script.png", b"<script>alert(1)</script>", "geen PDF, PNG of JPEG"),
        ("groot.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "ten hoogste 10 MB"),
    ],
)
def test_anything_else_is_refused_in_plain_dutch(name, content, message):
    with pytest.raises(ValidationError) as refused:
        documents.validate_upload(SimpleUploadedFile(name, content))
    assert message in refused.value.messages[0]


@pytest.mark.django_db
def test_a_stored_name_cannot_climb_out_of_the_applications_folder(opening, werkgever):
    app = f.draft(opening, werkgever)
    document = documents.store(
        application=app, user=werkgever, upload=SimpleUploadedFile("../../etc/passwd.pdf", f.PDF)
    )
    assert document.file.name.startswith(f"documents/{app.reference}/") and ".." not in document.file.name
    assert document.original_name == "passwd.pdf"


@pytest.mark.django_db
def test_an_outsider_cannot_store_a_document_in_another_organisations_file(opening, werkgever):
    app = f.draft(opening, werkgever)
    with pytest.raises(PermissionError):
        documents.store(application=app, user=f.employer(), upload=SimpleUploadedFile("a.pdf", f.PDF))
    assert not Document.objects.exists()
