from rest_framework import serializers

from .models import Opening, Scheme

MONEY = {"max_digits": 14, "decimal_places": 2, "read_only": True, "allow_null": True}


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

    class Meta:
        model = Opening
        fields = [
            "code", "name", "scheme", "opens_at", "closes_at", "budget_ceiling", "reserved", "committed",
            "paid", "recovered", "available", "distribution", "min_score", "capacity_units", "status", "rules",
        ]


class SchemeSerializer(serializers.ModelSerializer):
    unit_amount = serializers.DecimalField(**MONEY)
    min_unit_cost = serializers.DecimalField(**MONEY)
    min_amount = serializers.DecimalField(**MONEY)
    max_amount = serializers.DecimalField(**MONEY)
    min_eligible_costs = serializers.DecimalField(**MONEY)
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True, allow_null=True)
    advance_pct = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    openings = OpeningSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Scheme
        fields = [
            "code", "name", "owner", "executing_agency", "shape", "unit_amount", "min_unit_cost",
            "max_units_per_applicant", "percentage", "min_amount", "max_amount", "min_eligible_costs",
            "decision_term_weeks", "supplement_term_days", "advance_pct", "target_units",
            "intermediaries_allowed", "one_per_window", "de_minimis", "agdb_pillar", "openings",
        ]
