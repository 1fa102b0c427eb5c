from django.urls import path

from .api import ReportView

urlpatterns = [
    path("reports/<str:scope>/<str:code>/", ReportView.as_view(), name="api-report"),
]
