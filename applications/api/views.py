"""The applications API: drafts, one endpoint per action, the audit trail, allocation.

Thin: every write goes through ``applications.services`` (and ``allocation``),
the same code the portal and the reviewer screens call. Errors are JSON with a
``detail`` in plain words, Dutch by default, English with Accept-Language: en.
"""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from schemes.api_errors import errors_for, flatten
from schemes.models import Opening

from .. import permissions as perms
from .. import selectors, services, workflow
from ..errors import ActionError
from ..models import Allocation, Application, Letter
from ..services import allocation, draws
from ..states import State
from .serializers import (
    ApplicationListQuery,
    ApplicationSerializer,
    AssessmentInput,
    AssessmentSerializer,
    ConflictInput,
    ConsensusScoreInput,
    DraftInput,
    EventSerializer,
    LetterSerializer,
    MessageInput,
    MessageSerializer,
    PublicEventSerializer,
)


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
        parameters=[
            OpenApiParameter("opening", {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 60}),
            OpenApiParameter(
                "state",
                {"type": "array", "items": {"type": "string", "enum": list(State.values)}},
                style="form",
                explode=False,
                description="one or more states, comma-separated",
            ),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0}),
        ],
        responses={200: ApplicationSerializer(many=True), **errors_for(400, 403)},
    )
    def get(self, request):
        query = ApplicationListQuery(data=request.query_params)
        if not query.is_valid():
            return Response({"detail": _("De zoekvraag klopt niet."), "errors": flatten(query.errors)}, status=400)
        qs = selectors.visible_applications(request.user).select_related("opening__scheme", "organisation")
        if query.validated_data.get("opening"):
            qs = qs.filter(opening__code=query.validated_data["opening"])
        if query.validated_data.get("state"):
            qs = qs.filter(state__in=query.validated_data["state"])
        qs = qs.prefetch_related("units", "supplement_requests").order_by("-created_at")
        limit, offset = query.validated_data["limit"], query.validated_data["offset"]
        page = list(qs[offset : offset + limit])
        return Response(ApplicationSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        summary='Create a draft (with "submit": true: create and submit it at once)',
        description='With "submit": true the draft is submitted in the same transaction: 201 with the submitted '
        "application, or the submission's error (400, 403, 409) and no draft at all.",
        request=DraftInput,
        responses={201: ApplicationSerializer, **errors_for(400, 403, 409)},
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            return Response({"detail": _("De gegevens moeten een JSON-object zijn.")}, status=400)
        incoming = DraftInput(data=request.data)
        if not incoming.is_valid():
            return Response(
                {"detail": _("De aanvraag is niet goed ingevuld."), "errors": flatten(incoming.errors)}, status=400
            )
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

    @extend_schema(summary="One application", responses={200: ApplicationSerializer, **errors_for(403, 404)})
    def get(self, request, reference):
        application = _visible(request, reference)
        return Response(ApplicationSerializer(application, context={"request": request}).data)

    @extend_schema(
        summary="Change a draft",
        request=DraftInput,
        responses={200: ApplicationSerializer, **errors_for(400, 403, 404, 409)},
    )
    def patch(self, request, reference):
        application = _visible(request, reference)
        if not isinstance(request.data, dict):
            return Response({"detail": _("De gegevens moeten een JSON-object zijn.")}, status=400)
        try:
            application = services.update_draft(application=application, user=request.user, data=dict(request.data))
        except ActionError as exc:
            return error_response(exc)
        return Response(ApplicationSerializer(application, context={"request": request}).data)


class ApplicationAction(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Take one action (a transition of the state machine)",
        description="Actions: " + ", ".join(workflow.ACTION_NAMES) + ". 409 when the action is not possible in this "
        "state or the application changed underneath (send If-Match: <version> to be sure); 403 when this user "
        "may not; 400 for a bad body. Nothing changes on an error.",
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(workflow.ACTION_NAMES))],
        request=OpenApiTypes.OBJECT,
        responses={200: ApplicationSerializer, **errors_for(400, 403, 404, 409)},
    )
    def post(self, request, reference, action):
        if workflow.action(action) is None:
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

    @extend_schema(
        summary="The history of one application: everything for staff, the portal's view for applicants",
        description="Staff get every audit event with its actor, reason and data. An applicant or intermediary "
        "gets the events the portal shows, in its words, without staff names or internal records.",
        responses={
            200: PolymorphicProxySerializer(
                "ApplicationEvent",
                serializers=[EventSerializer, PublicEventSerializer],
                resource_type_field_name=None,
                many=True,
            ),
            **errors_for(403, 404),
        },
    )
    def get(self, request, reference):
        application = _visible(request, reference)
        events = application.events.order_by("at", "id")
        if request.user.is_case_worker:
            return Response(EventSerializer(events, many=True).data)
        public = events.filter(action__in=workflow.public_events())
        return Response(PublicEventSerializer(public, many=True).data)


