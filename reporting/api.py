"""GET /api/v1/reports/{scope}/{code}/?as_of=YYYY-MM-DD: the same JSON as ``manage.py kpi_report``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from schemes.api_errors import errors_for

from .access import report_for
from .queries import SCOPES, ReportError


class ReportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="KPI-rapportage",
        description="Cijfers van een openstelling, regeling of het portfolio (code 'all') op een peildatum, "
        "berekend uit het auditlogboek en de boekingen. Voor programmamanagers (regelingen van hun team) "
        "en functioneel beheerders.",
        parameters=[
            OpenApiParameter("scope", str, OpenApiParameter.PATH, enum=list(SCOPES)),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="peildatum (1990 tot vandaag), standaard vandaag"),
        ],
        responses={200: OpenApiTypes.OBJECT, **errors_for(400, 403, 404)},
    )
    def get(self, request, scope: str, code: str):
        try:
            report, _scope = report_for(request.user, scope, code, request.query_params.get("as_of"))
        except ReportError as exc:
            return Response({"detail": exc.detail}, status=exc.status)
        return Response(report)
