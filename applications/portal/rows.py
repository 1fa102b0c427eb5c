"""The rows of a form: trajecten, cost lines and partners, each a small form, gathered in a ``RowSet``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from schemes.formatting import euro
from schemes.forms import MoneyField

from ..models import CoFinancing, Partner, Unit
from .forms import TEXT, AccessibleForm, date_field, money_field

# --- rows: trajecten, cost lines, partners ----------------------------------------------


class UnitRowForm(AccessibleForm):
    summary_fields = ("participant", "occupation", "cost")
    participant = forms.CharField(label=_("Deelnemer"), max_length=255, widget=forms.TextInput(attrs=TEXT))
    occupation = forms.CharField(label=_("Beoogd beroep"), max_length=255, widget=forms.TextInput(attrs=TEXT))
    occupation_sector = forms.ChoiceField(
        label=_("Sector van het beroep"),
        choices=[("", _("— kies —")), *Unit.OccupationSector.choices],
        widget=forms.Select(attrs={"class": "utrecht-select rvo-select"}),
    )
    provider = forms.CharField(label=_("Opleider"), max_length=255, widget=forms.TextInput(attrs=TEXT))
    cost = money_field(_("Kosten"))
    start_date = date_field(_("Start"))
    end_date = date_field(_("Einde"))
    contract_end_date = date_field(_("Einde contract"))

    def clean_cost(self):
        cost = self.cleaned_data.get("cost")
        if cost is not None and cost < 0:
            raise forms.ValidationError(_("Een bedrag kan niet negatief zijn."))
        return cost

    def clean(self):
        data = super().clean()
        start, end, contract = data.get("start_date"), data.get("end_date"), data.get("contract_end_date")
        if start and end and end < start:
            self.add_error("end_date", _("De einddatum ligt voor de startdatum."))
        if end and contract and contract < end:
            self.add_error("contract_end_date", _("Het contract moet minstens duren tot het einde van het traject."))
        return data

    def as_service_row(self) -> dict:
        data = dict(self.cleaned_data)
        for key in ("start_date", "end_date", "contract_end_date"):
            data[key] = data[key].isoformat() if data.get(key) else None
        data["cost"] = str(data["cost"])
        return data


class CostLineRowForm(AccessibleForm):
    summary_fields = ("description", "amount")
    description = forms.CharField(label=_("Kostenpost"), max_length=255, widget=forms.TextInput(attrs=TEXT))
    amount = money_field(_("Bedrag"))

    def as_service_row(self) -> dict:
        return {"description": self.cleaned_data["description"], "amount": str(self.cleaned_data["amount"])}


class DeMinimisRowForm(AccessibleForm):
    """One de-minimis aid received elsewhere: how much, when it was granted, by whom (EU 2023/2831: the three years
    are counted from the dates of the grants)."""

    summary_fields = ("amount", "granted_on", "provider")
    amount = money_field(_("Bedrag"))
    granted_on = date_field(_("Datum van verlening"))
    provider = forms.CharField(
        label=_("Verstrekker"),
        max_length=255,
        help_text=_("Wie de steun verleende, zoals een gemeente, provincie of ministerie."),
        widget=forms.TextInput(attrs=TEXT),
    )

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("Het bedrag van de steun is meer dan € 0."))
        return amount

    def as_service_row(self) -> dict:
        data = self.cleaned_data
        return {
            "amount": str(data["amount"]),
            "granted_on": data["granted_on"].isoformat(),
            "provider": data["provider"],
        }


class PartnerRowForm(AccessibleForm):
    summary_fields = ("name", "role")
    name = forms.CharField(label=_("Partner"), max_length=255, widget=forms.TextInput(attrs=TEXT))
    kvk = forms.RegexField(
        label=_("KVK-nummer"),
        regex=r"^\d{8}$",
        required=False,
        error_messages={"invalid": _("Een KVK-nummer bestaat uit precies 8 cijfers.")},
        widget=forms.TextInput(attrs={**TEXT, "inputmode": "numeric"}),
    )
    role = forms.ChoiceField(
        label=_("Rol"),
        choices=[("", _("— kies —")), *Partner.PartnerRole.choices],
        widget=forms.Select(attrs={"class": "utrecht-select rvo-select"}),
    )
    is_sme = forms.BooleanField(label=_("mkb"), required=False)
    source = forms.ChoiceField(
        label=_("Bron cofinanciering"),
        choices=[("", _("— geen —")), *CoFinancing.Source.choices],
        required=False,
        widget=forms.Select(attrs={"class": "utrecht-select rvo-select"}),
    )
    cash = money_field(_("In geld"), required=False)
    in_kind = money_field(_("In natura"), required=False)

    def clean(self):
        data = super().clean()
        if (data.get("cash") or data.get("in_kind")) and not data.get("source"):
            self.add_error("source", _("Kies de bron van de cofinanciering."))
        for key in ("cash", "in_kind"):
            if data.get(key) is not None and data[key] < 0:
                self.add_error(key, _("Een bedrag kan niet negatief zijn."))
        return data

    def as_service_row(self) -> dict:
        data = self.cleaned_data
        cofinancing = [
            {"source": data["source"], "kind": kind, "amount": str(data[key])}
            for key, kind in (("cash", CoFinancing.Kind.CASH), ("in_kind", CoFinancing.Kind.IN_KIND))
            if data.get(key)
        ]
        return {
            "name": data["name"],
            "kvk": data.get("kvk") or "",
            "role": data["role"],
            "is_sme": data.get("is_sme", False),
            "cofinancing": cofinancing,
        }


class RowSet:
    """Row forms, one card each ("add another"), that grow and shrink without JavaScript.

    The number of rows travels in a hidden ``<prefix>-TOTAL`` field; the
    buttons "+ traject toevoegen" and "verwijder" post the form and come back
    with one row more or less, keeping everything that was typed.
    """

    def __init__(self, form_class, prefix: str, *, data=None, initial=None, max_rows=None, min_rows=1):
        self.form_class = form_class
        self.prefix = prefix
        self.max_rows = max_rows
        self.min_rows = min_rows
        self.errors_outside: list[str] = []
        self.is_quiet = False
        if data is not None:
            try:
                total = int(data.get(f"{prefix}-TOTAL", 0))
            except (TypeError, ValueError):
                total = 0
            total = max(0, min(total, 100))
            self.raw = [self._raw_row(data, i) for i in range(total)]
            self.bound = True
        else:
            self.raw = list(initial or [])
            self.bound = False
        self._build()

    def _raw_row(self, data, index: int) -> dict:
        row = {}
        for name in self.form_class.base_fields:
            key = f"{self.prefix}-{index}-{name}"
            if key in data:
                row[name] = data.get(key)
        return row

    def _build(self) -> None:
        rows = self.raw or []
        if len(rows) < self.min_rows:
            rows = rows + [None] * (self.min_rows - len(rows))
        self.forms = []
        for index, row in enumerate(rows):
            prefix = f"{self.prefix}-{index}"
            if self.bound and row is not None:
                data = {f"{prefix}-{k}": v for k, v in row.items()}
                self.forms.append(self.form_class(data, prefix=prefix))
            else:
                self.forms.append(self.form_class(prefix=prefix, initial=row or None))

    @property
    def total(self) -> int:
        return len(self.forms)

    def add(self) -> bool:
        if self.max_rows is not None and len(self.forms) >= self.max_rows:
            return False
        self.raw = self._current_raw() + [None]
        self._build()
        return True

    def remove(self, index: int) -> None:
        raw = self._current_raw()
        if 0 <= index < len(raw):
            del raw[index]
        self.raw = raw
        self._build()

    def _current_raw(self) -> list:
        out = []
        for form in self.forms:
            if form.is_bound:
                out.append(
                    {
                        name: form.data.get(f"{form.prefix}-{name}")
                        for name in form.fields
                        if f"{form.prefix}-{name}" in form.data
                    }
                )
            else:
                out.append(form.initial or None)
        return out

    def summaries(self) -> list[dict]:
        """One line per row for the list of those added: what the row's first fields say so far."""
        out = []
        for index, form in enumerate(self.forms):
            values = []
            for name in form.summary_fields:
                value = form.data.get(f"{form.prefix}-{name}") if form.is_bound else (form.initial or {}).get(name)
                field = form.fields[name]
                if value in (None, ""):
                    continue
                if isinstance(field, MoneyField):
                    try:
                        value = euro(field.to_python(str(value)))
                    except forms.ValidationError:
                        pass
                choices = dict(getattr(field, "choices", ()) or ())
                values.append(str(choices.get(value, value)))
            out.append({"index": index, "number": index + 1, "anchor": f"{self.prefix}-{index}", "values": values})
        return out

    def quiet(self) -> None:
        """Rows shown again after adding or removing one: not judged yet."""
        self.is_quiet = True
        for form in self.forms:
            for field in form.fields.values():
                field.widget.attrs.pop("aria-invalid", None)

    def filled(self) -> list:
        """The rows that hold anything: an empty row is ignored, not refused."""
        return [form for form in self.forms if form.is_bound and form.has_changed()]

    def is_valid(self) -> bool:
        return all(form.is_valid() for form in self.filled())

    def service_rows(self) -> list[dict]:
        return [form.as_service_row() for form in self.filled()]

    def rows_for_preview(self) -> list[dict]:
        """What was typed and is valid so far, for the amount shown while filling in."""
        out = []
        for form in self.filled():
            if form.is_valid():
                out.append(form.cleaned_data)
        return out

    def attach_errors(self, errors: dict[str, list[str]], key: str) -> None:
        """Errors of the service or the rules (``units.2.cost``) placed next to their cell."""
        filled = self.filled() if self.bound else self.forms
        for field_key, messages in errors.items():
            parts = field_key.split(".")
            if parts[0] != key:
                continue
            if len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
                form = filled[int(parts[1])]
                name = parts[2] if parts[2] in form.fields else None
                for message in messages:
                    if name:
                        form.add_error(name, message)
                    else:
                        form.add_error(None, message)
            else:
                self.errors_outside.extend(messages)
