"""The documents a demo application carries: what the scheme asks for, as small PDFs of our own making.

A demo applicant sends what a real one sends (an offerte per traject for the Omscholingsregeling), through the
same service, so a demo submission passes the same check as any other.
"""

from __future__ import annotations

import io

import pikepdf
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import checks
from applications.models import Application, User
from applications.services import documents


def one_page_pdf(line: str) -> bytes:
    """A one-page A4 PDF with one line of text in Helvetica."""
    pdf = pikepdf.new()
    text = line.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = pdf.make_stream(b"BT /F1 12 Tf 72 770 Td (" + text + b") Tj ET")
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 595, 842],
        Contents=content,
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
    )
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def attach_required(application: Application, user: User) -> int:
    """Upload what the scheme still asks for (one per traject where it asks so); returns how many."""
    units = list(application.units.all())
    added = 0
    for need in checks.document_needs(application):
        for number in range(need.present, need.needed):
            unit = units[number] if need.kind.per_unit and number < len(units) else None
            about = f" — {unit.participant}, {unit.provider}" if unit else ""
            upload = SimpleUploadedFile(
                f"{need.kind.code}-{number + 1}.pdf",
                one_page_pdf(f"{need.kind.label}{about} ({application.reference}, demo)"),
                content_type="application/pdf",
            )
            documents.store(application=application, user=user, upload=upload, unit=unit, document_type=need.kind.code)
            added += 1
    return added
