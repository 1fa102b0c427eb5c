"""The applications API: drafts, one endpoint per action, the audit trail, allocation.

Thin: every write goes through ``applications.services`` (and ``allocation``),
the same code the portal and the reviewer screens call. Errors are JSON with a
``detail`` in plain words, Dutch by default, English with Accept-Language: en.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from schemes.models import Opening

from . import allocation, selectors, services
from .models import Application, AuditEvent, Unit
from .services import ActionError
from .states import State


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = [
            "id",
            "participant",
            "occupation",
            "occupation_sector",
            "provider",
            "cost",
            "start_date",
            "end_date",
            "contract_end_date",
            "status",
            "contract_extended",
        ]


class ApplicationSerializer(serializers.ModelSerializer):
    opening = serializers.SlugRelatedField(slug_field="code", read_only=True)
    scheme = serializers.CharField(source="opening.scheme.code", read_only=True)
    organisation = serializers.CharField(source="organisation.kvk", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    units = UnitSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "reference",
            "opening",
            "scheme",
            "organisation",
            "organisation_name",
            "channel",
            "state",
            "state_label",
            "version",
            "amount_requested",
            "amount_granted",
            "amount_settled",
            "amount_paid",
            "amount_recovered",
            "eligible_costs",
            "requested_amount",
            "actual_costs",
            "project_end_date",
            "submitted_at",
            "complete_at",
            "decision_due",
            "supplement_due",
            "objection_due",
            "settlement_due",
            "queue_position",
            "over_ceiling",
            "rejection_reason",
            "answers",
            "units",
            "available_actions",
        ]

    supplement_due = serializers.SerializerMethodField()

    def get_available_actions(self, obj) -> list[str]:
        user = self.context["request"].user
        return services.available_actions(obj, user)

    def get_supplement_due(self, obj) -> str | None:
        if obj.state != State.SUPPLEMENT_REQUESTED:
            return None  # no query for the states without an open request
        request = next((r for r in obj.supplement_requests.all() if r.answered_on is None), None)
        return request.due_date.isoformat() if request else None

    def to_representation(self, instance):
        """As DRF would, but with one set of bound fields per process instead of a new set per answer.

        Building a ModelSerializer's fields costs more than the rest of the answer; the fields
        themselves hold no state between calls. The two method fields read this request.
        """
        ret = {}
        for field in _bound_fields():
            name = field.field_name
            if name == "available_actions":
                ret[name] = self.get_available_actions(instance)
            elif name == "supplement_due":
                ret[name] = self.get_supplement_due(instance)
            else:
                attribute = field.get_attribute(instance)
                ret[name] = None if attribute is None else field.to_representation(attribute)
        return ret


_BOUND_FIELDS: list | None = None


def _bound_fields() -> list:
    global _BOUND_FIELDS
    if _BOUND_FIELDS is None:
        _BOUND_FIELDS = list(ApplicationSerializer(context={}).fields.values())
    return _BOUND_FIELDS


class UnitInput(serializers.Serializer):
    participant = serializers.CharField(max_length=255)
    occupation = serializers.CharField(max_length=255)
    occupation_sector = serializers.ChoiceField(choices=Unit.OccupationSector.choices)
    provider = serializers.CharField(max_length=255)
    cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    contract_end_date = serializers.DateField(required=False, allow_null=True)


class DraftInput(serializers.Serializer):
    opening = serializers.SlugField()
    organisation = serializers.CharField(required=False, allow_blank=True, help_text="KVK (intermediaries)")
    units = UnitInput(many=True, required=False)
    eligible_costs = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    requested_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    project_end_date = serializers.DateField(required=False, allow_null=True)
    de_minimis_declared = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    truthfulness_declared = serializers.BooleanField(required=False)
    is_partnership = serializers.BooleanField(required=False)
    answers = serializers.DictField(required=False)
    partners = serializers.ListField(child=serializers.DictField(), required=False)
    cost_lines = serializers.ListField(child=serializers.DictField(), required=False)
    submit = serializers.BooleanField(
        required=False,
        help_text="true: create and submit in one request and one transaction (both or neither); "
        "the same checks as POST .../actions/submit/",
    )


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "action", "from_state", "to_state", "reason", "data"]


def error_response(exc: ActionError) -> Response:
    body = {"detail": exc.detail}
    if exc.errors:
        body["errors"] = exc.errors
    return Response(body, status=exc.status)


def _visible(request, reference: str) -> Application:
    # the opening's scheme and the organisation come along: every answer shows them
    application = (
        selectors.visible_applications(request.user)
        .select_related("opening__scheme", "organisation")
        .filter(reference=reference)
        .first()
    )
    if application is None:
        raise NotFound(_("Er is geen aanvraag met dit kenmerk die u mag inzien."))
    return application


class ApplicationList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The applications this user may see",
        parameters=[OpenApiParameter("opening", str), OpenApiParameter("state", str)],
        responses=ApplicationSerializer(many=True),
    )
    def get(self, request):
        qs = selectors.visible_applications(request.user).select_related("opening__scheme", "organisation")
        if request.query_params.get("opening"):
            qs = qs.filter(opening__code=request.query_params["opening"])
        if request.query_params.get("state"):
            qs = qs.filter(state__in=request.query_params["state"].split(","))
        qs = qs.prefetch_related("units", "supplement_requests").order_by("-created_at")
        try:
            limit = min(int(request.query_params.get("limit", 100)), 1000)
            offset = max(int(request.query_params.get("offset", 0)), 0)
        except ValueError:
            return Response({"detail": _("limit en offset zijn gehele getallen.")}, status=400)
        page = list(qs[offset : offset + limit])
        return Response(ApplicationSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary='Create a draft (with "submit": true: create and submit it at once)',
        description='With "submit": true the draft is submitted in the same transaction: 201 with the submitted '
        "application, or the submission's error (400, 403, 409) and no draft at all.",
        request=DraftInput,
        responses={201: ApplicationSerializer},
    )
    def post(self, request):
        incoming = DraftInput(data=request.data)
        if not incoming.is_valid():
            return Response({"detail": _("De aanvraag is niet goed ingevuld."), "errors": incoming.errors}, status=400)
        opening = Opening.objects.filter(code=incoming.validated_data["opening"]).select_related("scheme").first()
        if opening is None:
            return Response({"detail": _("Er is geen openstelling met deze code.")}, status=400)
        data = {k: v for k, v in request.data.items() if k not in ("opening", "organisation", "submit")}
        create = services.create_and_submit if incoming.validated_data.get("submit") else services.create_draft
        try:
            application = create(
                user=request.user,
                opening=opening,
                organisation_kvk=request.data.get("organisation") or None,
                data=data,
                idempotency_key=request.headers.get("Idempotency-Key"),
            )
        except ActionError as exc:
            return error_response(exc)
        return Response(ApplicationSerializer(application, context={"request": request}).data, status=201)


class ApplicationDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One application", responses=ApplicationSerializer)
    def get(self, request, reference):
        application = _visible(request, reference)
        return Response(ApplicationSerializer(application, context={"request": request}).data)

    @extend_schema(summary="Change a draft", request=DraftInput, responses=ApplicationSerializer)
    def patch(self, request, reference):
        application = _visible(request, reference)
        try:
            application = services.update_draft(application=application, user=request.user, data=dict(request.data))
        except ActionError as exc:
            return error_response(exc)
        return Response(ApplicationSerializer(application, context={"request": request}).data)


class ApplicationAction(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Take one action (a transition of the state machine)",
        description="Actions: " + ", ".join(services.ACTIONS) + ". 409 when the action is not possible in this "
        "state or the application changed underneath (send If-Match: <version> to be sure); 403 when this user "
        "may not; 400 for a bad body. Nothing changes on an error.",
        request=OpenApiTypes.OBJECT,
        responses={200: ApplicationSerializer},
    )
    def post(self, request, reference, action):
        if action not in services.ACTIONS:
            return Response({"detail": _("Onbekende actie '%(action)s'.") % {"action": action}}, status=404)
        expected = request.headers.get("If-Match")
        try:
            expected_version = int(expected.strip('"')) if expected else None
        except ValueError:
            return Response({"detail": _("If-Match moet het versienummer van de aanvraag zijn.")}, status=400)
        body = request.data if isinstance(request.data, dict) else None
        if body is None:
            return Response({"detail": _("De gegevens bij de actie moeten een JSON-object zijn.")}, status=400)
        # found among the user's visible applications and locked in one query (404 when not there)
        visible = (
            selectors.visible_applications(request.user)
            .select_related("opening__scheme", "organisation")
            .filter(reference=reference)
        )
        try:
            application = services.perform(
                None, action, request.user, dict(body), expected_version=expected_version, lookup=visible
            )
        except ActionError as exc:
            return error_response(exc)
        return Response(ApplicationSerializer(application, context={"request": request}).data)


class ApplicationEvents(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The audit trail of one application", responses=EventSerializer(many=True))
    def get(self, request, reference):
        application = _visible(request, reference)
        return Response(EventSerializer(application.events.order_by("at", "id"), many=True).data)


class OpeningAllocation(APIView):
    @extend_schema(
        summary="Run (POST, staff) or read (GET, anyone) the allocation of an opening",
        request=inline_serializer("AllocateInput", {"seed": serializers.CharField()}),
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request, code):
        if not request.user.is_authenticated:
            raise PermissionDenied(_("Log in als behandelaar om een verdeling uit te voeren."))
        opening = get_object_or_404(Opening, code=code)
        seed = request.data.get("seed") if isinstance(request.data, dict) else None
        try:
            result = allocation.allocate(opening=opening, seed=seed or "", user=request.user)
        except ActionError as exc:
            return error_response(exc)
        return Response(_allocation_json(result), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The last allocation of an opening, recomputable from its seed", responses=OpenApiTypes.OBJECT
    )
    def get(self, request, code):
        opening = get_object_or_404(Opening, code=code)
        result = allocation.last_allocation(opening)
        if result is None:
            raise NotFound(_("Voor deze openstelling is nog geen verdeling uitgevoerd."))
        return Response(_allocation_json(result))

    def get_permissions(self):
        return []


def _allocation_json(result) -> dict:
    return {
        "opening": result.opening.code,
        "method": result.method,
        "seed": result.seed,
        "run_at": result.run_at.isoformat(),
        "summary": result.summary,
        "order": result.order,
        "recompute": "sort the references by HMAC-SHA256(key=seed, message='"
        + "open-subsidie-lottery-v1:' + reference) in hex, ascending",
    }


class LetterSerializer(serializers.Serializer):
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.CharField()


class ApplicationLetters(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The letters of one application (receipt, grant, rejection, …), each with its PDF",
        responses=LetterSerializer(many=True),
    )
    def get(self, request, reference):
        from django.urls import reverse

        from .models import Letter

        application = _visible(request, reference)
        rows = application.letters.filter(status=Letter.Status.RENDERED).order_by("created_at", "id")
        return Response(
            [
                {
                    "kind": letter.kind,
                    "created_at": letter.created_at.isoformat(),
                    "url": request.build_absolute_uri(reverse("letter-download", args=[reference, letter.pk])),
                }
                for letter in rows
            ]
        )


class LetterDownload(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One letter as PDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, reference, pk):
        from django.http import FileResponse

        from .models import Letter

        application = _visible(request, reference)
        letter = application.letters.filter(pk=pk, status=Letter.Status.RENDERED).first()
        if letter is None:
            raise NotFound(_("Deze brief bestaat niet of is nog niet klaar."))
        return FileResponse(
            letter.file.open("rb"), content_type="application/pdf", filename=f"{letter.kind}-{reference}.pdf"
        )
