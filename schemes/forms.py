import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .rules import to_money

MONEY_ATTRS = {"inputmode": "decimal", "class": "utrecht-textbox rvo-input"}


class MoneyField(forms.CharField):
    """A euro amount typed the Dutch way (8.000,00 or 8000) or the plain way (8000.00)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        text = value.replace("€", "").replace(" ", "")
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
            text = text.replace(".", "")  # 8.000 and 1.250.000: Dutch thousands, not decimals
        try:
            return to_money(text)
        except ValueError:
            raise forms.ValidationError(_("Vul een bedrag in, bijvoorbeeld 8.000 of 8000,00.")) from None


class SelfCheckForm(forms.Form):
    applicant_type = forms.ChoiceField(
        label=_("Wie vraagt aan?"),
        choices=[
            ("employer", _("Ik ben werkgever")),
            ("intermediary", _("Ik vraag aan namens werkgevers (intermediair)")),
        ],
        widget=forms.RadioSelect,
        initial="employer",
    )
    units = forms.IntegerField(label=_("Aantal trajecten"), min_value=1, max_value=10000, required=False)
    unit_cost = MoneyField(label=_("Kosten per traject"), required=False, widget=forms.TextInput(attrs=MONEY_ATTRS))
    eligible_costs = MoneyField(
        label=_("Subsidiabele kosten"), required=False, widget=forms.TextInput(attrs=MONEY_ATTRS)
    )
    requested_amount = MoneyField(label=_("Gevraagd bedrag"), required=False, widget=forms.TextInput(attrs=MONEY_ATTRS))
    partnership = forms.BooleanField(label=_("Wij vragen aan als samenwerkingsverband"), required=False)
    de_minimis_received = MoneyField(
        label=_("De-minimissteun ontvangen in de afgelopen drie jaar"),
        required=False,
        widget=forms.TextInput(attrs=MONEY_ATTRS),
    )

    def __init__(self, *args, shape: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.shape = shape
        if shape == "per_unit":
            for name in ("eligible_costs", "requested_amount", "partnership"):
                del self.fields[name]
            self.fields["units"].required = True
            self.fields["unit_cost"].required = True
        elif shape == "share_of_costs":
            for name in ("units", "unit_cost", "requested_amount"):
                del self.fields[name]
            self.fields["eligible_costs"].required = True
        else:
            for name in ("units", "unit_cost", "eligible_costs"):
                del self.fields[name]
            self.fields["requested_amount"].required = True
