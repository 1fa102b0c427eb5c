"""Read a form out of a page as a browser would submit it, so admin tests post what the admin rendered."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_multiple = False
        self._select_first: str | None = None
        self._select_chosen = False
        self._in_option = False
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def _add(self, name: str, value: str) -> None:
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = True
            return
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self._add(name, attrs.get("value") or "on")
                return
            self._add(name, attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self._select_multiple = "multiple" in attrs
            self._select_first = None
            self._select_chosen = False
        elif tag == "option" and self._select:
            self._in_option = True
            self._option_value = attrs.get("value")
            self._option_selected = "selected" in attrs
            self._option_text = ""
        elif tag == "textarea" and name:
            self._textarea = name
            self._textarea_text = ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea_text += data
        elif self._in_option:
            self._option_text += data

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "form":
            self.in_form = False
        elif tag == "option" and self._select:
            value = self._option_value if self._option_value is not None else self._option_text.strip()
            if self._select_first is None:
                self._select_first = value
            if self._option_selected:
                self._add(self._select, value)
                self._select_chosen = True
            self._in_option = False
            self._option_value = None
            self._option_selected = False
        elif tag == "select" and self._select:
            if not self._select_chosen and not self._select_multiple and self._select_first is not None:
                self._add(self._select, self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline that follows <textarea>.
            self._add(self._textarea, self._textarea_text.removeprefix("\n"))
            self._textarea = None


def form_data(html: str, form_id: str) -> dict[str, str | list[str]]:
    """The name → value pairs the form with this id would submit unchanged."""
    reader = _FormReader(form_id)
    reader.feed(html)
    if not reader.values:
        raise AssertionError(f"no form with id {form_id!r} and fields in the page")
    return {name: values[0] if len(values) == 1 else values for name, values in reader.values.items()}
