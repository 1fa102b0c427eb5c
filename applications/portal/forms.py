"""The portal's forms: what the employer and the intermediary type, checked field by field.

Forms only read and tidy what was typed; the scheme's limits are judged by the
published rules (``Rules.compute`` / ``checks``) and the writes are done by
``services``. Every error is a plain Dutch sentence shown next to its field.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from schemes.formatting import euro
from schemes.forms import MONEY_ATTRS, MoneyField

from .. import clocks
from ..models import EnterpriseLink, Organisation
from ..services import inputs
from ..services.documents import validate_upload
from . import sheets

DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"]
TEXT = {"class": "utrecht-textbox rvo-input"}


def _in_range(value) -> None:
    """The dates of law run from 1990 to 2100, as ``services.inputs.date`` reads them."""
    if not inputs.FIRST_DAY <= value <= inputs.LAST_DAY:
        raise ValidationError(inputs.out_of_range_message())


def date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            attrs={
                "type": "date",
                "class": "utrecht-textbox rvo-input",
                "min": inputs.FIRST_DAY.isoformat(),
                "max": inputs.LAST_DAY.isoformat(),
            },
            format="%Y-%m-%d",
        ),
        error_messages={"invalid": _("Vul een datum in, bijvoorbeeld 2026-03-01 of 1-3-2026.")},
        validators=[_in_range],
        **kwargs,
    )


def money_field(label, **kwargs) -> MoneyField:
    return MoneyField(label=label, widget=forms.TextInput(attrs=MONEY_ATTRS), **kwargs)


class AccessibleForm(forms.Form):
    """Help and error texts tied to their field with aria-describedby, errors flagged with aria-invalid."""

    required_message = _("Dit veld is verplicht.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._our_messages()
        self._describe()

    def _our_messages(self) -> None:
        for field in self.fields.values():
            if str(field.error_messages.get("required")) == str(forms.Field.default_error_messages["required"]):
                field.error_messages["required"] = self.required_message

    def _describe(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}-help")
            if self.is_bound and name in (getattr(self, "_errors", None) or {}):
                ids.append(f"{bound.auto_id}-error")
                field.widget.attrs["aria-invalid"] = "true"
            else:
                field.widget.attrs.pop("aria-invalid", None)
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)

    def full_clean(self):
        super().full_clean()
        self._describe()

    def add_error(self, field, error):
        super().add_error(field, error)
        self._describe()


class AccessibleModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        AccessibleForm._describe(self)
        for field in self.fields.values():
            if str(field.error_messages.get("required")) == str(forms.Field.default_error_messages["required"]):
                field.error_messages["required"] = AccessibleForm.required_message

    def full_clean(self):
        super().full_clean()
        AccessibleForm._describe(self)


# --- the organisation, entered once ---------------------------------------------


class ProfileForm(AccessibleModelForm):
    """The organisation's profile: entered once, prefilled in every application."""

    class Meta:
        model = Organisation
        fields = [
            "name",
            "size_class",
            "sector",
            "province",
            "iban",
            "contact_name",
            "contact_email",
            "contact_phone",
            "employees",
            "annual_turnover",
            "balance_sheet_total",
            "figures_year",
        ]
        widgets = {
            "name": forms.TextInput(attrs={**TEXT, "autocomplete": "organization"}),
            "employees": forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}),
            "figures_year": forms.TextInput(attrs={**TEXT, "inputmode": "numeric"}),
            "iban": forms.TextInput(attrs={**TEXT, "autocomplete": "off", "spellcheck": "false"}),
            "contact_name": forms.TextInput(attrs={**TEXT, "autocomplete": "name"}),
            "contact_email": forms.EmailInput(attrs={**TEXT, "autocomplete": "email"}),
            "contact_phone": forms.TextInput(attrs={**TEXT, "autocomplete": "tel", "type": "tel"}),
        }
        help_texts = {
            "iban": _("Het rekeningnummer waarop wij de subsidie betalen, bijvoorbeeld NL91ABNA0417164300."),
            "size_class": _("Het aantal werknemers bepaalt bij sommige regelingen het percentage of het maximum."),
            "employees": _(
                "Voor de mkb-toets: het aantal jaarlijkse arbeidseenheden (voltijds werknemers over het boekjaar), "
                "van uw eigen onderneming."
            ),
            "figures_year": _("Het laatst afgesloten boekjaar, bijvoorbeeld 2025."),
        }

    annual_turnover = MoneyField(label=_("Jaaromzet"), required=False, widget=forms.TextInput(attrs=MONEY_ATTRS))
    balance_sheet_total = MoneyField(label=_("Balanstotaal"), required=False, widget=forms.TextInput(attrs=MONEY_ATTRS))

    def clean_employees(self):
        value = self.cleaned_data.get("employees")
        if value is not None and value < 0:
            raise ValidationError(_("Een aantal werknemers kan niet negatief zijn."))
        return value

    def clean_figures_year(self):
        value = self.cleaned_data.get("figures_year")
        if value is not None and not 1990 <= value <= clocks.local_date().year:
            raise ValidationError(_("Geef een boekjaar tussen 1990 en dit jaar."))
        return value

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("province", "iban", "contact_name", "contact_email"):
            self.fields[name].required = True
        self.fields["province"].choices = [("", _("— kies een provincie —")), *self.fields["province"].choices[1:]]
        for name in ("annual_turnover", "balance_sheet_total"):  # shown the Dutch way, as the applicant types it
            value = getattr(self.instance, name, None)
            if value is not None and not self.is_bound:
                self.initial[name] = euro(value).replace("€", "").strip()
        AccessibleForm._describe(self)


