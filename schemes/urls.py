from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("regelingen/", views.catalogue, name="catalogue"),
    path("regelingen/<slug:code>/", views.scheme_detail, name="scheme-detail"),
    path("regelingen/<slug:code>/check/", views.self_check, name="self-check"),
]