def _case(request, reference: str) -> Application:
    """An application the user reviews (a case worker of its scheme); a plain 404 for anyone else."""
    application = _visible(request, reference)
    if not request.user.is_case_worker:
        raise NotFound(_("Er is geen aanvraag met dit kenmerk die u behandelt."))
    return application


class ConflictOfInterest(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Declare (no) conflict of interest with the applicant: before any act on the case",
        description="201 for a first declaration, 200 when it replaces this reviewer's earlier one (audited). "
        "A declared conflict blocks every act of this reviewer on the case.",
        request=ConflictInput,
        responses={201: AssessmentSerializer, 200: AssessmentSerializer, **errors_for(400, 403, 404)},
    )
    def post(self, request, reference):
        application = _case(request, reference)
        incoming = ConflictInput(data=request.data if isinstance(request.data, dict) else None)
        if not incoming.is_valid():
            return Response(
                {"detail": _("De verklaring is niet goed ingevuld."), "errors": incoming.errors}, status=400
            )
        try:
            assessment = services.declare_conflict_of_interest(
                application=application,
                user=request.user,
                conflict=incoming.validated_data["conflict"],
                note=incoming.validated_data.get("note", ""),
            )
        except ActionError as exc:
            return error_response(exc)
        return Response(AssessmentSerializer(assessment).data, status=200 if assessment.replaced else 201)


class AssessmentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Every reviewer's declaration and assessment of the case (the second reviewer reads the first's)",
        description="The other reviewers' checks and scores come only after this user's own declaration of no "
        "conflict of interest on the case; before it, only this user's own declaration, if any.",
        responses={200: AssessmentSerializer(many=True), **errors_for(403, 404)},
    )
    def get(self, request, reference):
        application = _case(request, reference)
        rows = application.assessments.order_by("id")
        if not perms.declared_no_conflict(application, request.user):
            rows = rows.filter(reviewer=request.user)
        return Response(AssessmentSerializer(rows, many=True).data)

    @extend_schema(
        summary="Record this reviewer's assessment: the checklist, a tender's scores, a note",
        description="After a declaration of no conflict. The checks are those of the scheme's shape; a tender "
        "is scored 0 to 10 on every criterion, each score justified. The other reviewers' assessments come "
        "back with it.",
        request=AssessmentInput,
        responses={200: AssessmentSerializer(many=True), **errors_for(400, 403, 404)},
    )
    def post(self, request, reference):
        application = _case(request, reference)
        incoming = AssessmentInput(data=request.data if isinstance(request.data, dict) else None)
        if not incoming.is_valid():
            return Response(
                {"detail": _("De beoordeling is niet goed ingevuld."), "errors": incoming.errors}, status=400
            )
        try:
            services.record_assessment(
                application=application,
                user=request.user,
                checklist=incoming.validated_data.get("checklist"),
                scores=incoming.validated_data.get("scores"),
                note=incoming.validated_data.get("note", ""),
            )
        except ActionError as exc:
            return error_response(exc)
        return Response(AssessmentSerializer(application.assessments.order_by("id"), many=True).data)


