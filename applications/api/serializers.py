"""What the API reads and writes: applications with their units and actions, drafts, events, letters."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from .. import services, workflow
from ..models import Application, Assessment, AuditEvent, Message, Unit
from ..states import State


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
            "de_minimis_declared",
            "de_minimis_declarations",
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


class DeMinimisDeclarationInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="more than 0")
    granted_on = serializers.DateField(help_text="the date the aid was granted; not in the future")
    provider = serializers.CharField(max_length=255, help_text="who granted it")


class DraftInput(serializers.Serializer):
    opening = serializers.SlugField()
    organisation = serializers.CharField(required=False, allow_blank=True, help_text="KVK (intermediaries)")
    units = UnitInput(many=True, required=False)
    eligible_costs = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    requested_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    project_end_date = serializers.DateField(required=False, allow_null=True)
    de_minimis_declared = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="a total without dates (counts in full); with de_minimis_declarations: their sum, or leave it out",
    )
    de_minimis_declarations = DeMinimisDeclarationInput(
        many=True,
        required=False,
        allow_null=True,
        help_text="each de-minimis aid received elsewhere, dated: only aid granted in the three years before the "
        "decision counts (EU 2023/2831); [] for none",
    )
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


class ApplicationListQuery(serializers.Serializer):
    """The list's query: filters and paging, each refused on its own with a 400 when out of range."""

    opening = serializers.SlugField(required=False, max_length=60)
    state = serializers.CharField(required=False, help_text="one or more states, comma-separated")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000_000, default=0)

    def validate_state(self, value: str) -> list[str]:
        states = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in states if s not in State.values]
        if unknown:
            raise serializers.ValidationError(
                _("Onbekende status: %(states)s. Kies uit: %(known)s.")
                % {"states": ", ".join(unknown), "known": ", ".join(State.values)}
            )
        return states


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "action", "from_state", "to_state", "reason", "data"]


class PublicEventSerializer(serializers.ModelSerializer):
    """What an applicant sees of the file's history: the portal's words, no staff names, no internal records."""

    label = serializers.SerializerMethodField()
    state = serializers.CharField(source="to_state")
    state_label = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["at", "action", "label", "state", "state_label"]

    def get_label(self, obj) -> str:
        return str(workflow.BY_NAME[obj.action].public_log)

    def get_state_label(self, obj) -> str:
        return str(State(obj.to_state).label) if obj.to_state in State.values else ""


class LetterSerializer(serializers.Serializer):
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.CharField()


class ConflictInput(serializers.Serializer):
    conflict = serializers.BooleanField(help_text="true: I have an interest and step aside; false: no conflict")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ConsensusScoreInput(serializers.Serializer):
    score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="the committee's agreed score, 0-10")
    note = serializers.CharField(max_length=5000, help_text="what the committee weighed; required")


class AssessmentInput(serializers.Serializer):
    checklist = serializers.DictField(
        child=serializers.BooleanField(), required=False, help_text="per check of the scheme's shape: done or not"
    )
    scores = serializers.DictField(
        child=serializers.DictField(),
        required=False,
        help_text='tender only: per criterion {"score": 0-10, "justification": "…"}',
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class AssessmentSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username")
    no_conflict_declared = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = ["reviewer", "no_conflict_declared", "conflict_declared", "checklist", "scores", "score", "note"]

    def get_no_conflict_declared(self, obj) -> bool:
        return obj.no_conflict_declared_at is not None and not obj.conflict_declared


class MessageSerializer(serializers.ModelSerializer):
    """One message of the thread; an applicant reads "behandelaar" where staff wrote, not a name."""

    author = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "direction", "author", "text", "sent_at"]

    def get_author(self, obj) -> str:
        if obj.from_staff and not self.context.get("staff"):
            return "behandelaar"
        return obj.author.get_username()


class MessageInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="the message; its e-mail links to it, never carries it")
