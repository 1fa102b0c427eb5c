"""Read-only API of the catalogue: schemes and openings with their budgets."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import NotFound

from . import selectors
from .api_errors import errors_for
from .models import Opening
from .serializers import OpeningSerializer, SchemeSerializer


class ByCodeMixin:
    """Look an object up by its code; an unknown code is a 404 that says so in Dutch."""

    lookup_field = "code"
    not_found_message = ""

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise NotFound(self.not_found_message % {"code": self.kwargs[self.lookup_field]})


@extend_schema(summary="Every scheme with its rules and openings")
class SchemeList(generics.ListAPIView):
    serializer_class = SchemeSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None

    def get_queryset(self):
        return selectors.catalogue().prefetch_related("tranche_plan__gate", "budget_lines")


@extend_schema(summary="One scheme by code", responses={200: SchemeSerializer, **errors_for(404)})
class SchemeDetail(ByCodeMixin, generics.RetrieveAPIView):
    serializer_class = SchemeSerializer
    permission_classes = [permissions.AllowAny]

    @property
    def not_found_message(self):
        return _("Er is geen regeling met de code '%(code)s'.")

    def get_queryset(self):
        return selectors.catalogue().prefetch_related("tranche_plan__gate", "budget_lines")


@extend_schema(
    summary="One opening with its ceiling and what is reserved, committed and paid",
    responses={200: OpeningSerializer, **errors_for(404)},
)
class OpeningDetail(ByCodeMixin, generics.RetrieveAPIView):
    serializer_class = OpeningSerializer
    permission_classes = [permissions.AllowAny]
    queryset = Opening.objects.select_related("scheme").prefetch_related("tranche_plan__gate")

    @property
    def not_found_message(self):
        return _("Er is geen openstelling met de code '%(code)s'.")
