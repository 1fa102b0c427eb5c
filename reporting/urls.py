from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("regeling/<slug:code>/", views.scheme_report, name="scheme"),
    path("openstelling/<slug:code>/", views.opening_report, name="opening"),
    path("<str:scope>/<slug:code>/cijfers.<str:fmt>", views.figures_export, name="figures-export"),
    path("<str:scope>/<slug:code>/aanvragen.<str:fmt>", views.applications_export, name="applications-export"),
    path("<str:scope>/<slug:code>/pdf/", views.request_pdf, name="pdf"),
    path("opdracht/<int:pk>/", views.job_status, name="job"),
    path("opdracht/<int:pk>/bestand/", views.job_file, name="job-file"),
]
