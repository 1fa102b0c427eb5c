"""What a reviewer fills in: the checklist per scheme shape, the tender criteria, and the action forms.

Checklists are declared here once per financial shape (see SCHEMES.md); a
scheme whose opening is a tender is also scored per criterion, 0 to 10, each
score with its justification (``services.record_assessment``).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import workflow
from ..criteria import checklist_for, criteria_for
from ..reasons import REASON_CODES


class ConflictForm(forms.Form):
    conflict = forms.TypedChoiceField(
        label=_("Belangenverstrengeling"),
        choices=[
            ("no", _("Ik heb geen belang bij deze aanvrager")),
            ("yes", _("Ik heb wel een belang: ik meld me af")),
        ],
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )
    note = forms.CharField(label=_("Toelichting"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConsensusScoreForm(forms.Form):
    """The score the tender's committee agreed on (``services.record_consensus_score``)."""

    score = forms.DecimalField(
        label=_("Consensusscore van de commissie (0 tot 10)"), min_value=0, max_value=10, decimal_places=2
    )
    note = forms.CharField(
        label=_("Onderbouwing van de commissie"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class AssessmentForm(forms.Form):
    """The checklist of the scheme's shape, and for a tender a score and justification per criterion."""

    note = forms.CharField(
        label=_("Toelichting bij de beoordeling"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, shape: str, tender: bool, assessment=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.shape, self.tender = shape, tender
        done = (assessment.checklist if assessment else {}) or {}
        scores = (assessment.scores if assessment else {}) or {}
        for key, label in checklist_for(shape):
            self.fields[f"check_{key}"] = forms.BooleanField(label=label, required=False, initial=done.get(key, False))
        if tender:
            for key, label in criteria_for(shape):
                entry = scores.get(key, {})
                self.fields[f"score_{key}"] = forms.DecimalField(
                    label=_("Score: %(criterion)s (0 tot 10)") % {"criterion": label},
                    min_value=0,
                    max_value=10,
                    decimal_places=1,
                    initial=entry.get("score"),
                )
                self.fields[f"why_{key}"] = forms.CharField(
                    label=_("Onderbouwing: %(criterion)s") % {"criterion": label},
                    widget=forms.Textarea(attrs={"rows": 2}),
                    initial=entry.get("justification", ""),
                )

    def checklist(self) -> dict:
        return {key: bool(self.cleaned_data.get(f"check_{key}")) for key, _label in checklist_for(self.shape)}

    def scores(self) -> dict | None:
        if not self.tender:
            return None
        return {
            key: {"score": str(self.cleaned_data[f"score_{key}"]), "justification": self.cleaned_data[f"why_{key}"]}
            for key, _label in criteria_for(self.shape)
        }


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Interne notitie"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class IntentForm(forms.Form):
    proposed = forms.ChoiceField(
        label=_("Voorgenomen besluit"),
        choices=[
            ("rejection", _("afwijzing")),
            ("revocation", _("intrekking van de verlening")),
            ("lower_settlement", _("lagere vaststelling")),
        ],
    )
    reason_code = forms.ChoiceField(
        label=_("Reden"), required=False, choices=[("", "—"), *[(k, v) for k, v in REASON_CODES.items()]]
    )
    reason = forms.CharField(label=_("Motivering voor de aanvrager"), widget=forms.Textarea(attrs={"rows": 3}))
    reply_days = forms.IntegerField(
        label=_("Termijn voor een zienswijze (dagen)"), min_value=1, max_value=60, initial=14
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Zienswijze van de aanvrager"), widget=forms.Textarea(attrs={"rows": 3}))


def action_data(action: str, post) -> dict:
    """The data of an action from a posted form, in the shape ``services.perform`` takes (fields from ``workflow``)."""
    data: dict = {}
    for field in workflow.action(action).fields:
        raw = post.get(field.name, "")
        if field.kind in ("release", "upheld"):
            data[field.name] = {"1": True, "0": False}.get(raw, raw or None)
        elif field.kind == "kpis":
            data[field.name] = _kpi_values(raw)
        elif field.kind == "number":
            if raw != "":
                data[field.name] = _whole(raw)
        elif raw != "":
            data[field.name] = raw
    return data


def _kpi_values(raw: str) -> dict:
    """One KPI per line, ``code=value``."""
    values = {}
    for line in raw.splitlines():
        code, separator, value = line.partition("=")
        if separator and code.strip():
            values[code.strip()] = value.strip()
    return values


def _whole(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None
