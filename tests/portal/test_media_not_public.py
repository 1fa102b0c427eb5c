"""Uploaded documents are reachable only through the portal's checked views, never as static media."""

from __future__ import annotations

import importlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import clear_url_caches

import config.urls
from applications.services import documents
from tests import factories as f


@pytest.mark.django_db
def test_a_document_is_not_served_from_media_url_even_with_debug(client, opening, werkgever):
    app = f.draft(opening, werkgever)
    document = documents.store(application=app, user=werkgever, upload=SimpleUploadedFile("offerte.pdf", f.PDF))

    with override_settings(DEBUG=True):
        importlib.reload(config.urls)
        clear_url_caches()
        try:
            response = client.get(f"/media/{document.file.name}")
        finally:
            importlib.reload(config.urls)
            clear_url_caches()
    assert response.status_code == 404
