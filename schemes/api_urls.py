from django.urls import path

from . import api

urlpatterns = [
    path("schemes/", api.SchemeList.as_view(), name="api-scheme-list"),
    path("schemes/<slug:code>/", api.SchemeDetail.as_view(), name="api-scheme-detail"),
    path("openings/<slug:code>/", api.OpeningDetail.as_view(), name="api-opening-detail"),
]
