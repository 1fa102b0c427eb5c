"""The reviewer workspace, mounted at /behandeling/ (namespace ``review``)."""

from django.urls import path

from . import decisions as review_decisions
from . import payments as review_payments
from . import thread
from . import views as review

urlpatterns = [
    path("", review.queue, name="queue"),
    path("besluiten/", review_decisions.decisions, name="decisions"),
    path("besluiten/beslissen/", review_decisions.decide, name="decide"),
    path("betalingen/", review_payments.payments, name="payments"),
    path(
        "betalingen/rekeningnummers/<int:pk>/goedkeuren/",
        review_payments.approve_iban_change,
        name="approve-iban-change",
    ),
    path("openstellingen/<slug:code>/verdeling/", review_decisions.allocation_screen, name="allocation"),
    path("aanvragen/<str:reference>/", review.case, name="case"),
    path("aanvragen/<str:reference>/actie/", review.act, name="act"),
    path("aanvragen/<str:reference>/belangen/", review.conflict, name="conflict"),
    path("aanvragen/<str:reference>/beoordeling/", review.assess, name="assess"),
    path("aanvragen/<str:reference>/consensusscore/", review.consensus_score, name="consensus-score"),
    path("aanvragen/<str:reference>/notities/", review.add_note, name="note"),
    path("aanvragen/<str:reference>/berichten/", thread.post_message, name="message"),
    path("aanvragen/<str:reference>/voornemen/", review.intent, name="intent"),
    path("aanvragen/<str:reference>/zienswijze/", review.intent_reply, name="intent-reply"),
    path("aanvragen/<str:reference>/brieven/<int:pk>/", review.letter_download, name="letter"),
    path("aanvragen/<str:reference>/brieven/<int:pk>/opnieuw/", review.letter_retry, name="letter-retry"),
    path("aanvragen/<str:reference>/documenten/<int:pk>/", review.document_download, name="document"),
]
