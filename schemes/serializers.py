from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Opening, Scheme, TranchePlanItem
from .rules import RULE_FIELDS

MONEY = {"max_digits": 14, "decimal_places": 2, "read_only": True, "allow_null": True}


class TranchePlanItemSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY)
    gate = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = TranchePlanItem
        fields = [
            "number",
            "label",
            "amount",
            "offset_months",
            "planned_date",
            "gated",
            "gate",
            "review_kind",
            "review_date",
            "assumption",
        ]


class OpeningSummarySerializer(serializers.ModelSerializer):
    budget_ceiling = serializers.DecimalField(**MONEY)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Opening
        fields = ["code", "name", "opens_at", "closes_at", "budget_ceiling", "distribution", "status"]


class OpeningSerializer(OpeningSummarySerializer):
    scheme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reserved = serializers.DecimalField(**MONEY)
    committed = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
    recovered = serializers.DecimalField(**MONEY)
    available = serializers.DecimalField(**MONEY)
    min_score = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True, allow_null=True)
    rules = serializers.JSONField(read_only=True)
    tranche_plan = TranchePlanItemSerializer(many=True, read_only=True)

    class Meta:
        model = Opening
        fields = [
            "code",
            "name",
            "scheme",
            "opens_at",
            "closes_at",
            "budget_ceiling",
            "reserved",
            "committed",
            "paid",
            "recovered",
            "available",
            "distribution",
            "min_score",
            "partial_grant",
            "capacity_units",
            "target_units",
            "status",
            "rules",
            "tranche_plan",
        ]


class SchemeSerializer(serializers.ModelSerializer):
    unit_amount = serializers.DecimalField(**MONEY)
    min_unit_cost = serializers.DecimalField(**MONEY)
    min_amount = serializers.DecimalField(**MONEY)
    max_amount = serializers.DecimalField(**MONEY)
    max_amount_partnership = serializers.DecimalField(**MONEY)
    min_eligible_costs = serializers.DecimalField(**MONEY)
    programme_total = serializers.DecimalField(**MONEY)
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True, allow_null=True)
    advance_pct = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    openings = OpeningSummarySerializer(many=True, read_only=True)
    tranche_plan = serializers.SerializerMethodField()
    unconditional_total = serializers.SerializerMethodField()
    conditional_total = serializers.SerializerMethodField()

    class Meta:
        model = Scheme
        fields = [
            "code",
            "name",
            "short_name",
            "owner",
            "executing_agency",
            *RULE_FIELDS,
            "programme_total",
            "target_units",
            "agdb_pillar",
            "openings",
            "tranche_plan",
            "unconditional_total",
            "conditional_total",
        ]

    @staticmethod
    def _programme_tranches(scheme: Scheme) -> list[TranchePlanItem]:
        """The programme's own tranches; an opening's tranches are on the opening."""
        return [item for item in scheme.tranche_plan.all() if item.opening_id is None]

    @extend_schema_field(TranchePlanItemSerializer(many=True))
    def get_tranche_plan(self, scheme: Scheme) -> list[dict]:
        return TranchePlanItemSerializer(self._programme_tranches(scheme), many=True).data

    def _tranche_total(self, scheme: Scheme, *, gated: bool) -> str | None:
        lines = list(scheme.budget_lines.all())
        if lines:  # the programme's own division: money held back until a gate is the programme's, not per award
            conditional = [line for line in lines if line.purpose == "conditional"]
            chosen = conditional if gated else [line for line in lines if line.purpose != "conditional"]
            return f"{sum((line.amount for line in chosen), Decimal('0.00')):.2f}"
        items = self._programme_tranches(scheme)
        if not items:
            return None
        total = sum((item.amount for item in items if item.gated == gated), Decimal("0.00"))
        return f"{total:.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True))
    def get_unconditional_total(self, scheme: Scheme) -> str | None:
        """What the tranche plan releases without a review."""
        return self._tranche_total(scheme, gated=False)

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True))
    def get_conditional_total(self, scheme: Scheme) -> str | None:
        """What the tranche plan releases only after a positive KPI or evaluation review."""
        return self._tranche_total(scheme, gated=True)