class ConsensusScoreView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Record the tender committee's consensus score of the application",
        description="Where the scheme ranks a tender by the committee's consensus (tender_score: consensus): one "
        "case worker of the scheme, after a declaration of no conflict, records the score the committee agreed "
        "and why. Without it the application is not ranked: the allocation's preview and proposal name the "
        "applications that still lack one.",
        request=ConsensusScoreInput,
        responses={200: OpenApiTypes.OBJECT, **errors_for(400, 403, 404)},
    )
    def post(self, request, reference):
        application = _case(request, reference)
        incoming = ConsensusScoreInput(data=request.data if isinstance(request.data, dict) else None)
        if not incoming.is_valid():
            return Response(
                {"detail": _("De consensusscore is niet goed ingevuld."), "errors": incoming.errors}, status=400
            )
        try:
            done = services.record_consensus_score(
                application=application,
                user=request.user,
                score=incoming.validated_data["score"],
                note=incoming.validated_data["note"],
            )
        except ActionError as exc:
            return error_response(exc)
        return Response(
            {
                "reference": done.reference,
                "consensus_score": str(done.consensus_score),
                "note": done.consensus_note,
                "recorded_by": done.consensus_by.get_username(),
                "recorded_at": done.consensus_at.isoformat(),
            }
        )


class ApplicationMessages(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The thread between staff and the applicant on one application",
        description="The applicant's side (its employer, an intermediary with a mandate) and the case workers of the "
        'scheme read it; an applicant reads "behandelaar" where staff wrote.',
        responses={200: MessageSerializer(many=True), **errors_for(403, 404)},
    )
    def get(self, request, reference):
        application = _visible(request, reference)
        try:
            rows = services.messages.thread(application, request.user)
        except ActionError as exc:
            return error_response(exc)
        staff = request.user.is_case_worker
        return Response(MessageSerializer(rows, many=True, context={"staff": staff}).data)

    @extend_schema(
        summary="Write a message in the thread: staff to the applicant, or the applicant to the reviewer",
        description="Staff of the scheme after their declaration of no conflict of interest on the case; the "
        "applicant's side for its own applications. Not on a draft (409). The message is in the audit trail, and "
        "the other side gets an e-mail with a link to it, not its text.",
        request=MessageInput,
        responses={201: MessageSerializer, **errors_for(400, 403, 404, 409)},
    )
    def post(self, request, reference):
        application = _visible(request, reference)
        incoming = MessageInput(data=request.data if isinstance(request.data, dict) else None)
        if not incoming.is_valid():
            return Response({"detail": _("Het bericht is niet goed ingevuld."), "errors": incoming.errors}, status=400)
        try:
            message = services.messages.post_message(
                application=application, user=request.user, text=incoming.validated_data["text"]
            )
        except ActionError as exc:
            return error_response(exc)
        staff = request.user.is_case_worker
        return Response(MessageSerializer(message, context={"staff": staff}).data, status=201)


def _scheme_staff_opening(request, code) -> Opening:
    opening = get_object_or_404(Opening, code=code)
    if not draws.allowed(opening, request.user):
        raise PermissionDenied(draws.refusal(request.user))
    return opening


class OpeningAllocation(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Propose (POST) the allocation of a closed opening, or read (GET) the run that counts",
        description=(
            "A lottery, tender or pro rata division runs once, after the window has closed: one case worker of the "
            "scheme proposes it (a tender with the committee's advice), another approves it (…/allocations/{id}/"
            "approve/). The seed is the system's, committed as a SHA-256 before the draw and shown with the result."
        ),
        request=inline_serializer(
            "AllocationProposal",
            {"advice": serializers.CharField(required=False), "note": serializers.CharField(required=False)},
        ),
        responses={201: OpenApiTypes.OBJECT, **errors_for(400, 403, 404, 409)},
    )
    def post(self, request, code):
        opening = _scheme_staff_opening(request, code)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            result = draws.propose(opening=opening, user=request.user, data=data)
        except ActionError as exc:
            return error_response(exc)
        return Response(_allocation_json(result), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The run that counts for an opening, recomputable from its seed (staff of the scheme only)",
        responses={200: OpenApiTypes.OBJECT, **errors_for(403, 404)},
    )
    def get(self, request, code):
        opening = _scheme_staff_opening(request, code)
        result = allocation.last_allocation(opening)
        if result is None:
            raise NotFound(_("Voor deze openstelling is nog geen verdeling uitgevoerd."))
        return Response(_allocation_json(result))