class EnterpriseLinkForm(AccessibleModelForm):
    """A partner or linked enterprise, with its figures, for the SME test and the single undertaking."""

    class Meta:
        model = EnterpriseLink
        fields = ["kind", "name", "kvk", "share", "employees", "annual_turnover", "balance_sheet_total"]
        widgets = {
            "kind": forms.RadioSelect,
            "name": forms.TextInput(attrs=TEXT),
            "kvk": forms.TextInput(attrs={**TEXT, "inputmode": "numeric", "maxlength": "8"}),
            "share": forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}),
            "employees": forms.TextInput(attrs={**TEXT, "inputmode": "decimal"}),
        }
        help_texts = {
            "share": _("Het deel van het kapitaal of de stemrechten, in procenten."),
            "kvk": _(
                "Als de onderneming in Nederland is ingeschreven: dan telt haar steun mee bij de de-minimistoets."
            ),
        }

    annual_turnover = MoneyField(label=_("Jaaromzet"), widget=forms.TextInput(attrs=MONEY_ATTRS))
    balance_sheet_total = MoneyField(label=_("Balanstotaal"), widget=forms.TextInput(attrs=MONEY_ATTRS))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = EnterpriseLink.Kind.choices  # a choice to make, no empty one

    def clean(self):
        data = super().clean()
        share, kind = data.get("share"), data.get("kind")
        if share is not None and not 0 <= share <= 100:
            self.add_error("share", _("Een aandeel ligt tussen 0 en 100 %."))
        elif share is not None and kind == EnterpriseLink.Kind.PARTNER and not 25 <= share <= 50:
            self.add_error("share", _("Een partneronderneming heeft een aandeel van 25 tot en met 50 %."))
        for name in ("employees", "annual_turnover", "balance_sheet_total"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, _("Dit kan niet negatief zijn."))
        return data


# --- starting an application --------------------------------------------------------


