from django.urls import path

from . import views as api

urlpatterns = [
    path("applications/", api.ApplicationList.as_view(), name="api-application-list"),
    path("applications/<str:reference>/", api.ApplicationDetail.as_view(), name="api-application-detail"),
    path(
        "applications/<str:reference>/actions/<str:action>/",
        api.ApplicationAction.as_view(),
        name="api-application-action",
    ),
    path("applications/<str:reference>/events/", api.ApplicationEvents.as_view(), name="api-application-events"),
    path(
        "applications/<str:reference>/conflict-of-interest/",
        api.ConflictOfInterest.as_view(),
        name="api-application-conflict",
    ),
    path("applications/<str:reference>/assessment/", api.AssessmentView.as_view(), name="api-application-assessment"),
    path(
        "applications/<str:reference>/consensus-score/",
        api.ConsensusScoreView.as_view(),
        name="api-application-consensus-score",
    ),
    path("applications/<str:reference>/messages/", api.ApplicationMessages.as_view(), name="api-application-messages"),
    path("applications/<str:reference>/letters/", api.ApplicationLetters.as_view(), name="api-application-letters"),
    path("applications/<str:reference>/letters/<int:pk>/", api.LetterDownload.as_view(), name="letter-download"),
    path("openings/<slug:code>/allocate/", api.OpeningAllocation.as_view(), name="api-opening-allocate"),
    path(
        "openings/<slug:code>/allocate/preview/",
        api.OpeningAllocationPreview.as_view(),
        name="api-opening-allocate-preview",
    ),
    path(
        "openings/<slug:code>/allocations/<int:pk>/approve/",
        api.AllocationDecision.as_view(verdict="approve"),
        name="api-allocation-approve",
    ),
    path(
        "openings/<slug:code>/allocations/<int:pk>/return/",
        api.AllocationDecision.as_view(verdict="return"),
        name="api-allocation-return",
    ),
]