class OpeningAllocationPreview(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Preview the allocation of a closed opening: recorded, nothing reserved",
        request=None,
        responses={201: OpenApiTypes.OBJECT, **errors_for(403, 404, 409)},
    )
    def post(self, request, code):
        opening = _scheme_staff_opening(request, code)
        try:
            result = draws.preview(opening=opening, user=request.user)
        except ActionError as exc:
            return error_response(exc)
        return Response(_allocation_json(result), status=status.HTTP_201_CREATED)


class AllocationDecision(APIView):
    """Approve or return a proposed allocation: a second case worker of the scheme."""

    permission_classes = [IsAuthenticated]
    verdict = "approve"

    @extend_schema(
        summary="Approve (four eyes: not the proposer) or return a proposed allocation",
        request=inline_serializer("AllocationVerdict", {"note": serializers.CharField(required=False)}),
        responses={200: OpenApiTypes.OBJECT, **errors_for(400, 403, 404, 409)},
    )
    def post(self, request, code, pk):
        opening = _scheme_staff_opening(request, code)
        proposal = get_object_or_404(Allocation, pk=pk, opening=opening)
        data = request.data if isinstance(request.data, dict) else {}
        try:
            if self.verdict == "approve":
                result = draws.approve(proposal=proposal, user=request.user)
            else:
                result = draws.return_proposal(proposal=proposal, user=request.user, data=data)
        except ActionError as exc:
            return error_response(exc)
        return Response(_allocation_json(result))


def _allocation_json(result) -> dict:
    shown = result.status == Allocation.Status.APPROVED  # the seed is revealed with the result, not before
    commitment = result.lottery_seed
    return {
        "id": result.pk,
        "opening": result.opening.code,
        "method": result.method,
        "status": result.status,
        "day": result.day.isoformat() if result.day else None,
        "seed": result.seed if shown else None,
        "seed_sha256": commitment.digest if commitment else None,
        "seed_committed_at": commitment.committed_at.isoformat() if commitment else None,
        "proposed_by": result.run_by.username if result.run_by else None,
        "run_at": result.run_at.isoformat(),
        "approved_by": result.approved_by.username if result.approved_by else None,
        "approved_at": result.approved_at.isoformat() if result.approved_at else None,
        "advice": result.advice,
        "summary": result.summary,
        "order": result.order,
        "recompute": "check that SHA-256(seed) is seed_sha256; sort the references by HMAC-SHA256(key=seed, message='"
        + "open-subsidie-lottery-v1:' + reference) in hex, ascending; rows marked incomplete after the others",
    }


class ApplicationLetters(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The letters of one application (receipt, grant, rejection, …), each with its PDF",
        responses={200: LetterSerializer(many=True), **errors_for(403, 404)},
    )
    def get(self, request, reference):
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

    @extend_schema(
        summary="One letter as PDF",
        parameters=[OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors_for(403, 404)},
    )
    def get(self, request, reference, pk):
        application = _visible(request, reference)
        letter = application.letters.filter(pk=pk, status=Letter.Status.RENDERED).first()
        if letter is None:
            raise NotFound(_("Deze brief bestaat niet of is nog niet klaar."))
        return FileResponse(
            letter.file.open("rb"), content_type="application/pdf", filename=f"{letter.kind}-{reference}.pdf"
        )
