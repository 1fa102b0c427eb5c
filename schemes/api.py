"""Read-only API of the catalogue: schemes and openings with their budgets."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions

from . import selectors
from .models import Opening
from .serializers import OpeningSerializer, SchemeSerializer


@extend_schema(summary="Every scheme with its rules and openings")
class SchemeList(generics.ListAPIView):
    serializer_class = SchemeSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None

    def get_queryset(self):
        return selectors.catalogue()


@extend_schema(summary="One scheme by code")
class SchemeDetail(generics.RetrieveAPIView):
    serializer_class = SchemeSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"

    def get_queryset(self):
        return selectors.catalogue()


@extend_schema(summary="One opening with its ceiling and what is reserved, committed and paid")
class OpeningDetail(generics.RetrieveAPIView):
    serializer_class = OpeningSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"
    queryset = Opening.objects.select_related("scheme")
