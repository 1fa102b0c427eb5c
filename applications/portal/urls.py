"""The portal for employers and intermediaries, mounted at /mijn/ (namespace ``portal``)."""

from django.urls import path

from . import actions as portal_actions
from . import bulk_views as bulk
from . import mandates, steps, submission, thread
from . import views as portal

urlpatterns = [
    path("", portal.home, name="home"),
    path("organisatie/", portal.profile, name="profile"),
    path("organisatie/ondernemingen/", portal.profile_link, name="profile-link"),
    path("aanvragen/nieuw/<slug:code>/", submission.start, name="start"),
    path("aanvragen/<str:reference>/", portal.detail, name="detail"),
    path("aanvragen/<str:reference>/stap/<slug:step>/", steps.step, name="step"),
    path("aanvragen/<str:reference>/indienen/", submission.submit, name="submit"),
    path("aanvragen/<str:reference>/ontvangstbevestiging/", submission.receipt, name="receipt"),
    path("aanvragen/<str:reference>/actie/<slug:action>/", portal_actions.action, name="action"),
    path("aanvragen/<str:reference>/documenten/<int:pk>/", portal.document_download, name="document"),
    path("aanvragen/<str:reference>/brieven/<int:pk>/", portal.letter_download, name="letter"),
    path("aanvragen/<str:reference>/berichten/", thread.post_message, name="messages"),
    path("machtigingen/", mandates.mandates, name="mandates"),
    path("machtigingen/<int:pk>/intrekken/", mandates.revoke, name="mandate-revoke"),
    path("bulk/", bulk.upload, name="bulk"),
    path("bulk/sjabloon/<slug:shape>/", bulk.template, name="bulk-template"),
    path("bulk/<int:pk>/", bulk.detail, name="bulk-detail"),
    path("bulk/<int:pk>/indienen/", bulk.submit, name="bulk-submit"),
]
