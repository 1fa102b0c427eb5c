"""English everywhere, Dutch first: the pages speak Dutch by default and English on request,
and the committed .mo files are compiled from the committed .po files (CI has no gettext)."""

from __future__ import annotations

import ast
import gettext as gnu_gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils.translation import gettext, override

from applications.models import Application
from reporting.tables import portfolio_summary
from tests import factories as f

ROOT = Path(settings.BASE_DIR)
CATALOGUES = [
    ROOT / "locale" / "en" / "LC_MESSAGES",
    ROOT / "applications" / "locale" / "en" / "LC_MESSAGES",
]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%|\{\{ ?\w+ ?\}\}|\{\w+\}")


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_catalogue_speaks_dutch_by_default(client, catalogue):
    page = client.get("/regelingen/").content.decode()

    assert "Doe de check: kom ik in aanmerking en hoeveel krijg ik?" in page
    assert "Take the check" not in page


@pytest.mark.django_db
def test_the_catalogue_speaks_english_when_the_browser_asks_for_it(client, catalogue):
    page = client.get("/regelingen/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Take the check: am I eligible and how much will I receive?" in page
    assert "first come, first served" in page  # a distribution method, a model choice label
    assert "Doe de check" not in page


@pytest.mark.django_db
def test_a_self_check_refusal_for_seven_trajecten_reads_in_english(client, catalogue):
    url = "/regelingen/omscholing/check/?applicant_type=intermediary&units=7&unit_cost=8000"

    dutch = client.get(url).content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "ten hoogste 6" in dutch
    assert "alleen werkgevers" in dutch
    assert "at most 6 are allowed per applicant" in english
    assert "only employers can apply themselves" in english
    assert "ten hoogste" not in english


@pytest.mark.django_db
def test_the_login_page_in_dutch_and_with_the_language_cookie_in_english(client):
    dutch = client.get("/inloggen/").content.decode()
    english = _english(client).get("/inloggen/").content.decode()

    assert "Gebruikersnaam" in dutch and "Wachtwoord" in dutch
    assert "Username" in english and "Password" in english
    assert "Gebruikersnaam" not in english


@pytest.mark.django_db
def test_the_header_switch_sets_english_for_the_next_pages(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/inloggen/"}, follow=True)

    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Username" in response.content.decode()


@pytest.mark.django_db
def test_a_wrong_password_is_explained_in_english(client):
    response = f.sign_in(_english(client), "niemand", "fout")

    assert "Username or password is incorrect" in response.content.decode()


# --- strings outside the pages ----------------------------------------------------------------


def test_workspace_report_and_model_names_have_english():

    with override("en"):
        assert gettext("Werkvoorraad") == "Work queue"
        assert gettext("Voorgestelde besluiten") == "Proposed decisions"
        assert str(Application._meta.verbose_name) == "application"
        summary = portfolio_summary(
            {
                "groups": {
                    "by_scheme": {
                        "x": {
                            "name": "X",
                            "applications": {"submitted": 0, "granted": 0},
                            "units": {"unit": "traject", "granted": 0, "target": 0, "uptake_pct": None},
                            "budget": {"committed": 0, "ceiling": 0, "uptake_pct": None},
                            "early_warning": {"level": None},
                        }
                    }
                }
            }
        )
    assert summary[0]["level_label"] == "no signal"
    assert summary[0]["sentence"].startswith("No signal yet")
    with override("nl"):
        assert gettext("Werkvoorraad") == "Werkvoorraad"


# --- the catalogues themselves ----------------------------------------------------------------


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def _entries(po: Path) -> list[dict]:
    """A small .po reader: the live entries (obsolete ones skipped), each with msgctxt, msgid, msgstr(s), flags."""
    entries, current, field = [], None, None
    for raw in po.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current and "msgid" in current:
                entries.append(current)
            current, field = None, None
            continue
        if line.startswith("#~"):
            continue
        current = current if current is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(field, tuple):
                current["msgstr"][field[1]] += _unquote(line)
            else:
                current[field] += _unquote(line)
        else:
            keyword, value = line.split(" ", 1)
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                field = ("msgstr", int(match.group(1)))
                current["msgstr"][field[1]] = _unquote(value)
            elif keyword == "msgstr":
                field = ("msgstr", 0)
                current["msgstr"][0] = _unquote(value)
            else:
                field = keyword
                current[keyword] = _unquote(value)
    return [entry for entry in entries if entry["msgid"]]


@pytest.mark.parametrize("folder", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_is_translated_and_keeps_its_placeholders(folder):
    entries = _entries(folder / "django.po")

    assert entries
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        if "msgid_plural" in entry:  # a singular may leave out the count ("this application")
            allowed = set(PLACEHOLDER.findall(entry["msgid"] + entry["msgid_plural"]))
            for translation in entry["msgstr"].values():
                assert translation and set(PLACEHOLDER.findall(translation)) <= allowed, entry["msgid"]
        else:
            translation = entry["msgstr"][0]
            assert translation, entry["msgid"]
            assert sorted(PLACEHOLDER.findall(entry["msgid"])) == sorted(PLACEHOLDER.findall(translation)), entry[
                "msgid"
            ]


@pytest.mark.parametrize("folder", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_committed_mo_is_compiled_from_the_current_po(folder):
    with (folder / "django.mo").open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)._catalog

    for entry in _entries(folder / "django.po"):
        key = entry["msgid"] if "msgctxt" not in entry else f"{entry['msgctxt']}\x04{entry['msgid']}"
        if "msgid_plural" in entry:
            for index, translation in entry["msgstr"].items():
                assert compiled.get((key, index)) == translation, entry["msgid"]
        else:
            assert compiled.get(key) == entry["msgstr"][0], entry["msgid"]


# --- numbers that are keys, not amounts ---------------------------------------------------------------------

PK_IN_TEMPLATE = re.compile(r"\{\{\s*[\w.]+\.(?:pk|id)\s*\}\}")


def test_no_template_writes_a_key_through_the_dutch_number_format():
    """With USE_THOUSAND_SEPARATOR, ``{{ app.pk }}`` renders 1333 as "1.333": a checkbox's value, an anchor or a
    delete button would point at nothing once there are a thousand rows. Keys go out as plain digits."""
    offending = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if PK_IN_TEMPLATE.search(line)
    ]
    assert offending == []


def test_a_key_of_four_digits_stays_four_digits_in_dutch():
    with override("nl"):
        page = Template('{{ app.pk|stringformat:"d" }} {{ app.pk }}').render(Context({"app": {"pk": 1333}}))
    assert page == "1333 1.333"  # the second is what a bare key would have said