class StartForm(AccessibleForm):
    """The first click: a hidden token makes a double click or a resent form harmless."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    organisation = forms.ChoiceField(
        label=_("Voor welke werkgever vraagt u aan?"),
        help_text=_("Alleen werkgevers die u voor deze regeling hebben gemachtigd."),
    )

    def __init__(self, *args, employers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if employers is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].choices = [("", _("— kies een werkgever —"))] + [
                (org.kvk, f"{org.name} (KVK {org.kvk})") for org in employers
            ]
        self._describe()


# --- the steps -------------------------------------------------------------------------


class EndDateNotPast:
    """A project that has already ended is not one to subsidise: the same check in the form and the bulk upload."""

    def clean_project_end_date(self):
        value = self.cleaned_data.get("project_end_date")
        if value is not None and value < clocks.local_date():
            raise forms.ValidationError(_("De einddatum ligt in het verleden; vul een datum vanaf vandaag in."))
        return value


class CostsForm(EndDateNotPast, AccessibleForm):
    project_end_date = date_field(_("Einddatum van het project"))


class ProgrammeForm(EndDateNotPast, AccessibleForm):
    requested_amount = money_field(
        _("Gevraagde programma-toekenning"), help_text=_("Het totaal dat u over alle tranches vraagt.")
    )
    project_end_date = date_field(_("Einddatum van het programma"))


class UploadForm(AccessibleForm):
    file = forms.FileField(
        label=_("Bestand"),
        help_text=_("PDF, PNG of JPEG, ten hoogste 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
        error_messages={"required": _("Kies een bestand."), "empty": _("Het bestand is leeg.")},
    )

    document_type = forms.ChoiceField(
        label=_("Wat is dit document?"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Zo ziet u, en zien wij, welke documenten die de regeling vraagt er al zijn."),
    )

    def __init__(self, *args, document_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not document_types:
            del self.fields["document_type"]
        else:
            self.fields["document_type"].choices = [(kind.code, kind.label) for kind in document_types] + [
                ("", _("Een ander document"))
            ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            validate_upload(upload)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return upload


class DeclarationsForm(AccessibleForm):
    de_minimis_declared = money_field(
        _("De-minimissteun ontvangen in de afgelopen drie jaar"),
        required=False,
        help_text=_("Het totaal van alle de-minimissteun die uw organisatie elders kreeg. Vul 0 in als u niets kreeg."),
    )
    truthfulness_declared = forms.BooleanField(
        label=_("Ik verklaar dat ik deze aanvraag naar waarheid heb ingevuld."),
        required=False,
    )

    de_minimis_none = forms.BooleanField(
        label=_(
            "Onze onderneming, met de ondernemingen die ermee verbonden zijn, kreeg in de afgelopen drie jaar elders "
            "geen de-minimissteun."
        ),
        required=False,
    )

    de_minimis_message = _("Vul het bedrag in; vul 0 in als u geen de-minimissteun kreeg.")
    de_minimis_dated_message = _(
        "Geef elke de-minimissteun op die uw onderneming elders kreeg, met het bedrag, de datum van verlening en de "
        "verstrekker; of verklaar dat zij in de afgelopen drie jaar geen de-minimissteun kreeg."
    )
    de_minimis_both_message = _(
        "U verklaart dat uw onderneming geen de-minimissteun kreeg, maar geeft wel steun op: kies één van beide."
    )
    truthfulness_message = _("Verklaar dat u de aanvraag naar waarheid heeft ingevuld; anders kunt u niet indienen.")

    def __init__(self, *args, de_minimis: bool, dated: bool = False, **kwargs):
        """``dated``: the portal asks each aid with its date (the rows of ``DeMinimisRowForm``) and this form only
        whether there was none; the bulk upload asks a total (``de_minimis_declared``)."""
        super().__init__(*args, **kwargs)
        if not de_minimis or dated:
            del self.fields["de_minimis_declared"]
        else:
            # empty is allowed in a saved draft, not to go on: needed, so not labelled "(niet verplicht)"
            self.fields["de_minimis_declared"].needed = True
        if not (de_minimis and dated):
            del self.fields["de_minimis_none"]

    def clean_de_minimis_declared(self):
        value = self.cleaned_data.get("de_minimis_declared")
        if value is not None and value < 0:
            raise forms.ValidationError(_("Een bedrag kan niet negatief zijn."))
        return value


# --- after submitting ----------------------------------------------------------------


class ActionForm(AccessibleForm):
    """The form of an applicant's action, built from the fields ``workflow`` declares for it.

    A field of kind ``units`` is not a field of this form: the settlement page asks
    for it per traject (``UnitCompletionForm``). Fields limited to other financial
    shapes are left out.
    """

    TEXTAREA = {"class": "utrecht-textarea rvo-textarea"}

    ACCOUNTANT = "accountant_statement"

    def __init__(self, *args, action, shape: str, accountant_limit=None, **kwargs):
        """``accountant_limit``: the settlement of a grant above this amount asks an accountant's statement (the
        scheme's tier, ``Rules.accounting_tier``): the form offers its upload, stored as that kind of document."""
        super().__init__(*args, **kwargs)
        self.action = action
        for declared in action.fields:
            if declared.shapes and shape not in declared.shapes:
                continue
            field = self._field_for(declared)
            if field is not None:
                self.fields[declared.name] = field
        if accountant_limit is not None:
            self.fields[self.ACCOUNTANT] = forms.FileField(
                label=_("Accountantsverklaring"),
                required=False,
                help_text=_(
                    "Bij een subsidie van meer dan %(limit)s hoort bij de aanvraag tot vaststelling een verklaring "
                    "van een accountant over de kosten (PDF). Heeft u die al toegevoegd, dan hoeft het niet opnieuw."
                )
                % {"limit": euro(accountant_limit)},
            )
        self._our_messages()
        self._describe()

    def _field_for(self, declared):
        common = {"label": declared.label, "required": declared.required, "help_text": declared.help}
        if declared.kind == "textarea":
            rows = max(3, min(6, declared.max_length // 1500))
            return forms.CharField(
                max_length=declared.max_length, widget=forms.Textarea(attrs={"rows": rows, **self.TEXTAREA}), **common
            )
        if declared.kind == "money":
            return money_field(**common)
        if declared.kind == "file":
            return forms.FileField(**common)
        if declared.kind == "units":
            return None
        return forms.CharField(max_length=declared.max_length, widget=forms.TextInput(attrs=TEXT), **common)

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            upload = data.get(name) if isinstance(field, forms.FileField) else None
            if upload:
                try:
                    validate_upload(upload)
                except ValidationError as exc:
                    self.add_error(name, exc.messages)
        return data

    def service_data(self) -> dict:
        """What ``services.perform`` takes: text as text, amounts as strings, no files."""
        data = {}
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field, forms.FileField):
                continue
            data[name] = str(value) if value is not None and not isinstance(value, str) else value
        return data

    def uploads(self) -> list:
        """The documents of the action's own kind (not the accountant's statement: ``accountant_upload``)."""
        return [
            self.cleaned_data[n]
            for n, f in self.fields.items()
            if isinstance(f, forms.FileField) and n != self.ACCOUNTANT and self.cleaned_data.get(n)
        ]

    def accountant_upload(self):
        return self.cleaned_data.get(self.ACCOUNTANT)


class UnitStartForm(AccessibleForm):
    """One traject during the grant: begun or not (a start, once reported, stays reported)."""

    started = forms.BooleanField(label=_("Begonnen"), required=False)


class UnitCompletionForm(AccessibleForm):
    """One traject at settlement: begun or not, completed or not, contract extended, certificate."""

    started = forms.BooleanField(label=_("Begonnen"), required=False)  # a completed one began, ticked or not
    completed = forms.BooleanField(label=_("Afgerond"), required=False)
    contract_extended = forms.BooleanField(label=_("Contract met minstens 6 maanden verlengd"), required=False)
    certificate = forms.FileField(label=_("Certificaat of diploma"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("contract_extended") and not data.get("completed"):
            self.add_error("contract_extended", _("Een verlengd contract telt alleen bij een afgerond traject."))
        upload = data.get("certificate")
        if upload:
            try:
                validate_upload(upload)
            except ValidationError as exc:
                self.add_error("certificate", exc.messages)
        return data


# --- intermediaries -------------------------------------------------------------------


class MandateForm(AccessibleForm):
    agent_kvk = forms.RegexField(
        label=_("KVK-nummer van de intermediair"),
        regex=r"^\d{8}$",
        error_messages={"invalid": _("Een KVK-nummer bestaat uit precies 8 cijfers.")},
        widget=forms.TextInput(attrs={**TEXT, "inputmode": "numeric"}),
        help_text=_("Bijvoorbeeld het opleidingsfonds of de sectororganisatie die namens u aanvraagt."),
    )
    schemes = forms.ModelMultipleChoiceField(
        label=_("Voor welke regelingen?"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Kies minstens één regeling.")},
    )
    valid_from = date_field(_("Geldig vanaf"))
    valid_until = date_field(_("Geldig tot en met"), required=False)

    def __init__(self, *args, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schemes"].queryset = schemes
        self.fields["schemes"].error_messages["required"] = _("Kies minstens één regeling.")
        self._describe()

    def clean_agent_kvk(self):
        kvk = self.cleaned_data["agent_kvk"]
        agent = Organisation.objects.filter(kvk=kvk).first()
        if agent is None:
            raise forms.ValidationError(_("Er is geen organisatie met dit KVK-nummer bij ons bekend."))
        if not agent.is_intermediary:
            raise forms.ValidationError(
                _("Deze organisatie is geen intermediair; alleen een intermediair kan worden gemachtigd.")
            )
        self.agent = agent
        return kvk

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("De einddatum ligt voor de begindatum."))
        return data


class BulkUploadForm(AccessibleForm):
    opening = forms.ChoiceField(label=_("Openstelling"))
    file = forms.FileField(
        label=_("Bestand (CSV of XLSX)"),
        help_text=_("Eén rij per aanvraag of per traject; de eerste rij bevat de kolomnamen."),
        error_messages={"required": _("Kies een bestand.")},
    )

    def __init__(self, *args, openings, **kwargs):
        super().__init__(*args, **kwargs)
        self.openings = {o.code: o for o in openings}
        self.fields["opening"].choices = [("", _("— kies een openstelling —"))] + [(o.code, o.name) for o in openings]
        self._describe()

    def clean_opening(self):
        return self.openings[self.cleaned_data["opening"]]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > sheets.MAX_BYTES:  # the declared size: nothing of the file is read
            raise forms.ValidationError(sheets.too_large_message())
        return upload


class DashboardFilterForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Werkgever"), required=False)
    scheme = forms.ChoiceField(label=_("Regeling"), required=False)
    state = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, organisations, schemes, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("alle werkgevers"))] + [(o.kvk, o.name) for o in organisations]
        self.fields["scheme"].choices = [("", _("alle regelingen"))] + [(s.code, s.name) for s in schemes]
        self.fields["state"].choices = [("", _("alle statussen"))] + list(states)
        if len(organisations) < 1:
            del self.fields["organisation"]
